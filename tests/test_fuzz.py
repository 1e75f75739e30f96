"""Property tests: the parser never crashes, and agrees with BuildKit.

* Any text at all: ``dockfix.parse`` returns a lossless tree whose children
  tile the text, or raises ``ParseError`` with a position — nothing else.
* Dockerfile-shaped text (random lines of keywords, flags, heredocs, JSON,
  continuations, comments, directives, CRLF): the same, plus a differential
  check against BuildKit's own parser (PyPI ``dockerfile``).

The runs are derandomized and use no example database, so CI sees the same
examples every time; there is no deadline (no wall-clock assertion).
"""

from __future__ import annotations

import json

import pytest

hypothesis = pytest.importorskip("hypothesis")
from conftest import KNOWN_INSTRUCTIONS, buildkit_parse, json_then_trailing  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import dockfix  # noqa: E402
from dockfix.tree import Instruction  # noqa: E402

FUZZ = settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KNOWN = KNOWN_INSTRUCTIONS


def parse_or_error(text: str):
    """The parser's contract: a lossless tree or a ParseError with a position."""
    try:
        tree = dockfix.parse(text)
    except dockfix.ParseError as err:
        assert isinstance(err.line, int) and isinstance(err.col, int)
        assert err.line >= 1 and err.col >= 1
        assert err.line <= text.count("\n") + 1
        assert err.message and str(err).startswith(f"{err.line}:{err.col}: ")
        return err
    assert str(tree) == text
    pos = 0
    for child in tree.children:
        assert child.start == pos and child.end > child.start, (child, pos)
        pos = child.end
    assert pos == len(text)
    assert tree.instructions == [c for c in tree.children if isinstance(c, Instruction)]
    for ins in tree.instructions:
        assert ins.start_line <= ins.end_line
        assert tree.position(ins.content_end)[0] == ins.end_line
        for part in [*ins.flags, *ins.args, *ins.heredocs]:
            assert ins.start <= part.start <= part.end <= ins.end
    # The stage model must hold together too.
    for stage in tree.stages:
        assert stage.from_.keyword == "FROM"
    return tree


# -- arbitrary text ------------------------------------------------------------

NASTY = st.sampled_from(
    [
        "\r",
        "\n",
        "\r\n",
        "\t",
        "\ufeff",
        "\\",
        "`",
        "'",
        '"',
        "<<",
        "<<-",
        "#",
        " ",
        "[",
        "]",
        "=",
        "--",
        "\x00",
        "\x0b",
        "\x85",
        "\u2028",
    ]
)
ARBITRARY = st.lists(st.one_of(st.text(max_size=8), NASTY), max_size=40).map("".join)


@FUZZ
@given(ARBITRARY)
def test_arbitrary_text_never_crashes(text: str):
    parse_or_error(text)


@FUZZ
@given(st.text())
def test_plain_hypothesis_text_never_crashes(text: str):
    parse_or_error(text)


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("FROMRUNCOPY \t\r\n\\`#<>-EOF\"'[]=,\ufeff")), max_size=80))
def test_keyword_soup_never_crashes(text: str):
    parse_or_error(text)


# -- Dockerfile-shaped text ----------------------------------------------------

KEYWORDS = st.one_of(
    st.sampled_from(KNOWN),
    st.sampled_from(KNOWN).map(str.lower),
    st.sampled_from(
        [
            "Run",
            "cOpY",
            "ONBUILD RUN",
            "ONBUILD COPY",
            "onbuild add",
            "ONBUILD ONBUILD",
            "ONBUILD FROM",
            "FOO",
            "...",
        ]
    ),
)
FLAGS = st.sampled_from(
    [
        "--mount=type=cache,target=/root/.cache",
        "--mount=type=secret,id=tok",
        '--mount="type=bind,source=a b"',
        "--from=build",
        "--from",
        "--chown=1000:1000",
        "--chmod=0755",
        "--platform=$BUILDPLATFORM",
        "--link",
        "--network=none",
        "--security=insecure",
        "--interval=5s",
        "--x\\=y",
        "--",
        "-x",
    ]
)
WORDS = st.sampled_from(
    [
        "a",
        "img:1.0",
        "AS",
        "as",
        "build",
        "/app/",
        ".",
        "$VAR",
        "${X:-y}",
        "k=v",
        'k="v w"',
        "k='v'",
        "k=v\\ w",
        "k=",
        "=v",
        '"q"',
        "'s'",
        '"unterminated',
        "echo",
        "&&",
        "||",
        "#notacomment",
        "\\",
        "\\\\",
        "`",
        "C:\\path",
        '["sh", "-c"]',
        '[ "a" , "b" ]',
        "['single']",
        '["unterminated"',
        "[1]",
        "[]",
        '["a", 1e999]',
        "CMD",
        "NONE",
        "<<EOF",
        "<<-EOF",
        '<<"EOF"',
        "<<'EOF'",
        "2<<EOF",
        "<<E2",
        "<<",
        "<<EOF<<",
        "x<<EOF",
        "\t",
        "--a=é",
        "x\u00a0y",
        "\u3000",
        "--b=\u3000",
        '"${"',
        "${X",
        "${X:-a b}",
        "<<${X:-a",
    ]
)
INSTRUCTION = st.builds(
    lambda indent, kw, flags, words: indent + " ".join([kw, *flags, *words]),
    st.sampled_from(["", "", "", " ", "\t"]),
    KEYWORDS,
    st.lists(FLAGS, max_size=3),
    st.lists(WORDS, max_size=5),
)
OTHER_LINE = st.sampled_from(
    [
        "",
        " ",
        "\t",
        "# comment",
        "  # indented comment",
        "#",
        "# syntax=docker/dockerfile:1",
        "# escape=`",
        "# escape=\\",
        "#escape = `",
        "# escape=x",
        "# directive=value",
        "EOF",
        "\tEOF",
        "E2",
        "body $x",
        "\\",
        "`",
        "  continued",
    ]
)
LINE = st.one_of(INSTRUCTION, INSTRUCTION, OTHER_LINE)
ENDING = st.sampled_from(["\n", "\n", "\n", "\r\n", " \\\n", "\\\n", "\\  \n", " `\n", "\\\r\n", "\r\r\n"])


