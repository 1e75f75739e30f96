"""Golden cases: fixtures/<CODE>/<case>/.

Each case folder holds ``input.Dockerfile``, optionally ``expected.Dockerfile``
(absent: the input must come out unchanged), ``expected-side/<path>`` (other
build-context files the fixes write, e.g. ``.dockerignore``; absent: none),
``findings.txt`` (the findings
left after fixing, one ``line:col CODE message`` per line; absent: none),
``options.json`` (``select``, ``unsafe``; by default only the folder's rule,
safe fixes only) and any build-context files the case needs.

Every case is also checked for stability (a second run changes nothing) and
validity (the output parses under BuildKit's own parser).
``pytest --update-goldens`` rewrites expected.Dockerfile and findings.txt.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, assert_valid_buildkit, read_text

import dockfix
from dockfix.rules import registry

CASES = sorted(p.parent for p in FIXTURES.glob("*/*/input.Dockerfile"))


def _options(case: Path) -> dict:
    opts = {"select": [case.parent.name], "unsafe": False}
    extra = case / "options.json"
    if extra.exists():
        opts.update(json.loads(extra.read_text()))
    return opts


def _run(case: Path, text: str, where: Path | None = None):
    """Fix ``text`` with the case's options, as ``input.Dockerfile`` in
    ``where`` (default: the case folder, which is its build context)."""
    opts = _options(case)
    return dockfix.fix(
        text, path=str((where or case) / "input.Dockerfile"), select=opts["select"], unsafe=opts["unsafe"]
    )


def _findings_text(result) -> str:
    return "".join(f"{f.line}:{f.col} {f.code} {f.message}\n" for f in result.findings)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_golden(case: Path, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    source = read_text(case / "input.Dockerfile")
    assert_valid_buildkit(source)
    result = _run(case, source)
    expected_path = case / "expected.Dockerfile"
    findings_path = case / "findings.txt"
    findings = _findings_text(result)

    side_dir = case / "expected-side"
    if request.config.getoption("--update-goldens"):
        import shutil

        if side_dir.exists():
            shutil.rmtree(side_dir)
        for rel, (_old, new) in result.side_files.items():
            (side_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (side_dir / rel).write_bytes(new.encode("utf-8"))
        if result.output != source:
            expected_path.write_bytes(result.output.encode("utf-8"))
        elif expected_path.exists():
            expected_path.unlink()
        if findings:
            findings_path.write_text(findings)
        elif findings_path.exists():
            findings_path.unlink()

    expected = read_text(expected_path) if expected_path.exists() else source
    assert result.output == expected
    # Other build-context files the fixes write (a .dockerignore): expected-side/<path>.
    expected_side = (
        {p.relative_to(side_dir).as_posix(): read_text(p) for p in side_dir.rglob("*") if p.is_file()}
        if side_dir.exists()
        else {}
    )
    assert {rel: new for rel, (_old, new) in result.side_files.items()} == expected_side
    if expected_path.exists() or expected_side:
        assert expected != source or expected_side, "expected.Dockerfile equal to the input: delete it"
        assert result.fixes, "output changed without an applied fix"
    else:
        assert not result.fixes
    assert findings == (findings_path.read_text() if findings_path.exists() else "")

    # Valid under BuildKit, lossless, and stable: a second run is a no-op.
    assert_valid_buildkit(result.output)
    assert str(dockfix.parse(result.output)) == result.output
    if result.side_files:
        # Re-run in a copy of the case with the side files written.
        import shutil

        copy = tmp_path / case.name
        shutil.copytree(case, copy)
        for rel, (_old, new) in result.side_files.items():
            (copy / rel).write_bytes(new.encode("utf-8"))
        again = _run(case, result.output, where=copy)
    else:
        again = _run(case, result.output)
    assert again.output == result.output
    assert not again.fixes and not again.side_files


def test_every_rule_has_cases_that_change_and_that_do_not() -> None:
    for code in registry().rules:
        folder = FIXTURES / code
        cases = [p.parent for p in folder.glob("*/input.Dockerfile")]
        assert cases, f"{code} has no golden cases in fixtures/{code}/"
        changing = [
            c for c in cases if (c / "expected.Dockerfile").exists() or (c / "expected-side").exists()
        ]
        assert changing, f"{code}: no case where the rule must fire"
        assert len(changing) < len(cases), f"{code}: no case where the rule must not change anything"


def test_fixture_folders_name_real_rules() -> None:
    for folder in FIXTURES.iterdir():
        if folder.is_dir():
            assert folder.name in registry().rules, f"fixtures/{folder.name} names no rule"
