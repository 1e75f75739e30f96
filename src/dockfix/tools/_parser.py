"""The parser: reads a command's tokens with a :class:`Grammar`.

See :mod:`._grammar` for the option syntaxes it knows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..shell import Command
from ._grammar import NO_OPTS, DashDash, Grammar, Option, Opts, Parsed, Sub, Syntax, Token, _find

# ---------------------------------------------------------------------------
# the parser

_NAME = re.compile(r"--?[A-Za-z0-9][A-Za-z0-9_.:@+-]*")


def _option_table(grammar: Grammar, path: Sequence[Sub]) -> Opts:
    table = grammar.options if grammar.globals_after or not path else NO_OPTS
    for s in path:
        table = table.merge(s.options)
    return table


class _Reader:
    """One pass over the tokens (kept small: each step is a method)."""

    def __init__(self, grammar: Grammar, args: tuple[Token, ...], start: int):
        self.g = grammar
        self.args = args
        self.i = start
        self.options: list[Option] = []
        self.operands: list[Token] = []
        self.path: list[Sub] = []
        self.words: list[str] = []
        self.sub_tokens: list[Token] = []
        self.sub_known = True
        self.sub_open = bool(grammar.subs)  # still looking for (more) subcommand words
        self.ended = False
        self.dashdash: Token | None = None
        self.sub_follows = False  # after a `--` that the subcommand follows (DashDash)
        self.expands = False
        self.table = grammar.options

    # -- main loop ----------------------------------------------------------
    def run(self) -> None:
        while self.i < len(self.args):
            tok = self.args[self.i]
            self.i += 1
            if self.ended:
                self._operand(tok)
            elif self.sub_follows:
                self._sub_after_dashdash(tok)
            elif tok.value is None:
                self._expanding(tok)
            elif tok.value == "--":
                self._dashdash(tok)
            elif tok.value.startswith("-") and tok.value != "-":
                self._option(tok, tok.value)
            else:
                self._word(tok)

    def _before_sub(self) -> bool:
        return not self.path and not self.sub_tokens

    def _dashdash(self, tok: Token) -> None:
        self.dashdash = tok
        if self.g.after_dashdash is DashDash.OPERANDS or not self.sub_open or not self._before_sub():
            self.ended = True
        else:
            self.sub_follows = True

    def _sub_after_dashdash(self, tok: Token) -> None:
        """A word after ``--`` while the subcommand is still to come: it is
        read as a subcommand word even when it looks like an option."""
        if tok.value is None:
            self.expands = True
            self._expanding_sub(tok)
        else:
            self._word(tok)
        if not self.sub_open:
            self.sub_follows = False
            self.ended = self.g.after_dashdash is DashDash.SUBCOMMAND

    def _word(self, tok: Token) -> None:
        value = tok.value or ""
        if self.sub_open:
            subs = self.path[-1].subs if self.path else self.g.subs
            found = _find(subs, value)
            if found is not None:
                self.path.append(found)
                self.words.append(found.name)
                self.sub_tokens.append(tok)
                self.sub_open = bool(found.subs)
                self.table = _option_table(self.g, self.path)
                return
            if not self.sub_tokens:
                # an unknown first word (`yarn build` runs a script)
                self.words.append(value)
                self.sub_tokens.append(tok)
                self.sub_known = False
                self.sub_open = False
                return
            self.sub_open = False
        self._operand(tok)

    def _operand(self, tok: Token) -> None:
        self.operands.append(tok)
        if self.g.stop_at_operand and not self.sub_open:
            self.ended = True

    def _expanding(self, tok: Token) -> None:
        self.expands = True
        text = tok.text
        m = _NAME.match(text)
        if m is not None and text.startswith("-") and len(text) > m.end():
            name = m.group(0)
            rest = text[m.end() :]
            if name.startswith("--") or self.g.syntax is Syntax.SINGLE_DASH:
                if rest.startswith("="):
                    self._add(name, None, rest[1:], tok, None, True, expands=True)
                    return
            else:
                short = name[:2]
                if self.table.takes_value(short):
                    self._add(short, None, text[2:], tok, None, True, expands=True)
                    return
        self._expanding_sub(tok)

    def _expanding_sub(self, tok: Token) -> None:
        """A word that expands where a subcommand may stand: the subcommand
        cannot be known (the first one stands for it)."""
        if self.sub_open:
            self.sub_known = False
            self.sub_open = False
            if not self.sub_tokens:
                self.sub_tokens.append(tok)
                self.words.append(tok.text)
                return
        self._operand(tok)

    # -- options ------------------------------------------------------------
    def _add(
        self,
        name: str,
        value: str | None,
        raw: str | None,
        tok: Token,
        value_tok: Token | None,
        attached: bool,
        expands: bool = False,
    ) -> None:
        takes = self.table.takes_value(name) or attached
        self.options.append(
            Option(
                name,
                self.table.canonical(name),
                value,
                raw,
                tok,
                value_tok,
                attached,
                takes,
                expands,
                self._before_sub(),
            )
        )

    def _take_next(self, name: str, tok: Token) -> None:
        """An option whose value is the next word."""
        if self.i < len(self.args):
            nxt = self.args[self.i]
            self.i += 1
            if nxt.value is None:
                self.expands = True
            self._add(name, nxt.value, nxt.text, tok, nxt, False, expands=nxt.value is None)
        else:
            self._add(name, None, None, tok, None, False)

    def _option(self, tok: Token, v: str) -> None:
        if v.startswith("--") or self.g.syntax is Syntax.SINGLE_DASH:
            self._long(tok, v)
        elif self.g.syntax is Syntax.MAVEN:
            self._maven(tok, v)
        else:
            self._cluster(tok, v)

    def _long(self, tok: Token, v: str) -> None:
        name, eq, value = v.partition("=")
        if eq:
            self._add(name, value, value, tok, None, True)
        elif self.table.takes_value(name):
            self._take_next(name, tok)
        else:
            self._add(name, None, None, tok, None, False)

    def _maven(self, tok: Token, v: str) -> None:
        if self.table.known(v):  # a whole short name: -pl, -amd, -e
            if self.table.takes_value(v):
                self._take_next(v, tok)
            else:
                self._add(v, None, None, tok, None, False)
            return
        # the longest short name taking a value that starts the word: -Dk=v, -Pprod, -T4
        cands = [n for n in self.table.values if not n.startswith("--") and v.startswith(n)]
        if cands:
            name = max(cands, key=len)
            self._add(name, v[len(name) :], v[len(name) :], tok, None, True)
            return
        name, eq, value = v.partition("=")
        if eq:
            self._add(name, value, value, tok, None, True)
        else:
            self._add(v, None, None, tok, None, False)

    def _cluster(self, tok: Token, v: str) -> None:
        if self.g.short_equals and len(v) > 2 and v[2] == "=":
            name = v[:2]
            self._add(name, v[3:], v[3:], tok, None, True)
            return
        for k in range(1, len(v)):
            name = "-" + v[k]
            if self.table.takes_value(name):
                rest = v[k + 1 :]
                if rest:
                    self._add(name, rest, rest, tok, None, True)
                else:
                    self._take_next(name, tok)
                return
            self._add(name, None, None, tok, None, False)


def parse_tokens(
    grammar: Grammar,
    args: tuple[Token, ...],
    *,
    start: int = 0,
    program: str = "",
    via: str = "",
    name_end: int = 0,
    cmd: Command | None = None,
    assignments: tuple[str, ...] = (),
) -> Parsed:
    """Read ``args[start:]`` with ``grammar``."""
    r = _Reader(grammar, args, start)
    r.run()
    subcommand = tuple(r.words)
    implicit = False
    info = any(o.name in grammar.info_flags or o.key in grammar.info_flags for o in r.options)
    if not subcommand and grammar.default and not r.operands and not info:
        subcommand, implicit = grammar.default, True
    return Parsed(
        tool=grammar.tool,
        program=program or grammar.tool,
        via=via,
        subcommand=subcommand,
        sub_tokens=tuple(r.sub_tokens),
        sub_known=r.sub_known,
        implicit=implicit,
        options=tuple(r.options),
        operands=tuple(r.operands),
        expands=r.expands,
        dashdash=r.dashdash,
        args=args,
        start=start,
        name_end=name_end,
        grammar=grammar,
        global_table=grammar.options,
        sub_table=r.table,
        cmd=cmd,
        assignments=assignments,
    )


__all__ = ["parse_tokens"]
