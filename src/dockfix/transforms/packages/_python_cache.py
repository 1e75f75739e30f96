"""pip and uv leave their download caches in the image layer."""

from __future__ import annotations

import re
from bisect import bisect_right

from ..rules import Context, Rule, Safety
from ..shell import Arg, Script
from ._pkgcache import (
    TRUTHY,
    Invocation,
    RunSite,
    State,
    covers,
    covers_home_cache,
    has_long,
    insert_word,
    has_short,
    invocations,
    run_sites,
    subcommand,
)

_PIP = re.compile(r"pip(\d+(\.\d+)*)?")
_PYTHON = re.compile(r"python(\d+(\.\d+)*)?")
# pip's general options that take a value (they may come before `install`)
_PIP_LONG_VAL = frozenset(
    {
        "--python", "--log", "--log-file", "--local-log", "--proxy", "--retries", "--timeout",
        "--exists-action", "--trusted-host", "--cert", "--client-cert", "--cache-dir",
        "--use-feature", "--use-deprecated", "--keyring-provider", "--resume-retries",
    }
)
# uv's global options that take a value
_UV_LONG_VAL = frozenset(
    {
        "--cache-dir", "--directory", "--project", "--config-file", "--color", "--python",
        "--python-preference", "--allow-insecure-host", "--index-url", "--extra-index-url",
    }
)


def _env_flag(site: RunSite, inv: Invocation, name: str) -> bool:
    """Is ``name`` set to a true value for this command: ENV of the stage,
    ``NAME=1 cmd``, or an ``export NAME=1``/``NAME=1`` earlier in the RUN?"""
    if site.state.truthy(name):
        return True
    for a in inv.assignments:
        key, _, value = a.partition("=")
        if key == name and value.strip("'\"") in TRUTHY:
            return True
    return _set_before(site.script, name, inv.cmd.start)


def _set_before(script: Script, name: str, start: int) -> bool:
    """Does ``name=<true value>`` appear in the script before ``start``?
    (The matches are found once per script and name, not once per command.)"""
    memo = script.__dict__.setdefault("_python_cache_sets", {})
    info = memo.get(name)
    if info is None:
        pat = re.compile(rf"(?<![\w$]){name}=['\"]?(\w+)")
        found = list(pat.finditer(script.text))
        first = min((m.end() for m in found if m.group(1) in TRUTHY), default=None)
        info = memo[name] = (pat, [m.start() for m in found], [m.end() for m in found], first)
    pat, starts, ends, first = info
    if first is not None and first <= start:
        return True
    # a match running past ``start``: what the text cut there would match
    k = bisect_right(ends, start)
    if k < len(starts) and starts[k] < start:
        return any(m.group(1) in TRUTHY for m in pat.finditer(script.text, starts[k], start))
    return False


def _option_value(args: list[Arg], name: str) -> str | None:
    for k, a in enumerate(args):
        v = a.value or ""
        if v.startswith(name + "="):
            return v.split("=", 1)[1]
        if v == name and k + 1 < len(args):
            return args[k + 1].value
    return None


def pip_install(inv: Invocation) -> tuple[Arg, list[Arg]] | None:
    """``(the install word, pip's arguments)`` when the command is ``pip
    install`` (pip, pip3, pip3.12, python -m pip, python3.12 -m pip)."""
    prog = inv.program or ""
    args = inv.args
    if _PIP.fullmatch(prog):
        pip_args = args
    elif _PYTHON.fullmatch(prog):
        i = 0
        pip_args = None
        while i < len(args):
            v = args[i].value
            if v is None:
                return None
            if v == "-m":
                if i + 1 < len(args) and args[i + 1].value == "pip":
                    pip_args = args[i + 2 :]
                break
            if v == "-mpip":
                pip_args = args[i + 1 :]
                break
            if v.startswith("--") or not v.startswith("-") or "c" in v[1:]:
                return None  # a script, `-c code`, or a long option
            i += 2 if v in ("-X", "-W") else 1
        if pip_args is None:
            return None
    else:
        return None
    k = subcommand(pip_args, "", _PIP_LONG_VAL)
    if k is None or pip_args[k].value != "install":
        return None
    return pip_args[k], pip_args


