"""Python packaging tools: pip, uv, poetry, pdm, pipenv (and pipx).

How a rule asks::

    from dockfix import tools
    p = tools.parse(cmd)                      # pip3, python3 -m pip, uv, poetry...
    if p is not None and p.tool == "pip" and p.is_sub("install"):
        p.values("-r")                        # every -r/--requirement value
        d = tools.cache_dir(tools.pip.PIP_CACHE, facts, p)   # --cache-dir, $PIP_CACHE_DIR, ~/.cache/pip
        tools.pip.is_cache_clean(p)           # pip cache purge / uv cache clean / poetry cache clear

``python -m pip`` (``python3.12 -I -m pip``) is found by :func:`launch`; its
python options are read as python reads them (``-X``/``-W`` take a value,
``-c`` runs code: not pip).  Option tables were checked against pip's,
uv's, poetry's, pdm's and pipenv's documentation.
"""

from __future__ import annotations

import re

from ._dirs import CacheSpec, FromEnv, FromHome, FromOption
from ._files import Install, OnPath, ProjectFiles
from ._grammar import DashDash, Grammar, Parsed, Token, opts, sub, words

# -- pip --------------------------------------------------------------------

#: pip's general options (accepted before and after the subcommand).
PIP_GENERAL = opts(
    values=(
        "--python, --log --log-file --local-log, --proxy, --retries, --timeout, --exists-action, "
        "--trusted-host, --cert, --client-cert, --cache-dir, --use-feature, --use-deprecated, "
        "--keyring-provider, --resume-retries"
    ),
    flags=(
        "-h --help, -v --verbose, -V --version, -q --quiet, --isolated, --require-virtualenv, --no-input, "
        "--no-cache-dir, --disable-pip-version-check, --no-color, --debug, --no-python-version-warning"
    ),
)
#: ``pip install`` (and download/wheel) options that take a value.
PIP_INSTALL = opts(
    values=(
        "-r --requirement, -c --constraint, -e --editable, -t --target, --platform, --python-version, "
        "--implementation, --abi, --root, --prefix, --src --source --source-dir --source-directory, "
        "--upgrade-strategy, -C --config-settings --config-setting, --global-option, --install-option, "
        "--no-binary, --only-binary, --report, -i --index-url, --extra-index-url, -f --find-links, --group, "
        "--progress-bar, --root-user-action, -d --dest --destination-dir --destination-directory, "
        "-w --wheel-dir, --build-constraint"
    ),
    flags=(
        "-U --upgrade, --user, --no-deps, --pre, --dry-run, -I --ignore-installed, --force-reinstall, "
        "--no-index, --no-build-isolation, --require-hashes, --prefer-binary, --break-system-packages, "
        "--no-compile, --no-warn-script-location, --no-clean, --ignore-requires-python"
    ),
)
_PIP_SUBS = (
    sub("install", options=PIP_INSTALL),
    sub("download", options=PIP_INSTALL),
    sub("wheel", options=PIP_INSTALL),
    sub("lock", options=PIP_INSTALL),
    sub("uninstall", options=opts(values="-r --requirement", flags="-y --yes")),
    sub("cache", subs=(sub("purge"), sub("remove"), sub("dir"), sub("info"), sub("list"))),
    sub(
        "config",
        subs=(sub("list"), sub("edit"), sub("get"), sub("set"), sub("unset"), sub("debug")),
        options=opts(values="--editor", flags="--global, --user, --site"),
    ),
    sub("freeze"),
    sub("list"),
    sub("show"),
    sub("check"),
    sub("hash"),
    sub("index"),
    sub("inspect"),
    sub("debug"),
    sub("completion"),
    sub("help"),
)
#: pip's optparse parser takes the command from the words after ``--``
#: (``pip -- list``); the command's own parser then reads every later word as an operand.
PIP = Grammar(
    "pip",
    ("pip", "pip3"),
    PIP_GENERAL,
    _PIP_SUBS,
    pattern=r"pip\d+(\.\d+)*",
    after_dashdash=DashDash.SUBCOMMAND,
)

