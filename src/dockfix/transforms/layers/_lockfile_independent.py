"""DF220 (lockfile first): which commands are provably independent of the
files ``COPY .`` brought (so an install can move before the copy across
them).  Tool commands are read with ``tools.parse``; one check per tool.
The rule itself is :mod:`.lockfile_first_copy`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from msgspec import Struct

from ... import tools
from ...shell import Command
from ._lockfile import ImagePath, join_path, looks_local, top_level_entries
from ._lockfile_python import pip_install

# Programs that only touch the system (packages, users, global tools) and
# never the files COPY . brought, whatever their (literal) arguments: the
# system package managers and the user tools of ``dockfix.tools``, and these.
_SYSTEM = frozenset(
    {
        program
        for g in (*tools.apt.GRAMMARS, *tools.apk.GRAMMARS, *tools.rpm.GRAMMARS)
        for program in g.programs
    }
    | {
        program
        for g in (
            tools.posix.USERADD,
            tools.posix.USERMOD,
            tools.posix.ADDUSER,
            tools.posix.GROUPADD,
            tools.posix.ADDGROUP,
        )
        for program in g.programs
    }
    | {
        "update-ca-certificates",
        "ldconfig",
        "locale-gen",
        "true",
        ":",
        "set",
        "export",
        "corepack",
        "add-apt-repository",
        "apt-mark",
        "dpkg-reconfigure",
        "update-alternatives",
    }
)
# Commands whose path arguments must all be outside the copied tree.
_PATHS = frozenset({"rm", "mkdir", "chown", "chmod", "chgrp", "ln", "touch"})


class Where(Struct):
    """Where `COPY .` put the context (None: not known), and what that
    brought."""

    dest: ImagePath | None
    bc: object | None = None  # the build context
    _roots: list[str] | None = None  # worked out by ``roots``

    @property
    def roots(self) -> list[str] | None:
        """The copied top-level entries (None: not known)."""
        if self.bc is None:
            return None
        if self._roots is None:
            self._roots = top_level_entries(self.bc)
        return self._roots

    def touches(self, path: ImagePath) -> bool:
        """May ``path`` be (in, or a parent of) a file the COPY brought?"""
        dest = self.dest
        if dest is None or dest.under_image or path.under_image:
            return True
        if dest.path == "/" and self.roots is not None:
            return path.path == "/" or any(path.overlaps(ImagePath("/" + r)) for r in self.roots)
        return path.overlaps(dest)

    def touches_absolute(self, value: str) -> bool:
        """:meth:`touches` for an absolute path as written."""
        return self.touches(ImagePath.absolute(value))


def _names_only(values: Iterable[str | None]) -> bool:
    """Every word that is not an option is a literal name, not a path."""
    return all(v is not None and not looks_local(v) for v in values if not (v or "").startswith("-"))


def _args(cmd: Command) -> list[str | None]:
    return [a.value for a in cmd.args]


def _outside(values: Sequence[str | None], where: Where) -> bool:
    """Options, or absolute paths outside the copied tree (``venv /opt/v``)."""
    return all(
        v is not None and (v.startswith("-") or (v.startswith("/") and not where.touches_absolute(v)))
        for v in values
    )


def _system(cmd: Command, where: Where) -> bool:
    for a in cmd.args:
        v = a.value
        if v is None:
            continue  # package lists in variables
        v = v.split("=", 1)[1] if v.startswith("-") and "=" in v else v
        if v.startswith("/"):
            if where.touches_absolute(v):
                return False
        elif not v.startswith("-") and looks_local(v):
            return False
    return True


def _paths_outside(cmd: Command, where: Where, cwd: ImagePath | None) -> bool:
    operands = cmd.operands()
    for a in cmd.args:
        v = a.value
        if v is None:
            return False
        if v.startswith("-"):
            continue
        if cmd.program in ("chown", "chgrp", "chmod") and a is operands[0]:
            continue  # the owner, the mode
        path = join_path(cwd, v)
        if path is None or where.touches(path):
            return False
    return True


# -- tools ---------------------------------------------------------------------------


def _version(p: tools.Parsed) -> bool:
    return not p.subcommand and p.has("--version")


def _pip(p: tools.Parsed, cmd: Command, where: Where) -> bool:
    """pip and ``uv pip``: installs of packages by name, and the commands
    that only read or set pip's own state."""
    words = p.subcommand[1:] if p.tool == "uv" else p.subcommand
    if pip_install(p) and words == ("install",):
        options = (
            *tools.pip.PIP_REQUIREMENT_OPTIONS,
            *tools.pip.PIP_PATH_OPTIONS,
            *tools.pip.PIP_EDITABLE_OPTIONS,
        )
        return not p.expands and not p.has(*options) and _names_only(p.operand_values)
    return words[:1] in (("cache",), ("config",), ("list",), ("freeze",), ("check",))


