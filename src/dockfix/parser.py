"""A hand-written, lossless Dockerfile parser that follows BuildKit.

The line handling (directives, comments, continuation lines, heredocs) is a
faithful port of BuildKit's ``parser.Parse``; the per-instruction argument
splitting follows its ``line_parsers.go``.  On top of that, every part keeps
its source span.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right

from . import lexing
from .tree import (
    Directive,
    Dockerfile,
    Flag,
    Heredoc,
    Instruction,
    LogicalLine,
    Node,
    ParseError,
    Trivia,
    Word,
)

KNOWN_INSTRUCTIONS = frozenset(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)
# Flags that BuildKit rejects without a value ("--from" alone).
VALUE_FLAGS = {
    "FROM": {"platform"},
    "COPY": {"from", "chown", "chmod", "exclude"},
    "ADD": {"chown", "chmod", "checksum", "exclude"},
    "RUN": {"mount", "network", "security", "device"},
    "HEALTHCHECK": {"interval", "timeout", "start-period", "start-interval", "retries"},
}
_HEREDOC_KEYWORDS = frozenset({"ADD", "COPY", "RUN"})
_KNOWN_LOWER = {k.lower(): k for k in KNOWN_INSTRUCTIONS}
# Non-ASCII characters whose simple lowercase (Go's unicode.ToLower) is ASCII.
_GO_LOWER_TO_ASCII = {"\u0130": "i", "\u212a": "k"}


def canonical_keyword(word: str) -> str | None:
    """The instruction a keyword names, as BuildKit finds it
    (``dispatch[strings.ToLower(cmd)]``), or None for an unknown one.
    Python's str.upper() would differ: "ſhell".upper() == "SHELL", which Go
    does not take for SHELL; Go does take "WOR\u212aDIR" (Kelvin sign)."""
    low = "".join(ch.lower() if ch < "\x80" else _GO_LOWER_TO_ASCII.get(ch, ch) for ch in word)
    return _KNOWN_LOWER.get(low)


_RE_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")
_VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})


_MAX_LINE_BYTES = 64 * 1024


class _Lines:
    """Physical lines as BuildKit's scanner sees them (split after ``\\n``)."""

    def __init__(self, text: str):
        self.starts: list[int] = []
        self.ends: list[int] = []  # after the line break
        self.cends: list[int] = []  # after the content (trailing \r\n trimmed)
        n = len(text)
        pos = 0
        while pos < n:
            i = text.find("\n", pos)
            end = n if i < 0 else i + 1
            cend = end
            while cend > pos and text[cend - 1] in "\r\n":
                cend -= 1
            self.starts.append(pos)
            self.ends.append(end)
            self.cends.append(cend)
            pos = end
        # Go's bufio.Scanner (64 KiB buffer) stops at the first line longer
        # than it can hold, and BuildKit fails: "dockerfile line greater than
        # max allowed size".  A line may use the whole buffer with its "\n";
        # a last line without one must leave a byte free.
        self.limit = len(self.starts)
        short = n <= _MAX_LINE_BYTES // 4 - 1  # no line can be too long
        for k, (a, b) in enumerate([] if short else zip(self.starts, self.ends, strict=False)):
            if b - a > _MAX_LINE_BYTES // 4 - 1:  # could be too long in UTF-8
                size = len(text[a:b].encode("utf-8", "surrogatepass"))
                if size > (_MAX_LINE_BYTES if text.endswith("\n", a, b) else _MAX_LINE_BYTES - 1):
                    self.limit = k
                    break

    def __len__(self) -> int:
        return len(self.starts)


