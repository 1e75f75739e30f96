"""All rules (safe and unsafe) over the real-world corpus: no crash, output
valid under BuildKit, idempotent, and bytes outside the reported edits
unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REAL_WORLD, assert_valid_buildkit, corpus_files, read_text

import dockfix
from dockfix.engine import FixResult


def _outside_touched(result: FixResult) -> list[tuple[int, int]]:
    """Stretches of the source outside every reported edit that do not come
    out unchanged, in order, in the output.

    The source is cut at the touched ranges into untouched gaps; the output
    must be gap 0, something, gap 1, something, ..., the last gap.  (A char
    diff would be ambiguous: it may place an inserted " -y" one space away
    from where the edit put it.)"""
    src, out = result.source, result.output
    merged: list[list[int]] = []
    for a, b in sorted(result.touched):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    gaps, pos = [], 0
    for a, b in merged:
        gaps.append((pos, a))
        pos = b
    gaps.append((pos, len(src)))
    bad = []
    at = 0
    for i, (a, b) in enumerate(gaps):
        piece = src[a:b]
        if i == 0:
            found = 0 if out.startswith(piece) else -1
        elif i == len(gaps) - 1:
            found = len(out) - len(piece) if out.endswith(piece) and len(out) - len(piece) >= at else -1
        else:
            found = out.find(piece, at)
        if found < 0:
            bad.append((a, b))
            continue
        at = found + len(piece)
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
