"""What the Node cache-mount rule (DF212) reads besides the cache folders
(those are :mod:`dockfix.tools.node`'s): npm settings from the environment
and from rc files, and which yarn a project uses."""

from __future__ import annotations

import re

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


def yarn(run: Run) -> tools.node.Yarn:
    """The yarn of the RUN: what the build context shows (``.yarnrc.yml``,
    ``packageManager`` in ``package.json``), unless a ``yarn set version``
    / ``corepack prepare yarn@…`` of the file or the RUN says otherwise
    (:mod:`dockfix.tools.node` reads them)."""
    bc = run.ctx.build_context
    if bc is None:
        found = tools.node.Yarn("classic")
    else:
        found = tools.node.project_yarn(bc.read_text(".yarnrc.yml"), bc.read_text("package.json"))
    # each such command decides both berry and major: only the last counts
    return found.switched(_last_version(run))


def _selects(cmd: Command) -> str | None:
    """The yarn version ``cmd`` switches to (``yarn set version 4``,
    ``corepack prepare yarn@4``), None when it does not say one."""
    p = tools.parse(cmd)
    if p is not None:
        version = tools.node.yarn_version_set(p)
    elif cmd.program == "corepack":
        version = tools.node.corepack_version(tools.tokens(cmd), "yarn")
    else:
        version = None
    return version or None


def _asks(run: Run, ins: Instruction) -> str | None:
    """The yarn version the last yarn-selecting command of ``ins`` asks for."""
    version = None
    script = run.facts.model.script(ins) if ins.keyword == "RUN" else None
    for cmd in script.commands if script is not None else ():
        version = _selects(cmd) or version
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


__all__ = ["npm_env", "parse", "rc_sets", "yarn"]
