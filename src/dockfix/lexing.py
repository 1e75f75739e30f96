"""Word splitting exactly as BuildKit's Dockerfile parser does it.

Every function here mirrors one function of BuildKit's
``frontend/dockerfile/parser`` package and returns positions (indices into
the string it was given) next to the values, so that the syntax tree can map
each part back to the source.  Keep them boring and faithful: conformance
tests compare the results with BuildKit itself.
"""

from __future__ import annotations

import json
import re

# Go's unicode.IsSpace: the Latin-1 spaces plus Unicode White_Space.
_GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# BuildKit's reWhitespace: `[\t\v\f\r ]+`
_RE_WS = re.compile(r"[\t\v\f\r ]+")
_RE_NOT_WS = re.compile(r"[^\t\v\f\r ]+")
_RE_HEREDOC = re.compile(r"^(\d*)<<(-?)([^<]*)\Z")
_RE_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def is_space(ch: str) -> bool:
    return ch in _GO_SPACES


def lstrip_len(s: str, start: int = 0, end: int | None = None) -> int:
    """Index of the first non-space character of s[start:end]."""
    end = len(s) if end is None else end
    while start < end and s[start] in _GO_SPACES:
        start += 1
    return start


def rstrip_len(s: str, start: int = 0, end: int | None = None) -> int:
    """Index just after the last non-space character of s[start:end]."""
    end = len(s) if end is None else end
    while end > start and s[end - 1] in _GO_SPACES:
        end -= 1
    return end


