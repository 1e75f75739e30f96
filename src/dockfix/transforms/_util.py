"""Small helpers shared by rules (not a rule module: the name starts with _)."""

from __future__ import annotations

from ..tree import Instruction, Word


def keyword_like(ins: Instruction, keyword: str) -> str:
    """``keyword`` in the case style of the instruction's own keyword."""
    src = ins.keyword_word.value if ins.keyword_word else ins.keyword
    return keyword.lower() if src.islower() else keyword.upper()


def double_quote(value: str, escape: str) -> str:
    """Quote ``value`` so BuildKit's word processing gives ``value`` back,
    without expanding variables."""
    out = []
    for ch in value:
        if ch in ('"', "$", escape):
            out.append(escape)
        out.append(ch)
    return '"' + "".join(out) + '"'


def unquote_simple(word: Word) -> str:
    """The value of a word with one pair of surrounding quotes removed."""
    v = word.value
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        return v[1:-1]
    return v


def all_instructions(tree):
    """Top-level instructions and the instructions wrapped by ONBUILD."""
    for ins in tree.instructions:
        yield ins
        if ins.inner is not None:
            yield ins.inner


SYNTAX_LINE = "# syntax=docker/dockerfile:1"


def syntax_directive_edit(tree):
    """An edit adding ``# syntax=docker/dockerfile:1`` as the first line, or
    None when the file already has a syntax directive.  It goes before any
    other directive (directives must stay the first lines) and after a BOM."""
    from ..rules import Edit

    if tree.directive("syntax") is not None:
        return None
    at = 1 if tree.bom else 0
    return Edit(at, at, SYNTAX_LINE + tree.newline)
