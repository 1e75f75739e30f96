"""The run loop of the command line: find the files, ask
:mod:`dockfix.runner` to process each one, and print what it found (diffs,
the ``--check`` listing and stdin output on stdout; errors, ``--verbose``
details and the summary on stderr).  Imported only once a run starts."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from msgspec import Struct, field

from . import discovery, files, runner
from ._cli_report import format_check, format_error, format_verbose, shown, summary
from .cli import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, UsageProblem, err, out, out_bytes
from .config import Resolver, effective
from .context import reset_run_caches
from .output import Printer
from .runner import FileResult, Options

if TYPE_CHECKING:
    from .cache import Cache, Key
    from .parallel import Touched

#: context files fixes propose but a run without writing does not write (a
#: .dockerignore): absolute path -> (original text or None, display path, latest text)
SideFiles = dict[str, tuple[str | None, str, str]]

#: Below this many files a run stays in-process whatever ``--jobs`` says: a
#: worker pays for starting an interpreter and importing dockfix and its
#: rules (some 0.2-0.4 s, as much as 20-40 ordinary Dockerfiles), so a pool
#: cannot win on a handful of files, and a pre-commit hook's run of a few
#: files neither starts processes nor imports multiprocessing.
MIN_POOL_FILES = 32
#: The progress bar is shown from this many files on (and only on a terminal).
MIN_PROGRESS_FILES = 100


def parse_jobs(value: str | None) -> int | None:
    """``--jobs N``: a positive number of processes (None: not given)."""
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise UsageProblem(f"--jobs: expected a positive number of processes, not {value!r}")
    return n


def default_jobs() -> int:
    """``--jobs`` by default: the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def run(
    paths: list[str],
    options: Options,
    stdin_filename: str | None = None,
    verbose: bool = False,
    printer: Printer | None = None,
    resolver: Resolver | None = None,
    cli_select: bool = False,
    jobs: int | None = None,
    quiet: bool = False,
    cache: Cache | None = None,
) -> int:
    """Process ``paths``.  With a ``resolver``, each file's options are its
    configuration file's under ``options`` (the command line; ``cli_select``:
    it gave ``--select``), and the files a walk finds that the
    configuration excludes are left out.  ``jobs``: worker processes
    (None: one per CPU; 1: in-process; see :mod:`dockfix.parallel`);
    ``quiet``: print only errors (and the diffs in ``--diff`` mode);
    ``cache``: files analysed before are read from it (:mod:`dockfix.cache`),
    the others stored in it."""
    reset_run_caches()  # a run never sees what an earlier run of this process read
    if not paths:
        paths = ["-"] if stdin_filename else ["."]
    targets, contexts, warned = _targets(paths, options, resolver)
    if not targets:
        if printer is not None:  # an empty SARIF log, statistics, report
            printer.finish([], options)
        err("No Dockerfiles found.\n")
        return EXIT_ERROR if warned else EXIT_OK
    results: list[FileResult] = []
    told: set[str] = set()  # the warnings printed
    # Without writing, the side files are shared with the next Dockerfiles
    # of the run, and shown once at the end.
    side: SideFiles = {}
    # Side files are written only inside the trees the run walks, or in the
    # folder of a Dockerfile named explicitly, or in an explicit --context:
    # a compose file's `context: ../elsewhere` must not make the run write there.
    walked = [os.path.realpath(p) for p in paths if p != files.STDIN and os.path.isdir(p)]

    def options_for(target: str) -> Options:
        if resolver is None:
            return options
        where = (stdin_filename or "-") if target == files.STDIN else target
        return effective(options, resolver.settings_for(where), where, cli_select)

    n_files = sum(1 for t in targets if t != files.STDIN)
    pool = _Pool()
    if n_files >= MIN_POOL_FILES and (jobs or default_jobs()) > 1:
        pool = _start_pool(targets, contexts, walked, options, options_for, jobs or default_jobs(), cache)
    progress = _progress(n_files, options, verbose, printer, quiet)
    try:
        for i, target in enumerate(targets):
            opts = options_for(target)
            if target == files.STDIN:
                r = _process_stdin(opts, stdin_filename)
            else:
                proposed = {k: v[2] for k, v in side.items()} if not options.writes else None
                ctx = contexts.get(os.path.abspath(target))
                side_files = ctx is None or _inside_any(ctx, walked)
                r = _one_file(i, target, opts, ctx, proposed, side_files, pool, cache)
            results.append(_kept(r, printer))
            for f in r.side_files:
                old = side[f["abs"]][0] if f["abs"] in side else f["old"]
                side[f["abs"]] = (old, f["path"], f["new"])
            for line in r.warnings:  # once per run, whichever worker met it
                if line not in told:
                    told.add(line)
                    err(line + "\n")
            _report(r, options, verbose, printer, quiet)
            if progress is not None:
                progress.advance()
    finally:
        if pool.results is not None:
            pool.results.close()  # stops the workers (Ctrl-C, an error)
        if progress is not None:
            progress.close()
    if cache is not None:
        cache.close()
    if not options.writes and (printer is None or printer.text_listing):
        _report_side_files(side, options, quiet)
    if printer is not None:  # --output-format, --statistics, --show-fixes, --report
        printer.finish(results, options)
    if not quiet:
        err(summary(results, options))
    if warned or any(r.status == "error" for r in results):
        return EXIT_ERROR
    if options.mode != "fix" and any(r.changed for r in results):
        return EXIT_CHANGES
    return EXIT_OK


