"""Files: finding Dockerfiles, reading them exactly, writing them safely,
and diffing texts without touching their line endings.

dockfix edits decoded text with exact offsets, so a file is read as bytes
and decoded as UTF-8 here (a BOM stays in the text as ``"\\ufeff"``); no
newline translation happens anywhere.  Writing encodes the text back the
same way, so line endings, the BOM and the final-newline state survive.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from dataclasses import dataclass
from typing import Iterable, Iterator

DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")
STDIN = "-"

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


# ---------------------------------------------------------------------------
# discovery


class _Ignores:
    """The .gitignore files that apply to one directory, outermost first.

    Paths are checked relative to the walk's top directory (``rel``, with
    ``/``).  Each layer is ``(strip, prefix, spec)``: the path a layer's
    patterns see is ``prefix + rel[strip:]`` (for a .gitignore inside the
    walk, ``strip`` drops its directory; for one above the top, ``prefix``
    adds the way down to the top).  The deepest .gitignore with a matching
    pattern decides, so a nested ``!pattern`` re-includes, as with git.
    """

    __slots__ = ("layers",)

    def __init__(self, layers: tuple = ()):
        self.layers = layers

    def add(self, gitignore: str, strip: int, prefix: str) -> "_Ignores":
        spec = _load_gitignore(gitignore)
        if spec is None:
            return self
        return _Ignores(self.layers + ((strip, prefix, spec),))

    def ignored(self, rel: str, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        for strip, prefix, spec in reversed(self.layers):
            res = spec.check_file(prefix + rel[strip:] + suffix)
            if res.include is not None:
                return bool(res.include)
        return False


def _load_gitignore(path: str):
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(data.decode("utf-8", "replace").splitlines())


def _repo_root(directory: str) -> str | None:
    """The enclosing git work tree of ``directory`` (the one with ``.git``)."""
    d = directory
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _ancestor_ignores(top: str) -> _Ignores:
    """.gitignore files of the directories above ``top``, up to the root of
    the git repository it is in (none outside a repository)."""
    ignores = _Ignores()
    absdir = os.path.abspath(top)
    root = _repo_root(absdir)
    if root is None or root == absdir:
        return ignores
    chain = []
    d = absdir
    while d != root:
        d = os.path.dirname(d)
        chain.append(d)
    for d in reversed(chain):
        prefix = os.path.relpath(absdir, d).replace(os.sep, "/") + "/"
        ignores = ignores.add(os.path.join(d, ".gitignore"), 0, prefix)
    if ignores.ignored("", True):
        # The directory itself is ignored, yet named explicitly: walk it
        # (as an explicitly named file is processed), with its own rules.
        return _Ignores()
    return ignores


def _display(path: str) -> str:
    """Normalise a path for messages: ``./a//b`` -> ``a/b``."""
    return path if path == STDIN else os.path.normpath(path)


COMPOSE_NAMES = frozenset({"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"})


def is_compose_name(name: str) -> bool:
    return name in COMPOSE_NAMES


def _walk(directory: str, rel: str, ignores: _Ignores, want=is_dockerfile_name) -> Iterator[str]:
    """Files under ``directory`` whose name ``want`` accepts (Dockerfiles by
    default; ``rel`` is its path from ``top``, "" or ending with "/")."""
    ignores = ignores.add(os.path.join(directory, ".gitignore"), len(rel), "")
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError:
        return
    subdirs = []
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            if entry.name != ".git" and not ignores.ignored(rel + entry.name, True):
                subdirs.append(entry)
        elif want(entry.name):
            try:
                if not entry.is_file():  # follows symlinks; skips sockets, dangling links
                    continue
            except OSError:
                continue
            if not ignores.ignored(rel + entry.name, False):
                yield entry.path
    for sub in subdirs:
        yield from _walk(sub.path, rel + sub.name + "/", ignores, want)


def discover(paths: Iterable[str]) -> list[str]:
    """The files to process, in order, each once.

    Directories are walked recursively (sorted, ``.git`` skipped,
    ``.gitignore`` files respected, nested ones in their own subtree); only
    files with a Dockerfile name are taken from them.  Any other path --
    an explicitly named file, ``-`` for stdin, or a path that does not
    exist (its processing reports the error) -- is returned as given.
    """
    out: list[str] = []
    seen: set[str] = set()

    def add(p: str) -> None:
        key = p if p == STDIN else os.path.abspath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in paths:
        if raw != STDIN and os.path.isdir(raw):
            top = _display(raw)
            for found in _walk(top, "", _ancestor_ignores(top)):
                add(_display(found))
        else:
            add(_display(raw))
    return out


def discover_compose(paths: Iterable[str]) -> list[str]:
    """Compose files (``compose.yaml``, ``docker-compose.yml``...) in the
    directory walks of ``paths``: they tell each service's build context."""
    out: list[str] = []
    for raw in paths:
        if raw != STDIN and os.path.isdir(raw):
            top = _display(raw)
            out.extend(_display(f) for f in _walk(top, "", _ancestor_ignores(top), is_compose_name))
    return out


# ---------------------------------------------------------------------------
# reading


@dataclass
class DecodeError(Exception):
    """The bytes are not UTF-8; ``line``/``col`` (1-based, col in
    characters) locate the first bad byte."""

    message: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.message}"


def decode(data: bytes) -> str:
    """Decode UTF-8 exactly: no newline translation, a BOM kept as
    ``"\\ufeff"``.  Raises DecodeError with the position of the first bad
    byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad = e.start
        line_start = data.rfind(b"\n", 0, bad) + 1
        line = data.count(b"\n", 0, bad) + 1
        col = len(data[line_start:bad].decode("utf-8", "replace")) + 1
        raise DecodeError(
            f"not valid UTF-8: cannot decode byte 0x{data[bad]:02x} ({e.reason})", line, col
        ) from None


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def read_text(path: str) -> str:
    """Read a file exactly; raises OSError or DecodeError."""
    return decode(read_bytes(path))


# ---------------------------------------------------------------------------
# writing


def write_atomic(path: str, text: str) -> None:
    """Replace the file's content with ``text`` (UTF-8) atomically.

    The new content goes to a temporary file in the same directory, which
    gets the original file's permission bits and is then renamed over it
    (``os.replace``), so readers see either the old or the new file, never
    a partial one.  A symlink is followed: its target is rewritten.
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:  # a new file: the usual 0o666 less the umask
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    prefix = "." + os.path.basename(target) + "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".dockfix-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------------------
# diffs

_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")


def split_lines(text: str) -> list[str]:
    """Lines split after ``\\n`` only (as BuildKit does), ends kept: a
    ``\\r`` stays part of its line and ``\\f``/``\\v``/U+2028 split nothing."""
    return _LINE_RE.findall(text)


def diff_path(path: str) -> str:
    """``path`` as it appears after ``a/`` / ``b/`` in a diff header."""
    return path.replace(os.sep, "/").lstrip("/")


def unified_diff(before: str | None, after: str, path: str, context: int = 3) -> str:
    """A unified diff (``--- a/path`` / ``+++ b/path``) of two texts, with
    every line ending kept exactly as in the texts and git's ``\\ No newline
    at end of file`` marker.  Empty when the texts are equal.  ``before`` is
    None for a new file (``--- /dev/null``)."""
    if before == after:
        return ""
    import difflib

    name = diff_path(path)
    old_name = "/dev/null" if before is None else f"a/{name}"
    out: list[str] = []
    for line in difflib.unified_diff(
        split_lines(before or ""), split_lines(after), old_name, f"b/{name}", n=context
    ):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
