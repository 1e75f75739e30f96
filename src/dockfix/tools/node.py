"""Node.js package managers: npm (and npx), yarn classic and berry, pnpm, bun.

How a rule asks::

    p = tools.parse(cmd)                          # npm, yarn, pnpm, bun, corepack yarn, npx
    if p and p.tool == "npm" and tools.node.fills_cache(p):   # npm i / ci / install-clean ...
        d = tools.cache_dir(tools.node.NPM_CACHE, facts, p)   # --cache, $npm_config_cache, ~/.npm
    tools.node.is_cache_clean(p)                  # npm cache clean, yarn cache clean, pnpm store prune

npm reads every option anywhere on the line (nopt), so they are all in
npm's global table; its command aliases and typos are npm's own table
(``lib/utils/cmd-list.js``: ``i``, ``isntall``, ``ic``, ``install-clean``,
``it``, ``cit``, ``sit``...).  Bare ``yarn`` installs (``implicit``); an
unknown first word runs a package.json script (``yarn build``:
``sub_known`` False).  Yarn berry's cache is not yarn classic's: which one a
project uses is read from the build context by the rule; both are here.
"""

from __future__ import annotations

import json
import re

from msgspec import Struct

from ._dirs import CacheSpec, ForRoot, FromEnv, FromHome, FromOption
from ._files import Install, OnPath, ProjectFiles
from ._grammar import DashDash, Grammar, Parsed, Token, opts, sub, words

# -- npm ----------------------------------------------------------------------

NPM_OPTIONS = opts(
    values=(
        "-C --prefix, --cache, --registry, --userconfig, --globalconfig, -w --workspace, --loglevel, --omit, "
        "--include, --install-strategy, --tag, -L --location, --otp, --cafile, --ca, --cert, --key, --proxy, "
        "--https-proxy, --noproxy, --fetch-retries, --fetch-timeout, --fetch-retry-mintimeout, "
        "--fetch-retry-maxtimeout, --maxsockets, --script-shell, --node-options, --auth-type, --scope, "
        "--access, --before, --lockfile-version, --cpu, --os, --libc, --depth, --only, --also, --editor, "
        "--shell, --umask, --user-agent, --package, --call -c, --replace-registry-host"
    ),
    flags=(
        "-g --global, -D --save-dev, -P --save-prod, -O --save-optional, -E --save-exact, -S --save, "
        "-B --save-bundle, --no-save, -f --force, -q --quiet, -s --silent, -d, -dd, -ddd, -y --yes, "
        "--production, --offline, --prefer-offline, --prefer-online, --ignore-scripts, --no-audit, "
        "--no-fund, --legacy-peer-deps, --strict-peer-deps, --workspaces, --dry-run, --no-package-lock, "
        "--package-lock-only, --foreground-scripts, --no-optional, --no-progress"
    ),
)
_NPM_CACHE_SUBS = (sub("clean", "clear", "rm"), sub("verify"), sub("add"), sub("ls"), sub("npx"))
_NPM_SUBS = (
    sub("install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add"),
    sub("ci", "clean-install", "ic", "install-clean", "isntall-clean"),
    sub("update", "up", "upgrade", "udpate"),
    sub("install-test", "it"),
    sub("install-ci-test", "cit", "clean-install-test", "sit"),
    sub("uninstall", "un", "unlink", "remove", "rm", "r"),
    sub("rebuild", "rb"),
    sub("run-script", "run", "rum", "urn"),
    sub("exec", "x"),
    sub("cache", subs=_NPM_CACHE_SUBS),
    sub("config", "c", subs=(sub("set"), sub("get"), sub("delete"), sub("list"), sub("edit"), sub("fix"))),
    sub("prune"),
    sub("dedupe", "ddp"),
    sub("pack"),
    sub("publish"),
    sub("link", "ln"),
    sub("test", "t", "tst"),
    sub("start"),
    sub("stop"),
    sub("restart"),
    sub("init", "create", "innit"),
    sub("ls", "list"),
    sub("view", "v", "info", "show"),
    sub("audit"),
    sub("outdated"),
    sub("version"),
    sub("explain", "why"),
    sub("doctor"),
    sub("help", "hlep"),
    sub("pkg"),
    sub("shrinkwrap"),
    sub("query"),
    sub("sbom"),
)
#: nopt leaves the words after ``--`` to npm, which takes its command from
#: them: ``npm -- ci`` runs ``ci``, ``npm -- view --json`` looks for a package ``--json``.
NPM = Grammar("npm", ("npm",), NPM_OPTIONS, _NPM_SUBS, after_dashdash=DashDash.SUBCOMMAND)
NPX_OPTIONS = opts(values="-p --package, -c --call", flags="-y --yes, --no")
NPX = Grammar("npx", ("npx",), NPX_OPTIONS, stop_at_operand=True)

