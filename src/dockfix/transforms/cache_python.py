from __future__ import annotations

import posixpath

from ..analysis import per_instruction
from ..shell import Command
from ._cache import (
    UNKNOWN,
    CacheMountRule,
    Run,
    Use,
    env_assign_fights,
    export_fights,
    falsy,
    first_operand,
    operands,
    option_path,
    truthy,
)

_PIP = r"pip(\d+(\.\d+)?)?"
_PYTHON = r"python(\d+(\.\d+)?)?"
_PIP_SUBS = {"install", "download", "wheel"}
# pip options (before the subcommand) that take a value
_PIP_VALUE_OPTS = {"--cache-dir", "--log", "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host",
                   "--cert", "--client-cert", "--python", "--keyring-provider", "--use-feature",
                   "--use-deprecated", "--resume-retries"}
_UV_VALUE_OPTS = {"--cache-dir", "--directory", "--project", "--config-file", "--python", "-p", "--color",
                  "--allow-insecure-host", "--native-tls"}
_UV_SUBS = {("pip", "install"), ("pip", "sync"), ("pip", "compile"), ("sync",), ("add",), ("lock",), ("run",),
            ("tool", "install"), ("tool", "run"), ("export",)}
_POETRY_SUBS = {"install", "add", "lock", "update", "sync"}
_POETRY_VALUE_OPTS = {"--directory", "-C", "--project", "-P"}


def _pip_command(cmd: Command) -> tuple[str, int] | None:
    """(label, index of the first pip argument) for ``pip install`` /
    ``python -m pip install`` and friends."""
    import re

    prog = cmd.program or ""
    if re.fullmatch(_PIP, prog):
        start = 0
    elif re.fullmatch(_PYTHON, prog):
        vals = [a.value for a in cmd.args]
        if len(vals) >= 2 and vals[0] == "-m" and vals[1] is not None and re.fullmatch(_PIP, vals[1]):
            start = 2
        else:
            return None
    else:
        return None
    op = first_operand(cmd, _PIP_VALUE_OPTS, start)
    if op is None or op[1] not in _PIP_SUBS:
        return None
    return (f"{prog} {op[1]}" if start == 0 else f"{prog} -m pip {op[1]}"), start
    return None


def _pip_config(cmd: Command) -> bool:
    import re

    prog = cmd.program or ""
    vals = [a.value or a.text for a in cmd.args]
    if re.fullmatch(_PYTHON, prog) and vals[:1] == ["-m"]:
        vals = vals[2:]
    elif not re.fullmatch(_PIP, prog):
        return False
    return "config" in vals[:3] and any("cache" in v for v in vals)



def _cache_dir(run, cmd, use, env_var: str, name: str):
    """The cache folder of pip / uv: ``--cache-dir``, else ``$<env_var>``,
    else ``$XDG_CACHE_HOME/<name>`` (``~/.cache/<name>``); None when it
    cannot be known."""
    opt = option_path(run, cmd, ["--cache-dir"], use)
    if opt is UNKNOWN:
        return None
    if opt is not None:
        return opt
    env = run.env_dir(env_var, cmd)
    if env is UNKNOWN:
        return None
    if env is not None:
        return env
    base = run.xdg("XDG_CACHE_HOME", ".cache", cmd)
    return None if base is None else posixpath.join(base, name)

