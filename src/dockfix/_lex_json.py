"""BuildKit's ``parseJSON`` (the exec form's JSON array of strings), as Go's
``encoding/json`` decodes it.  Imported through :mod:`dockfix.lexing`."""

from __future__ import annotations

import json
import math
import re

from ._lex_words import Piece, lstrip_len


class NotJSON(Exception):
    pass


class NotStringArray(Exception):
    """JSON array with an element that is not a string (an error in BuildKit)."""


# Go's encoding/json, as BuildKit's parseJSON uses it:
# json.Unmarshal(rest, &[]interface{}).  Decoding fails — and BuildKit falls
# back to the shell form — on a syntax error, on anything but whitespace
# after the closing bracket (`CMD ["a"] # note` is shell form), on nesting
# deeper than 10000, and on a number out of float64 range (`[1e999]`).  Only
# a value that decodes but holds a non-string is an error.
#
# BuildKit before v0.15 used json.NewDecoder(...).Decode, which ignored what
# follows the array (`CMD ["a"] # note` was exec form); moby/buildkit#5107
# (July 2024) changed it.  We follow current BuildKit.
_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"')
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_JSON_LITERAL = re.compile(r"true|false|null")
_JSON_MAX_DEPTH = 10000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_ws_end(s: str, i: int, end: int) -> int:
    """The end of the JSON white space at ``i`` (``_JSON_WS`` matches the
    empty string, so it always matches)."""
    m = _JSON_WS.match(s, i, end)
    return m.end() if m else i


def _json_scan(s: str, i: int, end: int) -> tuple[int, list[tuple[str, int, int]]]:
    """Scan one JSON array starting at s[i] == "[" without recursion.

    Returns the index after it and its top-level elements as
    ``(kind, start, end)``; raises NotJSON where Go's decoder fails."""
    stack: list[str] = []  # "[" or "{"
    elements: list[tuple[str, int, int]] = []
    expect = "value"  # value | value_or_close | comma_or_close | key | key_or_close | colon
    while True:
        i = _json_ws_end(s, i, end)
        if i >= end:
            raise NotJSON()
        ch = s[i]
        if expect in ("value", "value_or_close"):
            if ch == "]" and expect == "value_or_close" and stack[-1] == "[":
                stack.pop()
                i += 1
            elif ch in "[{":
                if len(stack) == 1 and stack[0] == "[":
                    elements.append(("container", i, i))
                stack.append(ch)
                if len(stack) > _JSON_MAX_DEPTH:
                    raise NotJSON()
                i += 1
                expect = "value_or_close" if ch == "[" else "key_or_close"
                continue
            else:
                if ch == '"':
                    m = _JSON_STRING.match(s, i, end)
                    kind = "string"
                elif ch == "-" or "0" <= ch <= "9":
                    m = _JSON_NUMBER.match(s, i, end)
                    kind = "number"
                    if m is not None and math.isinf(float(m.group())):
                        raise NotJSON()
                else:
                    m = _JSON_LITERAL.match(s, i, end)
                    kind = "literal"
                if m is None or not stack:
                    raise NotJSON()
                if len(stack) == 1:
                    elements.append((kind, m.start(), m.end()))
                i = m.end()
        elif expect in ("key", "key_or_close"):
            if ch == "}" and expect == "key_or_close":
                stack.pop()
                i += 1
            else:
                m = _JSON_STRING.match(s, i, end)
                if m is None:
                    raise NotJSON()
                i = m.end()
                expect = "colon"
                continue
        elif expect == "colon":
            if ch != ":":
                raise NotJSON()
            i += 1
            expect = "value"
            continue
        else:  # comma_or_close
            close = "]" if stack[-1] == "[" else "}"
            if ch == ",":
                i += 1
                expect = "value" if close == "]" else "key"
                continue
            if ch != close:
                raise NotJSON()
            stack.pop()
            i += 1
        if not stack:
            return i, elements
        expect = "comma_or_close"


def parse_json(s: str, start: int, end: int) -> list[Piece]:
    """BuildKit parseJSON: a JSON array of strings, with each string's span."""
    start = lstrip_len(s, start, end)
    if not s.startswith("[", start, end):
        raise NotJSON()
    after, elements = _json_scan(s, start, end)
    if _json_ws_end(s, after, end) != end:
        raise NotJSON()  # trailing content: not valid JSON for json.Unmarshal
    if any(kind != "string" for kind, _, _ in elements):
        raise NotStringArray()
    # Go decodes an escaped lone surrogate ("\ud800") as U+FFFD.
    return [(_LONE_SURROGATE.sub("\ufffd", json.loads(s[a:b])), a, b) for _, a, b in elements]
