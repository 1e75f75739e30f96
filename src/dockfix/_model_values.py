"""The values of the semantic model (:mod:`dockfix.model`, which exports
them): variables, the SHELL, the user and the working directory in effect,
the stages, and the timelines the model keeps them in."""

from __future__ import annotations

import posixpath
from bisect import bisect_left
from typing import TYPE_CHECKING, Final, Generic, TypeVar

from msgspec import Struct, field

from ._records import compare_without
from .images import HOLE, UNKNOWN, Family, ImageInfo, ImageRef, Unknown, image_info, parse_ref

if TYPE_CHECKING:
    from .tree import Instruction, Stage
    from .users import Created

#: BuildKit's automatic platform ARGs (global ARGs; values UNKNOWN here)
PLATFORM_ARGS: Final = (
    "BUILDPLATFORM", "BUILDOS", "BUILDOSVERSION", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETOSVERSION", "TARGETARCH", "TARGETVARIANT", "TARGETSTAGE",
)  # fmt: skip
#: Docker's predefined proxy ARGs (only from ``--build-arg``; not in the
#: Dockerfile's expansion environment unless declared with ARG)
PROXY_ARGS: Final = (
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
)  # fmt: skip
#: ARGs BuildKit does not put in the build environment

#: The POSIX shells (program base names) a SHELL may name
POSIX_SHELLS: Final = frozenset(
    {"sh", "bash", "dash", "ash", "ksh", "ksh93", "mksh", "lksh", "pdksh", "oksh", "posh", "yash", "zsh"}
)
#: PATH BuildKit gives a Linux image that sets none (system.DefaultPathEnv)
DEFAULT_PATH: Final = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

Value = str | Unknown
T = TypeVar("T")


def is_posix_shell(argv: tuple[str, ...] | list[str]) -> bool:
    """Does ``SHELL argv`` run a POSIX shell (``/bin/bash``, ``ash``,
    ``busybox sh``; not ``pwsh``, ``cmd``, ``python``)?"""
    if not argv:
        return False
    prog = posixpath.basename(argv[0].replace("\\", "/")).lower()
    if prog == "busybox":
        return len(argv) > 1 and argv[1] in ("sh", "ash")
    return prog in POSIX_SHELLS


# -- values -----------------------------------------------------------------


@compare_without("ins")
class Variable(Struct, frozen=True):
    """A variable of the build environment: its value (UNKNOWN when it
    cannot be known), who set it (``"env"``, ``"arg"`` or ``"image"``) and
    the instruction that did (None for the image)."""

    name: str
    value: Value
    kind: str
    ins: Instruction | None = None  # left out of ==/hash (compare_without)


@compare_without("ins")
class Shell(Struct, frozen=True):
    """The SHELL in effect: ``argv`` (UNKNOWN when a SHELL is not in JSON
    form), whether it is the platform's default, and the SHELL instruction
    that set it (None for the default)."""

    argv: tuple[str, ...] | Unknown
    default: bool = True
    ins: Instruction | None = None  # left out of ==/hash (compare_without)

    @property
    def program(self) -> str | Unknown:
        """The program's base name, lower case (``bash``, ``pwsh``)."""
        if isinstance(self.argv, Unknown) or not self.argv:
            return UNKNOWN
        return posixpath.basename(self.argv[0].replace("\\", "/")).lower()

    @property
    def posix(self) -> bool:
        """A POSIX shell (False when unknown)."""
        return not isinstance(self.argv, Unknown) and is_posix_shell(self.argv)

    def _flags(self) -> list[str]:
        if isinstance(self.argv, Unknown):
            return []
        return list(self.argv[1:])

    @property
    def errexit(self) -> bool:
        """Runs with ``-e`` (``SHELL ["/bin/bash", "-eo", "pipefail", "-c"]``)."""
        flags = self._flags()
        if "errexit" in flags:
            return True
        return any(w.startswith("-") and not w.startswith("--") and "e" in w[1:] for w in flags)

    @property
    def pipefail(self) -> bool:
        """Runs with pipefail: bash, zsh, ksh or ash (by any path, or
        through ``env``) with an ``-o`` flag and a ``pipefail`` argument."""
        if isinstance(self.argv, Unknown) or not self.argv:
            return False
        prog, rest = self.program, list(self.argv[1:])
        if prog == "env" and rest:
            prog, rest = posixpath.basename(rest[0]).lower(), rest[1:]
        has_o = any(a.startswith("-") and not a.startswith("--") and "o" in a[1:] for a in rest)
        return prog in ("bash", "zsh", "ksh", "ash") and has_o and "pipefail" in rest