def pip_cache_dir(state: State, pip_args: list[Arg]) -> str | None:
    return _option_value(pip_args, "--cache-dir") or state.env.get("PIP_CACHE_DIR") or None


class PipNoCacheDir(Rule):
    """
    ## What it does
    Adds `--no-cache-dir` to `pip install` (also `pip3`, `pip3.12`,
    `python -m pip`, `python3.12 -m pip`, and through `exec`, `time`,
    `sudo`, `env`, `xargs`), unless pip's cache is already kept out of the
    image: `PIP_NO_CACHE_DIR` set to a true value (by `ENV` in the stage or
    a stage it builds on, `PIP_NO_CACHE_DIR=1 pip …`, or an `export`
    earlier in the RUN), or a BuildKit cache mount holding pip's cache
    directory (`--mount=type=cache,target=/root/.cache/pip` or
    `target=/root/.cache`, for the current `USER`; `PIP_CACHE_DIR`,
    `--cache-dir` and `XDG_CACHE_HOME` are followed).

    ## Why
    pip keeps every wheel it downloads or builds in `~/.cache/pip`. In an
    image that cache is dead weight — often hundreds of megabytes — baked
    into the layer of the RUN that installed the packages.

    ## Example
    ```dockerfile
    RUN pip install -r requirements.txt
    ```

    Use instead:
    ```dockerfile
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## Fix safety
    Safe: `--no-cache-dir` only stops pip from writing its cache; the same
    packages are installed, so the image behaves the same, minus the cache.
    Reported without a fix: `pip install` in a stage whose shell is not a
    POSIX shell (Windows images, `SHELL ["powershell", …]`), and a RUN whose
    cache mount already holds pip's cache but whose target hadolint (DL3042)
    does not recognise (it only accepts targets containing `.cache/pip`, not
    e.g. `/root/.cache`): nothing reaches the image there, and
    `--no-cache-dir` would defeat the mount; add
    `# hadolint ignore=DL3042` or point the mount at `/root/.cache/pip`.
    `ARG PIP_NO_CACHE_DIR=1` does not count (a build argument can be
    overridden with `--build-arg`), like for hadolint. Commands run through
    a variable (`$PIP install`) or inside `sh -c '…'` are not analysed.
    uv has its own rule (DF114). Poetry is left out: `poetry install
    --no-cache` does not exist before Poetry 1.2 and still fills the
    `artifacts` cache, and by default the project's virtualenv lives inside
    the cache directory, so neither the flag nor an `rm` of the cache is a
    fix that is sure to work; a cache mount (DF211) is the way there.
    """

    code = "DF110"
    name = "pip-no-cache-dir"
    summary = "`pip install` → `pip install --no-cache-dir`"
    safety = Safety.SAFE
    covers = ("DL3042",)

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            for _, inv in invocations(site.script):
                found = pip_install(inv)
                if found is None:
                    continue
                install, pip_args = found
                if any(a.value == "--no-cache-dir" for a in inv.args):
                    continue
                if _env_flag(site, inv, "PIP_NO_CACHE_DIR"):
                    continue
                targets = site.cache_targets()
                state = site.state_for(inv)
                cache_dir = pip_cache_dir(state, pip_args)
                covered = covers(targets, cache_dir) if cache_dir else covers_home_cache(targets, state, "pip")
                if covered:
                    if not any(".cache/pip" in t for t in targets):
                        yield ctx.finding(
                            site.span(inv.cmd),
                            "pip's cache is in a cache mount, not in the image; nothing to fix "
                            "(hadolint DL3042 only recognises mount targets containing `.cache/pip`)",
                        )
                    continue
                if not site.posix:
                    yield ctx.finding(
                        site.span(inv.cmd),
                        "`pip install` without `--no-cache-dir` (not fixed: the RUN's shell is not a POSIX shell)",
                    )
                    continue
                msg = "`pip install` without `--no-cache-dir` keeps pip's download cache in the layer"
                if targets:
                    msg += " (the RUN's cache mount does not hold pip's cache for this user)"
                yield ctx.finding(site.span(inv.cmd), msg, [insert_word(site.script, ctx.text, install.end, "--no-cache-dir")])


