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
import unicodedata
from collections.abc import Callable

# Go's unicode.IsSpace: the Latin-1 spaces plus Unicode White_Space.
_GO_SPACES = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# BuildKit's reWhitespace: `[\t\v\f\r ]+`
_RE_WS = re.compile(r"[\t\v\f\r ]+")
_RE_NOT_WS = re.compile(r"[^\t\v\f\r ]+")
_RE_HEREDOC = re.compile(r"^([0-9]*)<<(-?)([^<]*)\Z")  # Go RE2: \d is ASCII


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


# -- BuildKit's shell lexer (frontend/dockerfile/shell/lex.go) ---------------
#
# Only what the parser needs: ProcessWords with SkipUnsetEnv and no variables
# set (so every $VAR / ${VAR...} stays as written), the escape token `\`,
# and optionally RawQuotes / RawEscapes.  Heredoc detection runs it over the
# whole instruction line, so its quirks decide which lines are heredoc
# bodies: a syntax error anywhere in the line (an unterminated quote, `${`
# without `}`) means no heredocs at all.


class ShellError(Exception):
    pass


def _go_is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "L"


def _go_is_digit(ch: str) -> bool:
    return unicodedata.category(ch) == "Nd"


class _Words:
    """BuildKit's wordsStruct, with the source span of each word."""

    __slots__ = ("buf", "words", "in_word", "start", "end")

    def __init__(self) -> None:
        self.buf: list[str] = []
        self.words: list[Piece] = []
        self.in_word = False
        self.start = self.end = 0

    def add_char(self, ch: str, a: int, b: int) -> None:
        if ch in _GO_SPACES:
            if self.in_word and self.buf:
                self.words.append(("".join(self.buf), self.start, self.end))
                self.buf = []
                self.in_word = False
        else:
            self.add_raw_char(ch, a, b)

    def add_raw_char(self, ch: str, a: int, b: int) -> None:
        if not self.buf:
            self.start = a
        self.buf.append(ch)
        self.end = b
        self.in_word = True

    def add_string(self, text: str, a: int, b: int) -> None:
        for ch in text:
            self.add_char(ch, a, b)

    def add_raw_string(self, text: str, a: int, b: int) -> None:
        if text:
            if not self.buf:
                self.start = a
            self.buf.append(text)
            self.end = b
        self.in_word = True

    def get(self) -> list[Piece]:
        if self.buf:
            self.words.append(("".join(self.buf), self.start, self.end))
            self.buf = []
            self.in_word = False
        return self.words


