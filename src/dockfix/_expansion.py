"""BuildKit's shell lexer (``frontend/dockerfile/shell/lex.go``): how the
Dockerfile frontend splits and expands words (quotes, escapes, ``$VAR`` and
every ``${VAR…}`` form).  Imported through :mod:`dockfix.lexing`."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from ._lex_words import _GO_SPACES, Piece

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

    def _open_quote(self) -> list[str]:
        """Step over an opening quote; the output so far (the quote itself
        with RawQuotes)."""
        quote = self.next()
        return [quote] if self.raw_quotes and quote is not None else []

    def _close_quote(self, out: list[str], quote: str | None, which: str) -> str:
        """The quoted string once its closing ``quote`` is read (None: the
        input ended first)."""
        if quote is None:
            raise ShellError(f"unexpected end of statement while looking for matching {which}")
        if self.raw_quotes:
            out.append(quote)
        return "".join(out)

    def single_quote(self) -> str:
        out = self._open_quote()
        while (ch := self.next()) is not None and ch != "'":
            out.append(ch)
        return self._close_quote(out, ch, "single-quote")

    def double_quote(self) -> str:
        out = self._open_quote()
        while (p := self.peek()) is not None and p != '"':
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
        self.next()
        return self._close_quote(out, p, "double-quote")

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
        return lex_words(s, raw, raw)
    except ShellError:
        return None


def process_word(s: str) -> str | None:
    """BuildKit's ``ProcessWord`` (quotes and escapes processed, escape `\\`,
    variables as written); None where BuildKit fails."""
    try:
        return _ShellLex(s, False, False).stop_on(None, False)[0]
    except ShellError:
        return None


def lex_words(s: str, raw_quotes: bool, raw_escapes: bool) -> list[Piece]:
    """BuildKit's ``ProcessWords`` (escape `\\`, SkipUnsetEnv, no variables
    set) with each word's span; raises ShellError where BuildKit fails."""
    return _ShellLex(s, raw_quotes, raw_escapes).words()