@st.composite
def dockerfile_text(draw) -> str:
    lines = draw(st.lists(st.tuples(LINE, ENDING), min_size=1, max_size=12))
    text = "".join(line + end for line, end in lines)
    if draw(st.booleans()):
        # No final newline (or a dangling continuation at EOF).
        text = text.rstrip("\r\n")
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text


@FUZZ
@given(dockerfile_text())
def test_dockerfile_shaped_text_never_crashes(text: str):
    parse_or_error(text)


# Checks dockfix adds on purpose, beyond BuildKit's parser (the build itself
# rejects these): an unknown instruction, a flag that needs a value given
# none, and ONBUILD wrapping ONBUILD / FROM / MAINTAINER.
DELIBERATE = ("unknown instruction", "needs a value", "isn't allowed as an ONBUILD trigger")


def _flag_word(flag) -> str:
    return "--" + flag.name + ("" if flag.value is None else "=" + flag.value)


def _original_json_then_trailing(original: str) -> bool:
    i = original.find("[")
    if i < 0:
        return False
    try:
        _, end = json.JSONDecoder().raw_decode(original[i:])
    except (ValueError, RecursionError):
        return False
    return original[i + end :].split("\n", 1)[0].strip(" \t\r") != ""


def check_against_buildkit(text: str) -> None:
    # The wrapper passes the text to Go as a C string (it would stop at a
    # NUL), and the shaped strategy never produces one.
    assert "\x00" not in text
    ours = parse_or_error(text)
    try:
        bk = buildkit_parse(text)
    except UnicodeDecodeError:
        # BuildKit cut a character in two (its flag and HEALTHCHECK loops run
        # over bytes) and the wrapper cannot turn the result into a str:
        # no oracle for this input.
        return
    if isinstance(bk, Exception):
        if "no instructions" in str(bk):
            # Not an error for dockfix: an empty tree.
            assert not isinstance(ours, Exception), ours
            assert ours.instructions == []
        elif "comprised of strings only" in str(bk) and not isinstance(ours, Exception):
            # Old BuildKit decoded `[1] x` as the array [1] (an error); current
            # BuildKit fails to decode it and takes the shell form.
            assert any(json_then_trailing(i) for i in ours.instructions)
        else:
            assert isinstance(ours, dockfix.ParseError), f"BuildKit rejects ({bk}), dockfix accepts"
        return
    if isinstance(ours, dockfix.ParseError):
        at = [c for c in bk if c.start_line <= ours.line <= c.end_line]
        assert at, f"no BuildKit instruction at line {ours.line}"
        c = at[0]
        if c.json and _original_json_then_trailing(c.original):
            # `ADD ["a", "b"] <<EOF`: JSON to old BuildKit (no heredoc), shell
            # form to current BuildKit, which then reads a heredoc body.
            return
        assert any(d in ours.message for d in DELIBERATE), f"BuildKit accepts, dockfix: {ours}"
        if "unknown instruction" in ours.message:
            # (BuildKit's parser even takes an empty keyword: a lone `\` at EOF)
            assert (c.cmd or "").upper() not in KNOWN or (c.sub_cmd or "").upper() not in KNOWN
        elif "needs a value" in ours.message:
            flag = ours.message.split()[1]  # "flag --from needs a value ..."
            # (for ONBUILD the wrapper does not report the inner flags)
            assert flag in c.flags or c.sub_cmd is not None
        else:
            assert c.cmd.upper() == "ONBUILD" and c.sub_cmd.upper() in ("ONBUILD", "FROM", "MAINTAINER")
        return
    assert [(i.keyword, i.start_line, i.end_line) for i in ours.instructions] == [
        (c.cmd.upper(), c.start_line, c.end_line) for c in bk
    ]
    for ins, c in zip(ours.instructions, bk, strict=False):
        target = ins.inner if ins.inner is not None else ins
        assert [_flag_word(f) for f in ins.flags] == list(c.flags)
        if c.json and not target.json and json_then_trailing(ins):
            continue  # see conftest.json_then_trailing
        assert target.json == c.json
        assert target.arguments == list(c.value)
        if c.sub_cmd is None:  # the wrapper drops ONBUILD's heredocs
            assert [(h.name, h.fd, h.content) for h in ins.heredocs] == [
                (h.name, h.file_descriptor, h.content) for h in c.heredocs
            ]


@FUZZ
@given(dockerfile_text())
def test_differential_against_buildkit(text: str):
    pytest.importorskip("dockerfile")
    check_against_buildkit(text)


@pytest.mark.parametrize(
    "text",
    [
        # Regressions found by the fuzzer / by reading BuildKit's source.
        "FROM a\nCMD " + "[" * 5000,  # deep nesting: Go falls back to shell form
        "FROM a\nCMD " + "[" * 10001 + "]" * 10001,
        "FROM a\nCMD [1e999]",  # out of float64 range: shell form
        "\ufeff",
        "FROM a\nRUN <<EOF\n",
        "FROM a\nCOPY --from /a /b\n",
        "FROM a\nONBUILD FROM b\n",
        "FROM a\nONBUILD foo\n",
    ],
)
def test_known_hard_cases(text: str):
    check_against_buildkit(text)
