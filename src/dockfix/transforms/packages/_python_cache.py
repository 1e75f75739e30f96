"""pip and uv leave their download caches in the image layer."""

from __future__ import annotations

import re
from bisect import bisect_right

from ...shell import Arg, Script
from ._pkgcache import (
    TRUTHY,
    Invocation,
    RunSite,
    State,
    covers,
    covers_home_cache,
    subcommand,
)

_PIP = re.compile(r"pip(\d+(\.\d+)*)?")
_PYTHON = re.compile(r"python(\d+(\.\d+)*)?")
# pip's general options that take a value (they may come before `install`)
_PIP_LONG_VAL = frozenset(
    {
        "--python",
        "--log",
        "--log-file",
        "--local-log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--trusted-host",
        "--cert",
        "--client-cert",
        "--cache-dir",
        "--use-feature",
        "--use-deprecated",
        "--keyring-provider",
        "--resume-retries",
    }
)
# uv's global options that take a value
_UV_LONG_VAL = frozenset(
    {
        "--cache-dir",
        "--directory",
        "--project",
        "--config-file",
        "--color",
        "--python",
        "--python-preference",
        "--allow-insecure-host",
        "--index-url",
        "--extra-index-url",
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
    else:
        return None
    if pip_args is None:
        return None
    k = subcommand(pip_args, "", _PIP_LONG_VAL)
    if k is None or pip_args[k].value != "install":
        return None
    return pip_args[k], pip_args


def pip_cache_dir(state: State, pip_args: list[Arg]) -> str | None:
    return _option_value(pip_args, "--cache-dir") or state.get("PIP_CACHE_DIR") or None


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
    cache_dir = _option_value(inv.args, "--cache-dir") or state.get("UV_CACHE_DIR") or None
    if cache_dir:
        return covers(targets, cache_dir)
    return covers_home_cache(targets, state, "uv")
