"""What the command line prints about a run: an error line, the
``--check`` listing, the ``--verbose`` line of each file, the summary, and
the rule catalogue of ``--list-rules`` and ``--explain``.  Pure text: the
callers write it (:mod:`dockfix.cli`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .cli import UsageProblem

if TYPE_CHECKING:
    from .runner import FileResult, Options


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural_form or word + 's')}"


def shown(path: str) -> str:
    """A path as printed: control characters (a newline in a file name)
    escaped, git-style, so one message stays one line."""
    from .files import quote_path

    return quote_path(path)


def _position(r: FileResult) -> str:
    if r.line is None:
        return shown(r.path)
    return f"{shown(r.path)}:{r.line}:{r.col or 1}"


def format_error(r: FileResult, verbose: bool) -> str:
    text = f"{_position(r)}: {r.error}\n"
    if r.internal:
        if verbose and r.traceback:
            text += r.traceback if r.traceback.endswith("\n") else r.traceback + "\n"
        elif not verbose:
            text = text[:-1] + " (run with --verbose for the traceback)\n"
    return text


def format_check(r: FileResult) -> str:
    """The --check listing of one file: every finding with its position in
    the file as it is on disk, ``[*]`` for the fixes dockfix would apply,
    ``[unsafe fix]`` for those needing --unsafe-fixes."""
    rows = []
    for f in r.fixes:
        rows.append((f["line"], f["col"], f["code"], f["message"], " [*]"))
    for f in r.findings:
        mark = " [unsafe fix]" if f.get("fixable") and f.get("safety") == "unsafe" else ""
        rows.append((f["source_line"], f["source_col"], f["code"], f["message"], mark))
    rows.sort(key=lambda row: (row[0], row[1], row[2]))
    name = shown(r.path)
    lines = [f"{name}:{line}:{col}: {code} {msg}{mark}\n" for line, col, code, msg, mark in rows]
    if r.changed and r.output != r.source:
        lines.append(f"Would fix: {name}\n")
    return "".join(lines)


def format_verbose(r: FileResult, mode: str) -> str:
    if r.status == "skipped":
        return f"{shown(r.path)}: skipped (no instructions)\n"
    if r.status == "unchanged":
        return f"{shown(r.path)}: nothing to fix\n"
    if r.status == "changed":
        verb = "fixed" if r.written or mode == "fix" else "would fix"
        codes = ", ".join(sorted({f["code"] for f in r.fixes}))
        return f"{shown(r.path)}: {verb} {plural(len(r.fixes), 'issue')} ({codes})\n"
    return ""


def summary(results: list[FileResult], options: Options) -> str:
    from collections import Counter

    changed = [r for r in results if r.status == "changed"]
    errors = [r for r in results if r.status == "error"]
    ok = [r for r in results if r.status != "error"]
    counts = Counter(f["code"] for r in changed for f in r.fixes)
    n_fixes = sum(counts.values())
    parts = []
    if n_fixes:
        verb = "Fixed" if options.mode == "fix" else "Would fix"
        per_rule = ", ".join(f"{code}: {n}" for code, n in sorted(counts.items()))
        parts.append(f"{verb} {plural(n_fixes, 'issue')} in {plural(len(changed), 'file')} ({per_rule})")
    elif ok:
        parts.append(f"Nothing to fix in {plural(len(ok), 'file')}")
    unsafe = sum(r.unsafe_available for r in ok)
    if unsafe and not options.unsafe:
        parts.append(f"{plural(unsafe, 'unsafe fix', 'unsafe fixes')} available with --unsafe-fixes")
    report_only = sum(1 for r in ok for f in r.findings if not f.get("fixable"))
    if report_only:
        parts.append(
            f"{plural(report_only, 'finding')} without an automatic fix"
            + (" (see --check)" if options.mode != "check" else "")
        )
    if errors:
        parts.append(f"{plural(len(errors), 'file')} could not be processed")
    return "; ".join(parts) + ".\n" if parts else ""


def rule_catalogue() -> str:
    from .rules import registry

    rules = sorted(registry().rules.values(), key=lambda r: r.code)
    rows = [("CODE", "NAME", "SAFETY", "COVERS", "SUMMARY")]
    rows += [(r.code, r.name, str(r.safety), ", ".join(r.covers) or "-", r.summary) for r in rules]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=False)) + "  " + row[4]
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def rule_docs(code: str) -> str:
    from .rules import registry

    rule = registry().rules.get(code.strip().upper())
    if rule is None:
        raise UsageProblem(f"unknown rule code: {code} (see `dockfix --list-rules`)")
    from .docs import render_rule

    return render_rule(rule)
