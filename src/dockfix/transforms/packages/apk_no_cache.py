"""apk hygiene in RUN commands (DF106)."""

from __future__ import annotations

from collections.abc import Iterator

from ...rules import Context, Edit, Rule, Safety
from ...shell import Command, Script, insert_after
from ...shell_edits import remove_command
from ...tools import Parsed
from ...tree import Dockerfile, Stage
from ._apt_apk import (
    APK_CACHE,
    Run,
    all_runs,
    canonical_edits,
    descendants,
    literal_sub,
    non_apk_base,
    run_position,
    stage_runs,
)

# apk applets that neither read nor write the index cache.
_INDEX_FREE = frozenset(
    {"del", "info", "version", "--version", "stats", "audit", "verify", "dot", "manifest"}
)
# Programs that may run apk themselves, out of sight: a RUN with one of
# these keeps its `rm -rf /var/cache/apk/*`.
_OPAQUE = frozenset(
    {
        "sh",
        "bash",
        "ash",
        "dash",
        "zsh",
        "ksh",
        "busybox",
        "source",
        ".",
        "eval",
        "xargs",
        "env",
        "sudo",
        "su",
        "doas",
        "exec",
        "nohup",
        "timeout",
        "chroot",
        "make",
        "xx-apk",
    }
)


def _apk_commands(script: Script) -> Iterator[tuple[Command, str | None, Parsed | None]]:
    """(command, applet as written or None, its parse) for each `apk`."""
    for cmd in script.find("apk"):
        p = literal_sub(cmd)
        yield cmd, (p.sub_tokens[0].value if p is not None else None), p


def _opaque(cmd: Command) -> bool:
    name = cmd.name
    if name is None or cmd.program in _OPAQUE:
        return True
    if name.endswith(".sh"):
        return True
    return "/" in name and not name.startswith(
        ("/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/", "/usr/local/bin/")
    )


def _is_cache_rm(cmd: Command) -> bool:
    """`rm` whose every operand is the content of /var/cache/apk."""
    if cmd.program != "rm":
        return False
    ops = cmd.operands()
    return bool(ops) and all(a.value in (APK_CACHE + "/*",) for a in ops)


def _removes_cache(cmd: Command) -> bool:
    """`rm` of /var/cache/apk or what is in it (with other operands, maybe)."""
    return cmd.program == "rm" and any(
        a.value is not None and (a.value.rstrip("/") == APK_CACHE or a.value.startswith(APK_CACHE + "/"))
        for a in cmd.operands()
    )


def _later_index_user(tree: Dockerfile, stage: Stage, after) -> bool:
    """Does a later RUN (this stage, then the stages built FROM it) run an
    apk applet that reads the cached index (`apk search`, `apk upgrade`
    without --no-cache, ...)?"""

    def reads(run) -> bool:
        if not run.usable:
            return False
        assert run.script is not None
        for _cmd, verb, p in _apk_commands(run.script):
            if verb in ("add", "update") or verb in _INDEX_FREE:
                continue
            if p is not None and p.has("--no-cache"):
                continue
            return True
        return False

    # Worked out once per tree: for each stage, whether a run from index k
    # on reads the index, and whether a stage built on it (directly or not) does.
    memo = tree.memo.get("apk.index_users")
    if memo is None:
        memo = tree.memo["apk.index_users"] = ({}, {})
    suffixes: dict[int, list[bool]] = memo[0]  # type: ignore[index]
    below: dict[int, bool] = memo[1]  # type: ignore[index]

    def suffix(st: Stage) -> list[bool]:
        if st.index not in suffixes:
            runs = stage_runs(tree, st, "apk")
            out = [False] * (len(runs) + 1)
            for k in range(len(runs) - 1, -1, -1):
                out[k] = out[k + 1] or reads(runs[k])
            suffixes[st.index] = out
        return suffixes[st.index]

    def in_children(st: Stage) -> bool:
        order, todo = [], [st]
        while todo:
            s = todo.pop()
            if s.index not in below:
                order.append(s)
                todo.extend(descendants(tree, s))
        for s in reversed(order):
            below[s.index] = any(suffix(c)[0] or below[c.index] for c in descendants(tree, s))
        return below[st.index]

    return suffix(stage)[run_position(tree, stage, after, "apk")] or in_children(stage)


def _overlap(a: Edit, b: Edit) -> bool:
    """Do two removals overlap (each takes the `&&` it shares with the other)?"""
    return a.start < b.end and b.start < a.end


