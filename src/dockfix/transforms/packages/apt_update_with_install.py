"""DF102 apt-update-with-install: see the class docstring."""

from __future__ import annotations

from ...rules import Context, Rule, Safety
from ...shell import Command, insert_before
from ...shell_edits import append_edit
from ...tools import Parsed
from ._apt import (
    _LISTS_CLEANUP,
    _apt_commands,
    _span,
    later_lists_user,
    lists_states,
)
from ._apt_apk import (
    APT_LISTS,
    Run,
    all_runs,
    canonical_edits,
    is_lists_cleanup,
)
from ._pkgcache import reaches_final_image


class AptUpdateWithInstall(Rule):
    """
    ## What it does
    Inserts `apt-get update && ` before an `apt-get install` that has no
    `apt-get update` before it in the same RUN. In the stages that end up in
    an image (see DF103), it also appends `rm -rf /var/lib/apt/lists/*` to
    the RUN when the RUN does not remove the lists after the install: the
    update must not add a copy of the lists to the layer.

    ## Why
    An install that relies on package lists downloaded by an earlier RUN
    breaks with the layer cache: when you change the install line, the
    `apt-get update` layer is reused from the cache, possibly weeks old, and
    apt asks for package versions the mirrors no longer have (404 errors),
    or installs outdated ones. Updating in the same RUN keeps the lists and
    the install together. (Docker's best practices; no hadolint rule.)

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update
    RUN apt-get install -y curl
    ```

    Use instead:
    ```dockerfile
    FROM debian:12
    RUN apt-get update
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    Package versions float either way: `apt-get update` always fetches
    whatever the mirrors serve at build time. The fix is safe when an
    earlier RUN of the stage (or of a stage it is built FROM) ran
    `apt-get update` and kept the lists: in a build from scratch both
    updates fetch the same lists, so the image is the same, and only a
    build that reuses an old cached layer gets fresher (consistent) lists —
    the "modulo caches" clause.

    It is unsafe when nothing in the Dockerfile fetched the lists (they come
    from the base image, or were removed): if the base image ships lists,
    the original build installed the versions of that snapshot, and the fix
    installs current ones. (With the official Debian and Ubuntu images,
    which ship without lists, the original build simply failed.) An install
    in an `ONBUILD RUN` is unsafe for the same reason.

    Reported without a fix: an install inside a loop, a condition, a
    function or a subshell, or joined by `||` or a pipe (`x || apt-get
    install y`), where inserting `apt-get update &&` would change what runs
    (add the update yourself); and, in a stage that ends up in an image, an
    install whose RUN cannot remove the new lists (a later RUN still uses
    the lists without its own update, or the RUN ends with `exit`/`exec`),
    where the fix would make the image bigger. Not reported when a cache
    mount holds `/var/lib/apt/lists` (the mount's lists are managed on
    purpose, often by another RUN with the same mount).
    """

    code = "DF102"
    looks_at = ("RUN",)
    name = "apt-update-with-install"
    summary = "`apt-get install` without `apt-get update` in the same RUN"
    safety = Safety.SAFE
    covers = ()

    def check(self, ctx: Context):
        tree = ctx.tree
        states = lists_states(tree)
        for run in all_runs(tree, "apt"):
            if not run.usable or run.cache_covers(APT_LISTS):
                continue
            script = run.script
            assert script is not None and run.stage is not None
            for cmd, p in _apt_commands(script):
                if p.sub == "update":
                    break
                if p.sub != "install":
                    continue
                yield self._finding(ctx, run, cmd, p, states, reaches_final_image(tree, run.stage))
                break

    def _finding(self, ctx: Context, run: Run, cmd: Command, p: Parsed, states, shipped: bool):
        tree = ctx.tree
        script = run.script
        assert script is not None and run.stage is not None
        span = _span(script, cmd, p.insert_at)
        msg = f"`{cmd.program} install` without `{cmd.program} update` before it in the same RUN"
        if cmd.conditional or cmd.prev_op in ("||", "|", "|&", "&"):
            return ctx.finding(
                span, msg + " (not fixed: inside a loop, condition or `||`; add the update yourself)"
            )
        edits = [insert_before(script, cmd.start, f"{cmd.name} update && ")]
        cleaned = any(is_lists_cleanup(c) and c.start >= cmd.end for c in script.commands)
        if shipped and not cleaned:
            # The update puts a fresh copy of the lists in this layer: remove
            # them at the end of the RUN too, or the image grows.
            user = later_lists_user(tree, run.stage, run.ins)
            append = append_edit(run.ins, script, _LISTS_CLEANUP, tree, ctx.facts(run.ins).shell.errexit)
            if user is not None or append is None:
                why = (
                    f"the RUN at line {user[1].ins.start_line} uses the lists too"
                    if user is not None
                    else "the RUN ends with `exit`, `exec`, `&` or a heredoc"
                )
                return ctx.finding(
                    span, msg + f" (not fixed: the new lists could not be removed in this RUN, {why})"
                )
            edits.append(append)
        fresh = states.get(id(run.ins)) == "fresh"
        if not fresh:
            msg += " (the lists come from the base image or were removed: versions may change)"
        return ctx.finding(
            span, msg, canonical_edits(edits, ctx.text), safety=Safety.SAFE if fresh else Safety.UNSAFE
        )