class PythonCacheMount(CacheMountRule):
    """
    ## What it does
    Adds a BuildKit cache mount for the download cache of `pip`, `pip3`,
    `python -m pip` (`install`, `download`, `wheel`), `uv` (`pip install`,
    `sync`, `add`, `lock`, `run`, `tool install`) and `poetry` (`install`,
    `add`, `lock`, `update`, `sync`):

    - pip: `~/.cache/pip` (`$PIP_CACHE_DIR`, `$XDG_CACHE_HOME/pip`, or
      `--cache-dir`);
    - uv: `~/.cache/uv` (`$UV_CACHE_DIR`, `$XDG_CACHE_HOME/uv`, `--cache-dir`);
    - poetry: `~/.cache/pypoetry` (`$POETRY_CACHE_DIR`, `$XDG_CACHE_HOME/pypoetry`),

    where `~` is `/root` for root, or the `HOME` set by `ENV`/`ARG`. After
    `USER` switches to another user, the mount is added only when both the
    directory (`HOME` or the variables above) and the user's numeric uid
    (`USER 1000`, or a `useradd -u` in the file) are known; the mount then
    carries `uid=`/`gid=` so the user can write to it. In the same RUN it
    removes what defeats the cache: `--no-cache-dir`, `PIP_NO_CACHE_DIR=…`
    and `UV_NO_CACHE=…` prefixes (and their `export`), uv's `--no-cache`,
    poetry's `--no-cache`, `pip cache purge`, `uv cache clean`, `poetry
    cache clear`, and `rm -rf` of the cache directory.

    ## Why
    Without a cache mount, every rebuild of the layer downloads every
    package again (and builds wheels from source again). `--no-cache-dir` /
    `rm -rf ~/.cache/pip` keep the image small, but a cache mount does that
    too — its content is never part of the image — and keeps the downloads
    for the next build. No hadolint rule covers this (hadolint's DL3042 asks
    for `--no-cache-dir` and accepts a cache mount instead).

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM python:3.12-slim
    COPY requirements.txt .
    RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer, and
    pip/uv/poetry install the same packages with or without their download
    cache, so the image is the same — without the cache directory, which the
    removed `--no-cache-dir` / `rm -rf` kept out of it before. The mount is
    shared by every build on the builder that uses the same target; wheels
    pip built from source are keyed by URL and Python version, so builds for
    different C libraries (glibc and musl images of the same Python) on one
    builder should use distinct mount `id=`s. hadolint's DL3042 recognises
    only mount targets containing `.cache/pip`: with a custom
    `PIP_CACHE_DIR` it keeps reporting the RUN (`# hadolint ignore=DL3042`).
    An install inside `if`/`for`/`||` still gets the mount (a mount changes
    nothing when the install does not run); a command that fights the cache
    is removed only when it is a plain element of the RUN's `&&`/`;` chain
    (an argument like `--no-cache-dir` can always go), otherwise the RUN is
    left alone — a left-over `rm -rf` of the mount point would fail.
    Nothing is added when the cache directory cannot be known (another user
    without a known `HOME` or uid, a variable the file does not set, a
    `pip config` / `PIP_CONFIG_FILE` / `PIP_NO_CACHE_DIR` in `ENV`, uv's
    `UV_LINK_MODE=symlink`, whose environment would point into the cache),
    for poetry unless its virtualenv is known to live outside the cache
    (`POETRY_VIRTUALENVS_CREATE=false`, `…_IN_PROJECT=true`,
    `VIRTUAL_ENV`, or `poetry config` doing the same — by default poetry
    creates the project's virtualenv inside its cache directory), when
    another mount or a cache mount below the cache directory is there
    already (the author chose), when an `rm` would remove a parent of the
    mount point (`rm -rf ~/.cache` fails with EBUSY on a mount point), when
    a command reads or copies the cache directory, or when a `COPY` put
    files in it earlier or a later `COPY --from` takes them. These cases are
    not reported: a cache mount is an optimisation, not a defect, and the
    advice would depend on facts outside the file. Settings a base image
    makes and the Dockerfile does not show (a `PIP_CACHE_DIR` in the base
    image) are assumed to be the tools' defaults.
    """

    code = "DF211"
    supersedes = ('DF110', 'DF114')  # the cache mount makes their cleanup moot
    name = "python-cache-mount"
    summary = "Cache pip / uv / poetry downloads with `RUN --mount=type=cache`"

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        for cmd in run.script.commands:
            use = self._pip(run, cmd) or self._uv(run, cmd) or self._poetry(run, cmd)
            if use is not None:
                out.append(use)
        if out:
            tools = {u.label.split()[0] if not u.label.startswith(("uv", "poetry")) else u.label.split()[0] for u in out}
            tools = {"uv" if t == "uv" else "poetry" if t == "poetry" else "pip" for t in tools}
            out[0].fights.extend(self._cache_cleaners(run, tools))
        return out

    # -- pip ---------------------------------------------------------------
    def _pip(self, run: Run, cmd: Command) -> Use | None:
        found = _pip_command(cmd)
        if found is None:
            return None
        label, start = found
        use = Use(cmd, label, None)
        for var in ("PIP_CONFIG_FILE",):
            if run.lookup(var, cmd) is not None:
                return use
        if run.facts.lookup("PIP_NO_CACHE_DIR") is not None:
            return use  # set by ENV/ARG: the image keeps it, we cannot drop it
        if self._pip_configured(run):
            return use
        opt = _cache_dir(run, cmd, use, "PIP_CACHE_DIR", "pip")
        if opt is None:
            return use
        if run.who is None:
            return use
        fights: list = [("arg", cmd, a) for a in cmd.args[start:] if a.value == "--no-cache-dir"]
        assigns = env_assign_fights(run, cmd, ["PIP_NO_CACHE_DIR"])
        exports = export_fights(run, ["PIP_NO_CACHE_DIR"])
        if assigns is None or exports is None:
            return use
        fights += assigns + exports
        use.targets = [run.mount(opt)]  # type: ignore[arg-type]
        use.fights = fights
        return use

    def _pip_configured(self, run: Run) -> bool:
        """pip's cache settings changed by a config file: `pip config`
        (earlier or in this RUN) or a COPY of a pip.conf."""
        from ._cache import cached_script

        def configures(ins) -> bool:
            if ins.keyword in ("COPY", "ADD") and ins.args:
                dest = ins.args[-1].value
                if "pip.conf" in dest or dest.rstrip("/").endswith(("/pip", "/.pip")):
                    return True
            if ins.keyword != "RUN":
                return False
            script = cached_script(run.tree, ins)
            if script is None:
                return False
            return any(_pip_config(cmd) for cmd in script.commands)

        # (answered once per instruction for the whole file, not per RUN)
        configures = per_instruction(run.tree, "cache_python.pip_configured", configures)
        return run.facts.chain.any("cache_python.pip_configured", configures) or configures(run.ins)

    # -- uv ----------------------------------------------------------------
    def _uv(self, run: Run, cmd: Command) -> Use | None:
        if cmd.program != "uv":
            return None
        ops: list[str] = []
        for _, v in operands(cmd, _UV_VALUE_OPTS):
            if v is None:
                return None
            ops.append(v)
            if len(ops) == 2:
                break
        key = next((k for k in _UV_SUBS if tuple(ops[: len(k)]) == k), None)
        if key is None:
            return None
        use = Use(cmd, "uv " + " ".join(key), None)
        if run.facts.lookup("UV_NO_CACHE") is not None:
            return use
        link = run.lookup("UV_LINK_MODE", cmd)
        if link is UNKNOWN or link == "symlink":
            return use
        for i, a in enumerate(cmd.args):
            if a.value == "--link-mode" and i + 1 < len(cmd.args) and cmd.args[i + 1].value != "copy":
                if cmd.args[i + 1].value in (None, "symlink"):
                    return use
            if a.value == "--link-mode=symlink" or (a.value is None and "link-mode" in a.text):
                return use
        opt = _cache_dir(run, cmd, use, "UV_CACHE_DIR", "uv")
        if opt is None:
            return use
        if run.who is None:
            return use
        fights: list = [("arg", cmd, a) for a in cmd.args if a.value in ("--no-cache", "-n")]
        assigns = env_assign_fights(run, cmd, ["UV_NO_CACHE"])
        exports = export_fights(run, ["UV_NO_CACHE"])
        if assigns is None or exports is None:
            return use
        use.targets = [run.mount(opt)]  # type: ignore[arg-type]
        use.fights = fights + assigns + exports
        return use

    # -- poetry --------------------------------------------------------------
    def _poetry(self, run: Run, cmd: Command) -> Use | None:
        if cmd.program != "poetry":
            return None
        op = first_operand(cmd, _POETRY_VALUE_OPTS)
        if op is None or op[1] not in _POETRY_SUBS:
            return None
        use = Use(cmd, f"poetry {op[1]}", None)
        env = run.env_dir("POETRY_CACHE_DIR", cmd)
        if env is UNKNOWN:
            return use
        if env is None:
            base = run.xdg("XDG_CACHE_HOME", ".cache", cmd)
            if base is None:
                return use
            env = posixpath.join(base, "pypoetry")
        if not self._venv_outside(run, cmd, env):
            return use
        if run.who is None:
            return use
        use.targets = [run.mount(env)]
        use.fights = [("arg", cmd, a) for a in cmd.args if a.value == "--no-cache"]
        return use

    def _venv_outside(self, run: Run, cmd: Command, cache: str) -> bool:
        """Is poetry's virtualenv known not to be inside its cache dir?"""
        create = run.lookup("POETRY_VIRTUALENVS_CREATE", cmd)
        in_project = run.lookup("POETRY_VIRTUALENVS_IN_PROJECT", cmd)
        path = run.env_dir("POETRY_VIRTUALENVS_PATH", cmd)
        venv = run.env_dir("VIRTUAL_ENV", cmd)
        # `poetry config virtualenvs.create false` and friends, earlier or in this RUN
        def sets(ins) -> tuple[bool, bool, bool]:
            """(create false, in-project true, path set) by this RUN"""
            if ins.keyword != "RUN":
                return (False, False, False)
            text = " ".join(str(ins).split())
            return (
                "virtualenvs.create false" in text or "virtualenvs.create 0" in text,
                "virtualenvs.in-project true" in text,
                "virtualenvs.path" in text,
            )

        sets = per_instruction(run.tree, "cache_python.poetry_settings", sets)

        def settings(acc: tuple[bool, bool, bool], ins) -> tuple[bool, bool, bool]:
            """(create false, in-project true, path set) by a RUN so far"""
            here = sets(ins)
            return (acc[0] or here[0], acc[1] or here[1], acc[2] or here[2])

        no_create, in_proj, path_set = settings(
            run.facts.chain.fold("cache_python.poetry_settings", settings, (False, False, False)), run.ins
        )
        if no_create:
            create = "false"
        if in_proj:
            in_project = "true"
        if path_set:
            path = UNKNOWN
        if falsy(create):
            return True
        if truthy(in_project):
            return True
        if isinstance(path, str) and not (path == cache or path.startswith(cache + "/")):
            return True
        if isinstance(venv, str) and not (venv == cache or venv.startswith(cache + "/")):
            return True
        return False

    # -- commands that empty the cache ----------------------------------------
    def _cache_cleaners(self, run: Run, tools: set[str]) -> list:
        out: list = []
        import re

        for cmd in run.script.commands:
            prog = cmd.program or ""
            vals = [a.value for a in cmd.args]
            if "pip" not in tools:
                pass
            elif re.fullmatch(_PIP, prog) and vals[:1] == ["cache"] and len(vals) > 1 and vals[1] in ("purge", "remove"):
                out.append(("cmd", cmd))
                continue
            elif (
                re.fullmatch(_PYTHON, prog)
                and len(vals) >= 4
                and vals[0] == "-m"
                and vals[1] is not None
                and re.fullmatch(_PIP, vals[1])
                and vals[2] == "cache"
                and vals[3] in ("purge", "remove")
            ):
                out.append(("cmd", cmd))
                continue
            if "uv" in tools and prog == "uv" and vals[:2] == ["cache", "clean"]:
                out.append(("cmd", cmd))
            elif "poetry" in tools and prog == "poetry" and vals[:2] == ["cache", "clear"]:
                out.append(("cmd", cmd))
        return out
