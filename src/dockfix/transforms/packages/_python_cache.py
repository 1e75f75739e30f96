"""pip and uv leave their download caches in the image layer."""

from __future__ import annotations

import re
from bisect import bisect_right

from ... import tools
from ...shell import Script
from ._pkgcache import (
    TRUTHY,
    Invocation,
    RunSite,
    State,
    covers,
    covers_home_cache,
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


def pip_cache_dir(state: State, p: tools.Parsed) -> str | None:
    """pip's cache folder when ``--cache-dir`` or ``$PIP_CACHE_DIR`` moves it."""
    return p.value("--cache-dir") or state.get("PIP_CACHE_DIR") or None


def uv_cache_covered(site: RunSite, p: tools.Parsed, state: State) -> bool:
    targets = site.cache_targets()
    if not targets:
        return False
    cache_dir = p.value("--cache-dir") or state.get("UV_CACHE_DIR") or None
    if cache_dir:
        return covers(targets, cache_dir)
    return covers_home_cache(targets, state, "uv")