#: ``-r``-like options: files the install reads requirements from (pip's
#: and ``uv pip``'s: the names resolve through each grammar, so
#: ``--requirement`` finds uv's ``--requirements`` and ``--override`` its
#: ``--overrides``).
PIP_REQUIREMENT_OPTIONS = ("--requirement", "--constraint", "--build-constraint", "--override")
#: options whose value is a path the install reads or writes.
PIP_PATH_OPTIONS = ("--target", "--root", "--prefix", "--src", "--find-links", "--report", "--log")
#: ``-e``: installs a project (a path, or a VCS URL) in editable mode.
PIP_EDITABLE_OPTIONS = ("--editable",)

# -- uv ---------------------------------------------------------------------

UV_GLOBAL = opts(
    values=(
        "--cache-dir, --directory, --project, --config-file, --color, -p --python, --python-preference, "
        "--allow-insecure-host --trusted-host"
    ),
    flags=(
        "-n --no-cache --no-cache-dir, -q --quiet, -v --verbose, --native-tls, --offline, --no-progress, --no-config, "
        "--no-python-downloads, --managed-python, --no-managed-python, --preview, --system-certs, -h --help, "
        "-V --version"
    ),
)
#: options of uv's resolving/installing commands that take a value.
UV_RESOLVE = opts(
    values=(
        "-r --requirements --requirement, -c --constraints --constraint, --overrides --override, "
        "-b --build-constraints --build-constraint, -e --editable, --extra, --group, --only-group, "
        "--no-group, --package, -p --python, -i --index-url, --extra-index-url, --index, --default-index, "
        "-f --find-links, --index-strategy, --keyring-provider, -P --upgrade-package, --reinstall-package, "
        "--no-build-package, --no-binary-package, --only-binary-package, --no-binary, --only-binary, "
        "--python-version, --python-platform, --target, --prefix, --resolution, --prerelease, "
        "--fork-strategy, --exclude-newer, --link-mode, -C --config-setting --config-settings, "
        "--torch-backend, --script, --no-install-package, --refresh-package, --extra-index, --no-extra, "
        "-o --output-file, --with, --with-requirements, --from"
    ),
    flags=(
        "-U --upgrade, --reinstall, --system, --break-system-packages, --no-deps, --frozen, --locked, "
        "--no-install-project, --no-install-workspace, --all-packages, --all-extras, --no-dev, --only-dev, "
        "--dev, --no-sources, --compile-bytecode, --refresh, --dry-run, --inexact, --exact, "
        "--no-build-isolation, --strict"
    ),
)
_UV_PIP = sub(
    "pip",
    subs=tuple(
        sub(n, options=UV_RESOLVE)
        for n in words("install sync compile uninstall freeze list show tree check")
    ),
)
_UV_SUBS = (
    _UV_PIP,
    *(
        sub(n, options=UV_RESOLVE)
        for n in words("sync add remove lock run export tree build venv init version publish")
    ),
    sub(
        "tool",
        subs=tuple(
            sub(n, options=UV_RESOLVE)
            for n in ("install", "run", "upgrade", "uninstall", "list", "dir", "update-shell")
        ),
    ),
    sub("python", subs=tuple(sub(n) for n in ("install", "list", "find", "pin", "dir", "uninstall"))),
    sub("cache", subs=(sub("clean"), sub("prune"), sub("dir"))),
    sub("self", subs=(sub("update"), sub("version"))),
    sub("generate-shell-completion"),
    sub("help"),
)
UV = Grammar("uv", ("uv",), UV_GLOBAL, _UV_SUBS)

# -- poetry, pdm, pipenv, pipx ------------------------------------------------

POETRY_GLOBAL = opts(
    values="-C --directory, -P --project",
    flags=(
        "--no-cache, -n --no-interaction, -q --quiet, -v --verbose, --ansi, --no-ansi, --no-plugins, "
        "-h --help, -V --version"
    ),
)
POETRY_INSTALL = opts(
    values="--without, --with, --only, -E --extras",
    flags=(
        "--no-root, --only-root, --sync, --no-directory, --dry-run, --all-extras, --all-groups, --compile, "
        "--no-dev"
    ),
)
_POETRY_SUBS = (
    sub("install", options=POETRY_INSTALL),
    sub("sync", options=POETRY_INSTALL),
    sub(
        "add",
        options=opts(
            values="-G --group, -E --extras, --source, --python, --platform",
            flags="-D --dev, --editable, --optional, --allow-prereleases, --lock, --dry-run",
        ),
    ),
    sub("update", options=POETRY_INSTALL),
    sub("lock"),
    sub("remove"),
    sub("build"),
    sub("run"),
    sub("export"),
    sub("check"),
    sub("shell"),
    sub("config", options=opts(flags="--local, --unset, --list")),
    sub("cache", subs=(sub("clear"), sub("list"))),
    sub("self", subs=(sub("add"), sub("install"), sub("update"), sub("lock"), sub("show"), sub("remove"))),
    sub("env", subs=(sub("use"), sub("info"), sub("list"), sub("remove"), sub("activate"))),
    sub("new"),
    sub("init"),
    sub("show"),
    sub("version"),
    sub("publish"),
    sub("search"),
    sub("source"),
)
POETRY = Grammar("poetry", ("poetry",), POETRY_GLOBAL, _POETRY_SUBS)