def _uv(p: tools.Parsed, cmd: Command, where: Where) -> bool:
    if p.subcommand[:1] == ("pip",):
        return _pip(p, cmd, where)
    if p.is_sub("venv"):
        subs = {t.index for t in p.sub_tokens}
        return _outside([t.value for t in p.args if t.index not in subs], where)
    return p.is_sub("python install", "tool install", "cache clean", "cache prune") and _names_only(
        _args(cmd)
    )


def _node(p: tools.Parsed, cmd: Command, where: Where) -> bool:
    """npm, yarn, pnpm: global tools by name, cache and settings commands."""
    if p.has("-g", "--global") or p.subcommand[:1] == ("global",):
        return _names_only(_args(cmd))
    if p.is_sub("cache clean", "cache verify", "store prune") or _version(p):
        return True
    return p.tool == "npm" and p.is_sub("config set") and not p.has("--location", "--userconfig")


def _go(p: tools.Parsed, cmd: Command, where: Where) -> bool:
    """``go env -w``; ``go install pkg@version`` (outside any module)."""
    if p.is_sub("env"):
        return p.has("-w")
    if not p.is_sub("install") or p.expands or p.has(*tools.INSTALLS["go"].other_project):
        return False
    # `pkg@version` is built outside the current module; a local package
    # is `./x` or `/x` (an import path like golang.org/x/y is not one)
    ops = p.operand_values
    return bool(ops) and all(v is not None and "@" in v and not v.startswith((".", "/")) for v in ops)


_TOOLS: dict[str, Callable[[tools.Parsed, Command, Where], bool]] = {
    "pip": _pip,
    "uv": _uv,
    "npm": _node,
    "yarn": _node,
    "pnpm": _node,
    "go": _go,
    "gem": lambda p, cmd, where: (
        p.is_sub("install") and not p.has("--install-dir", "--file") and _names_only(_args(cmd))
    ),
    "poetry": lambda p, cmd, where: (
        not p.has("--local") if p.is_sub("config") else p.subcommand[:1] == ("self",) or _version(p)
    ),
    "pipx": lambda p, cmd, where: p.is_sub("install") and _names_only(_args(cmd)),
    "composer": lambda p, cmd, where: (
        p.subcommand[:1] == ("global",)
        or (p.is_sub("config") and p.has("--global", "-g"))
        or p.is_sub("clear-cache", "self-update")
        or _version(p)
    ),
    "bundle": lambda p, cmd, where: (p.is_sub("config") and p.has("--global")) or _version(p),
}


def _python_module(cmd: Command, where: Where) -> bool | None:
    """``python -m venv /opt/venv``: True when it works outside the copied
    tree; None when the command is not ``python -m venv``."""
    found = tools.pip.python_module(cmd.program or "", tools.tokens(cmd))
    if found is None or found[0] not in ("venv", "virtualenv"):
        return None
    values = [a.value for a in cmd.args[found[1] :]]
    return bool(values) and _outside(values, where)


def independent(cmd: Command, where: Where, cwd: ImagePath | None) -> bool:
    """Provably does not read or write the files `COPY .` brought."""
    if cmd.name is None or cmd.redirected or cmd.conditional or "pipeline" in cmd.ancestors:
        return False
    if any("$(" in a or "`" in a for a in cmd.assignments):
        return False
    prog = cmd.program
    if prog in _SYSTEM:
        return _system(cmd, where)
    if prog in ("echo", "printf", "cd"):
        return True
    if prog in _PATHS:
        return _paths_outside(cmd, where, cwd)
    if prog == "git":
        return [a.value for a in cmd.args[:2]] in (["config", "--global"], ["config", "--system"])
    venv = _python_module(cmd, where)
    if venv is not None:
        return venv
    p = tools.parse(cmd)
    if p is None:
        return False
    check = _TOOLS.get(p.tool)
    return check is not None and check(p, cmd, where)
