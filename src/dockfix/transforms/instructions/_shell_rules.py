"""Helpers shared by the shell-level DF5xx rules (DF511 cd → WORKDIR, DF512
pipefail, DF513 exec-form CMD).  Not a rule module: the name starts with _."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from msgspec import Struct

from ...model import Facts, SemanticModel
from ...rules import Context, Edit
from ...shell import Command, Script
from ...tree import Dockerfile, Instruction, Trivia

# -- the shell-form RUNs of a file ---------------------------------------------


class ShellRun(Struct, frozen=True):
    """A shell-form RUN (or ONBUILD RUN) whose script dockfix can read, and
    what is true before it (for ``ONBUILD RUN``: at the end of its stage)."""

    ins: Instruction  # the RUN (the inner one of an ONBUILD)
    outer: Instruction  # the top-level instruction
    facts: Facts
    script: Script

    @property
    def posix(self) -> bool:
        """Run by a POSIX shell in a Linux stage."""
        return not self.facts.windows and self.facts.shell.posix

    def span(self, cmd: Command) -> tuple[int, int]:
        return (self.script.source(cmd.start), self.script.source_end(cmd.end))


def shell_runs(ctx: Context) -> Iterator[ShellRun]:
    """Every RUN and ONBUILD RUN of the file's stages whose shell script
    parses without error."""
    model = ctx.model
    for st in model.stages:
        for outer in st.stage.instructions:
            ins = outer.inner if outer.keyword == "ONBUILD" and outer.inner is not None else outer
            if ins.keyword != "RUN" or ins.json:
                continue
            script = model.script(ins)
            if script is None or script.has_error:
                continue
            yield ShellRun(ins, outer, model.at(ins), script)


def known_workdir(ctx: Context, ins: Instruction) -> str | None:
    """The working directory before ``ins`` when this file tells it: set by
    its WORKDIRs (from literal paths and ENV values, not ARG defaults, which
    ``--build-arg`` may override), or ``/`` in a stage built on ``scratch``.
    None when it comes from the base image or cannot be known."""
    facts = SemanticModel.of(ctx.tree, assume_defaults=False).at(ins)
    wd = facts.workdir
    if isinstance(wd.path, str) and not wd.from_image:
        return wd.path
    return None


# -- where to put a new instruction -------------------------------------------


def insertion_point(tree: Dockerfile, ins: Instruction) -> int:
    """Offset where a new line goes "right before" ``ins``: above the comment
    lines directly attached to it (no blank line in between), so that a
    comment such as ``# hadolint ignore=…`` or ``# dockfix: ignore=…`` stays
    on the line before its instruction."""
    children = tree.children
    try:
        i = next(k for k, c in enumerate(children) if c is ins)
    except StopIteration:  # pragma: no cover - every instruction is a child
        return ins.start
    at = ins.start
    while i > 0:
        prev = children[i - 1]
        if isinstance(prev, Trivia) and prev.kind == "comment":
            at = prev.start
            i -= 1
            continue
        break
    return at


def indentation(ins: Instruction) -> str:
    """The whitespace before the instruction's keyword on its first line."""
    if ins.keyword_word is None:
        return ""
    head = ins._text[ins.start : ins.keyword_word.start]
    return head if not head.strip(" \t") else ""


def shell_word(value: str, escape: str) -> str:
    """``value`` as a WORKDIR argument: bare when it only has plain path
    characters, double-quoted (``$``, quotes and the escape char escaped)
    otherwise."""
    if value and re.fullmatch(r"[A-Za-z0-9_./@:+,=-]+", value):
        return value
    from .._util import double_quote

    return double_quote(value, escape)


# -- the script hadolint sees in an exec-form RUN ------------------------------


def exec_form_script(ins: Instruction) -> Script | None:
    """hadolint joins the words of ``RUN ["a", "b"]`` with spaces and lints
    them as a shell script.  The same view, with every offset mapped to the
    instruction's start (only good for reporting, never for edits)."""
    if ins.keyword != "RUN" or not ins.json:
        return None
    text = " ".join(a.value for a in ins.args)
    at = ins.start
    return Script(text, lambda i: at, lambda i: at)


# -- SHELL in effect -----------------------------------------------------------

NON_POSIX = ("pwsh", "powershell", "cmd")
# The SHELL programs hadolint accepts for DL4006 (compared as written).
HADOLINT_PIPEFAIL_SHELLS = ("/bin/bash", "/bin/zsh", "/bin/ash", "bash", "zsh", "ash")


def shell_program(args: list[str]) -> str:
    return posixpath.basename(args[0]).lower() if args else ""


def is_non_posix(args: list[str]) -> bool:
    """hadolint's test: the SHELL's text starts with pwsh, powershell or cmd
    (`cmd.exe` too)."""
    joined = " ".join(args)
    return any(joined.startswith(s) for s in NON_POSIX)


def _o_pipefail(args: list[str]) -> bool:
    has_o = any(a.startswith("-") and not a.startswith("--") and "o" in a[1:] for a in args)
    return has_o and "pipefail" in args


def hadolint_sees_pipefail(args: list[str]) -> bool:
    """hadolint's narrower test: the program exactly as listed in
    HADOLINT_PIPEFAIL_SHELLS."""
    return bool(args) and args[0] in HADOLINT_PIPEFAIL_SHELLS and _o_pipefail(args[1:])


# -- edits whose extent is unambiguous -----------------------------------------


def merged_edit(text: str, edits) -> Edit:
    """One edit doing what ``edits`` (non-overlapping) do together: from the
    first edit's start to the last one's end, the bytes between them kept."""
    edits = sorted(edits, key=lambda e: (e.start, e.end))
    start, end = edits[0].start, max(e.end for e in edits)
    parts, at = [], start
    for e in edits:
        parts.append(text[at : e.start])
        parts.append(e.replacement)
        at = e.end
    parts.append(text[at:end])
    return Edit(start, end, "".join(parts))
