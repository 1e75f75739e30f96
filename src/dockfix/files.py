"""Files: reading them exactly, writing them safely, and diffing texts
without touching their line endings (finding Dockerfiles is
:mod:`dockfix.discovery`; its names are reachable here too).

dockfix edits decoded text with exact offsets, so a file is read as bytes
and decoded as UTF-8 here (a BOM stays in the text as ``"\\ufeff"``); no
newline translation happens anywhere.  Writing encodes the text back the
same way, so line endings, the BOM and the final-newline state survive.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from typing import Any

from msgspec import Struct

STDIN = "-"

# Finding Dockerfiles moved to dockfix.discovery, which imports this module;
# its names stay reachable here (``files.discover``), loaded on first use.
_DISCOVERY = frozenset(
    [
        "DOCKERFILE_NAMES",
        "COMPOSE_NAMES",
        "is_dockerfile_name",
        "is_compose_name",
        "discover",
        "discover_compose",
    ]
)


def __getattr__(name: str) -> Any:
    """``files.discover`` and the other names of :mod:`dockfix.discovery`."""
    if name in _DISCOVERY:
        from . import discovery

        return getattr(discovery, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------
# reading


def toml() -> Any:
    """The TOML reader (tomllib; tomli before Python 3.11), imported on
    first use: most runs read no TOML (no configuration file, no
    ``pyproject.toml`` or ``Cargo.toml`` in the build context)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    return tomllib


class DecodeError(Exception):
    """The bytes are not UTF-8; ``line``/``col`` (1-based, col in
    characters) locate the first bad byte."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message, line, col)
        self.message = message
        self.line = line
        self.col = col

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
        if line == 1 and data.startswith(b"\xef\xbb\xbf"):
            col -= 1  # a byte-order mark is no column
        raise DecodeError(
            f"not valid UTF-8: cannot decode byte 0x{data[bad]:02x} ({e.reason})", line, col
        ) from None


#: files larger than this are refused (``--max-file-size``; 0 = no limit)
DEFAULT_MAX_FILE_SIZE = 2_000_000


class NotRegularFile(OSError):
    """The path names a FIFO, socket, device or directory: never opened for
    reading (a FIFO would block forever)."""


class FileTooLarge(OSError):
    """The file is over the size limit; ``size`` and ``limit`` in bytes."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"file too large ({_megabytes(size)} MB; limit {_megabytes(limit)} MB)")
        self.size = size
        self.limit = limit


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f}".rstrip("0").rstrip(".")