class _Pool(Struct):
    """The files a process pool computes: ``results`` yields the workers'
    results in the order of ``pooled`` (indices in the targets); ``keys``:
    their cache keys; ``touched``: the files the run wrote or proposed so
    far (a pooled result for a build context touched since is stale)."""

    results: Generator | None = None
    pooled: set[int] = field(default_factory=set)
    keys: dict[int, Key] = field(default_factory=dict)
    touched: Touched | None = None


def _start_pool(
    targets: list[str],
    contexts: dict[str, str],
    walked: list[str],
    options: Options,
    options_for: Callable[[str], Options],
    jobs: int,
    cache: Cache | None,
) -> _Pool:
    """Hand the files the cache does not have to ``jobs`` workers (all in
    the parent when fewer than :data:`MIN_POOL_FILES` are left)."""
    from . import parallel

    pool = _Pool(touched=parallel.Touched())
    tasks = []
    # the side files the cached results propose, as the loop will have them
    pre_side: dict[str, str] = {}
    for i, target in enumerate(targets):
        if target == files.STDIN:
            continue
        try:
            opts = options_for(target)
        except Exception:  # raised again in its turn, after the files before it
            break
        ctx = contexts.get(os.path.abspath(target))
        inside = ctx is None or _inside_any(ctx, walked)
        if cache is not None:
            key, hit = _lookup(cache, target, opts, ctx, inside, dict(pre_side))
            if hit is not None:  # not for the pool: its turn reads the cache
                if not options.writes:
                    pre_side.update(hit)
                continue
            if key is not None:
                pool.keys[i] = key
        tasks.append(parallel.Task(target, opts, ctx, inside))
        pool.pooled.add(i)
    if len(tasks) >= MIN_POOL_FILES:
        pool.results = parallel.computed(tasks, jobs)
    else:  # the cache had most: the rest in-process
        pool.pooled.clear()
    return pool


def _one_file(
    i: int,
    target: str,
    opts: Options,
    ctx: str | None,
    proposed: dict[str, str] | None,
    side_files: bool,
    pool: _Pool,
    cache: Cache | None,
) -> FileResult:
    """The result of the ``i``-th file: the pool's (written here), unless
    its build context changed since, else computed in-process."""
    item = next(pool.results) if pool.results is not None and i in pool.pooled else None
    # Stale if a file of its build context changed since (or a side file
    # was proposed there): computed again, in-process.
    root = ctx or opts.context or os.path.dirname(os.path.abspath(target))
    if item is not None and pool.touched is not None and pool.touched.inside(root):
        item = None
    if item is not None and cache is not None and i in pool.keys:
        cache.put(pool.keys[i], item[0], item[1])
    if item is not None:
        r = runner.write_result(item[0], item[1], opts)
    else:
        r = runner.process_file(target, opts, ctx, proposed, side_files=side_files, cache=cache)
    if r.written and cache is not None:
        cache.written([target] + [f["abs"] for f in r.side_files])
    if pool.touched is not None:
        if r.written:
            pool.touched.add(target)
        if r.written or not opts.writes:
            for f in r.side_files:
                pool.touched.add(f["abs"])
    return r


def _targets(
    paths: list[str], options: Options, resolver: Resolver | None = None
) -> tuple[list[str], dict[str, str], bool]:
    """The files to process, the build context of each one a compose file
    names (absolute Dockerfile path -> context), and whether the walks had
    to skip something: an unreadable folder or .gitignore, an invalid
    pattern, a symlink leading out (one ``dockfix: warning:`` line each;
    the run exits 2 at the end).  Files found by a walk that their
    configuration's ``exclude``/``extend-exclude`` match are left out
    (files named on the command line never are, as in ruff)."""
    warnings: list[str] = []
    targets = discovery.discover(paths, warnings)
    if resolver is not None:
        named = {files.display(p) for p in paths}
        targets = [t for t in targets if t in named or not resolver.settings_for(t).excluded(t)]
    contexts: dict[str, str] = {}
    compose_files = discovery.discover_compose(paths, warnings)
    for line in dict.fromkeys(warnings):
        err(f"dockfix: warning: {line}\n")
    if compose_files:
        from .context import compose_contexts

        contexts = compose_contexts(compose_files)
    if options.context is not None:
        if len(targets) != 1:
            raise UsageProblem("--context applies to a single Dockerfile")
        if not os.path.isdir(options.context):
            raise UsageProblem(f"--context: not a directory: {options.context}")
    return targets, contexts, bool(warnings)


