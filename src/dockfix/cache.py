"""The content cache, as ruff has: a file whose bytes, dockfix version,
settings and build-context inputs are unchanged since a run analysed it is
not analysed again; its :class:`~dockfix.runner.FileResult` is read back.

Where: ``.dockfix_cache/`` in the project root (the folder of the
configuration file found from the current directory, else the current
directory), or ``--cache-dir DIR`` / ``$DOCKFIX_CACHE_DIR`` / the
configuration's ``cache-dir``; ``--no-cache`` or ``$DOCKFIX_NO_CACHE=1``: none.  The folder holds
a ``CACHEDIR.TAG`` and a ``.gitignore`` of ``*``, and one folder per dockfix
version with one JSON entry per file: ``<version>/<name>.json``, where the
name hashes the file's identity (its path, the current directory, its build
context) and its settings.  An entry holds the full key it was computed for
and the result; a run reads it only when the key matches:

* the digest of the file's bytes;
* the dockfix version and a fingerprint of its code (the stat of every file
  of the package, so an edited checkout never reads a stale result), and
  of tree-sitter's;
* the settings: the rules selected (after ``select``, ``ignore``,
  ``extend-select`` and ``per-file-ignores``), ``unsafe``, the rule options
  (the mode is not part of it: a result serves check, diff and fix alike);
  the ShellCheck binary's path, size and mtime when a DF7xx rule is selected;
* the build context the rules read: every entry below its root (path,
  kind, size, mtime; a symlink's target too), walked once per context and
  run, and kept up to date when the run writes there; the contents of
  ``.git``/``.hg``/``.svn`` and the cache folder itself are left out.  A
  context of more than :data:`dockfix.context.SCAN_MAX_ENTRIES` entries is
  not fingerprinted: its Dockerfiles are not cached;
* the side files earlier Dockerfiles of the run proposed in that context
  (``--diff``/``--check`` of Dockerfiles sharing a ``.dockerignore``).

Every result is cached, the changed ones too (a warm ``--check`` of files
that would change costs no analysis); in fix mode a hit goes through the same
:func:`dockfix.runner.write_result` as a computed result (the "changed since
it was read" check, side files all or nothing), so a warm run writes what a
cold one writes.  Internal errors are not cached, nor stdin.

Sharing: entries are written to a temporary file and renamed; a run never
rewrites a file another run reads as a whole (no index); an entry that does
not parse, has another format or another key is a miss.  A cache folder that
cannot be created or written makes the run uncached (one warning).  Growth:
one entry per file, settings and version (a new result replaces the old);
entries not rewritten for :data:`MAX_AGE` seconds and the folders of other
versions unused that long are removed, looked for at most once a day.
"""

from __future__ import annotations

import functools
import json
import os
import stat
import sys
import time
from typing import TYPE_CHECKING

from msgspec import Struct

from . import files
from .context import CACHE_DIR_NAME

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without _blake2
    from hashlib import blake2b

if TYPE_CHECKING:
    from .config import Settings
    from .runner import FileResult, Options

DIR_NAME = CACHE_DIR_NAME  # one name, kept in dockfix.context
ENV_VAR = "DOCKFIX_CACHE_DIR"
NO_CACHE_VAR = "DOCKFIX_NO_CACHE"
#: the layout of an entry; another one is a miss
FORMAT = 1
#: entries not rewritten for this long are removed (seconds)
MAX_AGE = 30 * 86400
#: the cache is looked through for old entries at most this often (seconds)
PRUNE_EVERY = 86400
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by dockfix.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
_PRUNED = "last-pruned"
_VCS = frozenset({".git", ".hg", ".svn"})
_MASK = (1 << 128) - 1


def _digest(*parts: object) -> str:
    h = blake2b(digest_size=16)
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode("utf-8", "surrogateescape"))
        h.update(b"\0")
    return h.hexdigest()


def _entry_int(rel: str, what: str) -> int:
    h = blake2b(f"{rel}\0{what}".encode("utf-8", "surrogateescape"), digest_size=16)
    return int.from_bytes(h.digest(), "little")


def cache_dir(explicit: str | None = None, project: Settings | None = None) -> str:
    """The cache folder: ``explicit`` (``--cache-dir``), else
    ``$DOCKFIX_CACHE_DIR``, else the ``cache-dir`` of the ``project``'s
    settings (those of the current directory: ``--config``'s, or the
    configuration file found from there), else ``.dockfix_cache`` in the
    project root: the folder of that configuration file, else the current
    directory."""
    if explicit:
        return explicit
    env = os.environ.get(ENV_VAR)
    if env:
        return env
    if project is not None and project.cache_dir:
        return project.cache_dir
    root = os.path.dirname(os.path.abspath(project.path)) if project is not None and project.path else None
    return os.path.join(root or os.getcwd(), DIR_NAME)


