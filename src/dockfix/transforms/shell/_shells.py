"""Which shell runs a RUN script, and where in its tree a ShellCheck span
is (helpers of the DF705-DF708 rules; not a rule module).

hadolint's ShellCheck reads a script in a *dialect* (``sh`` for the default
``/bin/sh -c``: :func:`dockfix.shellcheck.dialect`); what the script does
depends on the *program* that runs it, which for ``/bin/sh`` is the base
image's: dash on Debian and Ubuntu, BusyBox ash on Alpine, Wolfi and
BusyBox images, bash on the RHEL family, SUSE, Arch and Photon.  Their
``echo`` differ (dash's interprets backslash escapes, bash's and BusyBox's
do not), so do a few builtins.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any, Literal, cast

from ...images import Family
from ...model import Unknown

if TYPE_CHECKING:
    from ...rules import Context
    from ...shell import Script
    from ...tree import Instruction

Program = Literal["dash", "bash", "busybox"]

#: what ``/bin/sh`` is, by the image's family
_BIN_SH: dict[Family, Program] = {
    Family.DEBIAN: "dash",
    Family.UBUNTU: "dash",
    Family.ALPINE: "busybox",
    Family.WOLFI: "busybox",
    Family.BUSYBOX: "busybox",
    Family.RHEL: "bash",
    Family.SUSE: "bash",
    Family.ARCH: "bash",
    Family.PHOTON: "bash",
}


def shell_program(ctx: Context, ins: Instruction, script: Script) -> Program | None:
    """The shell that runs ``script`` (the RUN ``ins``'s): a heredoc's
    ``#!`` line, else the ``SHELL`` in effect, ``/bin/sh`` being the base
    image's.  None when it cannot be told (an unknown image's ``/bin/sh``,
    a SHELL that is not dash, bash or ash)."""
    argv: list[str]
    if script.text.startswith("#!"):
        argv = script.text.split("\n", 1)[0][2:].split()
    else:
        shell = ctx.facts(ins).shell
        if isinstance(shell.argv, Unknown):
            return None
        argv = list(shell.argv)
    if argv and posixpath.basename(argv[0]) == "env":
        argv = argv[1:]
    if not argv:
        return None
    prog = posixpath.basename(argv[0]).lower()
    if prog == "sh":
        return None if sh_replaced(ctx, ins) else _BIN_SH.get(ctx.facts(ins).image.family)
    if prog in ("dash", "bash"):
        return prog  # type: ignore[return-value]
    return "busybox" if prog == "ash" else None


#: commands that may put another shell at /bin/sh
_REPLACERS = frozenset({"ln", "cp", "mv", "install", "rm", "unlink", "update-alternatives"})


def sh_replaced(ctx: Context, ins: Instruction) -> bool:
    """May a RUN before ``ins`` (in any stage: conservative) have put
    another shell at ``/bin/sh`` (``ln -sf /bin/bash /bin/sh``, Debian's
    ``dpkg-reconfigure dash``)?  Worked out once per tree."""
    memo = cast("dict[int, bool]", ctx.tree.memo.setdefault("_shells.sh_replaced", {}))
    if not memo:
        seen = False
        for other in ctx.tree.instructions:
            memo[id(other)] = seen
            if other.keyword == "RUN" and not seen:
                seen = _replaces_sh(ctx, other)
    return bool(memo.get(id(ins), True))


def _replaces_sh(ctx: Context, ins: Instruction) -> bool:
    script = ctx.model.script(ins)
    if script is None:  # exec form, another interpreter: by its text
        return "/bin/sh" in str(ins)
    if "dash/sh" in script.text or ("dpkg-reconfigure" in script.text and "dash" in script.text):
        return True
    return any(
        cmd.program in _REPLACERS and any(_may_be_sh(a.value, a.text) for a in cmd.args)
        for cmd in script.commands
    )


def _may_be_sh(value: str | None, text: str) -> bool:
    if value is None:
        return "sh" in text
    return value == "sh" or value.endswith("/bin/sh")


def byte_offset(script: Script, i: int) -> int:
    """The UTF-8 byte offset of script character offset ``i``."""
    return i if script._byte_to_char is None else len(script.text[:i].encode("utf-8"))


def node_at(script: Script, start: int, end: int) -> Any:
    """The smallest tree-sitter node that covers script offsets
    ``start:end`` (character offsets, as ShellCheck comments give them)."""
    root = script.tree.root_node
    return root.descendant_for_byte_range(byte_offset(script, start), byte_offset(script, max(start, end)))


def enclosing(node: Any, *types: str) -> Any:
    """``node`` or its nearest ancestor of one of ``types`` (None)."""
    while node is not None and node.type not in types:
        node = node.parent
    return node


def bashism_note(prog: Program | None, what: str) -> str:
    """Why rewriting the bash extension ``what`` is unsafe for a script
    run by ``prog`` ('' when it is safe: bash, and BusyBox ash, which has
    bash's ``source``, ``==`` and ``&>``)."""
    if prog in ("bash", "busybox"):
        return ""
    if prog == "dash":
        return f"dash has no {what}: the fix makes the command work differently"
    return f"which shell runs it is not known; dash has no {what}"
