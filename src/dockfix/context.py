"""The build context: which files a Dockerfile's COPY can see.

``BuildContext(root, dockerfile)`` answers "does this path exist in the
context and survive .dockerignore?" without ever following a path out of
the context (``..``, absolute paths, symlinks pointing outside) and without
executing anything.  ``.dockerignore`` follows Docker's own semantics
(moby/patternmatcher): patterns are relative to the context root — a
pattern without ``/`` matches only at the top, ``**`` crosses directories —,
a pattern that matches a directory excludes everything below it, ``!``
re-includes, and the last matching pattern wins.  A ``<Dockerfile>.dockerignore``
next to the Dockerfile takes precedence over the context's ``.dockerignore``.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
import sys
from functools import cached_property
from pathlib import Path

from msgspec import Struct


class IgnorePattern(Struct, frozen=True):
    pattern: str
    exclude: bool  # False for `!pattern`
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        """The path or one of its parent directories matches."""
        if self.regex.match(path):
            return True
        parts = path.split("/")
        return any(self.regex.match("/".join(parts[:i])) for i in range(1, len(parts)))


def _compile(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 < n:
                out.append(re.escape(pattern[i + 1]))
                i += 1
            else:
                out.append(r"\\")
        elif ch in "[]":
            out.append(ch)
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return re.compile(re.escape(pattern) + "$")


def parse_dockerignore(text: str) -> list[IgnorePattern]:
    """Docker's ReadAll: comments, trimming, ``!`` exceptions, Clean()."""
    patterns = []
    for lineno, line in enumerate(text.split("\n")):
        if lineno == 0:
            line = line.lstrip("\ufeff")
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        exclude = not line.startswith("!")
        if not exclude:
            line = line[1:].strip()
        if not line:
            continue
        line = posixpath.normpath(line.replace("\\", "/") if os.sep == "\\" else line)
        if len(line) > 1 and line.startswith("/"):
            line = line.lstrip("/") or "/"
        patterns.append(IgnorePattern(line, exclude, _compile(line)))
    return patterns


def is_excluded(patterns: list[IgnorePattern], path: str) -> bool:
    excluded = False
    for p in patterns:
        if p.matches(path):
            excluded = p.exclude
    return excluded


#: at most this many directory entries are looked at by one walk of a
#: context (a compose ``context: /`` must not walk the whole filesystem)
SCAN_MAX_ENTRIES = 20_000
#: other Dockerfiles of a context larger than this are not read
NEIGHBOUR_MAX_BYTES = 1_000_000
#: dockfix's own content cache folder (:mod:`dockfix.cache`): never part of
#: what the rules see of a build context, so that whether it exists (a run
#: with or without the cache, the first run or the next) changes no result
CACHE_DIR_NAME = ".dockfix_cache"
#: folders never searched for other Dockerfiles
_SCAN_PRUNE = frozenset({".git", "node_modules", ".venv", "venv", "target", CACHE_DIR_NAME})


class Matches(list):
    """Paths found by a bounded walk; ``truncated``: the walk stopped at its
    bound, so some may be missing."""

    truncated = False


class ContextDockerfile(Struct, frozen=True):
    """A Dockerfile-named regular file of a context (another Dockerfile that
    may be built with it)."""

    rel: str  # path from the context root, with /
    path: str  # the file to read (a symlink's target, inside the context)
    key: tuple[int, int, int, int]  # (device, inode, size, mtime in ns) when found


class DockerfileScan(Struct, frozen=True):
    """The Dockerfiles of a context.  ``too_large``: Dockerfile-named files
    over :data:`NEIGHBOUR_MAX_BYTES` (not read); ``truncated``: the walk
    stopped after :data:`SCAN_MAX_ENTRIES` entries, so some may be missing."""

    files: tuple[ContextDockerfile, ...]
    too_large: tuple[str, ...]
    truncated: bool


