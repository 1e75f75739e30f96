"""The ``dockfix`` command line.

This module declares the options once (:data:`OPTIONS`), parses them (a
small parser for plain invocations, Typer for the rest) and runs the
command, writing exact bytes to stdout and stderr.  Beside it:
:mod:`dockfix._cli_report` renders what a run prints (diffs aside), and
:mod:`dockfix._cli_run` is the run loop, which asks :mod:`dockfix.runner`
to process each file.  Importing it loads nothing else (the console script
imports it before a Ctrl-C can be handled); a plain run imports neither
typer nor jinja2 (only ``--explain`` does).

Exit codes: 0 success; 1 with ``--diff``/``--check`` when a file would
change; 2 when any file had an error, when a directory walk had to skip
something (a ``dockfix: warning:`` line), on bad options or an internal error.
"""

import os
import sys

EXIT_OK = 0
EXIT_CHANGES = 1
EXIT_ERROR = 2


class UsageProblem(Exception):
    """A bad option value: one line on stderr, exit 2."""


class OutputError(OSError):
    """Standard output is closed or cannot be written (a full disk): one
    line on stderr, exit 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (or SIGHUP): unwinds like Ctrl-C, so temporary files are
    removed, then exits 143."""


def _on_signal(signum, frame) -> None:
    import signal

    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """Ctrl-C and SIGTERM/SIGHUP raise in the main thread, so every write in
    progress cleans up its temporary files and the run ends with one line."""
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            if name == "SIGINT" and signal.getsignal(sig) is signal.SIG_IGN:
                continue  # started in the background with Ctrl-C ignored: keep it so
            signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # not the main thread
            pass


def _interrupted(e: KeyboardInterrupt) -> int:
    if isinstance(e, Terminated):
        err("dockfix: terminated\n")
        return 128 + (e.args[0] if e.args and isinstance(e.args[0], int) else 15)
    err("dockfix: interrupted\n")
    return 130


# ---------------------------------------------------------------------------
# output helpers


def _write(stream, text: str) -> None:
    """Write text as UTF-8 bytes, with no newline translation (line endings
    in diffs and stdin output must stay exact)."""
    buf = getattr(stream, "buffer", None)
    if buf is None:
        stream.write(text)
        stream.flush()
        return
    try:
        data = text.encode("utf-8", "surrogateescape")  # file names that are not UTF-8
    except UnicodeEncodeError:
        data = text.encode("utf-8", "backslashreplace")
    stream.flush()
    buf.write(data)
    buf.flush()


def out(text: str) -> None:
    """Write to stdout; a closed or failing stdout raises OutputError (a
    broken pipe stays BrokenPipeError: the reader left, end quietly)."""
    if sys.stdout is None:
        raise OutputError("standard output is closed")
    try:
        _write(sys.stdout, text)
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as e:  # ValueError: I/O on a closed file
        raise OutputError(f"cannot write to standard output: {getattr(e, 'strerror', None) or e}") from None


def out_bytes(data: bytes) -> None:
    """Write raw bytes to stdout (stdin passed through); errors as out()."""
    if sys.stdout is None:
        raise OutputError("standard output is closed")
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as e:
        raise OutputError(f"cannot write to standard output: {getattr(e, 'strerror', None) or e}") from None


def err(text: str) -> None:
    """Write to stderr; where stderr itself is gone there is no one to tell."""
    if sys.stderr is None:
        return
    try:
        _write(sys.stderr, text)
    except (OSError, ValueError):
        pass


# ---------------------------------------------------------------------------
# option handling


def split_codes(values: list[str] | None, option: str) -> tuple[str, ...]:
    """``--select A,B --select C`` -> (A, B, C), upper-cased; unknown codes
    are rejected."""
    codes: list[str] = []
    for v in values or ():
        codes.extend(c.strip().upper() for c in v.split(",") if c.strip())
    if codes:
        from .rules import registry

        bad = registry().unknown_codes(codes)
        if bad:
            raise UsageProblem(
                f"unknown rule code{'s' if len(bad) > 1 else ''} in {option}: {', '.join(bad)} "
                "(see `dockfix --list-rules`)"
            )
    return tuple(codes)


