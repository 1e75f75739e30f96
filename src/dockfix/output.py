"""Machine-readable output of a run: ``--output-format``, ``--statistics``,
``--show-fixes`` and ``--report``.

Everything here renders what the run already found: the
:class:`~dockfix.runner.FileResult` of each file (its applied fixes and the
findings left); nothing runs a rule again.  One *record* (a dict) stands for
one finding or fix; every format is made from the records:

- ``text``: the classic output (the ``--check`` listing; see
  :mod:`dockfix._cli_report`);
- ``concise``: one ``path:line:col: CODE message`` line per finding not
  fixed, in every mode;
- ``json``: one JSON object per line per record (fixed ones included, with
  ``"applied": true``);
- ``sarif``: one SARIF 2.1.0 log (:mod:`dockfix.sarif`) at the end;
- ``github``: GitHub Actions ``::error`` workflow commands.

:func:`engine_details` gives the parts of a record that need the engine's
result (end positions, fix edits): the runner adds them to the FileResult's
dicts.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import TYPE_CHECKING

from msgspec import Struct, field

from .cli import UsageProblem, err, out

if TYPE_CHECKING:
    from .engine import FixResult
    from .runner import FileResult, Options

FORMATS = ("text", "concise", "json", "sarif", "github")


# ---------------------------------------------------------------------------
# details from the engine's result


class _Lines:
    """1-based (line, column) of offsets of one text, as
    :meth:`dockfix.tree.Dockerfile.position` gives them (one index of line
    starts, then a binary search per offset)."""

    def __init__(self, text: str):
        self.text = text
        starts = [0]
        i = text.find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = text.find("\n", i + 1)
        self.starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        from bisect import bisect_right

        line = bisect_right(self.starts, offset)
        col = offset - self.starts[line - 1] + 1
        if line == 1 and offset > 0 and self.text.startswith("\ufeff"):
            col -= 1  # a byte-order mark is no column
        return line, col

    def edit(self, start: int, end: int, replacement: str) -> dict:
        (sl, sc), (el, ec) = self.position(start), self.position(end)
        return {"start_line": sl, "start_col": sc, "end_line": el, "end_col": ec, "text": replacement}


def engine_details(res: FixResult) -> tuple[list[dict], list[dict]]:
    """What the output records need from the engine's result beyond
    ``as_dict()``: one dict per applied fix (``res.fixes``) and one per
    finding left (``res.findings``), in their order, for the runner to add
    to the FileResult's dicts.

    An applied fix: ``end_line``/``end_col`` and ``edits`` in the source as
    read (a later pass's edits mapped back through the earlier passes).  A
    finding left: ``end_line``/``end_col``/``edits`` in the output and
    ``source_end_line``/``source_end_col``/``source_edits`` in the source."""
    src, dst = _Lines(res.source), _Lines(res.output)
    fixes = []
    for f in res.fixes:
        before = f.pass_no - 1
        d: dict = {}
        d["end_line"], d["end_col"] = src.position(res.to_source(f.end, after_pass=before))
        d["edits"] = [
            src.edit(
                res.to_source(e.start, after_pass=before),
                res.to_source(e.end, after_pass=before),
                e.replacement,
            )
            for e in f.edits
        ]
        fixes.append(d)
    findings = []
    for finding in res.findings:
        edits = finding.fix.edits if finding.fix is not None else ()
        d = {}
        d["end_line"], d["end_col"] = dst.position(finding.end)
        d["source_end_line"], d["source_end_col"] = src.position(res.to_source(finding.end))
        d["edits"] = [dst.edit(e.start, e.end, e.replacement) for e in edits]
        d["source_edits"] = [
            src.edit(res.to_source(e.start), res.to_source(e.end), e.replacement) for e in edits
        ]
        findings.append(d)
    return fixes, findings


# ---------------------------------------------------------------------------
# records


def _rule_info(code: str) -> tuple[str, tuple[str, ...]]:
    from .rules import registry

    rule = registry().rules.get(code)
    return (rule.name, tuple(rule.covers)) if rule is not None else ("", ())


def records(r: FileResult, options: Options) -> list[dict]:
    """One dict per fix and finding of a file, positioned in the file as it
    is on disk after the run (the source as read, unless it was rewritten),
    sorted by position."""
    rows: list[dict] = []
    on_disk_is_output = options.writes and r.output is not None
    for f in r.fixes:
        name, covers = _rule_info(f["code"])
        rows.append(
            {
                "path": r.path,
                "code": f["code"],
                "name": name,
                "message": f["message"],
                "line": f["line"],
                "col": f["col"],
                "end_line": f.get("end_line"),
                "end_col": f.get("end_col"),
                "safety": f["safety"],
                "fixable": True,
                "applied": options.writes,
                "pass": f.get("pass", 1),
                "edits": f.get("edits", []),
                "covers": list(covers),
            }
        )
    for f in r.findings:
        name, covers = _rule_info(f["code"])
        if on_disk_is_output:
            pos = (f["line"], f["col"], f.get("end_line"), f.get("end_col"), f.get("edits", []))
        else:
            pos = (
                f["source_line"],
                f["source_col"],
                f.get("source_end_line"),
                f.get("source_end_col"),
                f.get("source_edits", []),
            )
        rows.append(
            {
                "path": r.path,
                "code": f["code"],
                "name": name,
                "message": f["message"],
                "line": pos[0],
                "col": pos[1],
                "end_line": pos[2],
                "end_col": pos[3],
                "safety": f["safety"],
                "fixable": bool(f.get("fixable")),
                "applied": False,
                "pass": None,
                "edits": pos[4] if f.get("fixable") else [],
                "covers": list(covers),
            }
        )
    rows.sort(key=lambda d: (d["line"], d["col"], d["code"]))
    return rows


def error_record(r: FileResult) -> dict:
    """A file that could not be processed, as a record without a code."""
    return {
        "path": r.path,
        "code": None,
        "message": r.error,
        "line": r.line or 1,
        "col": r.col or 1,
        "error": True,
    }


def _mark(d: dict) -> str:
    if d["applied"]:
        return " [fixed]"
    if d["fixable"] and d["safety"] == "unsafe" and not d.get("pass"):
        return " [unsafe fix]"
    return " [*]" if d["fixable"] else ""


def concise_line(d: dict) -> str:
    from ._cli_report import shown

    return f"{shown(d['path'])}:{d['line']}:{d['col']}: {d['code']} {d['message']}{_mark(d)}\n"


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: dict) -> str:
    """A GitHub Actions workflow command (an annotation on the file)."""
    props = [f"file={_gh_prop(d['path'])}", f"line={d['line']}", f"col={d['col']}"]
    if d.get("end_line") is not None:
        props += [f"endLine={d['end_line']}", f"endColumn={d['end_col']}"]
    if d.get("code"):
        props.append(f"title={_gh_prop(d['code'] + (' ' + d['name'] if d.get('name') else ''))}")
    message = d["message"] + (" (fixable)" if d.get("fixable") else "")
    return f"::error {','.join(props)}::{_gh_data(message)}\n"


# ---------------------------------------------------------------------------
# the printer: what a run writes besides the classic output


class Printer(Struct):
    """The output settings of a run, and what it has seen so far."""

    format: str = "text"
    statistics: bool = False
    show_fixes: bool = False
    report: str | None = None
    #: stdout carries the fixed stdin text: --show-fixes goes to stderr then
    stdout_busy: bool = False
    _records: list[dict] = field(default_factory=list)

    @property
    def text_listing(self) -> bool:
        """Whether the classic ``--check`` listing is printed."""
        return self.format == "text" and not self.statistics

    def file_done(self, r: FileResult, options: Options) -> None:
        """Print what one file gives, as soon as it is done."""
        if r.status == "error":
            rows = [error_record(r)]
        else:
            rows = records(r, options)
        self._records.extend(rows)
        if self.statistics:
            return
        if self.format == "json":
            out("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in rows))
        elif self.format == "concise":
            out("".join(concise_line(d) for d in rows if d.get("code") and not d["applied"]))
        elif self.format == "github":
            out("".join(github_line(d) for d in rows if not d.get("applied")))

    def finish(self, results: list[FileResult], options: Options) -> None:
        """What is printed once every file is done."""
        if self.statistics:
            out(statistics(self._records, as_json=self.format == "json"))
        elif self.format == "sarif":
            from .sarif import sarif_log

            out(json.dumps(sarif_log(self._records), indent=2, ensure_ascii=False) + "\n")
        if self.show_fixes:
            text = show_fixes(results, options)
            if text:
                (err if self.stdout_busy else out)(text)
        if self.report is not None:
            from .report import write_report

            try:
                write_report(self.report, results, self._records, options)
            except OSError as e:
                raise UsageProblem(f"--report: cannot write {self.report}: {e.strerror or e}") from None


def make_printer(
    output_format: str | None,
    statistics: bool,
    show_fixes: bool,
    report: str | None,
    mode: str,
    stdin_fix: bool,
) -> Printer | None:
    """The Printer for these options (None: the classic output only), or
    UsageProblem for a bad combination."""
    fmt = (output_format or "text").strip().lower()
    if fmt not in FORMATS:
        raise UsageProblem(
            f"--output-format: unknown format {output_format!r} (choose from {', '.join(FORMATS)})"
        )
    if fmt == "text" and not statistics and not show_fixes and report is None:
        return None
    listing = fmt != "text" or statistics
    if listing and mode == "diff":
        what = f"--output-format {fmt}" if fmt != "text" else "--statistics"
        raise UsageProblem(f"{what} cannot be used with --diff (the diff is the output)")
    if listing and stdin_fix:
        what = f"--output-format {fmt}" if fmt != "text" else "--statistics"
        raise UsageProblem(
            f"{what} cannot be used when fixing stdin (the fixed text goes to stdout); add --check"
        )
    if report is not None and (not report or os.path.isdir(report)):
        raise UsageProblem(f"--report: not a file name: {report!r}")
    return Printer(fmt, statistics, show_fixes, report, stdout_busy=stdin_fix)


# ---------------------------------------------------------------------------
# --statistics and --show-fixes


def rule_counts(rows: list[dict]) -> list[dict]:
    """Per rule: how many findings, how many of them fixed (or that would
    be), how many left; most frequent first."""
    found: Counter[str] = Counter()
    fixed: Counter[str] = Counter()
    names: dict[str, str] = {}
    for d in rows:
        if not d.get("code"):
            continue
        found[d["code"]] += 1
        names[d["code"]] = d.get("name", "")
        if d["fixable"] and (d["applied"] or d.get("pass")):
            fixed[d["code"]] += 1
    return [
        {"code": c, "name": names[c], "count": n, "fixed": fixed[c], "left": n - fixed[c]}
        for c, n in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def statistics(rows: list[dict], as_json: bool = False) -> str:
    counts = rule_counts(rows)
    if as_json:
        return "".join(json.dumps(c) + "\n" for c in counts)
    if not counts:
        return ""
    table = [("COUNT", "FIXED", "CODE", "NAME")] + [
        (str(c["count"]), str(c["fixed"]), c["code"], c["name"]) for c in counts
    ]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    lines = []
    for row in table:
        cells = [row[0].rjust(widths[0]), row[1].rjust(widths[1]), row[2].ljust(widths[2]), row[3]]
        lines.append("  ".join(cells).rstrip() + "\n")
    return "".join(lines)


def show_fixes(results: list[FileResult], options: Options) -> str:
    """What was applied (or would be) per file, ruff-style."""
    from ._cli_report import plural, shown

    per_file = [
        (r, Counter(f["code"] for f in r.fixes)) for r in results if r.status == "changed" and r.fixes
    ]
    if not per_file:
        return ""
    total = sum(sum(c.values()) for _, c in per_file)
    verb = "Fixed" if options.writes else "Would fix"
    lines = [f"{verb} {plural(total, 'issue')}:\n"]
    for r, counts in per_file:
        lines.append(f"- {shown(r.path)}:\n")
        for code, n in sorted(counts.items()):
            name = _rule_info(code)[0]
            lines.append(f"    {n} \u00d7 {code} ({name})\n")
    return "".join(lines)
