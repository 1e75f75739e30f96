"""Word splitting exactly as BuildKit's Dockerfile parser does it.

Every function here mirrors one function of BuildKit's
``frontend/dockerfile/parser`` package and returns positions (indices into
the string it was given) next to the values, so that the syntax tree can map
each part back to the source.  Keep them boring and faithful: conformance
tests compare the results with BuildKit itself.
"""

from __future__ import annotations

import json
import math
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


# Bytes Go's unicode.IsSpace(rune(b)) calls a space: BuildKit's flag and
# HEALTHCHECK loops index the string byte by byte, so the UTF-8 continuation
# bytes 0x85 and 0xA0 count as spaces there, and other non-ASCII characters
# (U+3000, ...) do not.
_GO_BYTE_SPACES = frozenset(b"\t\n\v\f\r \x85\xa0")
_ASCII_SPACES = "\t\n\v\f\r "


def is_byte_split_space(ch: str) -> bool:
    """Would BuildKit's byte loop see a space in (part of) this character?"""
    if ch < "\x80":
        return ch in _ASCII_SPACES
    enc = ch.encode("utf-8", "surrogatepass")
    return b"\x85" in enc or b"\xa0" in enc


def _char_index_up(seg: str) -> tuple[bytes, list[int]]:
    """UTF-8 bytes of seg, and for every byte offset (and the end) the index
    of the first character starting at or after it."""
    data = seg.encode("utf-8", "surrogatepass")
    up = [0] * (len(data) + 1)
    b = 0
    for i, ch in enumerate(seg):
        n = len(ch.encode("utf-8", "surrogatepass")) if ch >= "\x80" else 1
        up[b] = i
        for k in range(b + 1, b + n):
            up[k] = i + 1
        b += n
    up[b] = len(seg)
    return data, up


def extract_flags(line: str, pos: int, end: int) -> tuple[int, list[Piece]]:
    """BuildKit extractBuilderFlags over line[pos:end].

    Returns the index where the arguments begin and the flags found.  Like
    BuildKit, this works on bytes and appends each byte as a rune: a
    non-ASCII character in a flag comes out as its UTF-8 bytes read as
    Latin-1 (`--from=é` is `--from=Ã©` to BuildKit, and to us).  Positions
    that fall inside a character are rounded up to the next character.
    """
    seg = line[pos:end]
    if seg.isascii():
        data, up = seg.encode("ascii"), None
    else:
        data, up = _char_index_up(seg)

    def at(b: int) -> int:
        return pos + (b if up is None else up[b])

    flags: list[Piece] = []
    n = len(data)
    in_spaces, in_word, in_quote = 0, 1, 2
    phase = in_spaces
    word = bytearray()
    word_start = 0
    quote = 0
    blank_ok = False
    i = 0
    while i <= n:
        ch = data[i] if i < n else -1
        if phase == in_spaces:
            if i == n:
                break
            if ch in _GO_BYTE_SPACES:
                i += 1
                continue
            if ch != 0x2D or i + 1 == n or data[i + 1] != 0x2D:  # "--"
                return at(i), flags
            phase = in_word
            word_start = i
        if phase in (in_word, in_quote) and i == n:
            if word != b"--" and (blank_ok or word):
                flags.append((word.decode("latin-1"), at(word_start), at(i)))
            break
        if phase == in_word:
            if ch in _GO_BYTE_SPACES:
                phase = in_spaces
                if word == b"--":
                    return at(i), flags
                if blank_ok or word:
                    flags.append((word.decode("latin-1"), at(word_start), at(i)))
                word = bytearray()
                blank_ok = False
                i += 1
                continue
            if ch in (0x27, 0x22):  # ' "
                quote = ch
                blank_ok = True
                phase = in_quote
                i += 1
                continue
            if ch == 0x5C:  # backslash
                if i + 1 == n:
                    i += 1
                    continue
                i += 1
                ch = data[i]
            word.append(ch)
            i += 1
            continue
        # in_quote
        if ch == quote:
            phase = in_word
            i += 1
            continue
        if ch == 0x5C:
            if i + 1 == n:
                phase = in_word
                i += 1
                continue
            i += 1
            ch = data[i]
        word.append(ch)
        i += 1
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


def _json_scan(s: str, i: int, end: int) -> tuple[int, list[tuple[str, int, int]]]:
    """Scan one JSON array starting at s[i] == "[" without recursion.

    Returns the index after it and its top-level elements as
    ``(kind, start, end)``; raises NotJSON where Go's decoder fails."""
    stack: list[str] = []  # "[" or "{"
    elements: list[tuple[str, int, int]] = []
    expect = "value"  # value | value_or_close | comma_or_close | key | key_or_close | colon
    while True:
        i = _JSON_WS.match(s, i, end).end()
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
    if _JSON_WS.match(s, after, end).end() != end:
        raise NotJSON()  # trailing content: not valid JSON for json.Unmarshal
    if any(kind != "string" for kind, _, _ in elements):
        raise NotStringArray()
    # Go decodes an escaped lone surrogate ("\ud800") as U+FFFD.
    return [
        (_LONE_SURROGATE.sub("\ufffd", json.loads(s[a:b])), a, b) for _, a, b in elements
    ]


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
