"""Helpers of the lockfile-first rule (DF220).

What a dependency install reads, per ecosystem (which manifest and lock
files, whether it also needs the project's sources), read from the build
context; where a RUN works (WORKDIR and ``cd``, variables from ENV/ARG);
and whether a command is provably independent of the files ``COPY .``
brings.  Everything here is conservative: when something cannot be known
the answer is "may need the sources" or a reason not to fix.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import sys
from collections.abc import Set
from dataclasses import dataclass, field

from ...model import SemanticModel
from ...shell import Arg, Command, Script
from ...tree import Instruction

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - Python 3.10
    try:
        import tomli as _toml  # type: ignore[import-not-found]
    except ImportError:
        _toml = None


# -- paths ------------------------------------------------------------------
# Working directories are absolute POSIX paths.  The base image's WORKDIR is
# not known: it is written as the root ``/\0`` (fixed for the whole file, so
# two paths built on it can still be compared with each other, never with a
# known absolute path).

UNKNOWN_ROOT = "/\x00"


def is_unknown_based(path: str) -> bool:
    return path == UNKNOWN_ROOT or path.startswith(UNKNOWN_ROOT + "/")


def join_path(base: str | None, value: str) -> str | None:
    """``value`` (a literal path) resolved against ``base`` the way Docker
    resolves WORKDIR and relative COPY destinations."""
    if value.startswith("/"):
        return posixpath.normpath(value) if value != "/" else "/"
    if base is None:
        return None
    joined = posixpath.normpath(posixpath.join(base, value))
    if is_unknown_based(base) and not is_unknown_based(joined):
        return None  # `..` out of the unknown directory
    return joined


def relation(path: str | None, dest: str | None) -> str | None:
    """``path`` relative to ``dest`` ('' when equal), ``'..'`` when it is
    outside, None when that cannot be known."""
    if path is None or dest is None or is_unknown_based(path) != is_unknown_based(dest):
        return None
    if path == dest:
        return ""
    prefix = dest.rstrip("/") + "/"
    if path.startswith(prefix):
        return path[len(prefix) :]
    return ".."


def overlaps(path: str, dest: str) -> bool:
    """Is ``path`` the destination, inside it, or one of its parents?"""
    if is_unknown_based(dest) or is_unknown_based(path):
        return True
    a, b = path.rstrip("/") + "/", dest.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


@dataclass(frozen=True)
class StageState:
    """Where an instruction works: its WORKDIR from the semantic model,
    absolute, based on :data:`UNKNOWN_ROOT` when only the image's WORKDIR
    is not known, None when it cannot be known (a variable)."""

    workdir: str | None


def state_at(model: SemanticModel, ins: Instruction) -> StageState:
    """The :class:`StageState` before ``ins`` (``model.at(ins).workdir``)."""
    wd = model.at(ins).workdir
    if isinstance(wd.path, str):
        return StageState(wd.path)
    if wd.under_image is not None:
        return StageState(join_path(UNKNOWN_ROOT, wd.under_image))
    return StageState(None)


# -- the build context --------------------------------------------------------


class Project:
    """A project folder inside the build context (``sub`` is its path
    relative to the context root, '' for the root)."""

    def __init__(self, bc, sub: str):
        self.bc = bc
        self.sub = sub

    def path(self, name: str) -> str:
        return posixpath.normpath(posixpath.join(self.sub, name)) if self.sub else posixpath.normpath(name)

    def status(self, name: str) -> str:
        """'ok', 'missing', 'excluded' (by .dockerignore) or 'dir'."""
        rel = self.path(name)
        if self.bc.excluded(rel):
            return "excluded"
        if not self.bc.exists(rel):
            return "missing"
        return "ok" if self.bc.is_file(rel) else "dir"

    def has(self, name: str) -> bool:
        return self.bc.exists(self.path(name))

    def has_file(self, name: str) -> bool:
        return self.bc.is_file(self.path(name))

    def has_dir(self, name: str) -> bool:
        return self.status(name) == "dir"

    def read(self, name: str) -> str | None:
        rel = self.path(name)
        if not self.bc.is_file(rel):
            return None
        reader = getattr(self.bc, "read_text", None)
        if reader is not None:
            return reader(rel)
        try:
            return (self.bc.root / rel).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    def toml(self, name: str) -> dict | None:
        text = self.read(name)
        if text is None or _toml is None:
            return None
        try:
            return _toml.loads(text)
        except Exception:
            return None

    def json(self, name: str):
        text = self.read(name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None


def top_level_entries(bc) -> list[str]:
    """The names ``COPY .`` brings at the top of the destination."""
    try:
        names = os.listdir(bc.root)
    except OSError:
        return []
    return sorted(n for n in names if bc.exists(n))


# -- installs ---------------------------------------------------------------


@dataclass
class Install:
    """A command that installs dependencies from manifests in the project
    folder (``Project``) that ``COPY .`` brought."""

    family: str  # python, node, go, rust, java, ruby, php
    label: str  # the command, short, for messages
    tool: str = ""  # pip, poetry, npm, ...
    files: list[str] = field(default_factory=list)  # context paths, copied first
    dirs: list[str] = field(default_factory=list)  # context folders, copied first
    reason: str | None = None  # why it cannot be moved (report-only)
    deps_only: bool = False  # installs third-party dependencies only
    project: bool = False  # installs or builds the project itself too
    split_flag: str | None = None  # the flag making it dependencies-only
    split_at: int | None = None  # script offset to insert that flag after
    second: str | None = None  # the command to run after the full COPY
    aux: bool = False  # a setting for the install (``bundle config``), not an install

    def fail(self, reason: str) -> Install:
        if self.reason is None:
            self.reason = reason
        return self

    def needs_sources(self, reason: str) -> Install:
        """It installs or builds the project itself."""
        self.project = True
        return self.fail(reason)


# Reasons that are not reasons: the command works outside what COPY .
# brought (it is independent of it), or where it works is not known.
OUTSIDE = "\x00outside"
UNKNOWN = "\x00unknown"


def _missing(project: Project, name: str) -> str:
    st = project.status(name)
    rel = project.path(name)
    if st == "excluded":
        return f"{rel} is excluded by .dockerignore"
    if st == "dir":
        return f"{rel} is a folder in the build context"
    return f"{rel} is not in the build context"


def _table(data: dict, key: str) -> dict:
    """``data[key]`` when it is a JSON object / TOML table, else empty."""
    got = data.get(key)
    return got if isinstance(got, dict) else {}


def need(inst: Install, project: Project, name: str) -> bool:
    """Add a required manifest; a reason when it is not in the context."""
    if project.status(name) != "ok":
        inst.fail(_missing(project, name))
        return False
    inst.files.append(project.path(name))
    return True


def optional(inst: Install, project: Project, *names: str) -> None:
    for name in names:
        if project.status(name) == "ok":
            inst.files.append(project.path(name))


def optional_dir(inst: Install, project: Project, name: str) -> None:
    if project.has_dir(name):
        inst.dirs.append(project.path(name))


def forbid(inst: Install, project: Project, *names: str, why: str) -> None:
    """Files the install writes in the project folder: if the context has
    them, the later ``COPY .`` would copy them over what was installed."""
    for name in names:
        if project.has(name):
            inst.fail(f"the build context has {project.path(name)}, which `COPY .` would copy over {why}")
            return


# -- option parsing -----------------------------------------------------------


@dataclass
class Parsed:
    options: list[tuple[str, str | None, Arg]]  # (name, value, arg of the value or the option)
    operands: list[Arg]
    unknown: bool  # an argument is an expansion


def parse_args(args: list[Arg], value_opts: Set[str], stop_at_operand: bool = False) -> Parsed:
    """Split options (``--x=v``, ``--x v``, ``-xv`` for short options taking
    a value) from operands."""
    options: list[tuple[str, str | None, Arg]] = []
    operands: list[Arg] = []
    unknown = False
    i = 0
    while i < len(args):
        a = args[i]
        v = a.value
        if v is None:
            unknown = True
            operands.append(a)
            i += 1
            continue
        if v == "--":
            operands.extend(args[i + 1 :])
            unknown = unknown or any(x.value is None for x in args[i + 1 :])
            break
        if v.startswith("--") and len(v) > 2:
            name, eq, val = v.partition("=")
            if eq:
                options.append((name, val, a))
            elif name in value_opts and i + 1 < len(args):
                nxt = args[i + 1]
                unknown = unknown or nxt.value is None
                options.append((name, nxt.value, nxt))
                i += 1
            else:
                options.append((name, None, a))
        elif v.startswith("-") and len(v) > 1:
            name = v[:2]
            if name in value_opts:
                if len(v) > 2:
                    options.append((name, v[2:].lstrip("=") if v[2:3] == "=" else v[2:], a))
                elif i + 1 < len(args):
                    nxt = args[i + 1]
                    unknown = unknown or nxt.value is None
                    options.append((name, nxt.value, nxt))
                    i += 1
                else:
                    options.append((name, None, a))
            else:
                # grouped short flags: -yq
                for ch in v[1:]:
                    options.append(("-" + ch, None, a))
        else:
            operands.append(a)
            if stop_at_operand:
                rest = args[i + 1 :]
                unknown = unknown or any(x.value is None for x in rest)
                return Parsed(options, operands + rest, unknown)
        i += 1
    return Parsed(options, operands, unknown)


def has(parsed: Parsed, *names: str) -> bool:
    return any(n in names for n, _, _ in parsed.options)


def values(parsed: Parsed, *names: str) -> list[str | None]:
    return [v for n, v, _ in parsed.options if n in names]


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^git@")


def looks_local(value: str) -> bool:
    """A path (not a package name or URL)."""
    if _URL.match(value) or value.startswith(("git+", "hg+", "svn+", "bzr+")):
        return False
    return value.startswith((".", "/", "~", "file:")) or "/" in value or "\\" in value


def short(cmd: Command, script: Script, limit: int = 60) -> str:
    text = " ".join(script.text[cmd.start : cmd.end].split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Env:
    """What an analyser needs besides the command."""

    script: Script
    cwd: str | None  # the command's working directory
    dest: str  # where COPY . put the context
    bc: object | None  # the build context (None: unknown)
    probe: bool = False  # only tell what kind of install it is


def project_for(env: Env, inst: Install, cwd: str | None = None) -> Project | None:
    """The context folder of the project the command works in, or None
    (with a reason set) when there is none."""
    if env.probe:
        return None
    rel = relation(cwd if cwd is not None else env.cwd, env.dest)
    if rel is None:
        inst.reason = UNKNOWN
        return None
    if rel == "..":
        inst.reason = OUTSIDE
        return None
    if env.bc is None:
        inst.fail("the build context is not known, so which manifest files exist cannot be checked")
        return None
    return Project(env.bc, rel)


def deps_project(inst: Install, env: Env, manifest: str | None = None) -> Project | None:
    """Mark ``inst`` as a dependencies-only install and find its project
    folder; None (the caller returns ``inst``) when probing, when the folder
    cannot be known (the reason is set), or when ``manifest`` is missing."""
    inst.deps_only = True
    project = project_for(env, inst)
    if project is None or (manifest is not None and not need(inst, project, manifest)):
        return None
    return project


def context_path(env: Env, path: str) -> tuple[str | None, str | None]:
    """(context path, reason) of a file the command names, relative to its
    working directory."""
    if _URL.match(path):
        return None, None
    absolute = join_path(env.cwd, path)
    rel = relation(absolute, env.dest)
    if rel is None:
        return None, f"where {path} is read from is not known"
    if rel == ".." or rel.startswith("../"):
        return None, None  # outside what COPY . brought
    return rel or ".", None
