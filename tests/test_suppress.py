"""Inline suppression (``# dockfix: ignore=``, ``global ignore``,
hadolint's pragmas, BuildKit's ``# check=skip=``) and DF900, the rule that
reports unused or unknown suppressions, through ``cli.main`` and the
engine.  Golden cases: fixtures/DF900 and fixtures/DF201/keeps-*."""

from __future__ import annotations

from pathlib import Path

import pytest

import dockfix
from dockfix import cli

MESSY = "FROM alpine:3.20 as build\nMAINTAINER Jane <j@example.com>\nENV a b\n"


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def main(*args: str, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        cli.main(list(args))
    captured = capsys.readouterr()
    return int(e.value.code or 0), captured.out, captured.err


def fix(text: str, *select: str, unsafe: bool = False) -> dockfix.FixResult:
    return dockfix.fix(text, select=list(select), unsafe=unsafe)


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


def test_line_pragma_suppresses_finding_and_fix():
    text = "# dockfix: ignore=DF503\nFROM alpine:3.20 as build\nMAINTAINER Jane\n"
    r = fix(text, "DF501", "DF503", "DF900")
    assert r.output == '# dockfix: ignore=DF503\nFROM alpine:3.20 as build\nLABEL maintainer="Jane"\n'
    assert codes(r) == []


def test_pragma_applies_only_to_the_attached_instruction():
    # a blank line detaches the comment; the second FROM is not covered
    text = (
        "# dockfix: ignore=DF503\n\nFROM alpine:3.20 as a\n# dockfix: ignore=DF503\nFROM alpine:3.20 as b\n"
    )
    r = fix(text, "DF503")
    assert (
        r.output
        == "# dockfix: ignore=DF503\n\nFROM alpine:3.20 AS a\n# dockfix: ignore=DF503\nFROM alpine:3.20 as b\n"
    )


def test_pragma_anywhere_in_the_attached_comment_block_and_by_prefix():
    text = "# dockfix: ignore=DF5\n# a note\nFROM alpine:3.20 as build\n"
    assert fix(text, "DF503").output == text


def test_global_pragma():
    text = "FROM alpine:3.20 as build\n# dockfix: global ignore=DF501,DF502\nMAINTAINER Jane\nENV a b\n"
    r = fix(text, "DF501", "DF502", "DF503")
    assert r.output == text.replace(" as ", " AS ")


def test_hadolint_pragmas_suppress_the_rules_covering_them():
    # DF104 (--no-install-recommends) covers DL3015
    run = "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n"
    text = f"FROM debian:12\n# hadolint ignore=DL3015\n{run}"
    assert fix(text, "DF104", unsafe=True).output == text
    text = f"# hadolint global ignore=DL3015,DL3008\nFROM debian:12\n{run}"
    assert fix(text, "DF104", unsafe=True).output == text
    text = f"FROM debian:12\n{run}"
    assert "--no-install-recommends" in fix(text, "DF104", unsafe=True).output


def test_buildkit_check_skip_suppresses_the_rules_covering_the_check():
    # DF503 covers BuildKit's FromAsCasing
    for skip in ("FromAsCasing", "fromascasing", "all", "StageNameCasing,FromAsCasing"):
        text = f"# check=skip={skip}\nFROM alpine:3.20 as build\n"
        assert fix(text, "DF503").output == text, skip
    text = "# check=skip=StageNameCasing\nFROM alpine:3.20 as build\n"
    assert fix(text, "DF503").output == text.replace(" as ", " AS ")


def test_unused_and_unknown_reported_and_removed():
    text = "FROM alpine:3.20 AS build\n# dockfix: ignore=DF503,DF999\nRUN echo hi\n"
    r = fix(text, "DF503", "DF900")
    assert r.output == "FROM alpine:3.20 AS build\nRUN echo hi\n"
    assert [f.code for f in r.fixes] == ["DF900"]
    assert "unknown rule code DF999; unused suppression of DF503" in r.fixes[0].message
    # report only (check): both codes named, the fix offered
    r = dockfix.fix(text, select=["DF503", "DF900"], apply=False)
    assert [(f.code, f.line, f.fix is not None) for f in r.findings] == [("DF900", 2, True)]


def test_hadolint_pragma_never_edited():
    text = "FROM alpine:3.20\n# hadolint ignore=DL3059\nRUN echo hi\n"
    r = fix(text, "DF201", "DF900")
    assert r.output == text
    assert [(f.code, f.fix) for f in r.findings] == [("DF900", None)]
    assert "not removed: it is hadolint's" in r.findings[0].message


def test_codes_of_rules_that_did_not_run_are_not_judged():
    text = "FROM alpine:3.20\n# dockfix: ignore=DF201\nRUN echo hi\n"
    assert fix(text, "DF900").output == text
    assert fix(text, "DF900", "DF201").output == "FROM alpine:3.20\nRUN echo hi\n"


def test_suppression_survives_a_merge_of_the_suppressed_run():
    text = "FROM debian:12\n# dockfix: ignore=DF104\nRUN apt-get install -y curl\nRUN echo done\n"
    r = fix(text, "DF201", "DF104", "DF900", unsafe=True)
    assert (
        r.output
        == "FROM debian:12\n# dockfix: ignore=DF104\nRUN apt-get install -y curl \\\n    && echo done\n"
    )
    assert codes(r) == []


def test_check_lists_unused_suppression_and_fix_removes_it(capsys):
    Path("Dockerfile").write_text("FROM alpine:3.20 AS build\n# dockfix: ignore=DF8\nRUN echo hi\n")
    code, out, _ = main("--check", "--select", "DF503,DF900", capsys=capsys)
    assert code == 1
    assert "Dockerfile:2:19: DF900 unknown rule code DF8 [*]" in out
    code, _, _ = main("--select", "DF503,DF900", capsys=capsys)
    assert code == 0
    assert Path("Dockerfile").read_text() == "FROM alpine:3.20 AS build\nRUN echo hi\n"


def test_unknown_code_in_a_pragma_is_a_finding_not_an_error(capsys):
    """As in ruff (RUF100 reports an unknown noqa code): the run goes on."""
    Path("Dockerfile").write_text("# dockfix: ignore=NOPE\n" + MESSY)
    code, out, err = main("--check", "--select", "DF501,DF503,DF900", capsys=capsys)
    assert code == 1
    assert "Dockerfile:1:19: DF900 unknown rule code NOPE [*]" in out
    assert "error" not in err


def test_ignoring_the_meta_rule_keeps_pragmas(capsys):
    text = "FROM alpine:3.20\n# dockfix: ignore=DF999\nRUN echo hi\n"
    Path("Dockerfile").write_text(text)
    assert main("--select", "DF503", capsys=capsys)[0] == 0
    assert Path("Dockerfile").read_text() == text