def read_bytes(path: str, max_size: int = 0) -> bytes:
    """The bytes of a regular file (following symlinks).

    The file is opened without blocking and checked with ``fstat`` before
    anything is read, so a FIFO, socket or device is refused
    (:class:`NotRegularFile`) instead of blocking the run; with ``max_size``
    a larger file is refused (:class:`FileTooLarge`) without reading it
    (and at most ``max_size + 1`` bytes are ever read, should it grow)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise NotRegularFile(f"{kind}")
        if max_size and st.st_size > max_size:
            raise FileTooLarge(st.st_size, max_size)
        chunks = []
        remaining = max_size + 1 if max_size else -1
        while True:
            chunk = os.read(fd, 1 << 20 if remaining < 0 else min(1 << 20, remaining))
            if not chunk:
                break
            chunks.append(chunk)
            if remaining > 0:
                remaining -= len(chunk)
                if remaining == 0:
                    break
        data = b"".join(chunks)
        if max_size and len(data) > max_size:
            raise FileTooLarge(len(data), max_size)
        return data
    finally:
        os.close(fd)


def read_text(path: str) -> str:
    """Read a file exactly; raises OSError or DecodeError."""
    return decode(read_bytes(path))


# ---------------------------------------------------------------------------
# writing


class ChangedOnDisk(OSError):
    """The file is no longer what was read: another program (or another
    dockfix run) changed it since; it is not overwritten."""

    def __init__(self, path: str):
        super().__init__(errno.EBUSY, "changed during the run; not written", path)


#: ``expected`` value meaning "write whatever the file holds now"
ANY = object()


class PlannedWrite(Struct):
    """One file of an all-or-nothing write.

    ``expected`` is what the file must still hold for the write to go
    ahead: the bytes that were read, a text (compared with the file decoded
    leniently, as build-context files are read), ``None`` for a file that
    must not exist yet, or :data:`ANY`."""

    path: str
    text: str
    expected: object = ANY


def _still_expected(target: str, expected: object) -> bool:
    if expected is ANY:
        return True
    try:
        current = read_bytes(target)
    except FileNotFoundError:
        return expected is None
    except NotRegularFile:
        return False
    if expected is None:
        return False
    if isinstance(expected, bytes):
        return current == expected
    return current.decode("utf-8", "replace") == expected


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _copy_identity(src_stat: os.stat_result | None, src: str, dst_fd: int, mode: int) -> None:
    """Give the temporary file the original's owner, group, extended
    attributes (ACLs and SELinux labels included) and mode, as far as the
    system permits (a non-root user cannot give a file away: then the
    runner's own ids stay)."""
    if src_stat is not None:
        try:
            os.fchown(dst_fd, src_stat.st_uid, src_stat.st_gid)
        except OSError:
            try:  # at least the group, when the runner is a member
                os.fchown(dst_fd, -1, src_stat.st_gid)
            except OSError:
                pass
        if hasattr(os, "listxattr"):
            try:
                names = os.listxattr(src)
            except OSError:
                names = []
            for name in names:
                try:
                    os.setxattr(dst_fd, name, os.getxattr(src, name))
                except OSError:
                    pass
    os.fchmod(dst_fd, mode)  # after chown, which may clear set-id bits


class _Prepared(Struct):
    path: str  # as given (for messages)
    target: str  # resolved path
    expected: object
    text: bytes
    tmp: str | None  # None: written through in place (a file with hard links)
    old: bytes | None = None  # what the target held (for a rollback)
    done: bool = False


def _prepare(w: PlannedWrite) -> _Prepared:
    target = os.path.realpath(w.path)
    data = w.text.encode("utf-8")
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise NotRegularFile(errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL, kind, w.path)
    if not _still_expected(target, w.expected):
        raise ChangedOnDisk(w.path)
    old = read_bytes(target) if st is not None else None
    if st is not None and st.st_nlink > 1:
        # Replacing would split the hard links (the other names would keep
        # the old text): write through instead, after checking we may.
        if not os.access(target, os.W_OK):
            raise PermissionError(errno.EACCES, "Permission denied", w.path)
        return _Prepared(w.path, target, w.expected, data, None, old)
    import tempfile  # only a run that writes needs it

    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(target) + ".", suffix=".dockfix-tmp"
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            _copy_identity(st, target, fh.fileno(), stat.S_IMODE(st.st_mode) if st else _new_file_mode())
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return _Prepared(w.path, target, w.expected, data, tmp, old)


def _unlink(path: str | None) -> None:
    if path is None:
        return
    try:
        os.unlink(path)
    except OSError:
        pass


def _write_through(target: str, data: bytes) -> None:
    fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


def write_files(writes: list[PlannedWrite]) -> None:
    """Write several files all or nothing (a Dockerfile and the side files
    its fixes change).

    First every new content goes to a temporary file beside its target
    (same directory, so the final rename is atomic), with the target's
    mode, owner, group and extended attributes; any failure there (no
    space, no permission, a directory where a file should be) removes the
    temporary files and raises, with nothing written.  Then each target is
    checked to hold still what was read (:class:`ChangedOnDisk` otherwise)
    and the temporary files are renamed over the targets, the targets
    locked (``flock``) from that check to their rename, so two dockfix runs
    never both pass the check and one silently undo the other; a new file
    is linked into place, which fails if one appeared meanwhile.  A target with
    several hard links is written through in place instead, so every name
    sees the new text.  Should a rename fail half-way, the files already
    replaced get their old content back.  Symlinks are followed: their
    targets are written.
    """
    prepared: list[_Prepared] = []
    current = ""
    locks: list[int] = []
    try:
        for w in writes:
            current = w.path
            prepared.append(_prepare(w))
        for p in sorted(prepared, key=lambda p: p.target):  # one order: no deadlock between runs
            fd = _lock(p.target)
            if fd is not None:
                locks.append(fd)
            if not _still_expected(p.target, p.expected) or (fd is not None and not _same_file(fd, p.target)):
                raise ChangedOnDisk(p.path)
        for p in prepared:
            current = p.path
            if p.tmp is not None and p.expected is None and p.old is None:
                try:  # a new file: linking fails if one appeared since the check
                    os.link(p.tmp, p.target)
                except FileExistsError:
                    raise ChangedOnDisk(p.path) from None
                except OSError:  # no hard links here (some file systems)
                    os.replace(p.tmp, p.target)
                else:
                    os.unlink(p.tmp)
                p.tmp = None
            elif p.tmp is not None:
                os.replace(p.tmp, p.target)
                p.tmp = None
            else:
                _write_through(p.target, p.text)
            p.done = True
    except BaseException as e:
        if isinstance(e, OSError) and not isinstance(e, ChangedOnDisk):
            e.filename = current  # name the file that failed, not a temporary one
        for p in prepared:
            _unlink(p.tmp)
            if p.done:  # roll back what was already replaced
                try:
                    if p.old is None:
                        os.unlink(p.target)
                    else:
                        _write_through(p.target, p.old)
                except OSError:
                    pass
        raise
    finally:
        for fd in locks:
            os.close(fd)  # releases the lock


def _lock(target: str) -> int | None:
    """An exclusive advisory lock on the file at ``target`` (None when it
    does not exist or the system has no ``flock``); waits for another
    dockfix run that holds it."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        return None
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None
    return fd


def _same_file(fd: int, target: str) -> bool:
    """The locked file is still the one at ``target`` (not renamed over)."""
    try:
        a, b = os.fstat(fd), os.stat(target)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def replace_file(target: str, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to a temporary file beside ``target`` (``.NAME.*.tmp``)
    and rename it over ``target``: a reader sees the old bytes or the new,
    never a part.  For dockfix's own files (cache entries, the HTML report):
    no owner, link or changed-since-read keeping, no fsync -- that is
    :func:`write_files`, for the user's.  ``mode``: the new file's (default:
    what the umask gives)."""
    import tempfile

    fd, tmp = tempfile.mkstemp(
        dir=os.path.dirname(target) or ".", prefix="." + os.path.basename(target) + ".", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            if hasattr(os, "fchmod"):  # not on Windows
                os.fchmod(fh.fileno(), _new_file_mode() if mode is None else mode)
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        _unlink(tmp)
        raise


def write_atomic(path: str, text: str, expected: object = ANY) -> None:
    """Replace one file's content with ``text`` (UTF-8) atomically; see
    :func:`write_files`."""
    write_files([PlannedWrite(path, text, expected)])


# ---------------------------------------------------------------------------
# diffs and paths as printed

_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")


def split_lines(text: str) -> list[str]:
    """Lines split after ``\\n`` only (as BuildKit does), ends kept: a
    ``\\r`` stays part of its line and ``\\f``/``\\v``/U+2028 split nothing."""
    return _LINE_RE.findall(text)


def display(path: str) -> str:
    """Normalise a path for messages: ``./a//b`` -> ``a/b``."""
    return path if path == STDIN else os.path.normpath(path)


_C_ESCAPES = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
              "\r": "\\r", '"': '\\"', "\\": "\\\\"}  # fmt: skip
_NEEDS_QUOTING = re.compile(r"[\x00-\x1f\x7f\udc80-\udcff]")


def quote_path(path: str) -> str:
    """A path as messages and diff headers print it: unchanged, unless it
    holds control characters (a newline in a file name would split one
    message into two lines) or bytes that are not UTF-8; then, as git
    quotes such names, in double quotes with C escapes (``"a\\nb"``)."""
    if not _NEEDS_QUOTING.search(path):
        return path
    out = []
    for ch in path:
        if ch in _C_ESCAPES:
            out.append(_C_ESCAPES[ch])
        elif "\udc80" <= ch <= "\udcff":  # an undecodable byte (surrogateescape)
            out.append(f"\\{ord(ch) - 0xDC00:03o}")
        elif ch < " " or ch == "\x7f":
            out.append(f"\\{ord(ch):03o}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


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
    old_name = "/dev/null" if before is None else quote_path(f"a/{name}")
    out: list[str] = []
    for line in difflib.unified_diff(
        split_lines(before or ""), split_lines(after), old_name, quote_path(f"b/{name}"), n=context
    ):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