PDM_OPTIONS = opts(
    values="-G --group --with, --without, -p --project, -L --lockfile, --venv, -g --global",
    flags=(
        "--no-self, --prod --production, -d --dev, --frozen-lockfile, --no-lock, --check, --no-editable, "
        "--no-isolation, --fail-fast, -v --verbose, -q --quiet, --no-cache"
    ),
)
PDM = Grammar(
    "pdm",
    ("pdm",),
    PDM_OPTIONS,
    tuple(
        sub(n)
        for n in words(
            "install sync add remove update lock run build export cache config venv use init list show "
            "info self python"
        )
    ),
)

PIPENV_OPTIONS = opts(
    values=(
        "--python, --pypi-mirror, -r --requirements, --categories, --extra-pip-args, -e --editable, "
        "-i --index"
    ),
    flags=(
        "--deploy, --system, --ignore-pipfile, -d --dev, --skip-lock, --site-packages, --clear, "
        "-v --verbose, -q --quiet"
    ),
)
PIPENV = Grammar(
    "pipenv",
    ("pipenv",),
    PIPENV_OPTIONS,
    tuple(
        sub(n)
        for n in words(
            "install sync lock update upgrade uninstall clean run shell graph check requirements verify "
            "scripts open"
        )
    ),
)

PIPX = Grammar(
    "pipx",
    ("pipx",),
    opts(
        values="--python, --index-url, --pip-args, --suffix, --preinstall",
        flags="--force, --include-deps, --system-site-packages, --global, -v --verbose, -q --quiet",
    ),
    tuple(
        sub(n)
        for n in words(
            "install uninstall upgrade inject run list ensurepath reinstall runpip upgrade-all "
            "reinstall-all uninstall-all"
        )
    ),
)

GRAMMARS = (PIP, UV, POETRY, PDM, PIPENV, PIPX)

# -- `python -m <tool>` ---------------------------------------------------------

_PYTHON = re.compile(r"python(\d+(\.\d+)*)?")
_MODULES = {
    "pip": "pip",
    "pip3": "pip",
    "uv": "uv",
    "poetry": "poetry",
    "pdm": "pdm",
    "pipenv": "pipenv",
    "pipx": "pipx",
}
# python's short options that take a value (`-X dev`, `-W error`); `-c` runs code
_PY_VALUE = "XWQ"


def is_python(program: str) -> bool:
    """``python``, ``python3``, ``python3.12``."""
    return _PYTHON.fullmatch(program) is not None


def python_module(program: str, args: tuple[Token, ...]) -> tuple[str, int] | None:
    """``python [options] -m MODULE ...``: (MODULE, index of the module's
    first argument in ``args``); None for a script, ``-c code``, ``--version``,
    a word that expands, or a program that is not python.  Python's options
    are read as python reads them (``-X``/``-W``/``-Q`` take a value, ``-I``,
    ``-u``... are flags, clusters like ``-Im`` allowed)."""
    if not is_python(program):
        return None
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None or not v.startswith("-") or v == "-":
            return None  # a script (or something unknown)
        if v.startswith("--"):
            if v == "--check-hash-based-pycs":
                i += 2
                continue
            return None  # --version, --help
        k = 1
        while k < len(v):
            ch = v[k]
            if ch == "c":
                return None
            if ch == "m":
                if v[k + 1 :]:
                    return v[k + 1 :], i + 1
                mod = args[i + 1].value if i + 1 < len(args) else None
                return (mod, i + 2) if mod is not None else None
            if ch in _PY_VALUE:
                if k + 1 == len(v):
                    i += 1
                break
            k += 1
        i += 1
    return None