def parse(text: str) -> Dockerfile:
    """Parse Dockerfile text into a lossless tree; raise ParseError if
    BuildKit would reject it."""
    if not isinstance(text, str):
        raise TypeError("dockfix.parse expects str; decode bytes first")
    return _Parser(text).run()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.lines = _Lines(text)
        self.escape = "\\"
        self.cont_re = lexing.continuation_regex("\\")
        self.directives_done = False
        self.directives: list[Directive] = []
        self.children: list[Node] = []

    # -- helpers ---------------------------------------------------------
    def pos(self, offset: int) -> tuple[int, int]:
        k = bisect_right(self.lines.starts, offset) - 1
        k = max(k, 0)
        col = offset - self.lines.starts[k] + 1 if self.lines.starts else 1
        if k == 0 and offset > 0 and self.text.startswith("\ufeff"):
            col -= 1  # a byte-order mark is no column
        return k + 1, col

    def error(self, message: str, offset: int) -> ParseError:
        line, col = self.pos(offset)
        return ParseError(message, line, col)

    def directive(self, idx: int, start: int, cend: int) -> bool:
        """BuildKit possibleParserDirective on a (left-stripped) line."""
        if self.directives_done:
            return False
        t = self.text
        if not t.startswith("#", start, cend):
            self.directives_done = True
            return False
        s = lexing.lstrip_len(t, start + 1, cend)
        m = _RE_DIRECTIVE.match(t[s:cend])
        if not m or m.group(1).lower() not in _VALID_DIRECTIVES:
            self.directives_done = True
            return False
        name = m.group(1).lower()
        if any(d.name == name for d in self.directives):
            raise self.error(f"only one {name} parser directive can be used", start)
        value = m.group(2)
        if name == "escape":
            if value not in ("\\", "`"):
                raise self.error(f"invalid escape token '{value}' does not match ` or \\", start)
            self.escape = value
            self.cont_re = lexing.continuation_regex(value)
        self.directives.append(Directive(t, start, cend, name=name, value=value, line=idx + 1))
        return True

    def trim_continuation(self, start: int, cend: int) -> tuple[int, bool]:
        """Return (end of the kept part, is_end_of_line)."""
        m = self.cont_re.search(self.text, start, cend)
        if m is None:
            return cend, True
        return m.start(), False

    def is_comment(self, idx: int) -> bool:
        t, a, b = self.text, self.lines.starts[idx], self.lines.cends[idx]
        a = lexing.lstrip_len(t, a, b)
        return t.startswith("#", a, b)

    # -- main loop -------------------------------------------------------
    def run(self) -> Dockerfile:
        t, lines = self.text, self.lines
        n = lines.limit
        idx = 0
        while idx < n:
            start, cend = lines.starts[idx], lines.cends[idx]
            if idx == 0 and t.startswith("\ufeff"):
                self.children.append(Trivia(t, 0, 1, kind="bom", line=1))
                start += 1
            first = idx
            s = lexing.lstrip_len(t, start, cend)
            was_directive = self.directive(idx, s, cend)
            comment = t.startswith("#", s, cend)
            if comment:
                kind = "directive" if was_directive else "comment"
                self.children.append(Trivia(t, start, lines.ends[idx], kind=kind, line=idx + 1))
                idx += 1
                continue
            keep_end, eol = self.trim_continuation(s, cend)
            if eol and keep_end == s:
                if lines.ends[idx] > start:  # not a lone BOM
                    self.children.append(Trivia(t, start, lines.ends[idx], kind="blank", line=idx + 1))
                idx += 1
                continue
            logical = LogicalLine(s)
            logical.add(t, s, keep_end)
            idx += 1
            while not eol and idx < n:
                a, b = lines.starts[idx], lines.cends[idx]
                self.directive(idx, a, b)
                if self.is_comment(idx) or lexing.lstrip_len(t, a, b) == b:
                    idx += 1
                    continue
                keep_end, eol = self.trim_continuation(a, b)
                logical.add(t, a, keep_end)
                idx += 1
            ins = self.instruction(logical, first)
            if ins.keyword in _HEREDOC_KEYWORDS or (
                ins.inner is not None and ins.inner.keyword in _HEREDOC_KEYWORDS
            ):
                target = ins.inner or ins
                if not target.json:
                    idx = self.read_heredocs(ins, logical, idx)
                    if ins.inner is not None:
                        ins.inner.heredocs = ins.heredocs
            last = idx - 1
            ins.start = start
            ins.end = lines.ends[last]
            ins.content_end = lines.cends[last]
            ins.start_line, ins.end_line = first + 1, last + 1
            if ins.inner is not None:
                ins.inner.start_line, ins.inner.end_line = ins.start_line, ins.end_line
            self.children.append(ins)
        if lines.limit < len(lines):
            raise ParseError(
                f"dockerfile line greater than max allowed size of {_MAX_LINE_BYTES - 1}", lines.limit + 1, 1
            )
        return Dockerfile(t, self.children, self.directives, self.escape)

    def read_heredocs(self, ins: Instruction, logical: LogicalLine, idx: int) -> int:
        t, lines = self.text, self.lines
        try:
            specs = lexing.heredocs_from_line(logical.text)
        except lexing.HeredocError as e:
            raise self.error(str(e), logical.src(e.pos)) from None
        for spec in specs:
            body_start = lines.starts[idx] if idx < lines.limit else len(t)
            marker_start, marker_end = logical.src(spec.start), logical.src_end(spec.end)
            terminated = False
            while idx < lines.limit:
                a, b = lines.starts[idx], lines.cends[idx]
                if spec.chomp:
                    while a < b and t[a] == "\t":
                        a += 1
                if t[a:b] == spec.name:
                    terminated = True
                    break
                idx += 1
            if not terminated:
                raise self.error(f"unterminated heredoc: no line {spec.name!r} ends it", marker_start)
            ins.heredocs.append(
                Heredoc(
                    t,
                    marker_start,
                    marker_end,
                    name=spec.name,
                    chomp=spec.chomp,
                    expand=spec.expand,
                    fd=spec.fd,
                    body_start=body_start,
                    body_end=lines.starts[idx],
                    terminator_start=lines.starts[idx],
                    terminator_end=lines.cends[idx],
                )
            )
            idx += 1
        return idx

    # -- one instruction -------------------------------------------------
    def instruction(self, lg: LogicalLine, first: int) -> Instruction:
        line = lg.text
        (kw, ka, kb), flag_pieces, (ra, rb) = lexing.split_command(line)
        return self.build(lg, kw, ka, kb, flag_pieces, ra, rb, nested=False)

    def word(self, lg: LogicalLine, value: str, a: int, b: int) -> Word:
        return Word(self.text, lg.src(a), lg.src_end(b), value=value)

    def build(self, lg, kw, ka, kb, flag_pieces, ra, rb, nested: bool) -> Instruction:
        t, line = self.text, lg.text
        keyword = canonical_keyword(kw)
        kword = self.word(lg, sys.intern(kw), ka, kb)  # one string per spelling, not per instruction
        if keyword is None:
            if not kw:
                # Only a continuation line (`\\` alone) before the end of the file.
                raise self.error(
                    "unknown instruction: the file ends in a line continuation with no instruction",
                    kword.start,
                )
            shown = kw if kw.isprintable() else repr(kw)
            raise self.error(f"unknown instruction: {shown}", kword.start)
        ins = Instruction(t, 0, 0, keyword=keyword, keyword_word=kword, original=line[ka:rb])
        for value, a, b in flag_pieces:
            name, eq, fval = value[2:].partition("=")
            name = sys.intern(name)
            flag = Flag(t, lg.src(a), lg.src_end(b), name=name, value=fval if eq else None)
            if not eq and name in VALUE_FLAGS.get(keyword, ()):
                raise self.error(f"flag --{name} needs a value (--{name}=<value>)", flag.start)
            ins.flags.append(flag)
        ins.rest = self.word(lg, line[ra:rb], ra, rb) if rb > ra else None
        ins.logical, ins.rest_index = lg, ra
        rest_err = ins.rest.start if ins.rest else kword.start
        pieces: list[lexing.Piece] = []
        try:
            if keyword in ("ADD", "COPY", "VOLUME"):
                try:
                    pieces = lexing.parse_json(line, ra, rb)
                    ins.json = True
                except lexing.NotJSON:
                    pieces = lexing.split_whitespace(line, ra, rb)
            elif keyword in ("CMD", "ENTRYPOINT", "RUN", "SHELL"):
                pieces = self.maybe_json(ins, line, ra, rb)
            elif keyword in ("EXPOSE", "FROM"):
                pieces = lexing.split_whitespace(line, ra, rb)
            elif keyword == "ARG":
                pieces = lexing.parse_words(line, ra, rb, self.escape)
            elif keyword in ("ENV", "LABEL"):
                pieces = self.name_values(ins, lg, ra, rb, rest_err)
            elif keyword == "HEALTHCHECK":
                # BuildKit's parseHealthConfig scans bytes: see
                # lexing.is_byte_split_space.  (A character it splits in the
                # middle gives BuildKit an invalid type word; we drop the
                # whole character.)
                sep = ra
                while sep < rb and not lexing.is_byte_split_space(line[sep]):
                    sep += 1
                if sep > ra:
                    nxt = sep + 1 if sep < rb and line[sep] >= "\x80" else sep
                    while nxt < rb and line[nxt] in "\t\n\v\f\r ":
                        nxt += 1
                    pieces = [(line[ra:sep], ra, sep)] + self.maybe_json(ins, line, nxt, rb)
            elif keyword == "ONBUILD":
                if rb > ra:
                    ikw, ika, ikb, iflags, ira, irb = self._split_at(line, ra, rb)
                    trigger = canonical_keyword(ikw)
                    if trigger in ("ONBUILD", "FROM", "MAINTAINER"):
                        raise self.error(f"{trigger} isn't allowed as an ONBUILD trigger", lg.src(ika))
                    ins.inner = self.build(lg, ikw, ika, ikb, iflags, ira, irb, nested=True)
                    ins.inner.start, ins.inner.end = lg.src(ika), lg.src_end(irb)
                    ins.inner.content_end = ins.inner.end
            else:  # MAINTAINER STOPSIGNAL USER WORKDIR
                pieces = [(line[ra:rb], ra, rb)] if rb > ra else []
        except lexing.NotStringArray:
            raise self.error(
                "when using JSON array syntax, arrays must be comprised of strings only", rest_err
            ) from None
        ins.args = [self.word(lg, v, a, b) for v, a, b in pieces]
        return ins

    @staticmethod
    def _split_at(line: str, ra: int, rb: int):
        sub = line[ra:rb]
        (kw, ka, kb), flags, (a, b) = lexing.split_command(sub)
        return kw, ka + ra, kb + ra, [(v, x + ra, y + ra) for v, x, y in flags], a + ra, b + ra

    def maybe_json(self, ins: Instruction, line: str, ra: int, rb: int) -> list[lexing.Piece]:
        if rb <= ra:
            return []
        try:
            pieces = lexing.parse_json(line, ra, rb)
        except lexing.NotJSON:
            return [(line[ra:rb], ra, rb)]
        ins.json = True
        return pieces

    def name_values(self, ins, lg: LogicalLine, ra, rb, err_at) -> list[lexing.Piece]:
        line = lg.text
        words = lexing.parse_words(line, ra, rb, self.escape)
        if not words:
            return []
        if "=" not in words[0][0]:
            m = lexing._RE_WS.search(line, ra, rb)
            if m is None:
                raise self.error(f"{ins.keyword} must have two arguments", err_at)
            ins.legacy_format = True
            return [(line[ra : m.start()], ra, m.start()), (line[m.end() : rb], m.end(), rb)]
        out: list[lexing.Piece] = []
        for w, a, b in words:
            if "=" not in w:
                quoted = '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'
                raise self.error(
                    f"Syntax error - can't find = in {quoted}. Must be of the form: name=value", lg.src(a)
                )
            i = w.index("=")
            out.append((w[:i], a, a + i))
            out.append((w[i + 1 :], a + i + 1, b))
        return out