def disabled() -> bool:
    """``$DOCKFIX_NO_CACHE`` set to anything but ``0``, ``false`` or ``no``
    (as ``--no-cache``)."""
    value = os.environ.get(NO_CACHE_VAR, "").strip().lower()
    return value not in ("", "0", "false", "no")


@functools.cache
def version_id() -> str:
    """dockfix's version and a fingerprint of its code and of tree-sitter's
    (the stat of their files): a result computed by other code is a miss.
    Computed once per process (the code a process runs does not change)."""
    from . import __version__

    parts: list[object] = [FORMAT, __version__, sys.version]
    package = os.path.dirname(os.path.abspath(__file__))
    parts += _tree_stats(package)
    from importlib.machinery import PathFinder

    for name in ("tree_sitter", "tree_sitter_bash"):
        spec = PathFinder.find_spec(name)
        if spec is not None and spec.origin:
            parts += _tree_stats(os.path.dirname(spec.origin), recurse=False)
    return _digest(*parts)


def _tree_stats(top: str, recurse: bool = True) -> list[str]:
    out = []
    todo = [top]
    while todo:
        d = todo.pop()
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for e in entries:
            if e.name == "__pycache__":
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    if recurse:
                        todo.append(e.path)
                    continue
                st = e.stat()
            except OSError:
                continue
            out.append(f"{os.path.relpath(e.path, top)}:{st.st_size}:{st.st_mtime_ns}")
    return out


class Key(Struct, frozen=True):
    """Where a file's entry is (``name``) and what it must have been
    computed for (``digest``); ``data``: the digest of the bytes read."""

    name: str
    digest: str
    data: str


class _Context:
    """The fingerprint of one build context: a digest per entry, summed (so
    a write the run makes updates it without a new walk)."""

    __slots__ = ("root", "entries", "total", "links")

    def __init__(self, root: str, entries: dict[str, int], links: bool) -> None:
        self.root = root
        self.entries = entries
        self.total = sum(entries.values()) & _MASK
        self.links = links

    def set(self, rel: str, value: int | None) -> None:
        old = self.entries.pop(rel, None)
        if old is not None:
            self.total = (self.total - old) & _MASK
        if value is not None:
            self.entries[rel] = value
            self.total = (self.total + value) & _MASK

    @property
    def fingerprint(self) -> str:
        return f"{self.total:032x}:{len(self.entries)}"


def _describe(path: str, st: os.stat_result) -> str:
    """What an entry's fingerprint records: its kind, size and mtime (a
    symlink: its text and its target's)."""
    if stat.S_ISDIR(st.st_mode):
        return "d"
    if stat.S_ISLNK(st.st_mode):
        try:
            link = os.readlink(path)
            t = os.stat(path)
            target = (
                "d" if stat.S_ISDIR(t.st_mode) else f"{stat.S_IFMT(t.st_mode)}:{t.st_size}:{t.st_mtime_ns}"
            )
        except OSError:
            return "l:?"
        return f"l:{link}:{target}"
    return f"{stat.S_IFMT(st.st_mode)}:{st.st_size}:{st.st_mtime_ns}"