def launch(program: str, args: tuple[Token, ...]) -> tuple[str, int, str] | None:
    """``python -m pip ...``: (tool, index of the tool's first word, how
    it was called) or None (a script, ``-c code``, another module)."""
    found = python_module(program, args)
    if found is None:
        return None
    mod, start = found
    tool = _MODULES.get(mod)
    if tool is None:
        return None
    return tool, start, f"{program} -m {mod}"


# -- caches -----------------------------------------------------------------------

PIP_CACHE = CacheSpec(
    "pip",
    "cache",
    (
        FromOption(("--cache-dir",)),
        FromEnv("PIP_CACHE_DIR"),
        FromEnv("XDG_CACHE_HOME", "pip"),
        FromHome(".cache/pip"),
    ),
    off_options=("--no-cache-dir",),
    off_env=("PIP_NO_CACHE_DIR",),
    config=("PIP_CONFIG_FILE", "pip config set", "pip.conf"),
)
UV_CACHE = CacheSpec(
    "uv",
    "cache",
    (
        FromOption(("--cache-dir",)),
        FromEnv("UV_CACHE_DIR"),
        FromEnv("XDG_CACHE_HOME", "uv"),
        FromHome(".cache/uv"),
    ),
    off_options=("--no-cache",),
    off_env=("UV_NO_CACHE",),
    config=("uv.toml cache-dir", "pyproject.toml [tool.uv] cache-dir"),
)
POETRY_CACHE = CacheSpec(
    "poetry",
    "cache",
    (FromEnv("POETRY_CACHE_DIR"), FromEnv("XDG_CACHE_HOME", "pypoetry"), FromHome(".cache/pypoetry")),
    off_options=("--no-cache",),
    config=("poetry config cache-dir", "poetry.toml"),
)
PDM_CACHE = CacheSpec(
    "pdm",
    "cache",
    (FromEnv("PDM_CACHE_DIR"), FromEnv("XDG_CACHE_HOME", "pdm"), FromHome(".cache/pdm")),
    off_options=("--no-cache",),
    off_env=("PDM_NO_CACHE",),
    config=("pdm config cache_dir",),
)
PIPENV_CACHE = CacheSpec(
    "pipenv",
    "cache",
    (FromEnv("PIPENV_CACHE_DIR"), FromEnv("XDG_CACHE_HOME", "pipenv"), FromHome(".cache/pipenv")),
)
CACHES = {
    "pip": (PIP_CACHE,),
    "uv": (UV_CACHE,),
    "poetry": (POETRY_CACHE,),
    "pdm": (PDM_CACHE,),
    "pipenv": (PIPENV_CACHE, PIP_CACHE),
}

#: subcommands that download packages into the tool's cache.
FILLS_CACHE = {
    "pip": ("install", "download", "wheel", "lock"),
    "uv": (
        "pip install",
        "pip sync",
        "pip compile",
        "sync",
        "add",
        "lock",
        "run",
        "export",
        "tool install",
        "tool run",
        "tool upgrade",
    ),
    "poetry": ("install", "add", "lock", "update", "sync"),
    "pdm": ("install", "sync", "add", "update", "lock"),
    "pipenv": ("install", "sync", "lock", "update", "upgrade"),
}
#: subcommands that empty the cache.
CLEANS_CACHE = {
    "pip": ("cache purge", "cache remove"),
    "uv": ("cache clean", "cache prune"),
    "poetry": ("cache clear",),
    "pdm": ("cache clear",),
    "pipenv": (),
}

#: subcommands that delete files (packages, the cache), per tool (``uv pip uninstall`` too).
REMOVES = {
    "pip": frozenset({"uninstall", "cache"}),
    "poetry": frozenset({"cache", "remove"}),
    "uv": frozenset({"cache", "uninstall"}),
}


_PIP_OWN = ("pip", "pip3")
_PIPX_ON_PATH = words("install upgrade upgrade-all reinstall reinstall-all uninstall uninstall-all")


