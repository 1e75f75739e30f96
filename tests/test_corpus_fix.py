"""All rules (safe and unsafe) over the real-world corpus: no crash, output
valid under BuildKit, idempotent, and bytes outside the reported edits
unchanged."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

import dockfix
from dockfix.engine import FixResult

from conftest import REAL_WORLD, assert_valid_buildkit, corpus_files, read_text


def _outside_touched(result: FixResult) -> list[tuple[int, int]]:
    """Changed ranges of the source that no reported edit covers."""
    bad = []
    sm = difflib.SequenceMatcher(None, result.source, result.output, autojunk=False)
    for tag, i1, i2, _j1, _j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        if not any(a <= i1 and i2 <= b for a, b in result.touched):
            bad.append((i1, i2))
    return bad


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("path", corpus_files(REAL_WORLD, "*.Dockerfile"))
def test_corpus_fix(path: Path, unsafe: bool) -> None:
    # The corpus folder is not these files' build context (it holds 405
    # unrelated Dockerfiles), so the files are fixed without one: the path
    # given is the bare name, which is not a file here.
    text = read_text(path)
    try:
        result = dockfix.fix(text, path=path.name, unsafe=unsafe)
    except dockfix.ParseError:
        pytest.skip("input rejected by the parser (covered by the round-trip tests)")
    if not result.changed:
        assert not result.fixes
        return
    assert_valid_buildkit(result.output)
    again = dockfix.fix(result.output, path=path.name, unsafe=unsafe)
    assert again.output == result.output, "not idempotent"
    assert not again.fixes
    assert _outside_touched(result) == []


def test_touched_ranges_are_checked() -> None:
    """The byte-range check above is real: it flags a change outside edits."""
    text = "FROM alpine:3.20 as a\nRUN true\n"
    result = dockfix.fix(text)
    assert result.changed and _outside_touched(result) == []
    result.output = result.output.replace("RUN true", "RUN false")
    assert _outside_touched(result) != []
