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
    ids=["one-line", "continuations", "crlf", "comments-blank-trailing-space", "backtick", "heredoc", "flags"],
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
    tree, script = _script("FROM a\nRUN echo 'héllo wörld' \"a\\\"b\" c\\ d && ls ü\n")
    echo, ls = script.commands
    assert echo.values == ["héllo wörld", 'a"b', "c d"]
    assert _src(tree, script, ls.args[0].start, ls.args[0].end) == "ü"


def test_not_a_script() -> None:
    tree = dockfix.parse('FROM a\nRUN ["apt-get", "update"]\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nCMD x\n')
    assert [script_of(i) for i in tree.instructions] == [None, None, None, None]


def test_syntax_errors_are_flagged() -> None:
    _, script = _script("FROM a\nRUN if then fi ((\n")
    assert script.has_error