# -- yarn -----------------------------------------------------------------------

YARN_OPTIONS = opts(
    values=(
        "--cwd, --cache-folder, --modules-folder, --mutex, --network-concurrency, --network-timeout, "
        "--registry, --global-folder, --link-folder, --preferred-cache-folder, --otp, --use-yarnrc, "
        "--https-proxy, --proxy, --mode"
    ),
    flags=(
        "--frozen-lockfile, --pure-lockfile, --immutable, --immutable-cache, --check-cache, --inline-builds, "
        "--refresh-lockfile, --production --prod, --offline, --prefer-offline, --ignore-scripts, "
        "--ignore-engines, --ignore-optional, --non-interactive, --silent, -s, --no-lockfile, --force, "
        "--flat, --har, --verbose, --no-progress, --all, --mirror, -D --dev, -P --peer, -O --optional, "
        "-E --exact, -T --tilde, --json, -W --ignore-workspace-root-check"
    ),
)
_YARN_SUBS = (
    sub("install"),
    sub("add"),
    sub("upgrade", "up"),
    sub("upgrade-interactive"),
    sub("import"),
    sub("global", subs=(sub("add"), sub("remove"), sub("upgrade"), sub("list"), sub("bin"))),
    sub("workspaces", subs=(sub("focus"), sub("foreach"), sub("list"), sub("info"))),
    sub("workspace"),
    sub("cache", subs=(sub("clean"), sub("dir"), sub("list"))),
    sub("set", subs=(sub("version"),)),
    sub("policies", subs=(sub("set-version"),)),
    sub("config", subs=(sub("set"), sub("get"), sub("delete"), sub("list"), sub("unset"))),
    sub("remove"),
    sub("run"),
    sub("dlx"),
    sub("exec"),
    sub("autoclean"),
    sub("dedupe"),
    sub("pack"),
    sub("publish"),
    sub("link"),
    sub("unlink"),
    sub("init"),
    sub("info"),
    sub("why"),
    sub("bin"),
    sub("node"),
    sub("plugin"),
    sub("rebuild"),
    sub("npm"),
    sub("constraints"),
    sub("version"),
    sub("help"),
)
YARN = Grammar("yarn", ("yarn", "yarnpkg"), YARN_OPTIONS, _YARN_SUBS, default=("install",))
#: options only yarn 2+ (berry) knows.
YARN_BERRY_OPTIONS = words(
    "--immutable --immutable-cache --check-cache --inline-builds --mode --refresh-lockfile"
)

# -- pnpm -------------------------------------------------------------------------