class ApkNoCache(Rule):
    """
    ## What it does
    Adds `--no-cache` right after `apk add` when it is not given. In the
    same RUN, an `apk update` that is then redundant (the other apk
    commands are only `add --no-cache` and `del`) is removed, and so is a
    `rm -rf /var/cache/apk/*` that only cleaned up after them — each with
    the `&&` that joined it, keeping the RUN's layout. An `apk update`
    before `apk add --no-cache` is also removed when nothing removes the
    index it leaves behind.

    ## Why
    Without `--no-cache`, apk keeps the package index (a few megabytes per
    repository) in `/var/cache/apk`, in the layer. With it, apk fetches a
    fresh index for this command only and leaves nothing behind, so
    neither `apk update` before nor `rm -rf /var/cache/apk/*` after is
    needed (hadolint DL3019).

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN apk update && apk add curl && rm -rf /var/cache/apk/*
    ```

    Use instead:
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl
    ```

    ## Fix safety
    Safe: `apk add --no-cache` resolves the packages against the same
    repositories, fetched at the same time, as `apk update && apk add`; only
    the index cache stops being written — the "modulo caches" clause. A
    `rm -rf /var/cache/apk/*` is kept when something else in the RUN could
    still fill the cache: an `apk update` that stays, another apk applet
    (`upgrade`, `fetch`, `search`...), or a program that may run apk out of
    sight (a shell, a script, `make`, `xargs`, `xx-apk`); only an `rm` whose
    operands are all `/var/cache/apk/*` is removed. An `apk update` stays
    when a later RUN runs an apk applet that reads the cached index, or when
    it cannot be removed cleanly (joined by `||` or a pipe, inside a
    compound command, or a comment line would go with it).

    Not reported when a cache mount holds `/var/cache/apk` (or
    `/etc/apk/cache`): the mount is the better fix, and `--no-cache` would
    defeat it. Reported without a fix: an unconditional `apk add` in a stage
    whose base image is known not to be Alpine-like (Debian, Ubuntu,
    RHEL-like, distroless, busybox..., global `ARG` defaults substituted):
    there `apk` is not Alpine's package manager, or the command is a bug;
    nothing is changed. An `apk add` inside a condition (`if [ "$ID" =
    alpine ]; then apk add ...; fi`, a distro-agnostic script) is fixed
    whatever the base: it only runs where apk exists.
    """

    code = "DF106"
    looks_at = ("RUN",)
    name = "apk-no-cache"
    summary = "`apk add` without `--no-cache`"
    safety = Safety.SAFE
    covers = ("DL3019",)

    def check(self, ctx: Context):
        runs = (r for r in all_runs(ctx.tree, "apk") if not r.cache_covers(APK_CACHE, "/etc/apk/cache"))
        for run in runs:
            finding = self._check_run(ctx, run) if run.usable else None
            if finding is not None:
                yield finding

    def _check_run(self, ctx: Context, run: Run):
        tree = ctx.tree
        script = run.script
        assert script is not None and run.stage is not None
        apks = list(_apk_commands(script))
        adds = [(c, p) for c, verb, p in apks if verb == "add" and p is not None]
        if not adds:
            return None
        missing = [(c, p) for c, p in adds if not p.has("--no-cache")]
        updates = [c for c, verb, _ in apks if verb == "update"]
        others = [c for c, verb, _ in apks if verb not in ("add", "update", "del")]

        def span(cmd: Command) -> tuple[int, int]:
            return script.source(cmd.name_start), script.source_end(cmd.name_end)

        if any(not c.conditional for c, _ in missing):
            base = non_apk_base(ctx.model, run.stage)
            if base is not None:
                return ctx.finding(
                    span(missing[0][0]),
                    f"`apk add` without `--no-cache` in a stage whose base image ({base}) is not Alpine: not changed",
                )
        edits: list[Edit] = [insert_after(script, p.insert_at, " --no-cache") for _, p in missing]

        # Drop the `apk update`s when they are now redundant.
        dropped: list[Edit] = []
        if updates and not others and not _later_index_user(tree, run.stage, run.ins):
            for u in updates:
                e = remove_command(script, u, tree.text)
                if e is None or any(_overlap(e, d) for d in dropped):
                    # (two neighbours' removals overlap: `apk update && apk update`)
                    dropped = []
                    break
                dropped.append(e)
        updates_left = bool(updates) and not dropped

        # Drop `rm -rf /var/cache/apk/*` when nothing can fill the cache any more.
        rms: list[Edit] = []
        cache_rms = [c for c in script.commands if _is_cache_rm(c)]
        if (missing or dropped) and cache_rms and not updates_left and not others:
            if not any(_opaque(c) for c in script.commands):
                for c in cache_rms:
                    e = remove_command(script, c, tree.text)
                    if e is not None and not any(_overlap(e, d) for d in dropped + rms):
                        rms.append(e)

        if missing:
            return ctx.finding(
                span(missing[0][0]),
                "`apk add` without `--no-cache` leaves the package index in /var/cache/apk",
                canonical_edits(edits + dropped + rms, ctx.text),
            )
        if (
            updates
            and not others
            and not any(c.start > updates[-1].end and _removes_cache(c) for c in script.commands)
        ):
            # `apk update && apk add --no-cache ...`: the update's index stays.
            msg = "`apk update` before `apk add --no-cache` leaves the package index in /var/cache/apk"
            if dropped:
                return ctx.finding(
                    span(updates[0]),
                    msg + "; --no-cache fetches it anyway",
                    canonical_edits(dropped + rms, ctx.text),
                )
            return ctx.finding(
                span(updates[0]),
                msg
                + " (not removed: a later RUN reads the index, or the update is joined by `||`, a pipe or a comment line)",
            )
        return None
