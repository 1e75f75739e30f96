""".gitignore files matched as git matches them, for directory walks.

A port of git's dir.c
and wildmatch.c, not a gitignore library.  Such libraries (pathspec's
GitIgnoreSpec) decide for a whole path at once and guess from it what a
pattern means for directories, which goes wrong on re-includes such as
`*` / `!*/` / `!Dockerfile`; git asks about one directory entry at a time
and never enters an excluded directory, and so does a walk here.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat

from . import files  # quote_path, display: used at call time (files imports this module)


def warn(warnings: list[str] | None, line: str) -> None:
    """Record a warning line (once) when the caller collects them."""
    if warnings is not None and line not in warnings:
        warnings.append(line)


def reason(e: OSError) -> str:
    return e.strerror or str(e) or type(e).__name__


def fsbytes(path: str | bytes) -> bytes:
    return path if isinstance(path, bytes) else os.fsencode(path)


def _show_pattern(text: bytes) -> str:
    s = os.fsdecode(text)
    q = files.quote_path(s)
    return q if q != s else f"'{s}'"


class _Never(Exception):
    """The pattern can match no path (git's wildmatch gives up on it)."""


# wildmatch's [[:name:]] classes: ASCII only, as git's own ctype has them
_DIGIT = frozenset(range(0x30, 0x3A))
_UPPER = frozenset(range(0x41, 0x5B))
_LOWER = frozenset(range(0x61, 0x7B))
_GRAPH = frozenset(range(0x21, 0x7F))
_CTYPES = {
    b"alnum": _DIGIT | _UPPER | _LOWER,
    b"alpha": _UPPER | _LOWER,
    b"blank": frozenset(b" \t"),
    b"cntrl": frozenset(range(0x20)) | {0x7F},
    b"digit": _DIGIT,
    b"graph": _GRAPH,
    b"lower": _LOWER,
    b"print": _GRAPH | {0x20},
    b"punct": _GRAPH - _DIGIT - _UPPER - _LOWER,
    b"space": frozenset(b" \t\n\r"),
    b"upper": _UPPER,
    b"xdigit": _DIGIT | frozenset(b"abcdefABCDEF"),
}
_ALL_BYTES = frozenset(range(1, 256))


def _bracket(p: bytes, i: int, problems: list[str]) -> tuple[bytes, int]:
    """The bracket expression starting at ``p[i] == ord("[")`` as a regular
    expression, and the index after it (wildmatch's rules: ``!`` or ``^``
    negates, a leading ``]`` is literal, ``\\`` escapes, ``a-z`` ranges
    (of a reversed one, ``z-a``, only the ``z`` counts: it was taken as a
    literal before the ``-`` was seen), ``[:alpha:]`` classes; never
    ``/``)."""
    n = len(p)
    i += 1
    negated = i < n and p[i] in b"!^"
    if negated:
        i += 1
    members: set[int] = set()
    prev = 0
    while True:
        if i >= n:
            problems.append("unclosed [")
            raise _Never
        cur = p[i]
        if cur == 0x5C:  # "\x" is x
            i += 1
            if i >= n:
                problems.append("unclosed [")
                raise _Never
            cur = p[i]
            members.add(cur)
        elif cur == 0x2D and prev and i + 1 < n and p[i + 1] != 0x5D:  # a range
            i += 1
            hi = p[i]
            if hi == 0x5C:
                i += 1
                if i >= n:
                    problems.append("unclosed [")
                    raise _Never
                hi = p[i]
            if prev <= hi:
                members.update(range(prev, hi + 1))
            else:
                rng = _show_pattern(bytes([prev, 0x2D, hi]))
                first = _show_pattern(bytes([prev]))
                problems.append(f"character range {rng} is reversed (git matches {first} only)")
            cur = 0
        elif cur == 0x5B and i + 1 < n and p[i + 1] == 0x3A:  # "[:name:]"
            start = i + 2
            end = p.find(b"]", start)
            if end < 0:
                problems.append("unclosed [")
                raise _Never
            if end - start - 1 < 0 or p[end - 1] != 0x3A:
                members.add(cur)  # no ":]" before the "]": a plain "["
            else:
                name = p[start : end - 1]
                if name not in _CTYPES:
                    problems.append(f"unknown character class {_show_pattern(b'[:' + name + b':]')}")
                    raise _Never
                members |= _CTYPES[name]
                cur = 0
                i = end
        else:
            members.add(cur)
        prev = cur
        i += 1
        if i < n and p[i] == 0x5D:
            break
    chars = sorted((_ALL_BYTES - members if negated else members) - {0x2F, 0})
    if not chars:
        raise _Never
    out = []
    k = 0
    while k < len(chars):
        j = k
        while j + 1 < len(chars) and chars[j + 1] == chars[j] + 1:
            j += 1
        out.append(b"\\x%02x" % chars[k] if j == k else b"\\x%02x-\\x%02x" % (chars[k], chars[j]))
        k = j + 1
    return b"[" + b"".join(out) + b"]", i + 1


def _wildmatch_regex(p: bytes, problems: list[str]) -> bytes:
    """A regular expression (bytes, for ``fullmatch`` with DOTALL) matching
    what git's ``wildmatch(p, text, WM_PATHNAME)`` matches: ``?`` and ``*``
    stop at ``/``; ``**`` crosses it when it is a whole path component
    (``**/x``, ``a/**/x``, ``a/**``), else it is a ``*``.  Raises _Never
    for a pattern nothing can match (a lone trailing backslash, an unclosed
    ``[``, an unknown class), adding the flaw to ``problems``."""
    out = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == 0x5C:  # "\x" is x
            if i + 1 >= n:
                problems.append("it ends with a lone backslash")
                raise _Never
            out.append(re.escape(p[i + 1 : i + 2]))
            i += 2
        elif c == 0x3F:  # ?
            out.append(b"[^/]")
            i += 1
        elif c == 0x2A:  # *
            j = i + 1
            while j < n and p[j] == 0x2A:
                j += 1
            if (
                j - i > 1
                and (i == 0 or p[i - 1] == 0x2F)
                and (j == n or p[j] == 0x2F or p[j : j + 2] == b"\\/")
            ):
                if j < n and p[j] == 0x2F:
                    out.append(b"(?:.*/)?")  # no directory, or any number
                    j += 1
                else:
                    out.append(b".*")
            else:
                out.append(b"[^/]*")
            i = j
        elif c == 0x5B:  # [
            cls, i = _bracket(p, i, problems)
            out.append(cls)
        else:
            out.append(re.escape(p[i : i + 1]))
            i += 1
    return b"".join(out)


_GLOB_SPECIAL = frozenset(b"*?[\\")


def _simple_length(p: bytes) -> int:
    for k, c in enumerate(p):
        if c in _GLOB_SPECIAL:
            return k
    return len(p)


@functools.lru_cache(maxsize=4096)
def _parse_pattern(line: bytes) -> tuple[tuple | None, tuple[str, ...]]:
    """One pattern line (comments, blank lines and trailing spaces already
    dealt with) as ``(negative, dir_only, basename, fullmatch)``, or None
    when it can match nothing; and the flaws found in it.

    As in git (dir.c, ``parse_path_pattern``/``match_basename``/
    ``match_pathname``): ``!`` negates, one trailing ``/`` matches
    directories only; a pattern without another ``/`` is matched against
    the name of each file or directory at any depth, one with a ``/``
    (leading, or in the middle) against the path from the ignore file's
    directory; the part up to the first wildcard is compared literally and
    the rest wildmatched on its own (so ``a/b**`` is ``a/b`` then a leading
    ``**``, which git lets cross ``/``)."""
    negative = line[:1] == b"!"
    p = line[1:] if negative else line
    dir_only = p[-1:] == b"/"
    if dir_only:
        p = p[:-1]
    basename = b"/" not in p
    prefix = _simple_length(p)
    problems: list[str] = []
    try:
        if basename:
            rx = re.escape(p) if prefix == len(p) else _wildmatch_regex(p, problems)
        else:
            if p[:1] == b"/":
                p = p[1:]
                prefix -= 1
            rx = re.escape(p[:prefix]) + _wildmatch_regex(p[prefix:], problems)
    except _Never:
        return None, tuple(problems)
    if not rx:
        return None, tuple(problems)
    return (negative, dir_only, basename, re.compile(rx, re.DOTALL).fullmatch), tuple(problems)


def _trim_trailing_spaces(line: bytes) -> bytes:
    """Drop trailing spaces (not tabs) unless escaped with a backslash."""
    last_space = None
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == 0x20:
            if last_space is None:
                last_space = i
        elif c == 0x5C:
            i += 1
            if i >= n:
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


def _parse_ignore_file(data: bytes, shown: str, warnings: list[str] | None) -> tuple:
    """The patterns of an ignore file, in order (git's reading: a UTF-8 BOM
    skipped, ``#`` comments, a ``\\r`` before the ``\\n`` dropped, trailing
    spaces trimmed, ``\\#``, ``\\!`` and ``\\ `` for the literal
    characters).  A line with an invalid pattern is warned about as
    ``path:line: ...``; git never matches most of them and they are left
    out likewise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    patterns = []
    for lineno, line in enumerate(data.split(b"\n"), 1):
        if not line or line[:1] == b"#":
            continue
        if line[-1:] == b"\r":
            line = line[:-1]
        line = _trim_trailing_spaces(line.split(b"\0", 1)[0])
        if not line:
            continue
        pattern, problems = _parse_pattern(line)
        if problems:
            what = "; ".join(problems)
            if pattern is None:
                what += "; line ignored (git never matches it)"
            warn(
                warnings, f"{files.quote_path(shown)}:{lineno}: invalid pattern {_show_pattern(line)}: {what}"
            )
        if pattern is not None:
            patterns.append(pattern)
    return tuple(patterns)


def _read_ignore_file(path: str) -> bytes | None:
    """The bytes of an ignore file, or None when there is none (no such
    file, or a directory).  Raises OSError when it exists but cannot be
    read, or is not a regular file (a FIFO is never waited for)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            return None
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class Ignores:
    """The ignore rules in force in one directory of a walk.

    ``base`` is the walk's top as a path (bytes, "" or ending with ``/``)
    from where the rules' paths start: the work tree's root when the top is
    inside a git repository, else the top itself.  ``layers`` holds one
    ``(strip, patterns)`` per ignore file, outermost first
    (``.git/info/exclude``, then the .gitignore files from the root down):
    a file's patterns see paths without the first ``strip`` bytes (its own
    directory).  As in git, the deepest file with a matching pattern
    decides, and within a file the last matching line: a ``!pattern``
    re-includes what a shallower file or an earlier line excludes -- though
    nothing inside an excluded directory, which walks do not enter.

    Paths given to ``enter`` and ``ignored`` are from the walk's top (str
    or bytes, with ``/``).
    """

    __slots__ = ("base", "layers")

    def __init__(self, layers: tuple = (), base: bytes = b""):
        self.layers = layers
        self.base = base

    def add(self, patterns: tuple, strip: int) -> Ignores:
        if not patterns:
            return self
        return Ignores(self.layers + ((strip, patterns),), self.base)

    def enter(self, directory: str, rel: str | bytes) -> Ignores:
        """The rules inside ``directory`` (its path ``rel`` from the walk's
        top, "" or ending with "/"): these plus its own .gitignore (passed
        over if it cannot be read)."""
        try:
            return self._enter(directory, rel, None)
        except OSError:
            return self

    def _enter(self, directory: str, rel: str | bytes, warnings: list[str] | None) -> Ignores:
        """``enter``, raising OSError for a .gitignore it cannot read."""
        path = os.path.join(directory, ".gitignore")
        data = _read_ignore_file(path)
        if data is None:
            return self
        patterns = _parse_ignore_file(data, files.display(path), warnings)
        return self.add(patterns, len(self.base) + len(fsbytes(rel)))

    def ignored(self, rel: str | bytes, is_dir: bool) -> bool:
        path = self.base + fsbytes(rel)
        name = path[path.rfind(b"/") + 1 :]
        for strip, patterns in reversed(self.layers):
            sub = path[strip:]
            for negative, dir_only, basename, match in reversed(patterns):
                if dir_only and not is_dir:
                    continue
                if match(name if basename else sub):
                    return not negative
        return False


def repo_root(directory: str) -> str | None:
    """The enclosing git work tree of ``directory`` (the one with ``.git``)."""
    d = directory
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _info_exclude(root: str) -> str:
    """The path of the repository's ``info/exclude`` (``.git`` is the git
    directory, or, in a linked work tree or a submodule, a file naming it)."""
    gitdir = os.path.join(root, ".git")
    if not os.path.isdir(gitdir):
        try:
            data = _read_ignore_file(gitdir) or b""
        except OSError:
            data = b""
        first = data.split(b"\n", 1)[0].strip()
        if first.startswith(b"gitdir:"):
            gitdir = os.path.join(root, os.fsdecode(first[7:].strip()))
    try:
        common = _read_ignore_file(os.path.join(gitdir, "commondir"))
    except OSError:
        common = None
    if common and common.strip():
        gitdir = os.path.join(gitdir, os.fsdecode(common.strip()))
    return os.path.join(gitdir, "info", "exclude")


class Unreadable(Exception):
    pass


def ancestor_ignores(top: str, warnings: list[str] | None = None, strict: bool = False) -> Ignores | None:
    """The rules in force at ``top`` before its own .gitignore: inside a git
    work tree, ``.git/info/exclude`` and the .gitignore files from the work
    tree's root down to ``top``'s parent (none outside a repository).

    When ``top`` (or a directory above it) is itself ignored, yet named
    explicitly, it is walked with its own rules only, as an explicitly
    named file is processed.  An ignore file that cannot be read is passed
    over, or with ``strict`` warned about, and the result is None: the walk
    cannot tell what to skip."""
    absdir = os.path.abspath(top)
    root = repo_root(absdir)
    if root is None:
        return Ignores()

    def load(path: str, ignores: Ignores, strip: int) -> Ignores:
        shown = files.display(os.path.join(top, os.path.relpath(path, absdir)))
        try:
            data = _read_ignore_file(path)
        except OSError as e:
            if not strict:
                return ignores
            warn(
                warnings,
                f"{files.quote_path(shown)}: cannot read ({reason(e)}); {files.quote_path(top)} skipped",
            )
            raise Unreadable from None
        if data is None:
            return ignores
        return ignores.add(_parse_ignore_file(data, shown, warnings), strip)

    try:
        ignores = load(_info_exclude(root), Ignores(), 0)
        rel = b""
        d = root
        for part in [] if root == absdir else os.path.relpath(absdir, root).split(os.sep):
            ignores = load(os.path.join(d, ".gitignore"), ignores, len(rel))
            rel += os.fsencode(part)
            if ignores.ignored(rel, True):
                return Ignores()
            rel += b"/"
            d = os.path.join(d, part)
    except Unreadable:
        return None
    return Ignores(ignores.layers, rel)


def gitignores(top: str) -> Ignores:
    """The .gitignore rules for a walk of ``top`` (for other walks than
    discovery's, e.g. the build-context scan): extend them for each
    directory walked with ``enter(directory, rel)`` (``rel``: its path from
    ``top``, "" or ending with "/"), and ask ``ignored(rel_path, is_dir)``."""
    return ancestor_ignores(top) or Ignores()