class Cache:
    """One run's view of the cache folder ``path``: :meth:`key`,
    :meth:`get`, :meth:`put`; :meth:`written` after the run writes files;
    :meth:`close` at the end.  ``warn``: called with one line when the
    folder cannot be used (once)."""

    def __init__(self, path: str, warn=None) -> None:
        self.path = path
        self.version = version_id()
        from . import __version__

        self.dir = os.path.join(path, __version__)
        self.readable = True
        self.writable = True
        self.stored = 0
        self._warn = warn
        self._contexts: dict[str, _Context | None] = {}
        self._settings: dict[tuple, str] = {}
        self._real: dict[str, str] = {}  # context folder -> its real path
        self._cwd = os.getcwd()
        self._skip: tuple[int, int] | None = None
        try:
            self._create()
        except OSError as e:
            self.writable = False
            self.readable = os.path.isdir(self.dir)
            self._warning(f"cannot write the cache in {path}: {e.strerror or e}; results are not cached")
        try:
            st = os.stat(path)
            self._skip = (st.st_dev, st.st_ino)
        except OSError:
            pass

    def _warning(self, line: str) -> None:
        if self._warn is not None:
            self._warn(f"dockfix: warning: {line}\n")
            self._warn = None

    def _create(self) -> None:
        os.makedirs(self.dir, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# created by dockfix\n*\n")):
            target = os.path.join(self.path, name)
            if not os.path.exists(target):
                files.replace_file(target, text.encode())

    # -- keys -------------------------------------------------------------

    def key(
        self,
        path: str,
        data: bytes,
        options: Options,
        context: str | None = None,
        proposed: dict[str, str] | None = None,
        side_files: bool = True,
    ) -> Key | None:
        """The key of ``path`` read as ``data`` under ``options`` (what
        :func:`dockfix.runner.process_source` is given); None when it cannot
        be cached (a context too large to fingerprint)."""
        if not self.readable:
            return None
        root = context or options.context
        if root is None and os.path.isfile(path):
            root = os.path.dirname(os.path.abspath(path))
        real = None
        if root is not None:
            real = self._real.get(root)
            if real is None:
                real = self._real[root] = os.path.realpath(root)
        fingerprint = "none"
        overlay = ""
        if real is not None:
            ctx = self._context(real)
            if ctx is None:
                return None
            fingerprint = ctx.fingerprint
            if proposed:
                inside = []
                for abs_path, text in proposed.items():
                    rel = os.path.relpath(abs_path, real)
                    if not rel.startswith(".."):
                        inside.append((rel, text))
                overlay = _digest(*(p for item in sorted(inside) for p in item)) if inside else ""
        name = _digest(
            self._cwd, path, os.path.abspath(path), context, root, side_files, self._settings_of(options)
        )
        data_digest = _digest(data)
        return Key(name, _digest(name, self.version, data_digest, fingerprint, overlay), data_digest)

    def _settings_of(self, options: Options) -> str:
        rule_options = json.dumps(options.rule_options, sort_keys=True, default=repr)
        memo = (options, rule_options)
        found = self._settings.get(memo)
        if found is None:
            from .rules import registry

            codes = [
                r.code
                for r in registry().select(options.select, options.ignore, options.extend_select)
                if not r.code.startswith(options.per_file_ignore)
            ]
            parts: list[object] = [",".join(codes), options.unsafe, rule_options]
            if any(c.startswith("DF7") for c in codes):
                parts.append(_shellcheck_identity())
            found = self._settings[memo] = _digest(*parts)
        return found

    def _context(self, real: str) -> _Context | None:
        if real not in self._contexts:
            self._contexts[real] = self._walk(real)
        return self._contexts[real]

    def _walk(self, root: str) -> _Context | None:
        """Every entry below ``root`` (not through symlinked folders, not
        into VCS folders or the cache); None past the walk's bound."""
        from .context import SCAN_MAX_ENTRIES

        entries: dict[str, int] = {}
        links = False
        todo = [(root, "")]
        while todo:
            directory, rel = todo.pop()
            try:
                with os.scandir(directory) as it:
                    listed = list(it)
            except OSError as e:
                entries[rel + "\0unreadable"] = _entry_int(rel, f"unreadable:{e.errno}")
                continue
            if len(entries) + len(listed) > SCAN_MAX_ENTRIES:
                return None
            for entry in listed:
                child = rel + entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone meanwhile
                if stat.S_ISDIR(st.st_mode):
                    if (st.st_dev, st.st_ino) == self._skip:
                        continue
                    if entry.name not in _VCS:
                        todo.append((entry.path, child + "/"))
                elif stat.S_ISLNK(st.st_mode):
                    links = True
                entries[child] = _entry_int(child, _describe(entry.path, st))
        return _Context(root, entries, links)

    def written(self, paths: list[str]) -> None:
        """The run wrote ``paths``: bring the fingerprints of the contexts
        holding them up to date (a context with symlinks is walked again)."""
        for path in paths:
            real = os.path.realpath(path)
            d = os.path.dirname(real)
            while True:
                ctx = self._contexts.get(d)
                if ctx is not None:
                    rel = os.path.relpath(real, d).replace(os.sep, "/")
                    parent = rel.rpartition("/")[0]
                    try:
                        st = os.lstat(real)
                    except OSError:
                        st = None
                    if ctx.links or (parent and parent not in ctx.entries) or st is None:
                        del self._contexts[d]
                    else:
                        ctx.set(rel, _entry_int(rel, _describe(real, st)))
                up = os.path.dirname(d)
                if up == d:
                    break
                d = up

    # -- entries ----------------------------------------------------------

    def _file(self, key: Key) -> str:
        return os.path.join(self.dir, key.name + ".json")

    def _read(self, key: Key) -> tuple[list[tuple[str, str]], bytes] | None:
        """The side files an entry's result proposes (if it is ``key``'s)
        and the result, unparsed.  An entry is two lines of JSON: a header
        ``{"format", "key", "side"}`` (``side``: [absolute path, text] of
        each side file), then the result."""
        try:
            with open(self._file(key), "rb") as fh:
                head, _, rest = fh.read().partition(b"\n")
            header = json.loads(head)
            if header.get("format") != FORMAT or header.get("key") != key.digest:
                return None
            side = [(a, t) for a, t in header["side"]]
            if not all(isinstance(a, str) and isinstance(t, str) for a, t in side):
                return None
            return side, rest
        except Exception:  # missing, truncated, foreign: a miss
            return None

    def probe(self, key: Key) -> list[tuple[str, str]] | None:
        """Whether the cache has ``key`` (without reading the result): the
        side files its result proposes, or None."""
        found = self._read(key)
        return None if found is None else found[0]

    def get(self, key: Key, path: str, data: bytes) -> FileResult | None:
        """The cached result of ``path`` (read as ``data``), or None."""
        found = self._read(key)
        if found is None:
            return None
        try:
            return _load(json.loads(found[1]), path, data)
        except Exception:  # truncated, damaged: a miss
            return None

    def put(self, key: Key, result: FileResult, data: bytes | None) -> None:
        """Store ``result`` of the file read as ``data`` (nothing when the
        bytes are not the key's, or the result is not one to keep)."""
        if not self.writable or data is None or _digest(data) != key.data:
            return
        value = _dump(result)
        if value is None:
            return
        text = json.dumps(value)
        if json.loads(text) != value:
            return  # something JSON would not give back as it was: not cached
        side = [[f["abs"], f["new"]] for f in result.side_files]
        header = json.dumps({"format": FORMAT, "key": key.digest, "side": side})
        try:
            files.replace_file(self._file(key), f"{header}\n{text}".encode())
        except (OSError, UnicodeError) as e:
            self.writable = False
            self._warning(f"cannot write the cache in {self.path}: {getattr(e, 'strerror', None) or e}")
            return
        self.stored += 1

    def close(self) -> None:
        """End of the run: now and then, remove old entries and folders."""
        if not self.writable or not self.stored:
            return
        marker = os.path.join(self.dir, _PRUNED)
        now = time.time()
        try:
            if now - os.stat(marker).st_mtime < PRUNE_EVERY:
                return
        except OSError:
            pass
        try:
            with open(marker, "w") as fh:
                fh.write(f"{int(now)}\n")
            prune(self.path, self.dir, now)
        except OSError:
            pass


def prune(path: str, current: str, now: float) -> None:
    """Remove the entries of ``current`` not rewritten for :data:`MAX_AGE`
    (and temporary files a killed run left), and the version folders of
    ``path`` unused that long."""
    old = now - MAX_AGE
    with os.scandir(current) as it:
        for e in it:
            try:
                st = e.stat(follow_symlinks=False)
                stale = st.st_mtime < (now - 3600 if e.name.endswith(".tmp") else old)
                if stale and stat.S_ISREG(st.st_mode) and e.name != _PRUNED:
                    os.unlink(e.path)
            except OSError:
                pass
    with os.scandir(path) as it:
        for e in it:
            if not e.is_dir(follow_symlinks=False) or e.path == current:
                continue
            try:
                used = os.stat(os.path.join(e.path, _PRUNED)).st_mtime
            except OSError:
                try:
                    used = e.stat(follow_symlinks=False).st_mtime
                except OSError:
                    continue
            if used < old:
                import shutil

                shutil.rmtree(e.path, ignore_errors=True)


def _shellcheck_identity() -> str:
    """The ShellCheck binary DF7xx rules run: path, size, mtime."""
    try:
        from . import shellcheck  # type: ignore[attr-defined, unused-ignore]

        found = shellcheck.binary()
    except Exception:  # not there (yet), or failing: the rules will say so
        return "shellcheck:?"
    if not found:
        return "shellcheck:none"
    try:
        st = os.stat(found)
    except OSError:
        return f"shellcheck:{found}:?"
    return f"shellcheck:{found}:{st.st_size}:{st.st_mtime_ns}"


# -- values ---------------------------------------------------------------

_FIELDS = ("status", "fixes", "findings", "unsafe_available", "error", "line", "col", "side_files")


def _dump(r: FileResult) -> dict | None:
    """What reproduces ``r`` (but its source: the file's bytes give it), or
    None for a result not to keep (an internal error, a written file, a
    result without the ShellCheck rules: ShellCheck could not run)."""
    if r.internal or r.written or r.warnings:
        return None
    value = {f: getattr(r, f) for f in _FIELDS}
    value["source"] = r.source is not None
    value["output"] = True if r.output is not None and r.output == r.source else r.output
    return value


def _load(value: dict, path: str, data: bytes) -> FileResult:
    from .runner import FileResult

    r = FileResult(path=path)
    for f in _FIELDS:
        setattr(r, f, value[f])
    if value["source"]:
        r.source = files.decode(data)
    output = value["output"]
    r.output = r.source if output is True else output
    return r