def on_path(p: Parsed) -> OnPath | None:
    """pip/uv/pipx commands that put console scripts on PATH (None: not one)."""
    if p.tool == "pip" and p.is_sub("install", "uninstall"):
        return OnPath(own=_PIP_OWN)
    if p.tool == "pipx" and p.is_sub(*_PIPX_ON_PATH):
        return OnPath()
    if p.tool != "uv" or not p.sub_known:
        return None
    if p.subcommand[:1] == ("self",):
        return OnPath(always=("uv", "uvx"), named=False)
    if p.is_sub("python install"):
        return OnPath(prefixes=("python",), named=False)
    if p.is_sub("pip install", "pip uninstall"):
        return OnPath(own=_PIP_OWN)
    return OnPath() if p.is_sub("tool install", "tool uninstall") else None


def fills_cache(p: Parsed) -> bool:
    return p.is_sub(*FILLS_CACHE.get(p.tool, ()))


def is_cache_clean(p: Parsed) -> bool:
    return p.is_sub(*CLEANS_CACHE.get(p.tool, ()))


# -- project files ----------------------------------------------------------------

PYPROJECT = ("pyproject.toml",)
INSTALLS = {
    "poetry": Install(
        "poetry",
        ("install", "sync"),
        ProjectFiles(PYPROJECT, ("poetry.lock",), ("poetry.toml",), creates=(".venv",)),
        deps_only=("--no-root",),
        other_project=("--directory", "--project"),
        sources=(
            "the project itself unless --no-root or package-mode = false",
            "path dependencies",
            "the readme the build backend reads",
        ),
    ),
    "uv": Install(
        "uv",
        ("sync",),
        ProjectFiles(PYPROJECT, ("uv.lock",), ("uv.toml", ".python-version"), creates=(".venv",)),
        deps_only=("--no-install-project", "--no-install-workspace", "--only-group"),
        other_project=("--project", "--directory", "--package", "--script", "--all-packages"),
        sources=("the project itself when it is a package", "path or workspace sources", "a uv workspace"),
    ),
    "pdm": Install(
        "pdm",
        ("install", "sync"),
        ProjectFiles(
            PYPROJECT, ("pdm.lock",), ("pdm.toml", ".pdm-python"), creates=(".venv", "__pypackages__")
        ),
        deps_only=("--no-self",),
        other_project=("--project", "--lockfile"),
        sources=("the project itself when it is a distribution", "path dependencies"),
    ),
    "pipenv": Install(
        "pipenv",
        ("install", "sync"),
        ProjectFiles(("Pipfile",), ("Pipfile.lock",), (".python-version",), creates=(".venv",)),
        sources=("path or file entries in Pipfile",),
    ),
    "pip": Install(
        "pip",
        ("install",),
        ProjectFiles(("requirements.txt",)),
        sources=("local paths or archives as operands, -e with a path, requirement lines naming paths",),
    ),
}
#: ``uv pip install`` / ``uv pip sync``: pip's installs under uv (``INSTALLS["uv"]`` is ``uv sync``).
UV_PIP_INSTALL = Install(
    "uv",
    ("pip install", "pip sync"),
    INSTALLS["pip"].files,
    sources=INSTALLS["pip"].sources,
)
#: subcommands whose operands are requirements files, not packages.
REQUIREMENTS_AS_OPERANDS = ("pip sync",)
#: files that tell a Python project (the .dockerignore rule's markers).
MARKERS = words(
    "requirements*.txt pyproject.toml setup.py setup.cfg Pipfile Pipfile.lock poetry.lock pdm.lock uv.lock"
)
PROGRAMS = words("pip pip3 poetry uv uvx pipenv pdm pipx python python3")

__all__ = [
    "CACHES",
    "CLEANS_CACHE",
    "FILLS_CACHE",
    "GRAMMARS",
    "INSTALLS",
    "MARKERS",
    "PDM",
    "PDM_CACHE",
    "PIP",
    "PIPENV",
    "PIPENV_CACHE",
    "PIPX",
    "PIP_CACHE",
    "PIP_EDITABLE_OPTIONS",
    "PIP_GENERAL",
    "PIP_INSTALL",
    "PIP_PATH_OPTIONS",
    "PIP_REQUIREMENT_OPTIONS",
    "POETRY",
    "POETRY_CACHE",
    "PROGRAMS",
    "REMOVES",
    "REQUIREMENTS_AS_OPERANDS",
    "UV",
    "UV_CACHE",
    "UV_PIP_INSTALL",
    "fills_cache",
    "is_cache_clean",
    "is_python",
    "launch",
    "on_path",
    "python_module",
]