LINUX_SHELL: Final = Shell(("/bin/sh", "-c"))
WINDOWS_SHELL: Final = Shell(("cmd", "/S", "/C"))


@compare_without("ins")
class User(Struct, frozen=True):
    """Who RUN commands run as.  ``name`` is the USER's user part as
    written (after expansion; a number for ``USER 1000``), ``group`` its
    group part (None when not given); ``uid``/``gid``/``home`` are what the
    file or the image table tells, UNKNOWN otherwise.  ``explicit``: a USER
    of this file (this stage or one it builds on) is in effect."""

    name: Value
    group: str | None | Unknown = None
    uid: int | Unknown = UNKNOWN
    gid: int | Unknown = UNKNOWN
    home: Value = UNKNOWN
    explicit: bool = False
    ins: Instruction | None = None  # left out of ==/hash (compare_without)

    @property
    def root(self) -> bool | Unknown:
        if isinstance(self.uid, int):
            return self.uid == 0
        if self.name in ("root", "0"):
            return True
        return UNKNOWN


@compare_without("from_image")
class Workdir(Struct, frozen=True):
    """The working directory.  ``path`` is absolute, or UNKNOWN (the base
    image's WORKDIR is unknown, or a variable is); ``explicit``: a WORKDIR
    of this file is in effect; ``under_image``: when ``path`` is UNKNOWN only
    because the image's WORKDIR is, the path relative to it (``"."``,
    ``"app/src"``), so that two such paths can still be compared;
    ``from_image``: a known ``path`` rests on the image's WORKDIR from the
    image table (no absolute WORKDIR of this file since; not ``scratch``)."""

    path: Value
    explicit: bool = False
    under_image: str | None = None
    from_image: bool = False  # left out of ==/hash (compare_without)


# -- timelines ----------------------------------------------------------------


class _Timeline(Generic[T]):
    """Values of one fact in one stage, by position (the instruction's
    index in the stage; the FROM is -1): ``at(p)`` is the last value set
    before position ``p``."""

    __slots__ = ("pos", "vals")

    def __init__(self) -> None:
        self.pos: list[int] = []
        self.vals: list[T] = []

    def add(self, pos: int, value: T) -> None:
        self.pos.append(pos)
        self.vals.append(value)

    def at(self, pos: int) -> tuple[bool, T | None]:
        k = bisect_left(self.pos, pos)
        if k == 0:
            return False, None
        return True, self.vals[k - 1]

    def last(self) -> tuple[bool, T | None]:
        return (True, self.vals[-1]) if self.vals else (False, None)


# -- stages -----------------------------------------------------------------


class StageInfo(Struct, eq=False):
    """A stage of the file and its place among the others."""

    index: int
    stage: Stage
    name: str | None  # lower case, as BuildKit keys it
    base: Value  # the FROM's image (or stage) name after the global ARGs
    parent: StageInfo | None = None
    children: list[StageInfo] = field(default_factory=list)
    ref: ImageRef | None = None  # the external image of the chain's root
    image: ImageInfo = field(default_factory=lambda: image_info(parse_ref(HOLE)))
    windows: bool = False
    is_final: bool = False
    # timelines (internal)
    _vars: dict[str, _Timeline[Variable]] = field(default_factory=dict)
    _image_vars: dict[str, _Timeline[Variable]] = field(default_factory=dict)
    _user: _Timeline[tuple[Value, Instruction]] = field(default_factory=_Timeline)
    _workdir: _Timeline[Workdir] = field(default_factory=_Timeline)
    _shell: _Timeline[Shell] = field(default_factory=_Timeline)
    _final_memo: dict[tuple[str, str], object] = field(default_factory=dict)
    _created: dict[tuple[str, str], _Timeline[Created]] | None = None
    _created_order: list[Created] = field(default_factory=list)

    @property
    def root(self) -> StageInfo:
        """The first stage of the chain (the one built on an image)."""
        st = self
        while st.parent is not None:
            st = st.parent
        return st

    @property
    def chain(self) -> tuple[StageInfo, ...]:
        """The stages this one builds on and itself, oldest first."""
        out: list[StageInfo] = []
        st: StageInfo | None = self
        while st is not None:
            out.append(st)
            st = st.parent
        return tuple(reversed(out))

    @property
    def descendants(self) -> list[StageInfo]:
        """Stages built on this one, directly or not, in file order."""
        out: list[StageInfo] = []
        todo = list(self.children)
        while todo:
            st = todo.pop()
            out.append(st)
            todo.extend(st.children)
        return sorted(out, key=lambda s: s.index)

    @property
    def scratch(self) -> bool:
        return self.parent is None and self.image.family is Family.SCRATCH
