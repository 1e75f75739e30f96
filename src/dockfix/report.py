"""``--report FILE.html``: the migration report of a run.

One self-contained HTML file (inline CSS and JavaScript, nothing loaded
from the network) made from the jinja2 template ``templates/report.html.j2``:
totals per rule, per safety class and per directory; the diff of every file
the run changed (or would change), syntax-coloured and collapsible; the
findings left; a filter box (its text can also be given in the address,
``report.html#filter=DF501``).  Made from the run's results only.
"""

from __future__ import annotations

import os
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .runner import FileResult, Options

_INSTRUCTION = re.compile(
    r"^(\s*)(FROM|RUN|CMD|LABEL|MAINTAINER|EXPOSE|ENV|ADD|COPY|ENTRYPOINT|VOLUME|USER|WORKDIR|ARG"
    r"|ONBUILD|STOPSIGNAL|HEALTHCHECK|SHELL)\b",
    re.IGNORECASE,
)
_FLAG = re.compile(r"(?<!\S)(--[a-z][a-z0-9-]*)(?==|\s|$)")
_STRING = re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'[^']*')")
_VARIABLE = re.compile(r"(\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*)")


def highlight(code: str):
    """One line of Dockerfile text as HTML with ``<span>`` classes: the
    instruction keyword, comments, ``--flags``, quoted strings and
    variables.  Returns markupsafe.Markup (escaped)."""
    from markupsafe import Markup, escape

    if code.lstrip().startswith("#"):
        return Markup('<span class="c">{}</span>').format(code)
    out: list[str] = []
    m = _INSTRUCTION.match(code)
    rest = code
    if m:
        out.append(str(escape(m.group(1))))
        out.append(str(Markup('<span class="k">{}</span>').format(m.group(2))))
        rest = code[m.end() :]
    pattern = re.compile(f"{_STRING.pattern}|{_VARIABLE.pattern}|{_FLAG.pattern}")
    pos = 0
    for t in pattern.finditer(rest):
        out.append(str(escape(rest[pos : t.start()])))
        cls = "s" if t.group(1) else "v" if t.group(2) else "f"
        out.append(str(Markup('<span class="{}">{}</span>').format(cls, t.group(0))))
        pos = t.end()
    out.append(str(escape(rest[pos:])))
    return Markup("".join(out))


def diff_lines(diff: str) -> list[dict]:
    """A unified diff as rows for the template: ``kind`` (``head``,
    ``hunk``, ``add``, ``del``, ``ctx``), the sign and the coloured text."""
    from markupsafe import escape

    rows = []
    for line in diff.splitlines():
        if line.startswith(("--- ", "+++ ")):
            rows.append({"kind": "head", "sign": "", "html": escape(line)})
        elif line.startswith("@@"):
            rows.append({"kind": "hunk", "sign": "", "html": escape(line)})
        elif line.startswith("\\"):
            rows.append({"kind": "ctx", "sign": "", "html": escape(line)})
        else:
            sign, text = line[:1], line[1:]
            kind = {"+": "add", "-": "del"}.get(sign, "ctx")
            rows.append({"kind": kind, "sign": sign or " ", "html": highlight(text)})
    return rows


def _directory(path: str) -> str:
    d = os.path.dirname(path)
    return d.replace(os.sep, "/") or "."


def _changed_files(results: list[FileResult]) -> list[dict]:
    """Each changed file: its diff (side files too) as coloured lines, the
    rules that fixed it, lines added and removed."""
    from . import files

    changed = []
    for r in results:
        if r.status != "changed" or r.output is None:
            continue
        diff = files.unified_diff(r.source, r.output, r.path) if r.output != r.source else ""
        for side in r.side_files:
            diff += files.unified_diff(side["old"], side["new"], side["path"])
        codes = sorted({f["code"] for f in r.fixes})
        changed.append(
            {
                "path": r.path,
                "codes": codes,
                "fixes": len(r.fixes),
                "added": sum(
                    1 for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")
                ),
                "removed": sum(
                    1 for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")
                ),
                "lines": diff_lines(diff),
            }
        )
    return changed


def report_data(results: list[FileResult], rows: list[dict], options: Options) -> dict:
    """What the template shows, from the results and the output records
    (see :func:`dockfix.output.records`)."""
    from . import __version__
    from .output import rule_counts
    from .rules import registry

    rules = registry().rules
    fixed_rows = [d for d in rows if d.get("code") and d["fixable"] and (d["applied"] or d.get("pass"))]
    left_rows = [d for d in rows if d.get("code") and d not in fixed_rows]
    per_rule = rule_counts(rows)
    for c in per_rule:
        rule = rules.get(c["code"])
        c["safety"] = str(rule.safety) if rule is not None else ""
        c["summary"] = rule.summary if rule is not None else ""
        c["covers"] = ", ".join(rule.covers) if rule is not None else ""
    safety: dict[str, Counter[str]] = defaultdict(Counter)
    for d in fixed_rows:
        safety[d["safety"]]["fixed"] += 1
    for d in left_rows:
        safety[d["safety"]]["left"] += 1
    per_safety = [
        {"safety": s, "fixed": safety[s]["fixed"], "left": safety[s]["left"]}
        for s in ("safe", "unsafe", "report-only")
        if s in safety
    ]
    dirs: dict[str, Counter[str]] = defaultdict(Counter)
    for r in results:
        c = dirs[_directory(r.path)]
        c["files"] += 1
        c["changed"] += r.status == "changed"
        c["errors"] += r.status == "error"
    for d in fixed_rows:
        dirs[_directory(d["path"])]["fixed"] += 1
    for d in left_rows:
        dirs[_directory(d["path"])]["left"] += 1
    per_directory = [
        {"directory": k, **{n: v[n] for n in ("files", "changed", "errors", "fixed", "left")}}
        for k, v in sorted(dirs.items())
    ]
    changed = _changed_files(results)
    errors = [
        {"path": r.path, "line": r.line or 1, "col": r.col or 1, "message": r.error}
        for r in results
        if r.status == "error"
    ]
    return {
        "version": __version__,
        "mode": options.mode,
        "verb": "Fixed" if options.writes else "Would fix",
        "unsafe": options.unsafe,
        "totals": {
            "files": len(results),
            "changed": sum(r.status == "changed" for r in results),
            "errors": len(errors),
            "fixed": len(fixed_rows),
            "left": len(left_rows),
        },
        "per_rule": per_rule,
        "per_safety": per_safety,
        "per_directory": per_directory,
        "changed": changed,
        "left": left_rows,
        "errors": errors,
    }


def render_report(results: list[FileResult], rows: list[dict], options: Options) -> str:
    import jinja2

    from .templating import TEMPLATES

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2").render(**report_data(results, rows, options))


def write_report(path: str, results: list[FileResult], rows: list[dict], options: Options) -> None:
    """Render the report and write it (atomically: a temporary file beside it)."""
    from . import files

    html = render_report(results, rows, options)
    # readable by all (mkstemp's file is private): a report is for sharing
    files.replace_file(os.path.abspath(path), html.encode("utf-8"), mode=0o644)