def file_key(st: os.stat_result) -> tuple[int, int, int, int]:
    """What tells a file's content changed without reading it."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _stat_key(path: str) -> tuple[int, int, int, int] | None:
    try:
        return file_key(os.stat(path))
    except OSError:
        return None


# Per-run caches (``reset_run_caches`` empties them): the scan of each
# context, keyed by its real path and the state of its root ignore files.
_SCANS: dict[tuple, DockerfileScan] = {}
_RESET_HOOKS: list = []


def reset_run_caches() -> None:
    """Forget everything learnt about build contexts on disk: called at the
    start of each run (and by library users after changing files), so a run
    never sees another run's files.  Within a run each context is scanned
    once; what a scanned file holds is re-checked (by its stat) on use."""
    _SCANS.clear()
    for hook in _RESET_HOOKS:
        hook()


def on_reset(hook) -> None:
    """Have ``hook()`` called by :func:`reset_run_caches` (for the caches
    of rules)."""
    _RESET_HOOKS.append(hook)


def scan_dockerfiles(root: str | os.PathLike[str]) -> DockerfileScan:
    """The Dockerfile-named regular files of the context ``root``, found
    once per context and run (see :func:`reset_run_caches`)."""
    real = os.path.realpath(root)
    key = (
        real,
        _stat_key(os.path.join(real, ".dockerignore")),
        _stat_key(os.path.join(real, ".gitignore")),
    )
    found = _SCANS.get(key)
    if found is None:
        found = _SCANS[key] = _scan(real)
    return found


def _scan(root: str, limit: int | None = None) -> DockerfileScan:
    """Walk ``root`` for Dockerfile-named files.

    Only regular files are taken (never a FIFO, socket or device; a symlink
    only when its target is a regular file inside the context); symlinked
    directories are not entered.  Folders that ``.gitignore`` files or the
    context's ``.dockerignore`` exclude are not entered either (a folder
    the build never sees holds no Dockerfile built with this context), nor
    ``.git``, ``node_modules``, virtualenvs or ``target``; a Dockerfile-named
    file ``.gitignore`` excludes is no neighbour.  A Dockerfile that the
    ``.dockerignore`` excludes by name still is one: Docker reads the
    Dockerfile of a build whatever the ``.dockerignore`` says (and ``docker
    init`` writes ``**/Dockerfile*`` there).  The walk stops after ``limit``
    directory entries (``truncated`` then)."""
    from .files import is_dockerfile_name
    from .gitignore import gitignores

    if limit is None:
        limit = SCAN_MAX_ENTRIES
    files: list[ContextDockerfile] = []
    too_large: list[str] = []
    if not os.path.isdir(root):
        return DockerfileScan((), (), False)
    dockerignore = _read_small(os.path.join(root, ".dockerignore"))
    patterns = parse_dockerignore(dockerignore) if dockerignore else []
    # with `!` exceptions a file below an excluded folder may be back in
    prune_excluded = bool(patterns) and all(p.exclude for p in patterns)
    seen = 0
    todo = [(root, "", gitignores(root))]
    while todo:
        directory, rel, ignores = todo.pop()
        ignores = ignores.enter(directory, rel)
        entries, more = _list_dir(directory, limit - seen)
        seen += len(entries)
        if more:
            return DockerfileScan(tuple(files), tuple(too_large), True)
        entries.sort(key=lambda e: e.name)
        subdirs = []
        for entry in entries:
            name = entry.name
            child = rel + name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if name in _SCAN_PRUNE or ignores.ignored(child, True):
                        continue
                    if prune_excluded and is_excluded(patterns, child):
                        continue
                    subdirs.append((entry.path, child + "/"))
                    continue
                if not is_dockerfile_name(name):
                    continue
                path = entry.path
                if entry.is_symlink():
                    path = os.path.realpath(path)
                    if not (path.startswith(root.rstrip(os.sep) + os.sep)):
                        continue  # leads out of the context
                    st = os.stat(path)
                else:
                    st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or ignores.ignored(child, False):
                continue
            if st.st_size > NEIGHBOUR_MAX_BYTES:
                too_large.append(child)
                continue
            files.append(ContextDockerfile(child, path, file_key(st)))
        # depth first, in name order
        todo.extend((path, sub, ignores) for path, sub in reversed(subdirs))
    return DockerfileScan(tuple(files), tuple(too_large), False)


def _list_dir(directory: str | os.PathLike[str], room: int) -> tuple[list[os.DirEntry], bool]:
    """At most ``room`` entries of a directory (none when it cannot be
    read), and whether it has more: never more than ``room + 1`` are read."""
    out: list[os.DirEntry] = []
    try:
        with os.scandir(directory) as it:
            for entry in it:
                if len(out) >= room:
                    return out, True
                out.append(entry)
    except OSError:
        pass
    return out, False


def _read_small(path: str) -> str | None:
    """A small regular file's text (an ignore file), or None."""
    from .files import read_bytes

    try:
        return read_bytes(path, NEIGHBOUR_MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


class BuildContext:
    """The files of one build context, read-only and never outside ``root``."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        dockerfile: str | os.PathLike[str] | None = None,
        overlay: dict[str, str] | None = None,
    ):
        self.root = Path(root).resolve()
        self.dockerfile = Path(dockerfile).resolve() if dockerfile is not None else None
        #: contents proposed by fixes (relative path -> text), read before the disk
        self.overlay = dict(overlay or {})

    def read_text(self, path: str) -> str | None:
        """A context file's text (a proposed one first), or None."""
        rel = self.relative(path)
        if rel is None:
            return None
        if rel in self.overlay:
            return self.overlay[rel]
        p = self.root / rel
        if not p.is_file() or not self._inside(p):
            return None
        try:
            return p.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    def read_toml(self, path: str) -> dict | None:
        """A context TOML file (``Cargo.toml``, ``pyproject.toml``) as a
        table, or None when it is missing or does not parse."""
        text = self.read_text(path)
        if text is None:
            return None
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - Python 3.10
            try:
                import tomli as tomllib  # type: ignore[import-not-found]
            except ImportError:
                return None
        try:
            return tomllib.loads(text)
        except (tomllib.TOMLDecodeError, UnicodeError):
            return None

    @cached_property
    def ignore_file(self) -> str | None:
        """The ignore file in effect, relative to the root (or None)."""
        candidates = []
        if self.dockerfile is not None:
            own = self.dockerfile.with_name(self.dockerfile.name + ".dockerignore")
            try:
                candidates.append(own.relative_to(self.root).as_posix())
            except ValueError:
                pass
        candidates.append(".dockerignore")
        for rel in candidates:
            if self.read_text(rel) is not None:
                return rel
        return None

    @cached_property
    def patterns(self) -> list[IgnorePattern]:
        rel = self.ignore_file
        text = self.read_text(rel) if rel is not None else None
        return parse_dockerignore(text) if text is not None else []

    def relative(self, path: str) -> str | None:
        """``path`` (as written in COPY, relative to the root) cleaned, or
        None when it leaves the context."""
        clean = posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")
        return clean if clean != "." else ""

    def _inside(self, p: Path) -> bool:
        try:
            real = p.resolve()
        except (OSError, RuntimeError):
            return False
        return real == self.root or self.root in real.parents

    def excluded(self, path: str) -> bool:
        """Left out of the context: by ``.dockerignore``, or inside
        dockfix's own cache folder (:data:`CACHE_DIR_NAME`)."""
        rel = self.relative(path)
        if rel is None or rel == "":
            return False
        return CACHE_DIR_NAME in rel.split("/") or is_excluded(self.patterns, rel)

    def exists(self, path: str) -> bool:
        """The path is in the context, not excluded, and does not lead
        outside the context through a symlink."""
        rel = self.relative(path)
        if rel is None or (rel and self.excluded(rel)):
            return False
        p = self.root / rel
        return p.exists() and self._inside(p)

    def is_file(self, path: str) -> bool:
        rel = self.relative(path)
        return rel is not None and self.exists(rel) and (self.root / rel).is_file()

    def glob(self, pattern: str, limit: int | None = None) -> Matches:
        """Context paths matching a COPY source pattern (Go filepath.Match
        syntax per path segment), excluded ones left out.  Only the
        directories the pattern can reach are listed, symlinked directories
        are not entered, and at most ``limit`` directory entries are looked
        at (default :data:`SCAN_MAX_ENTRIES`): beyond, the answer has
        ``truncated`` set and may miss matches."""
        if limit is None:
            limit = SCAN_MAX_ENTRIES
        rel = self.relative(pattern)
        if rel is None:
            return Matches()
        if not any(c in rel for c in "*?["):
            return Matches([rel] if self.exists(rel) else [])
        regex = _compile(rel)
        segments = rel.split("/")
        # a directory is entered only when its name matches its segment of
        # the pattern (any name below a ``**``), never through a symlink
        seg_regex = [None if "**" in s else _compile(s) for s in segments]
        out = Matches()
        seen = 0
        todo = [("", 0)]
        while todo:
            reldir, level = todo.pop()
            entries, more = _list_dir(self.root / reldir if reldir else self.root, limit - seen)
            seen += len(entries)
            if more:
                out.truncated = True
                break
            for entry in entries:
                candidate = f"{reldir}/{entry.name}" if reldir else entry.name
                if regex.match(candidate) and self.exists(candidate):
                    out.append(candidate)
                if level + 1 >= len(segments):
                    continue
                sr = seg_regex[level]
                if sr is not None and not sr.match(entry.name):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        todo.append((candidate, level + 1))
                except OSError:
                    continue
        out.sort()
        return out


def compose_contexts(compose_files: list[str]) -> dict[str, str]:
    """Map each Dockerfile a compose file builds (absolute path) to its build
    context (absolute path).  ``build: ./dir`` means context ``dir`` and its
    ``Dockerfile``; ``build: {context, dockerfile}`` names both (the
    Dockerfile relative to the context).  Remote contexts (URLs) and inline
    Dockerfiles are skipped; an unreadable compose file is ignored."""
    import yaml  # only paid for when a walk finds a compose file

    out: dict[str, str] = {}
    for compose in compose_files:
        base = os.path.dirname(os.path.abspath(compose))
        try:
            with open(compose, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        for service in services.values():
            build = service.get("build") if isinstance(service, dict) else None
            if isinstance(build, str):
                context, dockerfile = build, "Dockerfile"
            elif isinstance(build, dict):
                context = build.get("context", ".")
                dockerfile = build.get("dockerfile", "Dockerfile")
            else:
                continue
            if not isinstance(context, str) or not isinstance(dockerfile, str) or "://" in context:
                continue
            if context.startswith("git@") or "dockerfile_inline" in (
                build if isinstance(build, dict) else {}
            ):
                continue
            ctx_dir = os.path.normpath(os.path.join(base, context))
            df = os.path.normpath(os.path.join(ctx_dir, dockerfile))
            out.setdefault(df, ctx_dir)
    return out
