"""What the Node cache-mount rule (DF212) reads besides the cache folders
(those are :mod:`dockfix.tools.node`'s): npm settings from the environment
and from rc files, and which yarn a project uses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ... import tools
from ...analysis import per_instruction
from ...shell import Command
from ...tree import Instruction
from ._cache import Run


def npm_env(run: Run, cmd: Command | None, key: str) -> object:
    """An npm config key from the environment (``npm_config_<key>``, any
    case): a str, None, or UNKNOWN."""
    for name in (f"npm_config_{key}", f"NPM_CONFIG_{key.upper()}"):
        v = run.lookup(name, cmd)
        if v is not None:
            return v
    return None


def rc_sets(run: Run, names: tuple[str, ...], keys: tuple[str, ...]) -> bool:
    """Does an rc file (``names``) of the build context — or, without a
    build context, one the file copies in — or a ``config set`` in the
    file set one of ``keys``?"""
    bc = run.ctx.build_context
    if bc is not None:
        for name in names:
            text = bc.read_text(name)
            if text and any(re.search(rf"(?m)^\s*{re.escape(k)}\s*[=:]", text) for k in keys):
                return True

    def copies(dest: str) -> bool:
        return any(dest.rstrip("/").endswith(n) for n in names)

    def configures(cmd: Command) -> bool:
        vals = [a.value or a.text for a in cmd.args]
        return (
            cmd.program in ("npm", "yarn", "pnpm")
            and "config" in vals[:2]
            and any(any(k in v for k in keys) for v in vals)
        )

    key = ("node.rc_sets", names, keys, bc is None)
    return run.so_far(key, configures, copies if bc is None else None)


@dataclass(frozen=True)
class Yarn:
    """Which yarn the project uses: ``kind`` is "classic", "berry", or
    "unknown" (a ``.yarnrc.yml`` moves the cache); for berry, its
    ``major`` version and whether the global cache is on (None: not
    known)."""

    kind: str
    major: int | None = None
    global_cache: bool | None = None


def yarn(run: Run) -> Yarn:
    """The yarn of the RUN: what the build context shows (``.yarnrc.yml``,
    ``packageManager`` in ``package.json``), unless a ``yarn set version``
    / ``corepack prepare yarn@…`` of the file or the RUN says otherwise."""
    found = _context_yarn(run)
    if found.kind == "unknown":
        return found
    berry, major, global_cache = found.kind == "berry", found.major, found.global_cache
    # each such command decides both berry and major: only the last counts
    version = _last_version(run)
    if version is not None:
        if version in ("classic", "1") or version.startswith("1."):
            berry, major = False, 1
        else:
            berry = True
            m = re.match(r"(\d+)", version)
            major = int(m.group(1)) if m else (4 if version in ("stable", "berry", "latest") else None)
    if not berry:
        return Yarn("classic")
    if global_cache is None and major is not None:
        global_cache = major >= 4
    return Yarn("berry", major, global_cache)


def _context_yarn(run: Run) -> Yarn:
    """The yarn the build context shows ("classic" when it shows none)."""
    bc = run.ctx.build_context
    major = None
    berry = False
    global_cache = None
    if bc is None:
        return Yarn("classic")
    rc = bc.read_text(".yarnrc.yml")
    if rc is not None:
        berry = True
        m = re.search(r"(?m)^\s*yarnPath:\s*['\"]?\S*yarn-(\d+)\.", rc)
        if m:
            major = int(m.group(1))
        m = re.search(r"(?m)^\s*enableGlobalCache:\s*['\"]?(true|false)", rc)
        if m:
            global_cache = m.group(1) == "true"
        if re.search(r"(?m)^\s*(cacheFolder|globalFolder):", rc):
            return Yarn("unknown")
    pkg = bc.read_text("package.json")
    if pkg:
        try:
            pm = json.loads(pkg).get("packageManager")
        except (ValueError, AttributeError):
            pm = None
        m = re.match(r"yarn@(\d+)", pm) if isinstance(pm, str) else None
        if m:
            major = int(m.group(1))
            berry = berry or major >= 2
    return Yarn("berry" if berry else "classic", major, global_cache)


def _asks(run: Run, ins: Instruction) -> str | None:
    """The yarn version the last `yarn set version` or `corepack prepare
    yarn@…` of ``ins`` asks for."""
    version = None
    script = run.facts.model.script(ins) if ins.keyword == "RUN" else None
    for cmd in script.commands if script is not None else ():
        vals = [a.value or "" for a in cmd.args]
        found = None
        if cmd.program == "yarn" and vals[:2] == ["set", "version"] and len(vals) > 2:
            found = vals[2]
        elif cmd.program == "corepack" and vals[:1] in (["prepare"], ["use"], ["install"]):
            found = next((v[5:] for v in vals if v.startswith("yarn@")), None)
        if found is not None:
            version = found
    return version


def _last_version(run: Run) -> str | None:
    """The version the last yarn-selecting command before or in the RUN asks for."""
    asks = per_instruction(run.tree, "node.yarn_version", lambda ins: _asks(run, ins))

    def last(version: str | None, ins: Instruction) -> str | None:
        found = asks(ins)
        return version if found is None else found

    return last(run.chain.fold("node.yarn_version", last, None), run.ins)


def parse(cmd: Command, subs: dict[str, tuple[str, ...]]) -> tools.Parsed | None:
    """``cmd`` read with its tool's grammar when it runs one of the tool's
    ``subs`` (the program, ``npm``/``yarn``/``pnpm``, names the tool)."""
    tool = cmd.program
    if tool not in subs:
        return None
    p = tools.parse(cmd, tool=tool)
    return p if p is not None and p.is_sub(*subs[tool]) else None


__all__ = ["Yarn", "npm_env", "parse", "rc_sets", "yarn"]
