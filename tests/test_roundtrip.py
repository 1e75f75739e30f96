"""Lossless round trip on the whole corpus: ``str(dockfix.parse(text)) == text``.

Every Dockerfile of the real-world corpus and of BuildKit's parser fixtures
(`shell/` holds word-splitting tables, not Dockerfiles).  A file the official
BuildKit parser rejects — or one `docker build` rejects because of an unknown
instruction — must raise ``dockfix.ParseError`` with a position instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    BUILDKIT_TESTFILES,
    KNOWN_INSTRUCTIONS,
    REAL_WORLD,
    buildkit_parse,
    corpus_files,
    read_text,
)

import dockfix
from dockfix.tree import Instruction

KNOWN = frozenset(KNOWN_INSTRUCTIONS)  # see conftest

FILES = corpus_files(REAL_WORLD, "*.Dockerfile") + corpus_files(BUILDKIT_TESTFILES, "**/Dockerfile")


def assert_tiles(tree, text: str) -> None:
    """The top-level children are contiguous, non-empty spans from 0 to len."""
    pos = 0
    for child in tree.children:
        assert child.start == pos, f"gap or overlap before {child!r} (expected start {pos})"
        assert child.end > child.start, f"empty child {child!r}"
        assert str(child) == text[child.start : child.end]
        pos = child.end
    assert pos == len(text)
    # Instructions are exactly the Instruction children, in order.
    assert tree.instructions == [c for c in tree.children if isinstance(c, Instruction)]


def assert_lines_consistent(tree) -> None:
    for ins in tree.instructions:
        # An instruction starts at the beginning of its line (after the BOM,
        # which is a child of its own).
        assert tree.position(ins.start) == (ins.start_line, 1)  # a BOM is no column
        assert tree.position(ins.content_end)[0] == ins.end_line
        assert ins.start <= ins.content_end <= ins.end
        assert ins.line_break in ("", "\n", "\r\n") or set(ins.line_break) <= {"\r", "\n"}


def expected_outcome(text: str):
    """What the official parser says: ("ok", None), ("empty", msg),
    ("error", msg) or ("unknown", line of the first unknown instruction)."""
    bk = buildkit_parse(text)
    if isinstance(bk, Exception):
        return ("empty" if "no instructions" in str(bk) else "error"), str(bk)
    unknown = [c for c in bk if c.cmd.upper() not in KNOWN]
    if unknown:
        return "unknown", unknown[0].start_line
    return "ok", None


@pytest.mark.parametrize("path", FILES)
def test_roundtrip(path: Path):
    text = read_text(path)
    outcome, detail = expected_outcome(text)
    if outcome in ("ok", "empty"):
        tree = dockfix.parse(text)
        assert str(tree) == text
        assert_tiles(tree, text)
        assert_lines_consistent(tree)
        if outcome == "empty":
            # BuildKit says "file with no instructions".  That is reported to
            # the user, not a syntax error: the tree is valid and empty.
            assert tree.instructions == []
        else:
            assert tree.instructions
        return
    with pytest.raises(dockfix.ParseError) as exc:
        dockfix.parse(text)
    err = exc.value
    assert err.line >= 1 and err.col >= 1
    assert err.line <= text.count("\n") + 1
    assert err.message
    if outcome == "unknown":
        assert err.line == detail
        assert "unknown instruction" in err.message


def test_unknown_instruction_in_real_world_0201():
    # A `...` line (an elided excerpt in a README-like file): BuildKit's parser
    # keeps it as an instruction named "...", `docker build` rejects it.
    path = REAL_WORLD / "0201.Dockerfile"
    if not path.is_file():
        pytest.skip(f"corpus not found at {path}")
    text = read_text(path)
    bk = buildkit_parse(text)
    assert not isinstance(bk, Exception)
    dots = [c for c in bk if c.cmd == "..."]
    assert dots, "BuildKit's parser takes the `...` line as an instruction"
    with pytest.raises(dockfix.ParseError) as exc:
        dockfix.parse(text)
    assert exc.value.line == dots[0].start_line
    assert exc.value.col == 1
    assert "unknown instruction: ..." in exc.value.message


@pytest.mark.parametrize("case", ["empty_dockerfile", "only_comments"])
def test_files_without_instructions(case: str):
    # "no instructions" is something the CLI reports; it is not a parse error,
    # so that tools built on the tree (and str(tree) == text) keep working.
    path = BUILDKIT_TESTFILES / "testfiles-negative" / case / "Dockerfile"
    if not path.is_file():
        pytest.skip(f"corpus not found at {path}")
    text = read_text(path)
    tree = dockfix.parse(text)
    assert tree.instructions == [] and tree.stages == [] and tree.preamble == []
    assert str(tree) == text
    assert_tiles(tree, text)
    if text:
        assert {c.kind for c in tree.children} <= {"comment", "blank", "directive"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "\r\n",
        "\ufeff",
        "\ufeffFROM a",
        "FROM a",
        "FROM a\r\nRUN b\n",
        "FROM a\rRUN b\n",
        "FROM a\n\n\n",
        "FROM a\nRUN b \\",
        "FROM a\nRUN b \\\n",
        "FROM a\nRUN b \\\n# c\n\n  d\n",
        "FROM a\nRUN <<EOF\nbody\nEOF",
        "FROM a\nRUN <<EOF\r\nbody\r\nEOF\r\n",
        "# only\n#comments",
        "\t FROM\ta\t\n",
    ],
)
def test_roundtrip_edge_cases(text: str):
    tree = dockfix.parse(text)
    assert str(tree) == text
    assert_tiles(tree, text)
    assert_lines_consistent(tree)
