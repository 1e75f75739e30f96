"""apt / apt-get hygiene in RUN commands (DF101–DF105)."""

from __future__ import annotations

from collections.abc import Iterator

from msgspec import Struct

from ...model import SemanticModel
from ...shell import Command, Script
from ...tools import Parsed
from ...tree import Dockerfile, Instruction, Stage
from ._apt_apk import (
    APT,
    APT_LISTS,
    Run,
    all_runs,
    apt_tool,
    descendants,
    is_lists_cleanup,
    literal_sub,
    run_position,
    stage_runs,
)

_LISTS_CLEANUP = "rm -rf /var/lib/apt/lists/*"


def _span(script: Script, cmd: Command, upto: int | None = None) -> tuple[int, int]:
    """Source span of a command, from its name to ``upto`` (default: the
    name's end) -- a short span for the finding's position."""
    return script.source(cmd.name_start), script.source_end(upto if upto is not None else cmd.name_end)


def _apt_commands(script: Script) -> Iterator[tuple[Command, Parsed]]:
    """(command, its parse) for every apt-get / apt command whose
    subcommand is a literal word."""
    for cmd in script.find(*APT):
        p = literal_sub(cmd)
        if p is not None:
            yield cmd, p


def apt_commands(tree: Dockerfile) -> Iterator[tuple[Run, Script, Command, Parsed]]:
    """(run, its script, command, its parse) for every apt-get / apt
    command with a literal subcommand in the RUNs dockfix can read."""
    for run in all_runs(tree, "apt"):
        script = run.script
        if script is not None and not script.has_error:
            for cmd, p in _apt_commands(script):
                yield run, script, cmd, p


# -- package-list state through the stages -----------------------------------


class ListsUse(Struct):
    """What one RUN does with the apt package lists in the image."""

    needs: Command | None = None  # uses the lists before refreshing them
    effect: str | None = None  # "fresh" (updated, kept) / "clean" (removed) / None


def lists_use(run: Run) -> ListsUse:
    """How a RUN uses and changes the apt lists of the layers below it.  A
    RUN whose lists live in a cache mount neither reads nor writes them;
    exec-form or unparsable RUNs are opaque (nothing known)."""
    out = ListsUse()
    if not run.usable or run.cache_covers(APT_LISTS):
        return out
    assert run.script is not None
    for cmd in run.script.commands:
        if is_lists_cleanup(cmd):
            out.effect = "clean"
            continue
        if cmd.program not in APT and cmd.program != "apt-cache":
            continue
        p = literal_sub(cmd)
        if p is None:
            continue
        if p.sub == "update" and cmd.program in APT:
            out.effect = "fresh"
        elif p.sub == "dist-clean" and cmd.program in APT:
            out.effect = "clean"
        elif (
            out.effect is None
            and out.needs is None
            and (p.sub in apt_tool.NEEDS_LISTS or cmd.program == "apt-cache")
        ):
            out.needs = cmd
    return out


def lists_states(tree: Dockerfile) -> dict[int, str]:
    """``id(run instruction)`` → the state of the apt lists in the layers
    below it: "fresh" (an earlier RUN of the stage, or of a stage it is
    built FROM, ran `apt-get update` and kept them), "clean" (removed
    after), "unknown" (as the base image left them)."""
    final: dict[int, str] = {}
    out: dict[int, str] = {}
    for info in SemanticModel.of(tree).stages:
        parent = info.parent
        state = final.get(parent.index, "unknown") if parent is not None else "unknown"
        for run in stage_runs(tree, info.stage, "apt"):
            if run.onbuild:
                out[id(run.ins)] = "unknown"  # runs in a child build
                continue
            out[id(run.ins)] = state
            use = lists_use(run)
            if use.effect is not None:
                state = use.effect
        final[info.index] = state
    return out


def later_lists_user(tree: Dockerfile, stage: Stage, after: Instruction) -> tuple[Command, Run] | None:
    """The first command of a later RUN (in this stage, then in the stages
    built FROM it) that uses the lists ``after`` leaves in the image,
    before any RUN refreshes or removes them."""

    # Worked out once per tree: for each run of a stage, the first run from
    # it on that decides (uses the lists, or refreshes or removes them);
    # for each stage, what a walk from its start finds.
    memo = tree.memo.get("apt.lists_users")
    if memo is None:
        memo = tree.memo["apt.lists_users"] = ({}, {})
    stops: dict[int, list[int | None]] = memo[0]  # type: ignore[index]
    from_start: dict[int, tuple[Command | None, Run | None]] = memo[1]  # type: ignore[index]

    def stop(st: Stage) -> list[int | None]:
        if st.index not in stops:
            runs = stage_runs(tree, st, "apt")
            nxt: list[int | None] = [None] * (len(runs) + 1)
            for k in range(len(runs) - 1, -1, -1):
                use = lists_use(runs[k])
                decides = use.needs is not None or (use.effect is not None and not runs[k].onbuild)
                nxt[k] = k if decides else nxt[k + 1]
            stops[st.index] = nxt
        return stops[st.index]

    def in_stage(st: Stage, k: int):
        """(found, (cmd, run)) of a walk of ``st`` from run ``k`` on."""
        j = stop(st)[k]
        if j is None:
            return False, (None, None)
        run = stage_runs(tree, st, "apt")[j]
        use = lists_use(run)
        return True, ((use.needs, run) if use.needs is not None else (None, None))

    def walk_from_start(st: Stage):
        # the stages below ``st``, each before its children; then children first
        order, todo = [], [st]
        while todo:
            s = todo.pop()
            if s.index in from_start:
                continue
            order.append(s)
            todo.extend(descendants(tree, s))
        for s in reversed(order):
            if s.index in from_start:
                continue
            decided, found = in_stage(s, 0)
            if not decided:
                found = next(
                    (f for f in (from_start[c.index] for c in descendants(tree, s)) if f[0] is not None),
                    (None, None),
                )
            from_start[s.index] = found
        return from_start[st.index]

    def walk(st: Stage, start_after: Instruction | None):
        if start_after is None:
            return walk_from_start(st)
        decided, found = in_stage(st, run_position(tree, st, start_after, "apt"))
        if decided:
            return found
        for child in descendants(tree, st):
            found = walk_from_start(child)
            if found[0] is not None:
                return found
        return None, None

    cmd, run = walk(stage, after)
    if cmd is None or run is None:
        return None
    return cmd, run


# -- DF103 -------------------------------------------------------------------

# Commands after the last `apt-get update` that cannot use the lists.
_TRIVIAL = frozenset(
    {
        "true",
        ":",
        "false",
        "echo",
        "printf",
        "sleep",
        "break",
        "continue",
        "set",
        "export",
        "exit",
        "test",
        "[",
    }
)


# -- DF105 -------------------------------------------------------------------

# `apt` subcommands that `apt-get` has with the same meaning.
_SAME = frozenset(
    {
        "update",
        "install",
        "remove",
        "purge",
        "autoremove",
        "auto-remove",
        "dist-upgrade",
        "clean",
        "autoclean",
        "auto-clean",
        "source",
        "build-dep",
        "download",
        "changelog",
        "satisfy",
    }
)


_WHY = {
    "DL3008": "unpinned package versions, which have no automatic fix",
    "DL3009": "the apt lists are not removed (DF103)",
    "DL3014": "no `-y` (DF101)",
    "DL3015": "no `--no-install-recommends` (DF104, unsafe)",
}
