"""Word and flag splitting of BuildKit's Dockerfile parser
(``frontend/dockerfile/parser``): Go's white space, ``extractBuilderFlags``,
``parseWords``, ``parseStringsWhitespaceDelimited``.  Imported through
:mod:`dockfix.lexing`; each function returns positions (indices into the
string it was given) next to the values."""

from __future__ import annotations

import re

# Go's unicode.IsSpace: the Latin-1 spaces plus Unicode White_Space.
_GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# What lies between BuildKit's reWhitespace (`[\t\v\f\r ]+`) matches
_RE_NOT_WS = re.compile(r"[^\t\v\f\r ]+")


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


Piece = tuple[str, int, int]  # (value, start, end)


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

    stop, found = _scan_flags(data)
    flags = [(word.decode("latin-1"), at(a), at(b)) for word, a, b in found]
    return (end if stop is None else at(stop)), flags


def _scan_flags(data: bytes) -> tuple[int | None, list[tuple[bytes, int, int]]]:
    """The flag words at the start of ``data`` with their byte spans, and the
    byte index where the arguments begin (None: at the end)."""
    flags: list[tuple[bytes, int, int]] = []
    n = len(data)
    i = 0
    while True:
        while i < n and data[i] in _GO_BYTE_SPACES:
            i += 1
        if i == n:
            return None, flags
        if data[i] != 0x2D or i + 1 == n or data[i + 1] != 0x2D:  # "--"
            return i, flags
        word, after, blank_ok = _flag_word(data, i)
        if word == b"--":  # the end of the flags
            return (None if after == n else after), flags
        if blank_ok or word:
            flags.append((word, i, after))
        i = after


def _flag_word(data: bytes, i: int) -> tuple[bytes, int, bool]:
    """The flag word starting at ``data[i]``, quotes and backslashes
    processed; the index after it (a space or the end); and whether it had
    quotes (an empty word then still counts)."""
    n = len(data)
    word = bytearray()
    quote = 0
    blank_ok = False
    while i < n:
        ch = data[i]
        if quote:
            if ch == quote:
                quote = 0
                i += 1
                continue
        elif ch in _GO_BYTE_SPACES:
            break
        elif ch in (0x27, 0x22):  # ' "
            quote = ch
            blank_ok = True
            i += 1
            continue
        if ch == 0x5C:  # backslash: the next byte as it is (a trailing one is dropped)
            if i + 1 == n:
                i += 1
                continue
            i += 1
            ch = data[i]
        word.append(ch)
        i += 1
    return bytes(word), i, blank_ok


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