def uv_subcommand(inv: Invocation) -> tuple[Arg, str] | None:
    """The last word of a caching uv subcommand (`uv pip install`, `uv pip
    sync`, `uv sync`, `uv tool install`) and the subcommand, or None."""
    if inv.program != "uv":
        return None
    args = inv.args
    k = subcommand(args, "p", _UV_LONG_VAL)
    if k is None:
        return None
    first = args[k].value
    if first == "sync":
        return args[k], "sync"
    if first in ("pip", "tool"):
        rest = args[k + 1 :]
        j = subcommand(rest, "p", _UV_LONG_VAL)
        if j is None:
            return None
        second = rest[j].value
        if (first, second) in (("pip", "install"), ("pip", "sync"), ("tool", "install")):
            return rest[j], f"{first} {second}"
    return None


def uv_cache_covered(site: RunSite, inv: Invocation, state: State) -> bool:
    targets = site.cache_targets()
    if not targets:
        return False
    cache_dir = _option_value(inv.args, "--cache-dir") or state.env.get("UV_CACHE_DIR") or None
    if cache_dir:
        return covers(targets, cache_dir)
    return covers_home_cache(targets, state, "uv")


class UvNoCache(Rule):
    """
    ## What it does
    Adds `--no-cache` to `uv pip install`, `uv pip sync`, `uv sync` and
    `uv tool install`, unless uv's cache is already kept out of the image:
    `UV_NO_CACHE` set to a true value (`ENV`, `UV_NO_CACHE=1 uv …`, an
    `export` earlier in the RUN), `--no-cache`/`-n` (or its alias
    `--no-cache-dir`) already given, or a
    BuildKit cache mount holding uv's cache directory
    (`--mount=type=cache,target=/root/.cache/uv` or `/root/.cache` for the
    current `USER`; `UV_CACHE_DIR`, `--cache-dir` and `XDG_CACHE_HOME` are
    followed).

    ## Why
    uv keeps every wheel it downloads, and the unpacked packages, in
    `~/.cache/uv`. In an image that cache is dead weight in the layer that
    installed the packages. It is its own rule, not part of DF110: uv has
    its own flag and variables, and there is no hadolint rule for uv.

    ## Example
    ```dockerfile
    RUN uv pip install --system -r requirements.txt
    ```

    Use instead:
    ```dockerfile
    RUN uv pip install --no-cache --system -r requirements.txt
    ```

    ## Fix safety
    Safe: with `--no-cache` uv works in a temporary cache that it removes
    when done; the same packages are installed, so the image behaves the
    same, minus the cache. Nothing is reported without a fix; commands in a
    non-POSIX shell, run through a variable or inside `sh -c '…'` are not
    analysed.
    """

    code = "DF114"
    name = "uv-no-cache"
    summary = "`uv pip install` / `uv sync` → add `--no-cache`"
    safety = Safety.SAFE
    covers = ()

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            if not site.posix:
                continue
            for _, inv in invocations(site.script):
                found = uv_subcommand(inv)
                if found is None:
                    continue
                word, sub = found
                if has_long(inv.args, "--no-cache", "--no-cache-dir") or has_short(inv.args, "n", "p"):
                    continue
                if _env_flag(site, inv, "UV_NO_CACHE"):
                    continue
                if uv_cache_covered(site, inv, site.state_for(inv)):
                    continue
                yield ctx.finding(
                    site.span(inv.cmd),
                    f"`uv {sub}` without `--no-cache` keeps uv's cache in the layer",
                    [insert_word(site.script, ctx.text, word.end, "--no-cache")],
                )
