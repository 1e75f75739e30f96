"""Users and groups that ``RUN`` commands create (``useradd``, ``adduser``,
``groupadd``, ``addgroup``; GNU shadow, Debian and BusyBox spellings), and
the users they add to other groups, for the semantic model's USER facts
(uid, gid, home) and its ``created``/``creates``/``supplementary_groups``
queries."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from msgspec import Struct

from ._records import compare_without
from .images import UNKNOWN, Unknown

if TYPE_CHECKING:
    from .shell import Command
    from .tree import Instruction

Value = str | Unknown


@compare_without("ins")
class Created(Struct, frozen=True):
    """A user or group a RUN creates (useradd, adduser, groupadd, addgroup).
    ``gid`` and ``ins`` are filled in by ``SemanticModel.created``: the
    primary group's gid (a group's own id) where the file tells it, and
    the RUN."""

    kind: str  # "user" or "group"
    name: str
    id: int | Unknown = UNKNOWN
    group: str | None | Unknown = None  # a user's primary group (name or number)
    home: Value = UNKNOWN
    gid: int | Unknown = UNKNOWN
    ins: Instruction | None = None  # left out of ==/hash (compare_without)


_USERADD_VALUE_OPTS: Final = frozenset(
    {"-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home", "--home-dir", "-s", "--shell", "-c",
     "--comment", "--gecos", "-k", "--skel", "-e", "--expiredate", "-f", "--inactive", "-K", "--key", "-p",
     "--password", "-h", "--ingroup", "-b", "--base-dir", "-Z", "--selinux-user", "--firstuid", "--lastuid",
     "--firstgid", "--lastgid", "--conf", "--add_extra_groups", "-R", "--root", "-P", "--prefix"}
)  # fmt: skip


def _option(cmd: Command, shorts: tuple[str, ...], longs: tuple[str, ...]) -> str | None | Unknown:
    """The value of ``-u 1000``, ``-u1000``, ``--uid 1000`` or ``--uid=1000``
    (the last one wins); None if absent, UNKNOWN if not a literal."""
    found: str | None | Unknown = None
    args = cmd.args
    for i, a in enumerate(args):
        v = a.value
        if v is None:
            continue
        nxt: str | None | Unknown = UNKNOWN
        if i + 1 < len(args) and args[i + 1].value is not None:
            nxt = args[i + 1].value
        for lo in longs:
            if v == lo:
                found = nxt
            elif v.startswith(lo + "="):
                found = v[len(lo) + 1 :]
        for sh in shorts:
            if v == sh:
                found = nxt
            elif v.startswith(sh) and len(v) > len(sh) and not v.startswith("--"):
                found = v[len(sh) :]
    return found


def _operands(cmd: Command) -> list[str | None]:
    out: list[str | None] = []
    skip = False
    for a in cmd.args:
        v = a.value
        if skip:
            skip = False
            continue
        if v is not None and v.startswith("-"):
            skip = v in _USERADD_VALUE_OPTS
            continue
        out.append(v)
    return out


def num(v: str | None | Unknown) -> int | Unknown:
    return int(v) if isinstance(v, str) and v.isascii() and v.isdigit() else UNKNOWN


def created_by(cmd: Command) -> Iterator[Created]:
    """The users and groups one command creates."""
    prog = cmd.program
    ops = _operands(cmd)
    if prog == "useradd" and ops and ops[-1] is not None:
        name = ops[-1]
        home = _option(cmd, ("-d",), ("--home", "--home-dir"))
        if home is None:
            base = _option(cmd, ("-b",), ("--base-dir",))
            home = (
                posixpath.join(base, name) if isinstance(base, str) else UNKNOWN if base else f"/home/{name}"
            )
        group = _option(cmd, ("-g",), ("--gid",))
        yield Created("user", name, num(_option(cmd, ("-u",), ("--uid",))), group, home)
    elif prog == "adduser" and len(ops) == 1 and ops[0] is not None:
        # busybox: adduser [-h DIR] [-G GRP] [-S] [-u UID] USER; Debian:
        # adduser [--home DIR] [--ingroup GRP|--gid GID] [--system] USER
        # (with two operands both add an existing user to a group)
        name = ops[0]
        home = _option(cmd, ("-h",), ("--home",))
        if home is None:
            home = UNKNOWN if cmd.has_option("--system") else f"/home/{name}"
        group = _option(cmd, ("-G",), ("--ingroup", "--gid"))
        yield Created("user", name, num(_option(cmd, ("-u",), ("--uid",))), group, home)
    elif prog in ("groupadd", "addgroup") and len(ops) == 1 and ops[0] is not None:
        yield Created("group", ops[0], num(_option(cmd, ("-g",), ("--gid",))))


#: programs that may add a user to a group
ACCOUNT_TOOLS: Final = re.compile(r"\b(useradd|usermod|adduser|addgroup|gpasswd)\b")


def members(cmd: Command) -> Iterator[str]:
    """The users one command adds to a group other than their own
    (``useradd -G``, ``usermod -G``/``-aG``, ``adduser USER GROUP``,
    ``addgroup USER GROUP``, ``gpasswd -a USER``); ``*`` for one whose name
    is not a literal word."""
    if cmd.program == "gpasswd":
        yield from (v for v in cmd.values if v is not None and not v.startswith("-"))
        return
    from . import tools  # here: a file without such a command never loads the tool grammars

    p = tools.parse(cmd, unwrap=True)
    if p is None:
        return
    if p.tool == "usermod":
        if p.has("--groups") and p.operands:
            yield p.operands[-1].value or "*"
        return
    acct = tools.posix.account(p)
    if acct is None or acct.name is None:
        return
    if acct.kind == "member" or (acct.kind == "user" and acct.groups):
        yield acct.name


__all__ = ["ACCOUNT_TOOLS", "Created", "created_by", "members", "num"]