_UNITS = {"": 1_000_000, "b": 1, "k": 1_000, "kb": 1_000, "m": 1_000_000, "mb": 1_000_000,
          "g": 1_000_000_000, "gb": 1_000_000_000}  # fmt: skip


def parse_size(value: str) -> int:
    """``--max-file-size``: megabytes, or a number with a unit (``500KB``,
    ``2MB``, ``1GB``, ``4096B``); 0 means no limit.  Returns bytes."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*", value)
    unit = m.group(2).lower() if m else ""
    if m is None or unit not in _UNITS:
        raise UsageProblem(f"--max-file-size: not a size: {value!r} (e.g. 2, 500KB, 2MB)")
    return int(float(m.group(1)) * _UNITS[unit])


# ---------------------------------------------------------------------------
# entry points
#
# The command line is a Typer app (``app``: help, parsing, errors, and what
# tests drive through ``typer.testing.CliRunner``).  Building and running it
# costs about 100 ms per call (importing typer, and pydantic for its value
# coercion), more than checking a file; a pre-commit hook pays that on every
# commit.  So ``main()`` first tries ``fast_parse``, a small parser for the
# plain invocations (known options, no --help), and hands anything else to
# Typer.  Both paths end in ``execute`` with the same keyword arguments;
# tests check that they agree.


class Option:
    """One command-line option, declared once: the fast parser, Typer's
    help and parsing, and ``execute``'s keyword arguments all come from
    :data:`OPTIONS`.  ``kind``: ``flag`` (a switch), ``value`` (the last one
    given wins) or ``multi`` (repeatable, collected in a list)."""

    __slots__ = ("names", "key", "kind", "metavar", "help")

    def __init__(self, names: str, kind: str, help: str, metavar: str | None = None):
        self.names = tuple(names.split())
        self.key = self.names[0].lstrip("-").replace("-", "_")
        self.kind = kind
        self.metavar = metavar
        self.help = help

    @property
    def default(self):
        return False if self.kind == "flag" else None


OPTIONS = (
    Option("--diff", "flag", "Print a unified diff of the fixes; write nothing."),
    Option("--check", "flag", "List the findings and the files that would change; write nothing."),
    Option("--unsafe-fixes", "flag", "Also apply fixes that may change the image's behaviour."),
    Option("--select", "multi", "Only these rule codes or prefixes (comma-separated).", "CODES"),
    Option("--ignore", "multi", "Skip these rule codes or prefixes.", "CODES"),
    Option("--extend-select", "multi", "Add these rule codes or prefixes to the selection.", "CODES"),
    Option("--stdin-filename", "value", "The name of the file read from stdin.", "NAME"),
    Option(
        "--context",
        "value",
        "The build context directory of the (single) Dockerfile; default: its own folder.",
        "DIR",
    ),  # fmt: skip
    Option(
        "--max-file-size",
        "value",
        "Refuse files larger than this (megabytes, or with a unit: 500KB, 2MB; 0: no limit; default 2).",
        "SIZE",
    ),  # fmt: skip
    Option(
        "--output-format",
        "value",
        "How findings are printed: text (default), concise, json, sarif or github.",
        "FORMAT",
    ),  # fmt: skip
    Option("--statistics", "flag", "Print the number of findings per rule instead of each finding."),
    Option("--show-fixes", "flag", "List the fixes applied (or that would be) per file."),
    Option("--report", "value", "Write a self-contained HTML migration report of the run.", "FILE.html"),
    Option("--config", "value", "Use this configuration file for every path (no search).", "FILE"),
    Option("--isolated", "flag", "Ignore every configuration file."),
    Option("--show-settings", "flag", "Print the settings in effect for PATH (default: .) and exit."),
    Option("--list-rules", "flag", "List the rules and exit."),
    Option("--explain", "value", "Show a rule's documentation and exit.", "CODE"),
    Option("--version", "flag", "Show the version and exit."),
    Option("--verbose -v", "flag", "Report every file, and tracebacks of internal errors."),
    Option("--jobs -j", "value", "Worker processes (default: one per CPU; 1: all in-process).", "N"),
    Option("--quiet -q", "flag", "Print only errors (and the diffs with --diff)."),
    Option("--no-cache", "flag", "Neither read nor write the cache of results (or: DOCKFIX_NO_CACHE=1)."),
    Option(
        "--cache-dir",
        "value",
        "The cache folder (default: $DOCKFIX_CACHE_DIR, the configuration's cache-dir, else"
        " .dockfix_cache in the project root).",
        "DIR",
    ),  # fmt: skip
)
BY_NAME = {name: o for o in OPTIONS for name in o.names}


def fast_parse(argv: list[str]) -> dict | None:
    """The keyword arguments of ``execute`` for a plain command line, or
    None when Typer must handle it (help, an unknown or malformed option)."""
    kw: dict = {o.key: o.default for o in OPTIONS}
    kw["paths"] = []
    only_paths = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if only_paths or arg == "-" or not arg.startswith("-"):
            kw["paths"].append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        name, eq, value = arg.partition("=")
        if name not in BY_NAME:
            return None
        key, kind = BY_NAME[name].key, BY_NAME[name].kind
        if kind == "flag":
            if eq:
                return None
            kw[key] = True
            continue
        if not eq:
            if i >= len(argv) or argv[i].startswith("-"):
                return None  # missing value, or one that looks like an option: let Typer decide
            value = argv[i]
            i += 1
        if kind == "multi":
            kw[key] = (kw[key] or []) + [value]
        else:
            kw[key] = value
    return kw


def execute(paths: list[str], **options) -> int:
    """Run the command; returns the exit code.  Never raises: bad options
    and internal errors are one line on stderr (a traceback with
    --verbose) and exit code 2."""
    unknown = set(options) - {o.key for o in OPTIONS}
    if unknown:
        raise TypeError(f"execute() got unknown options: {', '.join(sorted(unknown))}")
    kw = {o.key: options.get(o.key, o.default) for o in OPTIONS}
    verbose = kw["verbose"]
    try:
        return _execute(list(paths), **kw)
    except UsageProblem as e:
        err(f"dockfix: error: {e}\n")
    except KeyboardInterrupt as e:
        return _interrupted(e)
    except BrokenPipeError:  # e.g. `dockfix --diff | head`: the reader is gone
        _silence_stdout()
        return EXIT_ERROR
    except OutputError as e:
        _silence_stdout()
        err(f"dockfix: error: {e}\n")
    except Exception as e:  # an internal error
        if verbose:
            import traceback

            err(traceback.format_exc())
        hint = "" if verbose else " (run with --verbose for the traceback)"
        err(f"dockfix: internal error: {type(e).__name__}: {e}{hint}\n")
    return EXIT_ERROR


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush of what
    is still buffered cannot fail again at exit."""
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, sys.stdout.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):
        pass


