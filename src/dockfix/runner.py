"""Process one file: read, fix, and (in fix mode) write it back.

``process_file(path, options) -> FileResult`` is everything that happens to
one file.  Options and FileResult are plain, picklable structs (``msgspec.Struct``) so a pool
of worker processes can run ``process_file`` and send the results back; the
command line only formats FileResults.  Nothing here prints.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from msgspec import Struct, field

from . import files
from ._records import compare_without

if TYPE_CHECKING:
    from .cache import Cache

MODES = ("fix", "diff", "check")

UNCHANGED = "unchanged"
CHANGED = "changed"
ERROR = "error"
SKIPPED = "skipped"


@compare_without("rule_options")
class Options(Struct, frozen=True):
    """What to do with each file.

    ``mode``: ``fix`` rewrites files in place, ``diff`` and ``check`` write
    nothing.  ``select``/``ignore``/``extend_select`` are rule codes or
    prefixes (``None`` select = all rules); ``per_file_ignore`` turns rules
    off whatever the selection says (a configuration's
    ``per-file-ignores``); ``rule_options``: rule name -> its options.
    """

    mode: str = "fix"
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    unsafe: bool = False
    context: str | None = None  # build context directory (default: the Dockerfile's folder)
    max_file_size: int = files.DEFAULT_MAX_FILE_SIZE  # bytes; 0 = no limit
    per_file_ignore: tuple[str, ...] = ()
    #: left out of ==/hash (compare_without)
    rule_options: dict[str, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}")

    @property
    def writes(self) -> bool:
        return self.mode == "fix"


class FileResult(Struct):
    """What happened to one file.

    ``status``: ``unchanged``, ``changed`` (rewritten in fix mode, would
    change otherwise), ``error`` (left untouched; ``error``/``line``/``col``
    say why and where) or ``skipped`` (no instructions).  ``fixes`` are the
    applied fixes (dicts; ``line``/``col`` in the original source);
    ``findings`` are what remains after fixing (dicts; ``line``/``col`` in
    the output, ``source_line``/``source_col`` in the original source).
    """

    path: str
    status: str = UNCHANGED
    source: str | None = None
    output: str | None = None
    fixes: list[dict] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    unsafe_available: int = 0
    error: str | None = None
    line: int | None = None
    col: int | None = None
    internal: bool = False  # the error is a dockfix bug, not the file's fault
    traceback: str | None = None
    written: bool = False
    #: other build-context files the fixes change (a generated .dockerignore):
    #: dicts with ``path`` (for messages and diffs), ``old`` (None: new file), ``new``
    side_files: list[dict] = field(default_factory=list)
    #: ``dockfix: warning:`` lines (ShellCheck could not run): printed once per run
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status == CHANGED

    @property
    def diff(self) -> str:
        if self.source is None or self.output is None:
            return ""
        out = files.unified_diff(self.source, self.output, self.path)
        for side in self.side_files:
            out += files.unified_diff(side["old"], side["new"], side["path"])
        return out


#: what computing one file gives: its result and the bytes read (None: unreadable)
Computed = tuple[FileResult, bytes | None]


def fix_text(
    text: str,
    path: str,
    options: Options,
    result: FileResult,
    context: str | None = None,
    proposed: dict[str, str] | None = None,
    side_files: bool = True,
) -> None:
    """Run the engine on ``text`` and fill ``result`` (not the I/O parts)."""
    from . import engine
    from .rules import registry

    result.source = text
    rules = [
        r
        for r in registry().select(options.select, options.ignore, options.extend_select)
        if not r.code.startswith(options.per_file_ignore)
    ]
    res = engine.fix(
        text,
        path=path,
        rules=rules,
        rule_options=options.rule_options,
        unsafe=options.unsafe,
        context=context or options.context,
        proposed=proposed,
        side_files=side_files,
    )
    result.output = res.output
    result.warnings = list(res.warnings)
    if res.empty:
        result.status = SKIPPED
        return
    result.status = CHANGED if res.changed else UNCHANGED
    result.unsafe_available = res.unsafe_available
    for rel, (old, new) in sorted(res.side_files.items()):
        full = os.path.join(res.context_root or ".", rel)
        shown = os.path.relpath(full) if not os.path.relpath(full).startswith("..") else full
        result.side_files.append({"path": shown, "abs": os.path.abspath(full), "old": old, "new": new})
    for f in res.fixes:
        d = f.as_dict()  # line/col: in the original source
        d["pass"] = f.pass_no
        result.fixes.append(d)
    for finding in res.findings:
        d = finding.as_dict()  # line/col: in the output
        d["source_line"], d["source_col"] = res.source_position(finding.start)
        result.findings.append(d)
    from .output import engine_details  # end positions and fix edits, for json/sarif/github

    fix_extra, finding_extra = engine_details(res)
    for d, extra in zip(result.fixes, fix_extra, strict=True):
        d.update(extra)
    for d, extra in zip(result.findings, finding_extra, strict=True):
        d.update(extra)


def _error(result: FileResult, message: str, line: int | None = None, col: int | None = None) -> FileResult:
    result.status = ERROR
    result.error = message
    result.line = line
    result.col = col
    result.output = None
    return result


def process_source(
    data: bytes,
    path: str,
    options: Options,
    engine_path: str | None = None,
    context: str | None = None,
    proposed: dict[str, str] | None = None,
    side_files: bool = True,
) -> FileResult:
    """Fix the bytes of one file (never writes).  ``path`` names it in the
    result; ``engine_path`` is the path the rules see (default ``path``)."""
    from .tree import ParseError

    result = FileResult(path=path)
    try:
        text = files.decode(data)
    except files.DecodeError as e:
        return _error(result, e.message, e.line, e.col)
    try:
        fix_text(text, engine_path or path, options, result, context, proposed, side_files)
    except ParseError as e:
        return _error(result, e.message, e.line, e.col)
    except MemoryError:
        # One file must not stop the run; what it held is garbage now.
        return _error(result, "out of memory while processing this file; left unchanged")
    except Exception as e:  # a bug in dockfix or a rule: report it, keep the file
        from .engine import FixError

        if isinstance(e, FixError):
            _error(result, f"internal error: {e}", 1, 1)
        else:
            _error(result, f"internal error: {type(e).__name__}: {e}", 1, 1)
        result.internal = True
        import traceback  # a dockfix bug: rare

        result.traceback = traceback.format_exc()
        return result
    return result


def process_file(
    path: str,
    options: Options,
    context: str | None = None,
    proposed: dict[str, str] | None = None,
    side_files: bool = True,
    cache: Cache | None = None,
) -> FileResult:
    """Read, fix and -- in fix mode, if it changed -- rewrite one file and
    the side files its fixes change, all or nothing.  ``side_files=False``
    keeps fixes that would write other files (the build context lies outside
    the trees the run may write to) as findings.  With a ``cache``, a file
    analysed before (same bytes, settings, context) is not analysed again.
    Never raises for a problem with the file; see FileResult."""
    result, data = compute_file(path, options, context, proposed, side_files, cache)
    return write_result(result, data, options)


def compute_file(
    path: str,
    options: Options,
    context: str | None = None,
    proposed: dict[str, str] | None = None,
    side_files: bool = True,
    cache: Cache | None = None,
) -> Computed:
    """Read and fix one file, writing nothing: the result and the bytes
    read (None if the file could not be read).  What a worker process of
    :mod:`dockfix.parallel` runs; :func:`write_result` finishes the job.
    With a ``cache`` (:mod:`dockfix.cache`), the result is read from it or
    stored in it."""
    try:
        data = files.read_bytes(path, options.max_file_size)
    except files.FileTooLarge as e:
        return _error(FileResult(path=path), str(e)), None
    except OSError as e:
        return _error(FileResult(path=path), f"cannot read file: {e.strerror or e}", 1, 1), None
    key = None
    if cache is not None:
        key = cache.key(path, data, options, context, proposed, side_files)
        hit = cache.get(key, path, data) if key is not None else None
        if hit is not None:
            return hit, data
    result = process_source(data, path, options, context=context, proposed=proposed, side_files=side_files)
    if cache is not None and key is not None:
        cache.put(key, result, data)
    return result, data


def write_result(result: FileResult, data: bytes | None, options: Options) -> FileResult:
    """In fix mode, write what :func:`compute_file` found for one file (read
    as ``data``) and its side files, all or nothing; a file changed on disk
    since it was read is left alone (an error)."""
    path = result.path
    if options.writes and result.status == CHANGED:
        assert result.output is not None and data is not None
        plan = []
        if result.output != result.source:
            plan.append(files.PlannedWrite(path, result.output, data))
        plan += [files.PlannedWrite(s["abs"], s["new"], s["old"]) for s in result.side_files]
        try:
            files.write_files(plan)
        except files.ChangedOnDisk as e:
            where = "" if os.path.realpath(e.filename) == os.path.realpath(path) else f" ({e.filename})"
            return _error(result, f"{e.strerror}{where}", 1, 1)
        except OSError as e:
            failed = e.filename if isinstance(e.filename, str) else path
            if os.path.realpath(failed) == os.path.realpath(path):
                return _error(result, f"cannot write file: {e.strerror or e}", 1, 1)
            shown = next((s["path"] for s in result.side_files if s["abs"] == failed), failed)
            return _error(result, f"cannot write {shown}: {e.strerror or e}; nothing written", 1, 1)
        result.written = True
    return result
