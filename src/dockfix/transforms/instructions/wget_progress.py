from __future__ import annotations

from typing import NamedTuple

from ... import tools
from ...images import Family
from ...model import StageInfo
from ...rules import Context, Rule, Safety
from ...shell import Command, Script
from ...shell_edits import insert_word
from ...tree import Instruction
from ._shell_rules import ShellRun
from ._tool_commands import tool_commands

#: package tools of glibc distributions (``dpkg``/``rpm`` have no grammar: by program name)
_DISTRO_TOOLS = frozenset({*tools.apt.APT, *tools.rpm.FAMILY, "dnf5", "dpkg", "rpm"})


class Installs(NamedTuple):
    """What commands run so far tell about wget: GNU wget installed,
    Alpine's apk used, a glibc distribution's package tool used."""

    gnu: bool = False
    apk: bool = False
    distro: bool = False

    def __or__(self, other: object) -> Installs:
        assert isinstance(other, Installs)
        return Installs(self.gnu or other.gnu, self.apk or other.apk, self.distro or other.distro)


_NOTHING = Installs()


def _is_wget(name: str | None) -> bool:
    return name is not None and (name == "wget" or name.startswith(("wget=", "wget~", "wget>", "wget<")))


def _installs_one(cmd: Command) -> Installs:
    p = tools.parse(cmd, unwrap=True)
    prog = p.tool if p is not None else cmd.program
    if prog == "apk":
        gnu = p is not None and p.is_sub("add") and any(_is_wget(v) for v in p.operand_values)
        return Installs(gnu, True, False)
    if prog in _DISTRO_TOOLS:
        words = p.args if p is not None else cmd.args
        gnu = any(a.value == "wget" or (a.value or "").startswith("wget=") for a in words)
        return Installs(gnu, False, True)
    return _NOTHING


def _installs_wget(script: Script, upto: int | None = None) -> Installs:
    """:class:`Installs` of the commands of ``script`` before index
    ``upto`` (worked out once per script, not once per `wget`)."""
    cached = script.__dict__.get("_wget_facts")
    if cached is None:
        sofar = [_NOTHING]
        for cmd in script.commands:
            sofar.append(sofar[-1] | _installs_one(cmd))
        cached = script.__dict__["_wget_facts"] = sofar
    return cached[-1] if upto is None else cached[upto]


def _earlier_runs(ctx: Context, stage: StageInfo, outer: Instruction) -> Installs:
    """:func:`_installs_wget` of the RUNs of ``stage`` before ``outer`` and
    of all the RUNs of the stages it builds on (from sums worked out once
    per tree, not by reading every earlier RUN again for each `wget`)."""
    memo = ctx.tree.memo.setdefault("wget_progress.runs", ({}, {}))
    prefixes: dict[int, tuple[dict[int, int], list[Installs]]] = memo[0]  # type: ignore[index]
    ends: dict[int, Installs] = memo[1]  # type: ignore[index]

    def prefix(st: StageInfo) -> tuple[dict[int, int], list[Installs]]:
        if st.index not in prefixes:
            pos, sofar = {}, [_NOTHING]
            for k, ins in enumerate(st.stage.instructions):
                pos[id(ins)] = k
                script = ctx.model.script(ins)
                here = _installs_wget(script) if script is not None and not script.has_error else _NOTHING
                sofar.append(sofar[-1] | here)
            prefixes[st.index] = (pos, sofar)
        return prefixes[st.index]

    def end(st: StageInfo | None) -> Installs:
        todo = []
        while st is not None and st.index not in ends:
            todo.append(st)
            st = st.parent
        acc = ends[st.index] if st is not None else _NOTHING
        for s in reversed(todo):
            acc = ends[s.index] = prefix(s)[1][-1] | acc
        return acc

    pos, sofar = prefix(stage)
    return sofar[pos.get(id(outer), len(stage.stage.instructions))] | end(stage.parent)


def wget_flavour(ctx: Context, run: ShellRun, index: int) -> str | None:
    """ "gnu", "busybox", or None when it cannot be told."""
    got = _installs_wget(run.script, index) | _earlier_runs(ctx, run.facts.stage, run.outer)
    if got.gnu:
        return "gnu"
    image = run.facts.image
    if got.apk or image.family.apk or image.family is Family.BUSYBOX:
        return "busybox"
    if got.distro or image.libc == "glibc":
        return "gnu"
    return None


class WgetProgress(Rule):
    """
    ## What it does
    Adds `--progress=dot:giga` to a `wget` that has none of `--progress`,
    `-q`/`--quiet`, `-nv`/`--no-verbose`, `-o`/`--output-file`,
    `-a`/`--append-output` — when the wget is GNU wget. BusyBox wget (Alpine,
    BusyBox and Wolfi images, unless the stage installs the `wget` package)
    has no `--progress` option, so it gets `-q` instead; so does a wget
    whose flavour cannot be told from the base image or the stage's
    package commands, since both wgets accept `-q`.

    ## Why
    Without a terminal, wget's default progress bar prints a line every few
    kilobytes: a big download buries the build log under thousands of
    lines. `dot:giga` prints one dot per 64 KiB and one line per 3 MiB.

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN wget https://example.com/big.tar.gz
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm
    RUN wget --progress=dot:giga https://example.com/big.tar.gz
    ```

    ## Fix safety
    Safe: only what wget prints to the build log changes; the downloaded
    files, the exit status and the image are the same (with `-q`, GNU wget
    also stops printing its error messages; the exit status still fails the
    build). A `wget` in a Windows stage (PowerShell's `wget` is an alias of
    `Invoke-WebRequest`) or under a non-POSIX `SHELL` is reported without a
    fix. Commands run through a variable or inside `sh -c '…'` are not
    analysed.
    """

    code = "DF510"
    looks_at = ("RUN",)
    name = "wget-progress"
    summary = "`wget` → `wget --progress=dot:giga` (BusyBox: `-q`)"
    safety = Safety.SAFE
    covers = ("DL3047",)

    def check(self, ctx: Context):
        for run, i, cmd, p in tool_commands(ctx, "wget"):
            if tools.posix.wget_quiet(p):
                continue
            span = run.span(cmd)
            if not run.posix:
                yield ctx.finding(
                    span, "`wget` without `--progress` (not fixed: the RUN's shell is not a POSIX shell)"
                )
                continue
            flag = "--progress=dot:giga" if wget_flavour(ctx, run, i) == "gnu" else "-q"
            yield ctx.finding(
                span,
                f"`wget` without `--progress`: its progress bar floods the build log (adding `{flag}`)",
                [insert_word(run.script, ctx.text, p.name_end, flag)],
            )