PNPM_OPTIONS = opts(
    values=(
        "--store-dir, -C --dir, -F --filter, --filter-prod, --reporter, --registry, --virtual-store-dir, "
        "--modules-dir, --workspace-concurrency, --network-concurrency, --child-concurrency, --lockfile-dir, "
        "--node-linker, --package-import-method, --cache-dir, --loglevel, --resolution-mode, --config-dir, "
        "--global-dir, --test-pattern, --changed-files-ignore-pattern"
    ),
    flags=(
        "--frozen-lockfile, --no-frozen-lockfile, --prefer-frozen-lockfile, -P --prod --production, "
        "-D --dev, --no-optional, --offline, --prefer-offline, --ignore-scripts, -r --recursive, "
        "-w --workspace-root, --shamefully-hoist, --lockfile-only, --fix-lockfile, --force, -g --global, "
        "--silent -s, --aggregate-output, --stream, --use-stderr"
    ),
)
_PNPM_SUBS = (
    sub("install", "i"),
    sub("add"),
    sub("fetch"),
    sub("update", "up", "upgrade"),
    sub("install-test", "it"),
    sub("remove", "rm", "uninstall", "un"),
    sub("store", subs=(sub("prune"), sub("status"), sub("path"), sub("add"))),
    sub("prune"),
    sub("run"),
    sub("exec"),
    sub("dlx"),
    sub("deploy"),
    sub("rebuild", "rb"),
    sub("link", "ln"),
    sub("unlink"),
    sub("import"),
    sub("config", subs=(sub("set"), sub("get"), sub("delete"), sub("list"))),
    sub("env"),
    sub("setup"),
    sub("test", "t"),
    sub("start"),
    sub("list", "ls"),
    sub("outdated"),
    sub("audit"),
    sub("why"),
    sub("pack"),
    sub("publish"),
    sub("init"),
    sub("patch"),
    sub("patch-commit"),
    sub("self-update"),
    sub("cache", subs=(sub("delete"), sub("list"), sub("view"))),
)
PNPM = Grammar("pnpm", ("pnpm",), PNPM_OPTIONS, _PNPM_SUBS)

# -- bun --------------------------------------------------------------------------

BUN_OPTIONS = opts(
    values=(
        "--cache-dir, --cwd, -c --config, --backend, --registry, --ca, --cafile, --network-concurrency, "
        "--concurrent-scripts, --omit, --linker, -F --filter"
    ),
    flags=(
        "-p --production, --frozen-lockfile, --no-cache, --no-save, --save, --dry-run, -f --force, "
        "-g --global, -d --dev, --optional, -E --exact, --ignore-scripts, --verbose, --silent, "
        "--no-progress, -y --yarn, --trust"
    ),
)
_BUN_SUBS = (
    sub("install", "i"),
    sub("add", "a"),
    sub("remove", "rm"),
    sub("update"),
    sub("link"),
    sub("unlink"),
    sub("outdated"),
    sub("publish"),
    sub("patch"),
    sub(
        "pm",
        subs=(
            sub("cache", subs=(sub("rm"),)),
            sub("ls"),
            sub("bin"),
            sub("trust"),
            sub("migrate"),
            sub("pack"),
            sub("hash"),
        ),
    ),
    sub("run"),
    sub("x"),
    sub("build"),
    sub("test"),
    sub("init"),
    sub("create"),
    sub("upgrade"),
)
BUN = Grammar("bun", ("bun",), BUN_OPTIONS, _BUN_SUBS)

GRAMMARS = (NPM, NPX, YARN, PNPM, BUN)

# -- `corepack yarn ...` ------------------------------------------------------------

_COREPACK_TOOLS = {
    "yarn": "yarn",
    "yarnpkg": "yarn",
    "pnpm": "pnpm",
    "npm": "npm",
    "npx": "npx",
    "pnpx": "pnpm",
}


def launch(program: str, args: tuple[Token, ...]) -> tuple[str, int, str] | None:
    """``corepack yarn install``: (tool, index of its first word, how)."""
    if program != "corepack" or not args:
        return None
    first = args[0].value
    tool = _COREPACK_TOOLS.get((first or "").split("@", 1)[0])
    if tool is None or first is None:
        return None
    return tool, 1, f"corepack {first}"


def yarn_version_set(p: Parsed) -> str | None:
    """The version ``yarn set version X`` / ``yarn policies set-version X``
    switches to ('' when not given), None for other commands."""
    if p.tool != "yarn" or not p.is_sub("set version", "policies set-version"):
        return None
    return (p.operands[0].value or "") if p.operands else ""


#: yarn versions named by a channel: ``stable``/``berry``/``latest`` are yarn 4 today.
_YARN_CHANNELS = {"classic": 1, "stable": 4, "berry": 4, "latest": 4}


