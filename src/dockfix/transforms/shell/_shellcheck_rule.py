"""The base of the DF7xx rules that act on ShellCheck's findings (not a rule
module: the name starts with ``_``).

A rule names the ShellCheck codes it handles (``sc_codes``; its ``covers``
are derived: ``("SC2006",)``) and decides, for each comment ShellCheck makes
with one of them on a RUN, what to do: apply ShellCheck's own fix (the
default), apply other edits, only report, or say nothing.  The safety of a
fix is the rule's decision, from dockfix's model -- never ShellCheck's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from msgspec import Struct

from ...rules import Context, Edit, Finding, Rule, Safety
from ...shell import Command, Script
from ...shellcheck import Comment
from ...tree import Instruction


class Decision(Struct, frozen=True):
    """What a rule does with one comment: ``edits`` (None: report only),
    their ``safety`` (None: the rule's), the ``message`` (None:
    ShellCheck's, as ``SC2006: ...``)."""

    edits: tuple[Edit, ...] | None = None
    safety: Safety | None = None
    message: str | None = None

    @classmethod
    def report(cls, why: str | None = None, comment: Comment | None = None) -> Decision:
        """Report only; ``why`` (not fixed because...) is added to the
        ShellCheck message of ``comment``."""
        if why is None:
            return cls()
        base = sc_message(comment) if comment is not None else ""
        return cls(message=f"{base} (not fixed: {why})" if base else why)


def sc_message(comment: Comment) -> str:
    """``SC2006: Use $(...) notation...`` (the code as hadolint shows it)."""
    return f"SC{comment.code}: {comment.message}"


#: why a finding whose ShellCheck fix cannot be mapped exactly is only reported
INEXACT = "ShellCheck's fix cannot be applied exactly here"


def command_with_arg_at(script: Script, offset: int) -> Command | None:
    """The command of ``script`` one of whose arguments starts at script
    offset ``offset`` (where ShellCheck puts a comment on an argument)."""
    return next((c for c in script.commands if any(a.start == offset for a in c.args)), None)


def fix_edits(comment: Comment) -> tuple[Edit, ...] | None:
    """ShellCheck's own fix as edits of the Dockerfile (None: it has none,
    or one that cannot be mapped exactly)."""
    if comment.fix is None:
        return None
    return tuple(Edit(r.start, r.end, r.text) for r in comment.fix)


class ShellCheckRule(Rule):
    """A rule about ShellCheck codes ``sc_codes`` in RUN scripts."""

    sc_codes: ClassVar[tuple[int, ...]] = ()
    looks_at = ("RUN",)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.sc_codes and "covers" not in cls.__dict__:
            cls.covers = tuple(f"SC{c}" for c in cls.sc_codes)

    def check(self, ctx: Context) -> Iterator[Finding]:
        for ins in ctx.tree.instructions:
            if ins.keyword.upper() != "RUN":
                continue
            for comment in ctx.shellcheck(ins):
                if comment.code not in self.sc_codes:
                    continue
                d = self.decide(ctx, ins, comment)
                if d is None:
                    continue
                message = d.message if d.message is not None else sc_message(comment)
                yield ctx.finding((comment.start, comment.end), message, d.edits, d.safety)

    def decide(self, ctx: Context, ins: Instruction, comment: Comment) -> Decision | None:
        """What to do with ``comment`` (None: nothing, not even a report).
        By default: ShellCheck's fix at the rule's safety, else a report."""
        edits = fix_edits(comment)
        if edits is None:
            return Decision.report(INEXACT, comment)
        return Decision(edits)
