"""Helpers of the lockfile-first rule (DF220).

Paths in the image (:class:`ImagePath`: absolute, or relative to the base
image's unknown WORKDIR, as the model's ``Workdir.under_image``); the project
folder ``COPY .`` brought (:class:`Project`, read from the build context);
what an install reads (:class:`Install`) and the helpers that fill it.  The
installs per tool are read by :mod:`._lockfile_recipe` and the
``_lockfile_<ecosystem>`` modules, the commands that are independent of the
copied files by :mod:`._lockfile_independent`.  Everything here is
conservative: when something cannot be known the answer is "may need the
sources" or a reason not to fix.
"""

from __future__ import annotations

import json
import os
import posixpath
import re

from msgspec import Struct, field

from ... import files
from ...model import SemanticModel, Workdir
from ...shell import Command, Script
from ...tree import Instruction

# -- paths ------------------------------------------------------------------


class ImagePath(Struct, frozen=True):
    """A normalised path in the image.  ``under_image`` False: ``path`` is
    absolute.  True: ``path`` is relative to the base image's WORKDIR, which
    is not known (``"."`` for that folder, ``"app/src"``) — the model's
    ``Workdir.under_image``.  Two paths can be compared only when both are
    absolute or both rest on the image's WORKDIR (the same for the whole
    stage chain)."""

    path: str
    under_image: bool = False

    @classmethod
    def of(cls, wd: Workdir) -> ImagePath | None:
        """The model's working directory; None when it cannot be known."""
        if isinstance(wd.path, str):
            return cls(wd.path)
        if wd.under_image is not None:
            return cls(wd.under_image, True)
        return None

    @classmethod
    def absolute(cls, value: str) -> ImagePath:
        """An absolute path as written (``/app/``, ``/opt//x``)."""
        return cls(posixpath.normpath(value) if value != "/" else "/")

    def join(self, value: str) -> ImagePath | None:
        """``value`` (a literal path) resolved against this folder the way
        Docker resolves WORKDIR and relative COPY destinations; None when it
        leaves the unknown WORKDIR by ``..``."""
        if value.startswith("/"):
            return ImagePath.absolute(value)
        joined = posixpath.normpath(posixpath.join(self.path, value))
        if self.under_image and (joined == ".." or joined.startswith("../")):
            return None
        return ImagePath(joined, self.under_image)

    @property
    def _rooted(self) -> str:
        """The path written from a root, for prefix comparisons."""
        if not self.under_image:
            return self.path
        return "/" if self.path == "." else "/" + self.path

    def relation(self, dest: ImagePath) -> str | None:
        """This path relative to ``dest`` ('' when equal), ``'..'`` when it
        is outside, None when that cannot be known."""
        if self.under_image != dest.under_image:
            return None
        path, base = self._rooted, dest._rooted
        if path == base:
            return ""
        prefix = base.rstrip("/") + "/"
        return path[len(prefix) :] if path.startswith(prefix) else ".."

    def overlaps(self, dest: ImagePath) -> bool:
        """Is this path the destination, inside it, or one of its parents?
        (True when that cannot be known.)"""
        if self.under_image or dest.under_image:
            return True
        a, b = self.path.rstrip("/") + "/", dest.path.rstrip("/") + "/"
        return a.startswith(b) or b.startswith(a)


def join_path(base: ImagePath | None, value: str) -> ImagePath | None:
    """``value`` resolved against ``base`` (None: a folder that is not
    known, so only an absolute ``value`` resolves)."""
    if value.startswith("/"):
        return ImagePath.absolute(value)
    return base.join(value) if base is not None else None


def relation(path: ImagePath | None, dest: ImagePath | None) -> str | None:
    """:meth:`ImagePath.relation`, None when either is not known."""
    if path is None or dest is None:
        return None
    return path.relation(dest)


def workdir_at(model: SemanticModel, ins: Instruction) -> ImagePath | None:
    """Where ``ins`` works (``model.at(ins).workdir``), None when it cannot
    be known (a variable)."""
    return ImagePath.of(model.at(ins).workdir)


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
        if text is None:
            return None
        try:
            return files.toml().loads(text)
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


class Install(Struct):
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


def missing(project: Project, name: str) -> str:
    st = project.status(name)
    rel = project.path(name)
    if st == "excluded":
        return f"{rel} is excluded by .dockerignore"
    if st == "dir":
        return f"{rel} is a folder in the build context"
    return f"{rel} is not in the build context"


def sub_table(data: dict, key: str) -> dict:
    """``data[key]`` when it is a JSON object / TOML table, else empty."""
    got = data.get(key)
    return got if isinstance(got, dict) else {}


def need(inst: Install, project: Project, name: str) -> bool:
    """Add a required manifest; a reason when it is not in the context."""
    if project.status(name) != "ok":
        inst.fail(missing(project, name))
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


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^git@")


def looks_local(value: str) -> bool:
    """A path (not a package name or URL)."""
    if _URL.match(value) or value.startswith(("git+", "hg+", "svn+", "bzr+")):
        return False
    return value.startswith((".", "/", "~", "file:")) or "/" in value or "\\" in value


def short(cmd: Command, script: Script, limit: int = 60) -> str:
    text = " ".join(script.text[cmd.start : cmd.end].split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Env(Struct):
    """What an analyser needs besides the command."""

    script: Script
    cwd: ImagePath | None  # the command's working directory
    dest: ImagePath | None  # where COPY . put the context (None: not known)
    bc: object | None  # the build context (None: unknown)
    probe: bool = False  # only tell what kind of install it is


def project_for(env: Env, inst: Install) -> Project | None:
    """The context folder of the project the command works in, or None
    (with a reason set) when there is none."""
    if env.probe:
        return None
    rel = relation(env.cwd, env.dest)
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


def deps_project(inst: Install, env: Env) -> Project | None:
    """Mark ``inst`` as a dependencies-only install and find its project
    folder; None (the caller returns ``inst``) when probing or when the
    folder cannot be known (the reason is set)."""
    inst.deps_only = True
    return project_for(env, inst)


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
