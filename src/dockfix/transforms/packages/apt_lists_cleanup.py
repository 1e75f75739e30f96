"""DF103 apt-lists-cleanup: see the class docstring."""

from __future__ import annotations

from ...rules import Context, Finding, Rule, Safety
from ...shell_edits import append_edit
from ...tree import Stage
from ._apt import _LISTS_CLEANUP, _TRIVIAL, _apt_commands, _span, later_lists_user
from ._apt_apk import APT_LISTS, Run, apt_tool, canonical_edits, is_lists_cleanup, stage_runs
from ._pkgcache import reaches_final_image


class AptListsCleanup(Rule):
    """
    ## What it does
    Appends `rm -rf /var/lib/apt/lists/*` at the end of a RUN that runs
    `apt-get update` and does not remove the lists after its last apt
    command, in the stages that end up in an image (the last stage, and
    stages other stages are built FROM — the ones hadolint DL3009 checks).
    The command is added in the RUN's own layout (`&& \\` at line ends or
    at line starts, a new line in a `RUN <<EOF` script that uses `set -e`).

    ## Why
    `apt-get update` downloads the package lists (tens of megabytes) into
    `/var/lib/apt/lists`. Removing them in a later RUN does not shrink the
    image: they are already in this RUN's layer. They must go in the same
    RUN (hadolint DL3009).

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y curl
    ```

    Use instead:
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    ```

    ## Fix safety
    Safe: the lists are a download cache, which a program in the image does
    not use, and the command runs only after everything else in the RUN
    succeeded (`&&`). Not reported when a cache mount holds
    `/var/lib/apt/lists` or `/var/lib/apt` (the lists are not in the layer
    then; hadolint wants `/var/cache/apt` mounted too, dockfix does not).

    Reported without a fix:
    - a later RUN uses these lists without its own `apt-get update` (an
      install in the next RUN): removing them would break it. DF102 adds the
      update there; then this fix applies;
    - the RUN runs `apt-get update` and nothing after it (`RUN apt-get
      update` alone): the lists are there for later RUNs; merge the RUNs or
      move the update next to the install;
    - the RUN ends in `exit`/`exec` or a background `&`, or its last
      statement carries a heredoc, where an appended command would not run.

    A RUN that calls `apt-get dist-clean` (apt 2.7.8+, which removes the
    lists too) still gets the explicit `rm`: it is a no-op there, and it is
    what linters (hadolint DL3009) look for. Exec-form RUNs are not analysed.
    """

    code = "DF103"
    looks_at = ("RUN",)
    name = "apt-lists-cleanup"
    summary = "`apt-get update` without `rm -rf /var/lib/apt/lists/*` in the same RUN"
    safety = Safety.SAFE
    covers = ("DL3009",)

    def check(self, ctx: Context):
        shipped = (stage for stage in ctx.tree.stages if reaches_final_image(ctx.tree, stage))
        for stage in shipped:
            for run in stage_runs(ctx.tree, stage, "apt"):
                found = self._finding(ctx, stage, run)
                if found is not None:
                    yield found

    @staticmethod
    def _finding(ctx: Context, stage: Stage, run: Run) -> Finding | None:
        """The finding for a RUN that leaves the lists of its last `apt-get update`."""
        if not run.usable or run.cache_covers(APT_LISTS, "/var/lib/apt"):
            return None
        script = run.script
        assert script is not None
        updates = [c for c, p in _apt_commands(script) if p.sub == "update"]
        if not updates:
            return None
        # the last apt command that touches the lists
        last = max(
            (c for c, p in _apt_commands(script) if p.sub == "update" or p.sub in apt_tool.NEEDS_LISTS),
            key=lambda c: c.end,
        )
        if any(is_lists_cleanup(c) and c.start >= last.end for c in script.commands):
            return None
        update = updates[-1]
        span = _span(script, update)
        msg = "apt lists downloaded by `apt-get update` stay in the layer; remove them at the end of the RUN"
        if not any(c.start >= update.end and c.program not in _TRIVIAL for c in script.commands):
            return ctx.finding(
                span, msg + " (not fixed: nothing in this RUN uses them; update in the RUN that installs)"
            )
        user = later_lists_user(ctx.tree, stage, run.ins)
        if user is not None:
            line = user[1].ins.start_line
            return ctx.finding(
                span, msg + f" (not fixed: the RUN at line {line} uses them without its own `apt-get update`)"
            )
        edit = append_edit(run.ins, script, _LISTS_CLEANUP, ctx.tree, ctx.facts(run.ins).shell.errexit)
        if edit is None:
            return ctx.finding(span, msg + " (not fixed: the RUN ends with `exit`, `exec`, `&` or a heredoc)")
        return ctx.finding(span, msg, canonical_edits([edit], ctx.text))