class _ShellLex:
    """One run of BuildKit's shellWord over ``text``."""

    def __init__(self, text: str, raw_quotes: bool, raw_escapes: bool, escape: str = "\\"):
        self.s = text
        self.n = len(text)
        # Go's text/scanner drops a byte order mark at the start of its input.
        self.i = 1 if text.startswith("\ufeff") else 0
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.escape = escape
        # expand_word: the variables' values (None: every variable stays as
        # written, as the parser needs), and whether one was unknown
        self.lookup: Callable[[str], object] | None = None
        self.unknown = False

    def peek(self) -> str | None:
        return self.s[self.i] if self.i < self.n else None

    def next(self) -> str | None:
        if self.i < self.n:
            self.i += 1
            return self.s[self.i - 1]
        return None

    def words(self) -> list[Piece]:
        return self.stop_on(None, self.raw_escapes)[1]

    def stop_on(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[Piece]]:
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            result: list[str] = []
            words = _Words()
            while (ch := self.peek()) is not None:
                if stop is not None and ch == stop:
                    self.next()
                    return "".join(result), words.get()
                a = self.i
                if ch == "$":
                    tmp = self.dollar()
                    result.append(tmp)
                    words.add_string(tmp, a, self.i)
                elif ch == "'" or ch == '"':
                    tmp = self.single_quote() if ch == "'" else self.double_quote()
                    result.append(tmp)
                    words.add_raw_string(tmp, a, self.i)
                else:
                    ch = self.next()
                    assert ch is not None  # peek() saw it
                    if ch == self.escape:
                        if self.raw_escapes:
                            words.add_raw_char(ch, a, self.i)
                            result.append(ch)
                        ch = self.next()
                        if ch is None:
                            break
                        words.add_raw_char(ch, a, self.i)
                    else:
                        words.add_char(ch, a, self.i)
                    result.append(ch)
            if stop is not None:
                raise ShellError(f"unexpected end of statement while looking for matching {stop}")
            return "".join(result), words.get()
        finally:
            self.raw_escapes = saved

    def single_quote(self) -> str:
        out: list[str] = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)  # type: ignore[arg-type]
        while True:
            ch = self.next()
            if ch is None:
                raise ShellError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double_quote(self) -> str:
        out: list[str] = []
        ch = self.next()
        if self.raw_quotes:
            out.append(ch)  # type: ignore[arg-type]
        while True:
            p = self.peek()
            if p is None:
                raise ShellError("unexpected end of statement while looking for matching double-quote")
            if p == '"':
                self.next()
                if self.raw_quotes:
                    out.append(p)
                return "".join(out)
            if p == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.escape:
                if self.raw_escapes:
                    out.append(ch)
                p = self.peek()
                if p is None:
                    continue  # a trailing escape is dropped; then: unterminated
                if p in ('"', "$", self.escape):
                    ch = self.next()
            out.append(ch)  # type: ignore[arg-type]

    def _stop_on_brace(self, stop: str, raw_escapes: bool, missing: str) -> str:
        try:
            return self.stop_on(stop, raw_escapes)[0]
        except ShellError:
            if self.peek() is None:
                raise ShellError(missing) from None
            raise

    def dollar(self) -> str:
        """processDollar with every variable unset and SkipUnsetEnv: the
        text as written, or a ShellError where BuildKit fails."""
        self.next()
        if self.peek() != "{":
            name = self.name()
            if self.lookup is None or not name:
                return "$" + name
            return self._get(name)[0]
        self.next()
        p = self.peek()
        if p is None:
            raise ShellError("syntax error: missing '}'")
        if p in "{}:":
            raise ShellError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        chs = "\ufffd" if ch is None else ch  # Go's string(scanner.EOF)
        if ch == "}":
            if self.lookup is not None:
                return self._get(name)[0]
            return "${" + name + "}"
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            chs += "\ufffd" if ch is None else ch
        if null_is_unset or (ch is not None and ch in "+-?#%"):
            raw_escapes = ch == "#" or ch == "%"
            if null_is_unset and raw_escapes:
                raise ShellError(f"unsupported modifier ({chs}) in substitution")
            saved, self.unknown = self.unknown, False
            word = self._stop_on_brace("}", raw_escapes, "syntax error: missing '}'")
            word_unknown, self.unknown = self.unknown, saved
            if self.lookup is None:
                return "${" + name + chs + word + "}"
            return self._modifier(name, ch, chs, null_is_unset, word, word_unknown)
        if ch == "/":
            replace_all = self.peek() == "/"
            if replace_all:
                self.next()
            saved, self.unknown = self.unknown, False
            pattern = self._stop_on_brace("/", True, "syntax error: missing '/' in ${}")
            replacement = self._stop_on_brace("}", True, "syntax error: missing '}'")
            word_unknown, self.unknown = self.unknown, saved
            if self.lookup is None:
                return "${" + name + "/" + pattern + "/" + replacement + "}"
            value, _is_set, known = self._get(name)
            if not known or word_unknown:
                self.unknown = True
                return ""
            regex = _shell_pattern_regex(pattern, True, False)
            if replace_all:
                return regex.sub(lambda m: _go_expand_template(replacement, m.group(0)), value)
            m = regex.search(value)
            if m is None:
                return value
            return value[: m.start()] + _go_expand_template(replacement, m.group(0)) + value[m.end() :]
        raise ShellError(f"unsupported modifier ({chs}) in substitution")

    def _get(self, name: str) -> tuple[str, bool, bool]:
        """(value, set, known) of a variable through ``lookup``; an unknown
        one makes the whole word unknown."""
        assert self.lookup is not None
        v = self.lookup(name)
        if v is None:
            return "", False, True
        if isinstance(v, str):
            return v, True, True
        self.unknown = True
        return "", False, False

    def _modifier(
        self, name: str, ch: str | None, chs: str, null_is_unset: bool, word: str, word_unknown: bool
    ) -> str:
        """BuildKit's ``${name<modifier>word}`` once the variable is looked up."""
        value, is_set, known = self._get(name)
        if not known:
            return ""
        empty = not is_set or (null_is_unset and value == "")
        if ch == "-":
            if empty:
                self.unknown = self.unknown or word_unknown
                return word
            return value
        if ch == "+":
            if empty:
                return ""
            self.unknown = self.unknown or word_unknown
            return word
        if ch == "?":
            if not is_set:
                raise ShellError(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise ShellError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if ch in ("#", "%"):
            if word_unknown:
                self.unknown = True
                return ""
            greedy = word[:1] == ch
            if greedy:
                word = word[1:]
            if ch == "%":
                return _trim_prefix(_reverse_pattern(word), value[::-1], greedy)[::-1]
            return _trim_prefix(word, value, greedy)
        raise ShellError(f"unsupported modifier ({chs}) in substitution")

    def name(self) -> str:
        out: list[str] = []
        while (ch := self.peek()) is not None:
            if not out and _go_is_digit(ch):
                while (ch := self.peek()) is not None and _go_is_digit(ch):
                    out.append(self.next())  # type: ignore[arg-type]
                return "".join(out)
            if not out and ch in "@*#?-$!0":
                self.next()
                return ch
            if not (_go_is_letter(ch) or _go_is_digit(ch) or ch == "_"):
                break
            out.append(self.next())  # type: ignore[arg-type]
        return "".join(out)


def _shell_pattern_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """BuildKit's convertShellPatternToRegex: ``*`` and ``?`` wildcards
    (no bracket expressions); ``\\`` escapes ``*``, ``?`` and itself, and
    is dropped before ``}`` and ``/``."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i < n and pattern[i] in "}/":
                continue
            nxt = pattern[i] if i < n else ""
            i += 1
            if nxt not in ("*", "?", "\\") or not nxt:
                raise ShellError(f"invalid pattern ({pattern}) in substitution: invalid escape")
            out.append(re.escape(nxt))
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    m = _shell_pattern_regex(pattern, greedy, True).search(value)
    return value if m is None else value[m.end() :]


def _reverse_pattern(pattern: str) -> str:
    """BuildKit's reversePattern: reversed, each ``\\x`` escape kept in order."""
    out: list[str] = []
    i, last = 0, len(pattern) - 1
    while i <= last:
        if pattern[i] == "\\" and i != last:
            out.append(pattern[i : i + 2])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(reversed(out))


_GO_TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_]+")


