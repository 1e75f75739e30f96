"""Finding Dockerfiles (and the compose files that name their build
contexts): which names count, and directory walks that skip what git
ignores (:mod:`dockfix.gitignore`) and symlinks leading out of the trees
given.  Reading and writing the files found is :mod:`dockfix.files`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from .files import STDIN, display, quote_path
from .gitignore import Ignores, ancestor_ignores, fsbytes, reason, warn

DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")

# ---------------------------------------------------------------------------
# names


_BACKUP_SUFFIXES = ("~", ".swp", ".swo", ".bak", ".orig", ".rej", ".tmp")


def is_dockerfile_name(name: str) -> bool:
    """Whether a file name (no directory part) names a Dockerfile.

    ``Dockerfile``, ``Containerfile``, any name with one dot-separated part
    equal to one of those (``Dockerfile.dev``, ``api.Dockerfile``,
    ``Containerfile.layer``), and ``*.dockerfile``; never ``*.dockerignore``
    (Docker's per-Dockerfile ignore file, e.g. ``Dockerfile.dockerignore``),
    hidden files (editor swap files such as ``.Dockerfile.swp``) or backups
    (``Dockerfile~``, ``Dockerfile.orig``...).  Explicitly named files are
    processed whatever their name.
    """
    if name.endswith(".dockerignore") or name.startswith(".") or name.endswith(_BACKUP_SUFFIXES):
        return False
    if name.endswith(".dockerfile"):
        return True
    return any(part in DOCKERFILE_NAMES for part in name.split("."))


COMPOSE_NAMES = frozenset({"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"})


def is_compose_name(name: str) -> bool:
    return name in COMPOSE_NAMES


# ---------------------------------------------------------------------------
# walks


def _walk(
    directory: str,
    rel: str | bytes,
    ignores: Ignores,
    want=is_dockerfile_name,
    *,
    warnings: list[str] | None = None,
    escapes=None,
) -> Iterator[str]:
    """Files under ``directory`` whose name ``want`` accepts (Dockerfiles by
    default; ``rel`` is its path from the walk's top, "" or ending with
    "/"), depth first in name order.

    As git does, the walk enters no directory that the ignore rules
    exclude, nor ``.git``, nor a symlinked directory.  It takes regular
    files only (a symlink to one too, unless ``escapes(path)`` gives the
    target it leads to out of bounds: skipped, with a warning).  What it
    cannot read it skips, with a warning: a directory it cannot list, and a
    directory whose .gitignore it cannot read (what that file excludes is
    unknown)."""
    todo = [(directory, fsbytes(rel), ignores)]
    while todo:
        directory, rel, ignores = todo.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            here = quote_path(display(directory))
            warn(warnings, f"{here}: cannot read directory ({reason(e)}); skipped")
            continue
        if any(e.name == ".gitignore" for e in entries):
            try:
                ignores = ignores._enter(directory, rel, warnings)
            except OSError as e:
                gitignore = quote_path(display(os.path.join(directory, ".gitignore")))
                here = quote_path(display(directory))
                warn(warnings, f"{gitignore}: cannot read ({reason(e)}); {here} skipped")
                continue
        subdirs = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                # is_file follows symlinks: no FIFO, socket or dangling link
                if not is_dir and (not want(name) or not entry.is_file()):
                    continue
            except OSError as e:
                warn(warnings, f"{quote_path(display(entry.path))}: cannot read ({reason(e)}); skipped")
                continue
            child = rel + os.fsencode(name)
            if is_dir:
                if name != ".git" and not ignores.ignored(child, True):
                    subdirs.append((entry.path, child + b"/"))
            elif not ignores.ignored(child, False):
                target = escapes(entry.path) if escapes is not None and entry.is_symlink() else None
                if target is not None:
                    warn(
                        warnings,
                        f"{quote_path(display(entry.path))}: symbolic link to {quote_path(target)}, outside "
                        "the directories given; skipped (name it to process it)",
                    )
                    continue
                yield entry.path
        todo.extend((path, sub, ignores) for path, sub in reversed(subdirs))


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def discover(paths: Iterable[str], warnings: list[str] | None = None) -> list[str]:
    """The files to process, in order, each once.

    Directories are walked recursively (sorted, ``.git`` skipped); only
    files with a Dockerfile name are taken from them, and not those git
    ignores: the .gitignore files of the walk and, inside a git work tree,
    those above it and ``.git/info/exclude`` are matched as git matches
    them (see :class:`Ignores`).  The user's own ``core.excludesFile`` is
    not read: what a run takes does not depend on who runs it.  A symlink
    found in a walk is taken only when its target is inside one of the
    directories given (or is a file named explicitly): the run must not
    rewrite files outside the trees on its command line.  Any other path --
    an explicitly named file (a symlink leading anywhere too), ``-`` for
    stdin, or a path that does not exist (its processing reports the
    error) -- is returned as given.  A file reached twice (a folder given
    twice, a symlink and its target) is returned once, as first spelt.

    With a ``warnings`` list, one line per thing a walk had to skip is
    appended to it (``path: message`` or ``path:line: message``): a
    directory or ignore file that cannot be read (the directory it governs
    is skipped whole), a line of an ignore file with an invalid pattern, a
    symlink leading out.
    """
    paths = list(paths)
    roots: list[str] = []
    named: set[str] = set()
    for raw in paths:
        if raw != STDIN:
            if os.path.isdir(raw):
                roots.append(os.path.realpath(raw))
            else:
                named.add(os.path.realpath(raw))

    def escapes(path: str) -> str | None:
        target = os.path.realpath(path)
        if target in named or any(_within(target, root) for root in roots):
            return None
        return target

    out: list[str] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        key = p if p == STDIN else os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in paths:
        if raw != STDIN and os.path.isdir(raw):
            top = display(raw)
            ignores = ancestor_ignores(top, warnings, strict=True)
            if ignores is not None:
                for found in _walk(top, "", ignores, warnings=warnings, escapes=escapes):
                    add(display(found))
        else:
            add(display(raw))
    return out


def discover_compose(paths: Iterable[str], warnings: list[str] | None = None) -> list[str]:
    """Compose files (``compose.yaml``, ``docker-compose.yml``...) in the
    directory walks of ``paths``, each once: they tell each service's build
    context.  Walks as :func:`discover` (and warns likewise)."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in paths:
        if raw != STDIN and os.path.isdir(raw):
            top = display(raw)
            ignores = ancestor_ignores(top, warnings, strict=True)
            if ignores is None:
                continue
            for found in _walk(top, "", ignores, is_compose_name, warnings=warnings):
                key = os.path.realpath(found)
                if key not in seen:
                    seen.add(key)
                    out.append(display(found))
    return out
