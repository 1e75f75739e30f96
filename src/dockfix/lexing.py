"""Word splitting exactly as BuildKit's Dockerfile parser does it.

Every function here mirrors one function of BuildKit's
``frontend/dockerfile/parser`` package and returns positions (indices into
the string it was given) next to the values, so that the syntax tree can map
each part back to the source.  Keep them boring and faithful: conformance
tests compare the results with BuildKit itself.

This module is the one entry point; the work is split by concern: flag and
word splitting in :mod:`dockfix._lex_words`, the exec form's JSON in
:mod:`dockfix._lex_json`, BuildKit's shell lexer (word expansion) in
:mod:`dockfix._expansion`.  Here: the command line itself and heredocs.
"""

from __future__ import annotations

import re
import unicodedata

from ._expansion import ShellError, expand_word, lex_words, process_word, shell_words
from ._lex_json import NotJSON, NotStringArray, parse_json
from ._lex_words import (
    Piece,
    extract_flags,
    is_byte_split_space,
    is_space,
    lstrip_len,
    parse_words,
    rstrip_len,
    split_whitespace,
)

__all__ = [
    "HeredocError",
    "HeredocSpec",
    "NotJSON",
    "NotStringArray",
    "Piece",
    "ShellError",
    "continuation_regex",
    "expand_word",
    "extract_flags",
    "go_quote",
    "heredocs_from_line",
    "is_byte_split_space",
    "is_space",
    "lstrip_len",
    "parse_json",
    "parse_words",
    "process_word",
    "rstrip_len",
    "shell_words",
    "split_command",
    "split_whitespace",
]

# BuildKit's reWhitespace: `[\t\v\f\r ]+`
_RE_WS = re.compile(r"[\t\v\f\r ]+")
_RE_HEREDOC = re.compile(r"^([0-9]*)<<(-?)([^<]*)\Z")  # Go RE2: \d is ASCII


def continuation_regex(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    # BuildKit: `([^\e])\e[ \t]*$|^\e[ \t]*$`, replaced by `$1`.
    return re.compile(rf"(?:(?<=[^{e}])|^){e}[ \t]*\Z")


def split_command(line: str) -> tuple[Piece, list[Piece], tuple[int, int]]:
    """BuildKit splitCommand: keyword, flag words, and the argument range.

    Returns ``(keyword, flags, (args_start, args_end))`` where flags are
    ``(processed_value, start, end)`` and the argument range is trimmed.
    """
    start = lstrip_len(line)
    end = rstrip_len(line, start)
    m = _RE_WS.search(line, start, end)
    if m is None:
        return (line[start:end], start, end), [], (end, end)
    keyword = (line[start : m.start()], start, m.start())
    rest_start, flags = extract_flags(line, m.end(), end)
    a = lstrip_len(line, rest_start, end)
    b = rstrip_len(line, a, end)
    return keyword, flags, (a, b)


def go_quote(s: str) -> str:
    """Go's strconv.Quote (used in BuildKit's error messages)."""
    out = ['"']
    for ch in s:
        cp = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == " " or (unicodedata.category(ch)[0] in "LMNPS"):
            out.append(ch)
        elif ch in _GO_SHORT_ESCAPES:
            out.append(_GO_SHORT_ESCAPES[ch])
        elif cp < 0x20 or cp == 0x7F:
            out.append(f"\\x{cp:02x}")
        elif 0xD800 <= cp <= 0xDFFF:
            out.append("\\ufffd")
        elif cp < 0x10000:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    out.append('"')
    return "".join(out)


_GO_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


class HeredocSpec:
    __slots__ = ("name", "chomp", "expand", "fd", "start", "end")

    def __init__(self, name: str, chomp: bool, expand: bool, fd: int, start: int, end: int):
        self.name, self.chomp, self.expand, self.fd = name, chomp, expand, fd
        self.start, self.end = start, end


class HeredocError(Exception):
    def __init__(self, message: str, pos: int = 0):
        super().__init__(message)
        self.pos = pos  # index in the line of the heredoc marker


_MAX_UINT64 = 2**64 - 1


def _quote_count(s: str) -> int:
    return s.count("'") + s.count('"')


def heredocs_from_line(line: str) -> list[HeredocSpec]:
    """BuildKit heredocsFromLine: every word of the form ``[n]<<[-]NAME``.

    The line is split by the shell lexer (raw quotes and escapes); if that
    fails, BuildKit ignores the error and finds no heredocs.  A marker whose
    name the lexer cannot process is an error (HeredocError)."""
    if "<<" not in line:
        return []
    words = shell_words(line, raw=True)
    if words is None:
        return []
    docs = []
    for word, a, b in words:
        m = _RE_HEREDOC.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        try:
            cooked = lex_words(rest, False, False)
            if len(cooked) != 1:
                continue
            raw_words = lex_words(rest, True, False)
        except ShellError as e:
            raise HeredocError(f"failed to process {go_quote(rest)}: {e}", a) from None
        if len(raw_words) != len(cooked):
            raise HeredocError(f"internal lexing of heredoc produced inconsistent results: {rest}", a)
        name = cooked[0][0]
        expand = _quote_count(name) == _quote_count(raw_words[0][0])
        # strconv.ParseUint: out of range gives the maximum (error ignored).
        fd = min(int(m.group(1)), _MAX_UINT64) if m.group(1) else 0
        docs.append(HeredocSpec(name, m.group(2) == "-", expand, fd, a, b))
    return docs