def _go_expand_template(template: str, match: str) -> str:
    """Go's ``Regexp.ReplaceAllString`` template: ``$$`` is ``$``, ``$0`` /
    ``${0}`` the match, any other ``$name`` empty (the patterns have no
    groups), a malformed ``$`` literal."""
    if "$" not in template:
        return template
    out: list[str] = []
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        if template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        braced = template[i + 1] == "{"
        m = _GO_TEMPLATE_NAME.match(template, i + 2 if braced else i + 1)
        if m is None or (braced and not template.startswith("}", m.end())):
            out.append("$")
            i += 1
            continue
        name = m.group()
        if name.isdigit() and int(name) == 0:
            out.append(match)
        i = m.end() + (1 if braced else 0)
    return "".join(out)


def expand_word(s: str, lookup: Callable[[str], object], escape: str = "\\") -> str | None:
    """BuildKit's ``ProcessWord`` with variables: quotes and escapes
    processed, every ``$VAR`` / ``${VAR...}`` form expanded through
    ``lookup(name)``, which returns the value (a str), None when the
    variable is unset, or anything else when its value is not known.
    Returns None when the result depends on an unknown value; raises
    ShellError where BuildKit fails (``${X:?}`` of an unset X, a bad
    substitution, an unterminated quote)."""
    lex = _ShellLex(s, False, False, escape)
    lex.lookup = lookup
    value = lex.stop_on(None, False)[0]
    return None if lex.unknown else value


def shell_words(s: str, raw: bool) -> list[Piece] | None:
    """BuildKit's shell lexer ``ProcessWords`` (escape `\\`, SkipUnsetEnv, no
    variables set, so variables stay as written), with each word's span.
    ``raw`` keeps quotes and escapes (RawQuotes + RawEscapes).  Returns None
    where BuildKit fails (an unterminated quote, a bad ``${...}``)."""
    try:
        return _ShellLex(s, raw, raw).words()
    except ShellError:
        return None


def process_word(s: str) -> str | None:
    """BuildKit's ``ProcessWord`` (quotes and escapes processed, escape `\\`,
    variables as written); None where BuildKit fails."""
    try:
        return _ShellLex(s, False, False).stop_on(None, False)[0]
    except ShellError:
        return None


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
    try:
        words = _ShellLex(line, True, True).words()
    except ShellError:
        return []
    docs = []
    for word, a, b in words:
        m = _RE_HEREDOC.match(word)
        if not m or not m.group(3):
            continue
        rest = m.group(3)
        try:
            cooked = _ShellLex(rest, False, False).words()
            if len(cooked) != 1:
                continue
            raw_words = _ShellLex(rest, True, False).words()
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
