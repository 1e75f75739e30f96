from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from msgspec import Struct, field

from ... import tools
from ...images import Family
from ...model import StageInfo
from ...rules import Context, Edit, Finding, Rule, Safety
from ...shell import Command, Script
from ...shell_edits import cut_arg
from ...tools import download
from ...tree import Instruction
from ..instructions._shell_rules import ShellRun, exec_form_script, merged_edit
from ..instructions.wget_progress import wget_flavour

#: programs through which hadolint (ShellCheck's ``getCommandName``) still
#: sees the command they run: ``busybox wget``, ``command curl``
_SEEN_THROUGH = ("busybox", "builtin", "command", "run", "exec")


def _hadolint_name(cmd: Command) -> str | None:
    """The download tool hadolint's DL4001 sees this command run: the
    program word exactly as written (``/usr/bin/wget`` and ``sudo wget``
    are not seen), or the word after ``busybox``/``command``/``exec``..."""
    name, args = cmd.name, cmd.args
    if name in _SEEN_THROUGH and args:
        k = 0
        while name == "exec" and k < len(args) and (args[k].value or "").startswith("-"):
            k += 2 if args[k].value == "-a" else 1  # exec [-cl] [-a NAME] COMMAND
        word = args[k].value if k < len(args) else None
        name = None if word is None or word.startswith("-") else word
    return name if name in download.TOOLS else None


def _hadolint_names(ctx: Context, ins: Instruction) -> set[str]:
    script = exec_form_script(ins) if ins.json else ctx.model.script(ins)
    if script is None:
        return set()
    return {n for c in script.commands if (n := _hadolint_name(c)) is not None}


class _Use(Struct):
    """One wget/curl command of the stage (read with the tool's grammar)."""

    order: int
    run: ShellRun
    index: int
    cmd: Command
    parsed: tools.Parsed

    @property
    def tool(self) -> str:
        return self.parsed.tool


class _Install(Struct):
    """A package command installing a download tool."""

    order: int
    run: ShellRun
    cmd: Command
    parsed: tools.Parsed
    token: tools.Token
    tool: str
    here: bool  # in the stage itself (not in a stage it builds on)


class _Stage(Struct):
    """What the stage's chain of RUNs says about the two tools."""

    uses: list[_Use] = field(default_factory=list)  # the stage's own
    #: tool → the commands of the chain that run or install it (in order)
    seen: dict[str, list[int]] = field(default_factory=dict)
    #: the package commands of the chain that may uninstall a tool
    removals: list[int] = field(default_factory=list)
    installs: list[_Install] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)


def _runs(ctx: Context, st: StageInfo) -> Iterator[tuple[Instruction, Script | None]]:
    for ins in st.stage.instructions:
        if ins.keyword == "RUN":
            yield ins, None if ins.json else ctx.model.script(ins)


def _read_stage(ctx: Context, st: StageInfo) -> _Stage:
    chain = []
    s: StageInfo | None = st
    while s is not None:
        chain.append(s)
        s = s.parent
    out = _Stage()
    order = 0
    for stage in reversed(chain):
        here = stage is st
        for ins, script in _runs(ctx, stage):
            if script is None or script.has_error:
                if here and _hadolint_names(ctx, ins):
                    form = "an exec-form RUN" if ins.json else "a RUN whose script dockfix cannot parse"
                    out.blockers.append(f"a download in {form} (line {ins.start_line})")
                continue
            run = ShellRun(ins, ins, ctx.model.at(ins), script)
            if here and not run.posix and _hadolint_names(ctx, ins):
                out.blockers.append(f"the shell of the RUN on line {ins.start_line} is not a POSIX shell")
            for i, cmd in enumerate(script.commands):
                order += 1
                p = tools.parse(cmd, unwrap=True)
                if p is not None and p.tool in download.TOOLS:
                    out.seen.setdefault(p.tool, []).append(order)
                    if here:
                        out.uses.append(_Use(order, run, i, cmd, p))
                    continue
                if here and _hadolint_name(cmd) is not None:
                    out.blockers.append(
                        f"`{cmd.name} {_hadolint_name(cmd)}` on line {ins.start_line} is not rewritten"
                    )
                if p is not None:
                    for tool, tok in download.installs(p).items():
                        out.seen.setdefault(tool, []).append(order)
                        out.installs.append(_Install(order, run, cmd, p, tok, tool, here))
                    if download.uninstalls(p):
                        out.removals.append(order)
    return out


def _image_has(run: ShellRun, tool: str) -> bool:
    """The base image ships the tool: BusyBox's wget applet in Alpine,
    Wolfi and BusyBox images."""
    family = run.facts.image.family
    return tool == "wget" and (family.apk or family is Family.BUSYBOX)


