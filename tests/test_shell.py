"""Shell analysis: commands found by tree-sitter-bash, mapped back to the
exact Dockerfile offsets."""

from __future__ import annotations

import pytest

import dockfix
from dockfix.shell import script_of


def _script(text: str, index: int = 1):
    tree = dockfix.parse(text)
    return tree, script_of(tree.instructions[index])


def _src(tree, script, start: int, end: int) -> str:
    return tree.text[script.source(start) : script.source_end(end)]


@pytest.mark.parametrize(
    "text",
    [
        "FROM a\nRUN apt-get update && apt-get install -y curl\n",
        "FROM a\nRUN apt-get update \\\n  && apt-get install -y \\\n     curl\n",
        "FROM a\r\nRUN apt-get update \\\r\n  && apt-get install -y \\\r\n     curl\r\n",
        "FROM a\nRUN apt-get update \\\n# a comment inside\n\n  && apt-get install -y \\  \n     curl\n",
        "# escape=`\nFROM a\nRUN apt-get update `\n  && apt-get install -y `\n     curl\n",
        "FROM a\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n",
        "FROM a\nRUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y curl\n",
    ],
    ids=[
        "one-line",
        "continuations",
        "crlf",
        "comments-blank-trailing-space",
        "backtick",
        "heredoc",
        "flags",
    ],
)
def test_commands_map_back_to_source(text: str) -> None:
    tree, script = _script(text)
    progs = [(c.program, c.values) for c in script.commands]
    assert progs == [("apt-get", ["update"]), ("apt-get", ["install", "-y", "curl"])]
    for c in script.commands:
        assert _src(tree, script, c.name_start, c.name_end) == "apt-get"
        for a in c.args:
            assert _src(tree, script, a.start, a.end) == a.text
    install = script.commands[1]
    # inserting after the last argument lands right after "curl"
    at = script.source_end(install.end)
    assert tree.text[at - 4 : at] == "curl"


def test_chaining_and_context() -> None:
    text = (
        "FROM a\nRUN set -e; apt-get update && apt-get install -y x || true; "
        "for p in a b; do pip install $p; done | tee /log && (cd /x && make) && sh -c 'apk add y'\n"
    )
    _, script = _script(text)
    by = {(c.program, c.index): c for c in script.commands}
    names = [c.program for c in script.commands]
    assert names == ["set", "apt-get", "apt-get", "true", "pip", "tee", "cd", "make", "sh"]
    install = script.commands[2]
    assert (install.prev_op, install.next_op) == ("&&", "||")
    assert not install.conditional
    pip = script.commands[4]
    assert pip.conditional and "for_statement" in pip.ancestors
    assert pip.values == ["install", None]  # a variable is not a literal
    cd = script.commands[6]
    assert "subshell" in cd.ancestors
    # `sh -c '...'` is not looked into
    assert "apk" not in names and script.commands[-1].values == ["-c", "apk add y"]
    assert by  # keyed access works


def test_options() -> None:
    _, script = _script("FROM a\nRUN apt-get -qy install --no-install-recommends=true curl\n")
    (c,) = script.commands
    assert c.has_option("-y") and c.has_option("-q")
    assert c.has_option("--no-install-recommends")
    assert not c.has_option("--yes") and not c.has_option("-f")
    assert [a.value for a in c.operands()] == ["install", "curl"]


def test_quoting_and_unicode_offsets() -> None:
    tree, script = _script('FROM a\nRUN echo \'héllo wörld\' "a\\"b" c\\ d && ls ü\n')
    echo, ls = script.commands
    assert echo.values == ["héllo wörld", 'a"b', "c d"]
    assert _src(tree, script, ls.args[0].start, ls.args[0].end) == "ü"


def test_not_a_script() -> None:
    tree = dockfix.parse(
        'FROM a\nRUN ["apt-get", "update"]\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nCMD x\n'
    )
    assert [script_of(i) for i in tree.instructions] == [None, None, None, None]


def test_syntax_errors_are_flagged() -> None:
    _, script = _script("FROM a\nRUN if then fi ((\n")
    assert script.has_error


@pytest.mark.parametrize(
    "before, after",
    [
        ("RUN a && b # c\n", "RUN a && b && z # c\n"),
        ("RUN a \\\n    && b\n", "RUN a \\\n    && b \\\n    && z\n"),
        ("RUN a && \\\n    b\n", "RUN a && \\\n    b && \\\n    z\n"),
        ("RUN a &&\\\n\tb \\\n\t  c\n", "RUN a &&\\\n\tb \\\n\t  c &&\\\n\tz\n"),
        ("RUN a \\\r\n  && b \\\r\n  || c\r\n", "RUN a \\\r\n  && b \\\r\n  || c \\\r\n  && z\r\n"),
        ("RUN set -ex; \\\n  b\n", "RUN set -ex; \\\n  b && z\n"),
        ("RUN <<EOF\na\nb\nEOF\n", "RUN <<EOF\na\nb && z\nEOF\n"),
        ("RUN <<-EOF\n\ta\n\tEOF\n", "RUN <<-EOF\n\ta && z\n\tEOF\n"),
        ("RUN <<-EOF\n\tset -e\n\ta\n\tEOF\n", "RUN <<-EOF\n\tset -e\n\ta\n\tz\n\tEOF\n"),
        (
            "RUN <<EOF\nif a; then\n  b\nfi\n# done\nEOF\n",
            "RUN <<EOF\nif a; then\n  b\nfi && z\n# done\nEOF\n",
        ),
    ],
    ids=[
        "one-line",
        "leading-ops",
        "trailing-ops",
        "tabs",
        "crlf-or",
        "semicolon",
        "heredoc",
        "heredoc-chomp",
        "heredoc-set-e",
        "heredoc-if",
    ],
)
def test_append_command_keeps_the_layout(before: str, after: str) -> None:
    from dockfix.engine import apply_edits
    from dockfix.shell import append_command

    text = "FROM x\n" + before
    if "\r\n" in before:
        text = text.replace("FROM x\n", "FROM x\r\n")
    tree = dockfix.parse(text)
    ins = tree.instructions[1]
    out = apply_edits(text, [append_command(ins, script_of(ins), "z", tree.newline, tree.escape)])
    assert out == text.replace(before, after)