def _lookup(
    cache: Cache,
    target: str,
    options: Options,
    context: str | None,
    side_files: bool,
    proposed: dict[str, str],
) -> tuple[Key | None, list[tuple[str, str]] | None]:
    """Before the run starts: a file's cache key and, if the cache has it,
    the side files its result proposes (results are read in their turn, so
    a run holds one at a time).  The side files earlier files propose
    (``proposed``) are known only for those the cache has."""
    try:
        data = files.read_bytes(target, options.max_file_size)
    except OSError:  # the file's turn reports it
        return None, None
    key = cache.key(target, data, options, context, proposed, side_files)
    return key, cache.probe(key) if key is not None else None


def _inside_any(path: str, roots: list[str]) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _process_stdin(options: Options, stdin_filename: str | None) -> FileResult:
    """Fix what stdin holds; in fix mode the result (or, on error, the
    input untouched) goes to stdout."""
    name = stdin_filename or "<stdin>"
    if sys.stdin is None:
        return runner._error(FileResult(path=name), "cannot read standard input: it is closed")
    limit = options.max_file_size
    data = sys.stdin.buffer.read(limit + 1) if limit else sys.stdin.buffer.read()
    if limit and len(data) > limit:
        r = runner._error(FileResult(path=name), str(files.FileTooLarge(len(data), limit)))
        if options.mode == "fix":  # pass the input through untouched
            out_bytes(data)
            while chunk := sys.stdin.buffer.read(1 << 20):
                out_bytes(chunk)
        return r
    r = runner.process_source(data, name, options, engine_path=stdin_filename or "Dockerfile")
    if options.mode == "fix":
        if r.output is not None:
            out(r.output)
        else:  # on error, pass the input through untouched
            out_bytes(data)
    return r


def _report(
    r: FileResult, options: Options, verbose: bool, printer: Printer | None = None, quiet: bool = False
) -> None:
    """What the run prints as soon as one file is done (``quiet``: only an
    error, or the diff in ``--diff`` mode)."""
    if r.status == "error":
        err(format_error(r, verbose))
    elif options.mode == "diff" and r.changed and r.output is not None:
        out(files.unified_diff(r.source, r.output, r.path))
    elif quiet:
        pass
    elif options.mode == "check" and (r.changed or r.findings) and (printer is None or printer.text_listing):
        out(format_check(r))
    if printer is not None:
        printer.file_done(r, options)
    if verbose and not quiet:
        err(format_verbose(r, options.mode))


def _kept(r: FileResult, printer: Printer | None) -> FileResult:
    """What the end of the run reads of a file once it is reported: the
    summary and ``--show-fixes`` need its status and the codes; only
    ``--report`` needs its text and every finding.  A run over thousands of
    files then holds no file's text (its memory stays flat)."""
    if printer is not None and printer.report is not None:
        return r
    return FileResult(
        r.path,
        r.status,
        fixes=[{"code": f["code"]} for f in r.fixes],
        findings=[{"fixable": f.get("fixable")} for f in r.findings],
        unsafe_available=r.unsafe_available,
        error=r.error,
        line=r.line,
        col=r.col,
        internal=r.internal,
        written=r.written,
    )


def _report_side_files(side: SideFiles, options: Options, quiet: bool = False) -> None:
    """The side files a run without writing would change, once each."""
    for old, display, new in side.values():
        if options.mode == "diff":
            out(files.unified_diff(old, new, display))
        elif options.mode == "check" and old != new and not quiet:
            out(f"Would {'create' if old is None else 'update'}: {shown(display)}\n")


class _Progress:
    """A progress bar on stderr (rich, imported only for it)."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("dockfix"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._bar.add_task("files", total=total)
        self._bar.start()

    def advance(self) -> None:
        self._bar.advance(self._task)

    def close(self) -> None:
        self._bar.stop()


def _progress(
    n_files: int, options: Options, verbose: bool, printer: Printer | None, quiet: bool
) -> _Progress | None:
    """A progress bar, only for a long run on a terminal that prints nothing
    else per file there: never with --diff, --quiet, --verbose, a machine
    format (json, sarif, github) or a --check listing on the same terminal."""
    if n_files < MIN_PROGRESS_FILES or quiet or verbose or options.mode == "diff":
        return None
    if printer is not None and printer.format not in ("text", "concise"):
        return None
    if not _isatty(sys.stderr) or (options.mode == "check" and _isatty(sys.stdout)):
        return None
    return _Progress(n_files)


def _isatty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False