def _available(info: _Stage, tool: str, order: int) -> bool:
    """An earlier command of the chain installs or runs ``tool``, and no
    package command between the two may have uninstalled it."""
    seen = info.seen.get(tool, [])
    k = bisect.bisect_left(seen, order)
    if k == 0:
        return False
    r = bisect.bisect_right(info.removals, seen[k - 1])
    return r == len(info.removals) or info.removals[r] > order


def _rewrite(ctx: Context, use: _Use, keep: str) -> download.Rewrite:
    if keep == "curl":
        return download.to_curl(use.parsed)
    flavour = wget_flavour(ctx, use.run, use.index)
    return download.to_wget(use.parsed, busybox=flavour != "gnu")


def _edit(script: Script, text: str, rewrite: download.Rewrite) -> Edit:
    edits = [
        Edit(
            script.source_end(c.start) if c.after_word else script.source(c.start),
            script.source_end(c.end),
            c.text,
        )
        for c in rewrite.changes
    ]
    return merged_edit(text, edits)


class _Plan(Struct):
    keep: str
    edits: list[Edit]
    converted: list[_Use]
    reason: str = ""
    note: str = ""


def _plan(ctx: Context, info: _Stage, keep: str) -> _Plan:
    """Rewrite every use of the other tool with ``keep``, or say why not."""
    plan = _Plan(keep, [], [])
    for use in info.uses:
        if use.tool == keep:
            continue
        line = use.run.ins.start_line
        if not (_available(info, keep, use.order) or _image_has(use.run, keep)):
            plan.reason = f"nothing before line {line} shows `{keep}` is installed"
            return plan
        rewrite = _rewrite(ctx, use, keep)
        if rewrite.reason:
            plan.reason = f"{rewrite.reason} (line {line})"
            return plan
        plan.edits.append(_edit(use.run.script, ctx.text, rewrite))
        plan.converted.append(use)
    return plan


_WORD = {t: re.compile(rf"(?<![\w.-]){t}(?![\w-])") for t in download.TOOLS}


def _inside(at: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= at < b for a, b in spans)


def _drop_packages(ctx: Context, info: _Stage, plan: _Plan) -> None:
    """Take the dropped tool out of the stage's install lines when nothing
    else in the file names it; report instead when that cannot be done."""
    drop = "wget" if plan.keep == "curl" else "curl"
    lines = [i for i in info.installs if i.tool == drop]
    if not lines:
        return
    spans = [(u.run.script.source(u.cmd.start), u.run.script.source_end(u.cmd.end)) for u in plan.converted]
    spans += [(i.run.script.source(i.token.start), i.run.script.source_end(i.token.end)) for i in lines]
    other = next((m.start() for m in _WORD[drop].finditer(ctx.text) if not _inside(m.start(), spans)), None)
    if other is not None:
        line = ctx.tree.position(other)[0]
        plan.note = f"; `{drop}` stays installed: line {line} names it too"
        return
    for i in lines:
        words = [t for t in i.parsed.operands if t.value is not None and not t.value.startswith("-")]
        if not i.here or len(words) < 2 or i.token.arg is None:
            where = i.run.ins.start_line
            plan.reason = f"`{i.parsed.label}` on line {where} would be left installing `{drop}` for nothing"
            return
        plan.edits.append(cut_arg(i.run.script, i.cmd, i.token.arg))
    plan.note = f", and `{drop}` is no longer installed"


def _score(info: _Stage, tool: str, image: bool) -> tuple[bool, bool, int, bool]:
    other = "wget" if tool == "curl" else "curl"
    installed = {i.tool for i in info.installs}
    return (
        tool in installed and other not in installed,
        image,
        sum(u.tool == tool for u in info.uses),
        tool == "curl",
    )