def yarn_major(version: str) -> int | None:
    """The major version a yarn version asked for selects (``yarn set
    version X``, ``yarn@X``): 1 for ``classic`` and ``1.x``, 4 for
    ``stable``; None when not known (``canary``, a URL, a path)."""
    m = re.match(r"(\d+)(?:\.|$)", version)
    return int(m.group(1)) if m else _YARN_CHANNELS.get(version)


def is_berry_version(version: str) -> bool:
    """Does a yarn version asked for mean yarn 2+ (not ``classic``, ``1.x``)?"""
    return yarn_major(version) != 1


class Yarn(Struct, frozen=True):
    """Which yarn a project uses: ``kind`` is "classic", "berry", or
    "unknown" (a ``.yarnrc.yml`` setting moves the cache); for berry, its
    ``major`` version and whether the global cache is on (None: not
    known; yarn 4 turns it on by default)."""

    kind: str
    major: int | None = None
    global_cache: bool | None = None

    def switched(self, version: str | None) -> Yarn:
        """The yarn after a ``yarn set version`` / ``corepack prepare
        yarn@…`` that asks for ``version`` (None: no such command)."""
        if self.kind == "unknown":
            return self
        berry, major = self.kind == "berry", self.major
        if version is not None:
            major = yarn_major(version)
            berry = major != 1
        if not berry:
            return Yarn("classic")
        global_cache = self.global_cache
        if global_cache is None and major is not None:
            global_cache = major >= 4
        return Yarn("berry", major, global_cache)


def project_yarn(yarnrc_yml: str | None, package_json: str | None) -> Yarn:
    """The yarn a project's files show: a ``.yarnrc.yml`` (berry; its
    ``yarnPath`` release and ``enableGlobalCache``; "unknown" when it sets
    ``cacheFolder``/``globalFolder``), ``packageManager: "yarn@4…"`` in
    ``package.json``; "classic" when they show none."""
    major: int | None = None
    berry = False
    global_cache: bool | None = None
    if yarnrc_yml is not None:
        berry = True
        m = re.search(r"(?m)^\s*yarnPath:\s*['\"]?\S*yarn-(\d+)\.", yarnrc_yml)
        if m:
            major = int(m.group(1))
        m = re.search(r"(?m)^\s*enableGlobalCache:\s*['\"]?(true|false)", yarnrc_yml)
        if m:
            global_cache = m.group(1) == "true"
        if re.search(r"(?m)^\s*(cacheFolder|globalFolder):", yarnrc_yml):
            return Yarn("unknown")
    if package_json:
        try:
            pm = json.loads(package_json).get("packageManager")
        except (ValueError, AttributeError):
            pm = None
        m = re.match(r"yarn@(\d+)", pm) if isinstance(pm, str) else None
        if m:
            major = int(m.group(1))
            berry = berry or major >= 2
    return Yarn("berry" if berry else "classic", major, global_cache)


def corepack_version(args: tuple[Token, ...], tool: str) -> str | None:
    """The version ``corepack prepare|use|install yarn@4.1.0`` selects for
    ``tool`` ("4.1.0", "stable"), None when the command does not."""
    vals = [a.value or "" for a in args]
    if not vals or vals[0] not in ("prepare", "use", "install", "up"):
        return None
    for v in vals[1:]:
        if v.startswith(tool + "@"):
            return v[len(tool) + 1 :]
    return None


# -- caches --------------------------------------------------------------------------

