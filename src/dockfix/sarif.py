"""``--output-format sarif``: a SARIF 2.1.0 log of a run, as GitHub code
scanning reads it.

The rules (``tool.driver.rules``) carry their summary, their documentation
(the same page as ``dockfix --explain``) as help text, their safety and the
hadolint / BuildKit checks they cover; each result has its location and, when
dockfix can fix it, the fix as ``artifactChanges``.  Files that could not be
processed are tool execution notifications.
"""

from __future__ import annotations

import os

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    """A relative path as a URI reference (``/``-separated, percent-escaped)."""
    from urllib.parse import quote

    if os.path.isabs(path):
        rel = os.path.relpath(path)
        path = path if rel.startswith("..") else rel
    return quote(path.replace(os.sep, "/"), safe="/:")


def _rule_descriptor(rule) -> dict:
    from .docs import render_rule

    sections = rule.doc_sections()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": sections.get("What it does", rule.summary)},
        "help": {"text": render_rule(rule), "markdown": render_rule(rule)},
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "safety": str(rule.safety),
            "covers": list(rule.covers),
            "tags": ["dockerfile", str(rule.safety)],
        },
    }


def _region(line: int, col: int, end_line: int | None, end_col: int | None) -> dict:
    region = {"startLine": line, "startColumn": col}
    if end_line is not None and end_col is not None:
        region |= {"endLine": end_line, "endColumn": end_col}
    return region


def _result(d: dict, rule_index: dict[str, int]) -> dict:
    location = {"uri": _uri(d["path"]), "uriBaseId": "%SRCROOT%"}
    result: dict = {
        "ruleId": d["code"],
        "level": "warning",
        "message": {"text": d["message"]},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": _region(d["line"], d["col"], d.get("end_line"), d.get("end_col")),
                }
            }
        ],
        "properties": {"safety": d["safety"], "fixable": d["fixable"], "covers": d.get("covers", [])},
    }
    if d["code"] in rule_index:
        result["ruleIndex"] = rule_index[d["code"]]
    if d["fixable"] and d.get("edits"):
        replacements = [
            {
                "deletedRegion": _region(e["start_line"], e["start_col"], e["end_line"], e["end_col"]),
                "insertedContent": {"text": e["text"]},
            }
            for e in d["edits"]
        ]
        kind = "unsafe fix" if d["safety"] == "unsafe" else "fix"
        result["fixes"] = [
            {
                "description": {"text": f"dockfix {kind}: {d['message']}"},
                "artifactChanges": [{"artifactLocation": location, "replacements": replacements}],
            }
        ]
    return result


def sarif_log(rows: list[dict]) -> dict:
    """The SARIF log of a run's records (see :func:`dockfix.output.records`):
    every finding not fixed is a result."""
    from . import __version__
    from .rules import registry

    rules = sorted(registry().rules.values(), key=lambda r: r.code)
    rule_index = {r.code: i for i, r in enumerate(rules)}
    results = [_result(d, rule_index) for d in rows if d.get("code") and not d.get("applied")]
    notifications = [
        {
            "level": "error",
            "message": {"text": d["message"]},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d["path"]), "uriBaseId": "%SRCROOT%"},
                        "region": _region(d["line"], d["col"], None, None),
                    }
                }
            ],
        }
        for d in rows
        if d.get("error")
    ]
    run: dict = {
        "tool": {
            "driver": {
                "name": "dockfix",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(r) for r in rules],
            }
        },
        "invocations": [
            {"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}
        ],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