def _execute(
    paths: list[str], diff: bool, check: bool, unsafe_fixes: bool, select: list[str] | None,
    ignore: list[str] | None, extend_select: list[str] | None, stdin_filename: str | None,
    context: str | None, max_file_size: str | None, output_format: str | None, statistics: bool,
    show_fixes: bool, report: str | None, config: str | None, isolated: bool, show_settings: bool,
    list_rules: bool, explain: str | None,
    version: bool, verbose: bool, jobs: str | None, quiet: bool, no_cache: bool, cache_dir: str | None,
) -> int:  # fmt: skip
    if version:
        from . import __version__

        out(f"dockfix {__version__}\n")
        return EXIT_OK
    if list_rules:
        from ._cli_report import rule_catalogue

        out(rule_catalogue())
        return EXIT_OK
    if explain is not None:
        from ._cli_report import rule_docs

        out(rule_docs(explain))
        return EXIT_OK
    if diff and check:
        raise UsageProblem("--diff and --check cannot be used together")
    if config is not None and isolated:
        raise UsageProblem("--config and --isolated cannot be used together")
    from ._cli_run import parse_jobs, run
    from .config import Resolver, effective, show
    from .runner import Options

    options = Options(
        mode="diff" if diff else "check" if check else "fix",
        select=split_codes(select, "--select") or None,
        ignore=split_codes(ignore, "--ignore"),
        extend_select=split_codes(extend_select, "--extend-select"),
        unsafe=unsafe_fixes,
        context=context,
        max_file_size=Options().max_file_size if max_file_size is None else parse_size(max_file_size),
    )
    resolver = Resolver(config, isolated)
    if show_settings:
        where = (paths or [stdin_filename or "."])[0]
        if where == "-":
            where = stdin_filename or "-"
        settings = resolver.settings_for(where)
        out(show(settings, effective(options, settings, where, select is not None), where))
        return EXIT_OK
    from .output import make_printer

    reads_stdin = "-" in paths or (not paths and stdin_filename is not None)
    printer = make_printer(
        output_format, statistics, show_fixes, report, options.mode, reads_stdin and options.mode == "fix"
    )
    n_jobs = parse_jobs(jobs)
    cache = None
    from .cache import Cache, disabled
    from .cache import cache_dir as default_cache_dir

    if not no_cache and not disabled() and not (reads_stdin and all(p == "-" for p in paths)):
        from .config import ConfigError

        try:
            project = resolver.settings_for(".")
        except ConfigError:  # reported if a file of the run uses it
            project = None
        cache = Cache(default_cache_dir(cache_dir, project), warn=err)
    return run(
        paths, options, stdin_filename=stdin_filename, verbose=verbose, printer=printer,
        resolver=resolver, cli_select=select is not None, jobs=n_jobs, quiet=quiet, cache=cache,
    )  # fmt: skip