#: npm reads ``npm_config_<key>`` in any case; both usual spellings are listed.
NPM_CACHE = CacheSpec(
    "npm",
    "cache",
    (FromOption(("--cache",)), FromEnv("npm_config_cache"), FromEnv("NPM_CONFIG_CACHE"), FromHome(".npm")),
    config=(".npmrc cache=", "npm config set cache"),
)
#: yarn 1: ``userHome`` is /usr/local/share for root, so root's cache is
#: /usr/local/share/.cache/yarn whatever HOME is — but XDG_CACHE_HOME wins.
YARN_CLASSIC_CACHE = CacheSpec(
    "yarn",
    "cache",
    (
        FromOption(("--cache-folder",)),
        FromEnv("YARN_CACHE_FOLDER"),
        FromEnv("XDG_CACHE_HOME", "yarn"),
        ForRoot("/usr/local/share/.cache/yarn"),
        FromHome(".cache/yarn"),
    ),
    config=(".yarnrc cache-folder", "yarn config set cache-folder", ".yarnrc yarn-offline-mirror"),
)
#: yarn 2+: the global cache (``enableGlobalCache``, the default from 4 on)
#: is ``<globalFolder>/cache``; without it the cache is the project's
#: ``.yarn/cache``.
YARN_BERRY_CACHE = CacheSpec(
    "yarn",
    "berry cache",
    (
        FromEnv("YARN_GLOBAL_FOLDER", "cache"),
        FromEnv("XDG_DATA_HOME", "yarn/berry/cache"),
        FromHome(".yarn/berry/cache"),
    ),
    config=("YARN_CACHE_FOLDER", "YARN_ENABLE_GLOBAL_CACHE", ".yarnrc.yml cacheFolder/globalFolder"),
)
#: the variables that set pnpm's ``store-dir``: pnpm reads ``npm_config_*``
#: in any case, with ``-`` or ``_`` in the key.
PNPM_STORE_ENV = (
    "npm_config_store_dir",
    "NPM_CONFIG_STORE_DIR",
    "npm_config_store-dir",
    "NPM_CONFIG_STORE-DIR",
)
PNPM_STORE = CacheSpec(
    "pnpm",
    "store",
    (
        FromOption(("--store-dir",)),
        *(FromEnv(name) for name in PNPM_STORE_ENV),
        FromEnv("PNPM_HOME", "store"),
        FromEnv("XDG_DATA_HOME", "pnpm/store"),
        FromHome(".local/share/pnpm/store"),
    ),
    config=(".npmrc store-dir=", "pnpm config set store-dir"),
)
BUN_CACHE = CacheSpec(
    "bun",
    "cache",
    (
        FromOption(("--cache-dir",)),
        FromEnv("BUN_INSTALL_CACHE_DIR"),
        FromEnv("BUN_INSTALL", "install/cache"),
        FromHome(".bun/install/cache"),
    ),
    off_options=("--no-cache",),
    config=("bunfig.toml [install.cache] dir",),
)
CACHES = {"npm": (NPM_CACHE,), "yarn": (YARN_CLASSIC_CACHE,), "pnpm": (PNPM_STORE,), "bun": (BUN_CACHE,)}

FILLS_CACHE = {
    "npm": ("install", "ci", "update", "install-test", "install-ci-test"),
    "yarn": ("install", "add", "upgrade", "upgrade-interactive", "import", "global add", "workspaces focus"),
    "pnpm": ("install", "add", "fetch", "update", "install-test"),
    "bun": ("install", "add", "update"),
}
CLEANS_CACHE = {
    "npm": ("cache clean",),
    "yarn": ("cache clean",),
    "pnpm": ("store prune",),
    "bun": ("pm cache rm",),
}
#: options that read the cache instead of the registry.
OFFLINE = ("--offline",)
#: subcommands that delete files (packages, the cache), per tool.
REMOVES = {
    "npm": frozenset(words("prune uninstall rm remove cache dedupe")),
    "yarn": frozenset(words("cache autoclean remove")),
    "pnpm": frozenset(words("prune remove rm store")),
}


def fills_cache(p: Parsed) -> bool:
    return p.is_sub(*FILLS_CACHE.get(p.tool, ()))


def is_cache_clean(p: Parsed) -> bool:
    return p.is_sub(*CLEANS_CACHE.get(p.tool, ()))


def is_global(p: Parsed) -> bool:
    """Installs global tools by name (``npm i -g``, ``npm i --location=global``,
    ``yarn global add``, ``pnpm add -g``).  npm's other locations (``user``,
    ``project``) are not global; a ``--location`` whose value expands may be."""
    location = p.option("--location")
    return (
        p.has("--global")
        or (location is not None and (location.value == "global" or location.expands))
        or p.subcommand[:1] == ("global",)
    )