def continuation_regex(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    # BuildKit: `([^\e])\e[ \t]*$|^\e[ \t]*$`, replaced by `$1`.
    return re.compile(rf"(?:(?<=[^{e}])|^){e}[ \t]*\Z")


Piece = tuple[str, int, int]  # (value, start, end)


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


def extract_flags(line: str, pos: int, end: int) -> tuple[int, list[Piece]]:
    """BuildKit extractBuilderFlags over line[pos:end].

    Returns the index where the arguments begin and the flags found.
    """
    flags: list[Piece] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word: list[str] = []
    word_start = pos
    quote = ""
    blank_ok = False
    while pos <= end:
        ch = line[pos] if pos < end else ""
        if phase == in_spaces:
            if pos == end:
                break
            if ch in _GO_SPACES:
                pos += 1
                continue
            if ch != "-" or pos + 1 == end or line[pos + 1] != "-":
                return pos, flags
            phase = in_word
            word_start = pos
        if phase in (in_word, in_quote) and pos == end:
            w = "".join(word)
            if w != "--" and (blank_ok or w):
                flags.append((w, word_start, pos))
            break
        if phase == in_word:
            if ch in _GO_SPACES:
                phase = in_spaces
                w = "".join(word)
                if w == "--":
                    return pos, flags
                if blank_ok or w:
                    flags.append((w, word_start, pos))
                word = []
                blank_ok = False
                pos += 1
                continue
            if ch in "'\"":
                quote = ch
                blank_ok = True
                phase = in_quote
                pos += 1
                continue
            if ch == "\\":
                if pos + 1 == end:
                    pos += 1
                    continue
                pos += 1
                ch = line[pos]
            word.append(ch)
            pos += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
            pos += 1
            continue
        if ch == "\\":
            if pos + 1 == end:
                phase = in_word
                pos += 1
                continue
            pos += 1
            ch = line[pos]
        word.append(ch)
        pos += 1
    return end, flags


def parse_words(s: str, start: int, end: int, escape: str) -> list[Piece]:
    """BuildKit parseWords over s[start:end] (quotes and escapes are kept)."""
    words: list[Piece] = []
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    buf: list[str] = []
    word_start = start
    last = start
    quote = ""
    blank_ok = False
    pos = start
    while pos <= end:
        ch = s[pos] if pos < end else ""
        if phase == in_spaces:
            if pos == end:
                break
            if ch in _GO_SPACES:
                pos += 1
                continue
            phase = in_word
            word_start = pos
        if phase in (in_word, in_quote) and pos == end:
            if blank_ok or buf:
                words.append(("".join(buf), word_start, last))
            break
        if phase == in_word:
            if ch in _GO_SPACES:
                phase = in_spaces
                if blank_ok or buf:
                    words.append(("".join(buf), word_start, last))
                buf = []
                blank_ok = False
                pos += 1
                continue
            if ch in "'\"":
                quote = ch
                blank_ok = True
                phase = in_quote
            if ch == escape:
                if pos + 1 == end:
                    pos += 1
                    continue
                buf.append(ch)
                pos += 1
                ch = s[pos]
            buf.append(ch)
            pos += 1
            last = pos
            continue
        # in_quote
        if ch == quote:
            phase = in_word
        if ch == escape and quote != "'":
            if pos + 1 == end:
                phase = in_word
                pos += 1
                continue
            pos += 1
            buf.append(ch)
            ch = s[pos]
        buf.append(ch)
        pos += 1
        last = pos
    return words


def split_whitespace(s: str, start: int, end: int) -> list[Piece]:
    """BuildKit parseStringsWhitespaceDelimited over a trimmed range."""
    if start >= end:
        return []
    return [(m.group(), m.start(), m.end()) for m in _RE_NOT_WS.finditer(s, start, end)]


class NotJSON(Exception):
    pass


class NotStringArray(Exception):
    """JSON array with an element that is not a string (an error in BuildKit)."""


def _no_constants(name: str) -> None:
    raise ValueError(name)


_DECODER = json.JSONDecoder(parse_constant=_no_constants)


def parse_json(s: str, start: int, end: int) -> list[Piece]:
    """BuildKit parseJSON: a JSON array of strings, with each string's span."""
    start = lstrip_len(s, start, end)
    if not s.startswith("[", start, end):
        raise NotJSON()
    # BuildKit decodes the first JSON value and ignores what follows it
    # (`CMD ["a"] # note` is exec form).
    try:
        data, length = _DECODER.raw_decode(s[start:end])
    except ValueError as e:
        raise NotJSON() from e
    if not isinstance(data, list):
        raise NotJSON()
    if not all(isinstance(x, str) for x in data):
        raise NotStringArray()
    spans = [(m.start(), m.end()) for m in _RE_JSON_STRING.finditer(s, start, start + length)]
    return [(v, a, b) for v, (a, b) in zip(data, spans)]


def shell_words(s: str, raw: bool) -> list[Piece] | None:
    """A small model of BuildKit's shell lexer ``ProcessWords`` with
    SkipUnsetEnv (variables stay as written).  ``raw`` keeps quotes and
    escapes (RawQuotes + RawEscapes).  Returns None on an unterminated quote.
    """
    words: list[Piece] = []
    buf: list[str] = []
    started = False
    word_start = 0
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch in _GO_SPACES:
            if started:
                words.append(("".join(buf), word_start, i))
                buf, started = [], False
            i += 1
            continue
        if not started:
            started, word_start = True, i
        if ch == "'":
            j = s.find("'", i + 1)
            if j < 0:
                return None
            buf.append(s[i : j + 1] if raw else s[i + 1 : j])
            i = j + 1
        elif ch == '"':
            j = i + 1
            part: list[str] = []
            while j < n and s[j] != '"':
                if s[j] == "\\" and j + 1 < n and (raw or s[j + 1] in '"$\\'):
                    part.append(s[j : j + 2] if raw else s[j + 1])
                    j += 2
                    continue
                part.append(s[j])
                j += 1
            if j >= n:
                return None
            buf.append('"' + "".join(part) + '"' if raw else "".join(part))
            i = j + 1
        elif ch == "\\":
            if i + 1 < n:
                buf.append(s[i : i + 2] if raw else s[i + 1])
            i += 2
        else:
            buf.append(ch)
            i += 1
    if started:
        words.append(("".join(buf), word_start, n))
    return words


class HeredocSpec:
    __slots__ = ("name", "chomp", "expand", "fd", "start", "end")

    def __init__(self, name: str, chomp: bool, expand: bool, fd: int, start: int, end: int):
        self.name, self.chomp, self.expand, self.fd = name, chomp, expand, fd
        self.start, self.end = start, end


class HeredocError(Exception):
    pass


def heredocs_from_line(line: str) -> list[HeredocSpec]:
    """BuildKit heredocsFromLine: every word of the form ``[n]<<[-]NAME``."""
    if "<<" not in line:
        return []
    words = shell_words(line, raw=True) or []
    docs = []
    for word, a, b in words:
        m = _RE_HEREDOC.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        cooked = shell_words(rest, raw=False)
        if cooked is None:
            raise HeredocError(f"unterminated quote in heredoc delimiter {rest!r}")
        if len(cooked) != 1:
            continue
        raw_words = shell_words(rest, raw=True) or []
        name = cooked[0][0]
        raw_name = raw_words[0][0] if raw_words else name
        q = name.count("'") + name.count('"')
        rq = raw_name.count("'") + raw_name.count('"')
        fd = int(m.group(1)) if m.group(1) else 0
        docs.append(HeredocSpec(name, m.group(2) == "-", q == rq, fd, a, b))
    return docs