class OneDownloadTool(Rule):
    """
    ## What it does
    In a stage that runs both `wget` and `curl` (hadolint DL4001 looks at
    each stage on its own), rewrites the commands of one with the other:
    it keeps the tool the stage installs (`apt-get install curl`, `apk add
    wget`...) or the base image ships (BusyBox's `wget` in Alpine), else
    the one the stage uses most (curl on a tie). It only keeps a tool that
    is known to be there before each rewritten command (installed or run
    earlier in the stage or in the stages it builds on, or shipped by the
    image), and it drops the other tool's package from the stage's install
    line when no other word of the file names it.

    Options are carried over: `wget -q -O FILE URL` ↔ `curl -fsSL -o FILE
    URL`, `-O -`/stdout, `wget URL` ↔ `curl -O URL` (when the URL ends in a
    file name), `-c` ↔ `-C -`, `--header` ↔ `-H`, `--no-check-certificate`
    ↔ `-k`, `-U` ↔ `-A`, `--tries=N` ↔ `--retry N-1`, `-T N` →
    `--connect-timeout N --speed-limit 1 --speed-time N`, and more (the
    table is in `dockfix.tools.download`). A converted curl always gets
    `-fsSL`; a converted wget gets `-q` (curl's `-s`), `-nv` (`-sS`) or
    `--progress=dot:giga` (BusyBox's wget: always `-q`), so DL3047 holds.

    It reports without fixing when an option has no equivalent (`wget
    --spider`, `-r`, `curl -X`, `-d`, `--proto`; for BusyBox's wget
    also `--retry`, `--connect-timeout`...), when the file name wget would
    save to cannot be told from the URL (`wget $URL`), when a download is
    in an exec-form RUN or behind `busybox wget`, when the kept tool is not
    known to be installed, when the dropped tool's install line cannot
    lose it (it installs nothing else, or is in a stage this one builds
    on), and in Windows stages and under non-POSIX shells. `wget`/`curl`
    in `ONBUILD` (hadolint does not count them) are left alone.

    ## Why
    Two tools that do the same thing make the image bigger and the
    Dockerfile harder to read; scripts that expect one behaviour (curl's
    exit status, wget's redirects) get the other one half the time.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl wget
    RUN curl -fsSL https://example.com/key.asc -o /etc/apt/keyrings/example.asc
    RUN wget -q -O /tmp/tool.tgz https://example.com/tool.tgz
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl
    RUN curl -fsSL https://example.com/key.asc -o /etc/apt/keyrings/example.asc
    RUN curl -fsSL -o /tmp/tool.tgz https://example.com/tool.tgz
    ```

    ## Fix safety
    Unsafe: the two tools do not behave the same. wget fails on an HTTP
    error; curl only with `-f` (a converted curl gets `-f`, but a curl
    without `-f` that becomes wget now fails the build where it used to
    save the error page). wget follows redirects; curl only with `-L` (a
    curl without `-L` that becomes wget now follows them). wget retries a
    failed connection up to 20 times and times out after 900 s of silence;
    curl does neither unless told. wget does not overwrite an existing
    file (it saves `name.1`) where `curl -O` does. What they print (progress,
    errors) differs. Dropping the package can break a script that the
    build downloads and runs and that looks for the dropped tool; it is
    only dropped when nothing else in the file names it.
    """

    code = "DF720"
    looks_at = ("RUN",)
    name = "one-download-tool"
    summary = "`wget` and `curl` in one stage → one of them (the one installed, or used most)"
    safety = Safety.UNSAFE
    covers = ("DL4001",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        for st in ctx.model.stages:
            flagged: list[Instruction] = []
            seen: set[str] = set()
            for ins in st.stage.instructions:
                if ins.keyword == "RUN":
                    names = _hadolint_names(ctx, ins)
                    seen |= names
                    if names and len(seen) == 2:
                        flagged.append(ins)
            if flagged:
                yield from self._stage(ctx, st, flagged)

    def _stage(self, ctx: Context, st: StageInfo, flagged: list[Instruction]) -> Iterator[Finding]:
        why = "a Windows stage" if st.windows else ""
        info = _read_stage(ctx, st) if not why else _Stage()
        if info.blockers and not why:
            why = info.blockers[0]
        if not info.uses and not why:
            why = "no download command dockfix can read"
        plans: list[_Plan] = []
        if not why:
            run = info.uses[0].run
            order = sorted(download.TOOLS, key=lambda t: _score(info, t, _image_has(run, t)), reverse=True)
            for keep in order:
                plan = _plan(ctx, info, keep)
                if not plan.reason:
                    _drop_packages(ctx, info, plan)
                plans.append(plan)
            good = [p for p in plans if not p.reason and p.converted]
            if good:
                plan = good[0]
                drop = "wget" if plan.keep == "curl" else "curl"
                first = plan.converted[0]
                n = len(plan.converted)
                msg = (
                    f"`wget` and `curl` both used in this stage: rewriting {n} `{drop}` "
                    f"command{'s' if n > 1 else ''} with `{plan.keep}`{plan.note}"
                )
                yield ctx.finding(first.run.span(first.cmd), msg, plan.edits)
                return
            why = "; ".join(f"keeping `{p.keep}`: {p.reason}" for p in plans if p.reason)
            why = why or "no download command to rewrite"
        for ins in flagged:
            yield ctx.finding(ins, f"`wget` and `curl` both used in this stage (not fixed: {why})")