def on_path(p: Parsed) -> OnPath | None:
    """Global installs put the packages' binaries on PATH (``pnpm setup``
    installs pnpm itself); local ones do not."""
    if p.tool not in ("npm", "yarn", "pnpm", "bun"):
        return None
    if is_global(p) or (p.tool == "pnpm" and p.is_sub("setup")):
        return OnPath(always=(p.program,), anything=True)
    return None


# -- project files ----------------------------------------------------------------------

_NODE_CREATES = ("node_modules", ".pnp.cjs", ".pnp.js")
INSTALLS = {
    "npm": Install(
        "npm",
        ("install", "ci"),
        ProjectFiles(
            ("package.json",),
            ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock"),
            (".npmrc",),
            creates=_NODE_CREATES,
        ),
        other_project=("--prefix", "--workspace", "--workspaces"),
        sources=(
            "lifecycle scripts (preinstall, install, postinstall, prepare)",
            "file:/link: dependencies",
            "workspaces",
        ),
    ),
    "yarn": Install(
        "yarn",
        ("install",),
        ProjectFiles(
            ("package.json",),
            ("yarn.lock",),
            (".yarnrc", ".yarnrc.yml", ".npmrc"),
            (".yarn",),
            creates=_NODE_CREATES,
        ),
        other_project=("--cwd", "--modules-folder"),
        sources=("lifecycle scripts", "file:/link:/portal:/workspace: dependencies", "workspaces"),
    ),
    "pnpm": Install(
        "pnpm",
        ("install", "fetch"),
        ProjectFiles(
            ("package.json",),
            ("pnpm-lock.yaml",),
            (".npmrc", ".pnpmfile.cjs", "pnpm-workspace.yaml"),
            creates=_NODE_CREATES,
        ),
        other_project=("--dir", "--filter", "--recursive", "--lockfile-dir", "--modules-dir"),
        sources=("lifecycle scripts", "workspace packages", "patched dependencies"),
    ),
    "bun": Install(
        "bun",
        ("install",),
        ProjectFiles(
            ("package.json",), ("bun.lock", "bun.lockb"), ("bunfig.toml", ".npmrc"), creates=_NODE_CREATES
        ),
        other_project=("--cwd", "--filter"),
        sources=("lifecycle scripts of trusted dependencies", "workspaces"),
    ),
}
#: ``pnpm fetch`` reads only the lock file (and these).
PNPM_FETCH_FILES = ProjectFiles(("pnpm-lock.yaml",), (), (".npmrc", "pnpm-workspace.yaml", ".pnpmfile.cjs"))
LIFECYCLE_SCRIPTS = words(
    "preinstall install postinstall prepublish preprepare prepare postprepare dependencies"
)
MARKERS = ("package.json",)
PROGRAMS = ("npm", "yarn", "pnpm", "npx", "corepack", "bun", "bunx")

__all__ = [
    "BUN",
    "BUN_CACHE",
    "CACHES",
    "CLEANS_CACHE",
    "FILLS_CACHE",
    "GRAMMARS",
    "INSTALLS",
    "LIFECYCLE_SCRIPTS",
    "MARKERS",
    "NPM",
    "NPM_CACHE",
    "NPX",
    "OFFLINE",
    "PNPM",
    "PNPM_FETCH_FILES",
    "PNPM_STORE",
    "PNPM_STORE_ENV",
    "PROGRAMS",
    "REMOVES",
    "YARN",
    "YARN_BERRY_CACHE",
    "YARN_BERRY_OPTIONS",
    "YARN_CLASSIC_CACHE",
    "Yarn",
    "corepack_version",
    "fills_cache",
    "is_berry_version",
    "is_cache_clean",
    "is_global",
    "launch",
    "on_path",
    "project_yarn",
    "yarn_major",
    "yarn_version_set",
]