HELP = (
    "Rewrite Dockerfiles to fix what makes images big, slow to rebuild or unsafe.\n\n"
    "PATH: files or directories (searched recursively for Dockerfiles, respecting .gitignore); "
    "default: the current directory; '-' reads stdin and writes the result to stdout.\n\n"
    "Exit status: 0 done; 1 with --diff/--check when a file would change; 2 on any error.\n\n"
    "`dockfix verify [PATH]` builds the Dockerfile before and after the fixes and compares them "
    "(see `dockfix verify --help`)."
)


def build_app():
    """The Typer application (imports typer), its options made from
    :data:`OPTIONS`: Typer reads the signature built here."""
    import inspect

    import typer

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    types = {"flag": bool, "value": str | None, "multi": list[str] | None}
    params = [
        inspect.Parameter(
            "paths", inspect.Parameter.KEYWORD_ONLY, annotation=list[str] | None,
            default=typer.Argument(None, metavar="PATH", show_default=False, help="Files or directories; - for stdin."),
        )
    ] + [
        inspect.Parameter(
            o.key, inspect.Parameter.KEYWORD_ONLY, annotation=types[o.kind],
            default=typer.Option(o.default, *o.names, metavar=o.metavar, help=o.help, show_default=False),
        )
        for o in OPTIONS
    ]  # fmt: skip

    def dockfix(paths: list[str] | None = None, **options) -> None:
        raise typer.Exit(execute(list(paths or []), **options))

    dockfix.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    dockfix.__annotations__ = {p.name: p.annotation for p in params}
    app.command(context_settings={"help_option_names": ["-h", "--help"]}, help=HELP)(dockfix)
    return app


_APP = None

#: names that moved to the modules beside this one and stay reachable here
#: (``cli.run``, ``cli.format_error``), loaded on first use
_ELSEWHERE = {"run": "_cli_run"} | dict.fromkeys(
    [
        "plural",
        "shown",
        "format_error",
        "format_check",
        "format_verbose",
        "summary",
        "rule_catalogue",
        "rule_docs",
    ],
    "_cli_report",
)


def __getattr__(name: str):
    """``dockfix.cli.app`` is built on first use, so a plain run never
    imports typer; the run loop and the rendering load on first use too."""
    global _APP
    if name == "app":
        if _APP is None:
            _APP = build_app()
        return _APP
    if name in _ELSEWHERE:
        import importlib

        return getattr(importlib.import_module(f".{_ELSEWHERE[name]}", __package__), name)
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> None:
    """The command line (the console script enters through :mod:`dockfix._entry`)."""
    try:
        install_signal_handlers()
        args = sys.argv[1:] if argv is None else list(argv)
        verify = args[:1] == ["verify"]  # `dockfix verify`: its own module (`./verify` is a path)
        kw = None if verify else fast_parse(args)
        if verify:
            from .verify import main as verify_main

            code = verify_main(args[1:])
        elif kw is not None:
            code = execute(**kw)
        else:
            __getattr__("app")(args=args, prog_name="dockfix")
            code = EXIT_OK
    except KeyboardInterrupt as e:  # before or after execute's own handling
        code = _interrupted(e)
    sys.exit(code)
