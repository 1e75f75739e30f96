from __future__ import annotations

from ... import tools
from ...analysis import per_instruction
from ...shell import Command
from ._cache import UNKNOWN, Run, falsy, file_value, norm, truthy
from ._cache_rule import (
    CacheMountRule,
    CutCommand,
    Fight,
    Use,
    filling,
    off_fights,
    with_dirs,
)

#: the cache folder of each tool (:mod:`dockfix.tools.pip`)
_CACHES = {"pip": tools.pip.PIP_CACHE, "uv": tools.pip.UV_CACHE, "poetry": tools.pip.POETRY_CACHE}


def _pip_config(cmd: Command) -> bool:
    """``pip config …`` touching a cache setting."""
    p = tools.parse(cmd, tool="pip")
    return (
        p is not None
        and p.subcommand[:1] == ("config",)
        and any("cache" in (t.value or t.text) for t in p.args[p.start :])
    )


def _dir(value: object) -> str | None:
    return norm(value) if isinstance(value, str) else None


def _pip_conf(dest: str) -> bool:
    """A COPY destination that is (or holds) a pip configuration file."""
    return "pip.conf" in dest or dest.rstrip("/").endswith(("/pip", "/.pip"))


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
    looks_at = ("RUN",)
    supersedes = ("DF110", "DF114")  # the cache mount makes their cleanup moot
    name = "python-cache-mount"
    summary = "Cache pip / uv / poetry downloads with `RUN --mount=type=cache`"

    def use(self, run: Run, cmd: Command) -> Use | None:
        p = filling(cmd)  # (``python -m pip`` too)
        if p is None or p.tool not in _CACHES:
            return None
        use = Use(cmd, p.label, tool=p.tool)
        spec = _CACHES[p.tool]
        d = run.cache_dir(spec, cmd, p)
        if any(file_value(run.facts, n) is not None for n in spec.off_env):
            return use  # PIP_NO_CACHE_DIR / UV_NO_CACHE set by ENV/ARG: the image keeps it
        if p.tool == "pip":
            if run.lookup("PIP_CONFIG_FILE", cmd) is not None or run.so_far(
                "python.pip_configured", _pip_config, _pip_conf
            ):
                return use
        elif p.tool == "uv":
            link = run.lookup("UV_LINK_MODE", cmd)
            mode = p.option("--link-mode")
            if link is UNKNOWN or link == "symlink" or (mode is not None and mode.value in (None, "symlink")):
                return use  # the environment would point into the cache
        elif d.path is None or not self._venv_outside(run, cmd, d.path):
            return use
        fights = off_fights(run, p, spec)
        if fights is None:
            return use
        return with_dirs(run, use, [d], fights)

    def _venv_outside(self, run: Run, cmd: Command, cache: str) -> bool:
        """Is poetry's virtualenv known not to be inside its cache dir?"""
        create = run.lookup("POETRY_VIRTUALENVS_CREATE", cmd)
        in_project = run.lookup("POETRY_VIRTUALENVS_IN_PROJECT", cmd)
        path, venv = (_dir(run.lookup(n, cmd)) for n in ("POETRY_VIRTUALENVS_PATH", "VIRTUAL_ENV"))

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
            path = None
        if falsy(create):
            return True
        if truthy(in_project):
            return True
        if isinstance(path, str) and not (path == cache or path.startswith(cache + "/")):
            return True
        return isinstance(venv, str) and not (venv == cache or venv.startswith(cache + "/"))

    # -- commands that empty the cache ----------------------------------------
    def cleaners(self, run: Run, uses: list[Use]) -> list[Fight]:
        """Commands of the RUN that empty the cache of a tool the RUN uses."""
        used = {u.tool for u in uses}
        out: list[Fight] = []
        for cmd in run.script.commands:
            p = tools.parse(cmd)
            if p is not None and p.tool in used and tools.pip.is_cache_clean(p):
                out.append(CutCommand(cmd))
        return out
