from __future__ import annotations

import posixpath

from ... import tools
from ...analysis import per_instruction
from ...shell import Command
from ._cache import UNKNOWN, Run, falsy, file_value, truthy
from ._cache_rule import (
    CacheMountRule,
    CutArg,
    CutCommand,
    Fight,
    OptionDir,
    Use,
    env_assign_fights,
    export_fights,
    option_path,
)


def _parse(cmd: Command, tool: str) -> tools.Parsed | None:
    """``cmd`` read with ``tool``'s grammar (``python -m pip`` too) when it
    fills the download cache."""
    p = tools.parse(cmd, tool=tool)
    return p if p is not None and tools.pip.fills_cache(p) else None


def _pip_config(cmd: Command) -> bool:
    """``pip config …`` touching a cache setting."""
    p = tools.parse(cmd, tool="pip")
    return (
        p is not None
        and p.subcommand[:1] == ("config",)
        and any("cache" in (t.value or t.text) for t in p.args[p.start :])
    )


def _cache_dir(run: Run, cmd: Command, env_var: str, name: str) -> OptionDir:
    """The cache folder of pip / uv: ``--cache-dir``, else ``$<env_var>``,
    else ``$XDG_CACHE_HOME/<name>`` (``~/.cache/<name>``); its path is
    UNKNOWN when it cannot be known."""
    opt = option_path(run, cmd, ["--cache-dir"])
    if opt.path is not None:
        return opt
    env = run.env_dir(env_var, cmd)
    if env is not None:
        return OptionDir(env)
    base = run.xdg("XDG_CACHE_HOME", ".cache", cmd)
    return OptionDir(UNKNOWN if base is None else posixpath.join(base, name))


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
    supersedes = ("DF110", "DF114")  # the cache mount makes their cleanup moot
    name = "python-cache-mount"
    summary = "Cache pip / uv / poetry downloads with `RUN --mount=type=cache`"

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        for cmd in run.script.commands:
            use = self._pip(run, cmd) or self._uv(run, cmd) or self._poetry(run, cmd)
            if use is not None:
                out.append(use)
        if out:
            used = {
                "uv" if t == "uv" else "poetry" if t == "poetry" else "pip"
                for t in (u.label.split()[0] for u in out)
            }
            out[0] = out[0].fighting(self._cache_cleaners(run, used))
        return out

    # -- pip ---------------------------------------------------------------
    def _pip(self, run: Run, cmd: Command) -> Use | None:
        p = _parse(cmd, "pip")
        if p is None:
            return None
        start = p.start
        use = Use(cmd, p.label)
        for var in ("PIP_CONFIG_FILE",):
            if run.lookup(var, cmd) is not None:
                return use
        if file_value(run.facts, "PIP_NO_CACHE_DIR") is not None:
            return use  # set by ENV/ARG: the image keeps it, we cannot drop it
        if self._pip_configured(run):
            return use
        opt = _cache_dir(run, cmd, "PIP_CACHE_DIR", "pip")
        if not isinstance(opt.path, str) or run.who is None:
            return use
        fights: list[Fight] = [CutArg(cmd, a) for a in cmd.args[start:] if a.value == "--no-cache-dir"]
        exports = export_fights(run, ["PIP_NO_CACHE_DIR"])
        if exports is None:
            return use
        fights += env_assign_fights(run, cmd, ["PIP_NO_CACHE_DIR"]) + exports
        return use.known([run.mount(opt.path)], fights, opt.args)

    def _pip_configured(self, run: Run) -> bool:
        """pip's cache settings changed by a config file: `pip config`
        (earlier or in this RUN) or a COPY of a pip.conf."""

        def configures(ins) -> bool:
            if ins.keyword in ("COPY", "ADD") and ins.args:
                dest = ins.args[-1].value
                if "pip.conf" in dest or dest.rstrip("/").endswith(("/pip", "/.pip")):
                    return True
            if ins.keyword != "RUN":
                return False
            script = run.facts.model.script(ins)
            if script is None:
                return False
            return any(_pip_config(cmd) for cmd in script.commands)

        # (answered once per instruction for the whole file, not per RUN)
        configures = per_instruction(run.tree, "cache_python.pip_configured", configures)
        return run.chain.any("cache_python.pip_configured", configures) or configures(run.ins)

    # -- uv ----------------------------------------------------------------
    def _uv(self, run: Run, cmd: Command) -> Use | None:
        p = _parse(cmd, "uv")
        if p is None:
            return None
        use = Use(cmd, p.label)
        if file_value(run.facts, "UV_NO_CACHE") is not None:
            return use
        link = run.lookup("UV_LINK_MODE", cmd)
        if link is UNKNOWN or link == "symlink":
            return use
        mode = p.option("--link-mode")
        if mode is not None and mode.value in (None, "symlink"):
            return use  # the environment would point into the cache
        opt = _cache_dir(run, cmd, "UV_CACHE_DIR", "uv")
        if not isinstance(opt.path, str) or run.who is None:
            return use
        fights: list[Fight] = [CutArg(cmd, a) for a in cmd.args if a.value in ("--no-cache", "-n")]
        exports = export_fights(run, ["UV_NO_CACHE"])
        if exports is None:
            return use
        fights += env_assign_fights(run, cmd, ["UV_NO_CACHE"]) + exports
        return use.known([run.mount(opt.path)], fights, opt.args)

    # -- poetry --------------------------------------------------------------
    def _poetry(self, run: Run, cmd: Command) -> Use | None:
        p = _parse(cmd, "poetry")
        if p is None:
            return None
        use = Use(cmd, p.label)
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
        return use.known([run.mount(env)], [CutArg(cmd, a) for a in cmd.args if a.value == "--no-cache"])

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
            run.chain.fold("cache_python.poetry_settings", settings, (False, False, False)), run.ins
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
        return isinstance(venv, str) and not (venv == cache or venv.startswith(cache + "/"))

    # -- commands that empty the cache ----------------------------------------
    def _cache_cleaners(self, run: Run, used: set[str]) -> list[Fight]:
        """Commands of the RUN that empty the cache of a tool the RUN uses."""
        out: list[Fight] = []
        for cmd in run.script.commands:
            p = tools.parse(cmd)
            if p is not None and p.tool in used and tools.pip.is_cache_clean(p):
                out.append(CutCommand(cmd))
        return out
