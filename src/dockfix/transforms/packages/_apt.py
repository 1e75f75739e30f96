"""apt / apt-get hygiene in RUN commands (DF101–DF105)."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis import stage_parent
from ..rules import Context, Edit, Rule, Safety
from ..shell import Command, Script, insert_after, insert_before
from ..tree import Dockerfile, Instruction, Stage
from ._apt_apk import (
    APT,
    APT_LISTS,
    APT_NEEDS_LISTS,
    APT_PROMPTS,
    Run,
    all_runs,
    append_edit,
    apt_assumes_yes,
    apt_config_values,
    apt_option,
    apt_parse,
    cache_covers,
    canonical_edits,
    descendants,
    failure_stops_build,
    hadolint_apt_get_codes,
    insert_point_after_options,
    is_lists_cleanup,
    run_position,
    shell_errexit,
    shipped_stages,
    stage_runs,
)

_LISTS_CLEANUP = "rm -rf /var/lib/apt/lists/*"


def _span(script: Script, cmd: Command, upto: int | None = None) -> tuple[int, int]:
    """Source span of a command, from its name to ``upto`` (default: the
    name's end) -- a short span for the finding's position."""
    return script.source(cmd.name_start), script.source_end(upto if upto is not None else cmd.name_end)


def _apt_commands(script: Script):
    """(command, subcommand Arg, index) for every apt-get / apt command whose
    subcommand is a literal word."""
    for cmd in script.find(*APT):
        _, sub, idx = apt_parse(cmd)
        if sub is not None and idx is not None:
            yield cmd, sub, idx


# -- DF101 -------------------------------------------------------------------


class AptGetYes(Rule):
    """
    ## What it does
    Adds `-y` right after the subcommand of an `apt-get` (or `apt`) command
    that asks for confirmation — `install`, `upgrade`, `dist-upgrade`,
    `remove`, `purge`, `autoremove`, `build-dep`, ... — when neither `-y`,
    `--yes`, `--assume-yes`, `-qq`, `-q=2`/`--quiet=2` nor
    `-o APT::Get::Assume-Yes=true` is given.

    ## Why
    A build has no terminal: when apt needs to ask "Do you want to
    continue? [Y/n]" (as soon as it installs a dependency you did not name,
    or removes anything) it reads end-of-file and aborts, so the build
    fails — or, worse, goes on without the packages when the failure is
    ignored (hadolint DL3014).

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install curl
    ```

    Use instead:
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    Safe when a failure of the command fails the build (it is in an `&&`
    chain up to the end of the RUN, the last command, or `set -e` is on):
    either apt did not need to ask, and `-y` changes nothing, or it asked and
    aborted, and the original build had no image to compare with. `-y` does
    not allow anything dangerous (held packages, essential packages or
    unauthenticated packages still stop apt).

    Unsafe when the script goes on after a failure of the command (`apt-get
    install x || true`, `apt-get install x; next` without `set -e`, a pipe,
    or inside a loop, condition or function, which are not analysed): there
    the original build may have succeeded *without* the packages, and `-y`
    installs them, so the image changes. Commands with a subcommand that is
    a variable are left alone.
    """

    code = "DF101"
    name = "apt-get-yes"
    summary = "`apt-get install` without `-y` aborts at the first prompt"
    safety = Safety.SAFE
    covers = ("DL3014",)

    def check(self, ctx: Context):
        for run in all_runs(ctx.tree, "apt"):
            if not run.usable:
                continue
            script = run.script
            assert script is not None
            shell_e = shell_errexit(ctx.tree, run.ins)
            for cmd, sub, _ in _apt_commands(script):
                if sub.value not in APT_PROMPTS or apt_assumes_yes(cmd):
                    continue
                safe = failure_stops_build(script, cmd, shell_e)
                msg = f"`{cmd.program} {sub.value}` without `-y` aborts at the first prompt"
                if not safe:
                    msg += " (its failure is ignored here, so `-y` may install packages the build went without: unsafe)"
                yield ctx.finding(
                    _span(script, cmd, sub.end),
                    msg,
                    canonical_edits([insert_after(script, sub.end, " -y")], ctx.text),
                    safety=Safety.SAFE if safe else Safety.UNSAFE,
                )


# -- package-list state through the stages -----------------------------------


@dataclass
class ListsUse:
    """What one RUN does with the apt package lists in the image."""

    needs: Command | None = None  # uses the lists before refreshing them
    effect: str | None = None  # "fresh" (updated, kept) / "clean" (removed) / None


def lists_use(run: Run) -> ListsUse:
    """How a RUN uses and changes the apt lists of the layers below it.  A
    RUN whose lists live in a cache mount neither reads nor writes them;
    exec-form or unparsable RUNs are opaque (nothing known)."""
    out = ListsUse()
    if not run.usable or cache_covers(run.ins, APT_LISTS):
        return out
    assert run.script is not None
    for cmd in run.script.commands:
        if is_lists_cleanup(cmd):
            out.effect = "clean"
            continue
        if cmd.program not in APT and cmd.program != "apt-cache":
            continue
        _, sub, _ = apt_parse(cmd)
        if sub is None:
            continue
        if sub.value == "update" and cmd.program in APT:
            out.effect = "fresh"
        elif sub.value == "dist-clean" and cmd.program in APT:
            out.effect = "clean"
        elif out.effect is None and out.needs is None and (sub.value in APT_NEEDS_LISTS or cmd.program == "apt-cache"):
            out.needs = cmd
    return out


def lists_states(tree: Dockerfile) -> dict[int, str]:
    """``id(run instruction)`` → the state of the apt lists in the layers
    below it: "fresh" (an earlier RUN of the stage, or of a stage it is
    built FROM, ran `apt-get update` and kept them), "clean" (removed
    after), "unknown" (as the base image left them)."""
    final: dict[int, str] = {}
    out: dict[int, str] = {}
    for stage in tree.stages:
        parent = stage_parent(tree, stage)
        state = final.get(parent.index, "unknown") if parent is not None else "unknown"
        for run in stage_runs(tree, stage, "apt"):
            if run.onbuild:
                out[id(run.ins)] = "unknown"  # runs in a child build
                continue
            out[id(run.ins)] = state
            use = lists_use(run)
            if use.effect is not None:
                state = use.effect
        final[stage.index] = state
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
    stops, from_start = memo  # type: ignore[misc]

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
                    (f for f in (from_start[c.index] for c in descendants(tree, s)) if f[0] is not None), (None, None)
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


# -- DF102 -------------------------------------------------------------------


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
    name = "apt-update-with-install"
    summary = "`apt-get install` without `apt-get update` in the same RUN"
    safety = Safety.SAFE
    covers = ()

    def check(self, ctx: Context):
        tree = ctx.tree
        states = lists_states(tree)
        shipped = shipped_stages(tree)
        for run in all_runs(tree, "apt"):
            if not run.usable or cache_covers(run.ins, APT_LISTS):
                continue
            script = run.script
            assert script is not None and run.stage is not None
            for cmd, sub, _ in _apt_commands(script):
                if sub.value == "update":
                    break
                if sub.value != "install":
                    continue
                yield self._finding(ctx, run, cmd, sub, states, run.stage.index in shipped)
                break

    def _finding(self, ctx: Context, run: Run, cmd: Command, sub, states, shipped: bool):
        tree = ctx.tree
        script = run.script
        assert script is not None and run.stage is not None
        span = _span(script, cmd, sub.end)
        msg = f"`{cmd.program} install` without `{cmd.program} update` before it in the same RUN"
        if cmd.conditional or cmd.prev_op in ("||", "|", "|&", "&"):
            return ctx.finding(span, msg + " (not fixed: inside a loop, condition or `||`; add the update yourself)")
        edits = [insert_before(script, cmd.start, f"{cmd.name} update && ")]
        cleaned = any(is_lists_cleanup(c) and c.start >= cmd.end for c in script.commands)
        if shipped and not cleaned:
            # The update puts a fresh copy of the lists in this layer: remove
            # them at the end of the RUN too, or the image grows.
            user = later_lists_user(tree, run.stage, run.ins)
            append = append_edit(run.ins, script, _LISTS_CLEANUP, tree, shell_errexit(tree, run.ins))
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
        return ctx.finding(span, msg, canonical_edits(edits, ctx.text), safety=Safety.SAFE if fresh else Safety.UNSAFE)


# -- DF103 -------------------------------------------------------------------

# Commands after the last `apt-get update` that cannot use the lists.
_TRIVIAL = frozenset({"true", ":", "false", "echo", "printf", "sleep", "break", "continue", "set", "export", "exit", "test", "["})


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
    name = "apt-lists-cleanup"
    summary = "`apt-get update` without `rm -rf /var/lib/apt/lists/*` in the same RUN"
    safety = Safety.SAFE
    covers = ("DL3009",)

    def check(self, ctx: Context):
        tree = ctx.tree
        shipped = shipped_stages(tree)
        for stage in tree.stages:
            if stage.index not in shipped:
                continue
            for run in stage_runs(tree, stage, "apt"):
                if not run.usable or cache_covers(run.ins, APT_LISTS, "/var/lib/apt"):
                    continue
                script = run.script
                assert script is not None
                updates = [c for c, sub, _ in _apt_commands(script) if sub.value == "update"]
                if not updates:
                    continue
                # the last apt command that touches the lists
                last = max(
                    (c for c, sub, _ in _apt_commands(script) if sub.value == "update" or sub.value in APT_NEEDS_LISTS),
                    key=lambda c: c.end,
                )
                if any(is_lists_cleanup(c) and c.start >= last.end for c in script.commands):
                    continue
                update = updates[-1]
                span = _span(script, update)
                msg = "apt lists downloaded by `apt-get update` stay in the layer; remove them at the end of the RUN"
                after = [c for c in script.commands if c.start >= update.end and c.program not in _TRIVIAL]
                if not after:
                    yield ctx.finding(span, msg + " (not fixed: nothing in this RUN uses them; update in the RUN that installs)")
                    continue
                user = later_lists_user(tree, stage, run.ins)
                if user is not None:
                    line = user[1].ins.start_line
                    yield ctx.finding(span, msg + f" (not fixed: the RUN at line {line} uses them without its own `apt-get update`)")
                    continue
                edit = append_edit(run.ins, script, _LISTS_CLEANUP, tree, shell_errexit(tree, run.ins))
                if edit is None:
                    yield ctx.finding(span, msg + " (not fixed: the RUN ends with `exit`, `exec`, `&` or a heredoc)")
                    continue
                yield ctx.finding(span, msg, canonical_edits([edit], ctx.text))


# -- DF104 -------------------------------------------------------------------


class AptNoInstallRecommends(Rule):
    """
    ## What it does
    Adds `--no-install-recommends` to `apt-get install` (and `apt install`),
    after the subcommand and the options that directly follow it.

    ## Why
    By default apt also installs the packages the ones you asked for
    *recommend*: documentation, optional plugins, sometimes a whole X11
    stack. They make the image bigger and widen its attack surface, and the
    program you install rarely needs them (hadolint DL3015).

    ## Example
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y curl
    ```

    Use instead:
    ```dockerfile
    FROM debian:12
    RUN apt-get update && apt-get install -y --no-install-recommends curl
    ```

    ## Fix safety
    Unsafe: the recommended packages are no longer installed, and a program
    may rely on one of them (`curl` recommends `ca-certificates`, without
    which HTTPS fails). Review the image, and name what you need.

    Nothing is reported when `--no-install-recommends` (any value) or
    `-o APT::Install-Recommends=false` is already given. An install that
    explicitly asks for recommends (`--install-recommends`,
    `-o APT::Install-Recommends=true`) is reported without a fix: the author
    wants them.
    """

    code = "DF104"
    name = "apt-no-install-recommends"
    summary = "`apt-get install` without `--no-install-recommends`"
    safety = Safety.UNSAFE
    covers = ("DL3015",)

    def check(self, ctx: Context):
        for run in all_runs(ctx.tree, "apt"):
            if not run.usable:
                continue
            script = run.script
            assert script is not None
            for cmd, sub, idx in _apt_commands(script):
                if sub.value != "install":
                    continue
                conf = apt_config_values(cmd).get("apt::install-recommends", "").lower()
                if apt_option(cmd, "--no-install-recommends") or conf in ("0", "false", "no", "off"):
                    continue
                span = _span(script, cmd, sub.end)
                if apt_option(cmd, "--install-recommends") or conf in ("1", "true", "yes", "on"):
                    yield ctx.finding(span, "recommended packages are installed on purpose here (`--install-recommends`): not changed")
                    continue
                at = insert_point_after_options(cmd, idx)
                yield ctx.finding(
                    span,
                    f"`{cmd.program} install` without `--no-install-recommends` also installs recommended packages",
                    canonical_edits([insert_after(script, at, " --no-install-recommends")], ctx.text),
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


class AptToAptGet(Rule):
    """
    ## What it does
    Replaces `apt` with `apt-get` in RUN commands, for the subcommands
    `apt-get` has: `install`, `update`, `remove`, `purge`, `autoremove`,
    `clean`, `autoclean`, `source`, `build-dep`, `download`, `changelog`,
    `satisfy`, `dist-upgrade`; `apt full-upgrade` becomes
    `apt-get dist-upgrade` and `apt upgrade` becomes
    `apt-get upgrade --with-new-pkgs`.

    ## Why
    `apt` is the interactive front end: its command-line interface is not
    stable ("WARNING: apt does not have a stable CLI interface. Use with
    caution in scripts."), it draws progress bars and colours into the build
    log. `apt-get` is the tool meant for scripts (hadolint DL3027).

    ## Example
    ```dockerfile
    FROM ubuntu:24.04
    RUN apt update && apt install -y curl
    ```

    Use instead:
    ```dockerfile
    FROM ubuntu:24.04
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    Safe: `apt` and `apt-get` share the same library, options and
    configuration; `apt` only changes a few defaults, and the fix keeps the
    ones that matter: `apt upgrade` may install new dependencies, which
    `apt-get upgrade` does only with `--with-new-pkgs` (added), and
    `apt full-upgrade` is `apt-get dist-upgrade`. The other differences are
    output (colours, progress bar, update statistics), waiting for the dpkg
    lock (no other dpkg runs in a build), and that `apt` deletes the
    downloaded `.deb` files after installing while `apt-get` keeps them in
    `/var/cache/apt/archives` — a cache, which the Debian and Ubuntu images'
    `docker-clean` configuration removes anyway (`apt-get clean` does
    otherwise).

    Reported without a fix: `apt list`, `apt search`, `apt show`,
    `apt policy`, `apt edit-sources` and other subcommands with no
    `apt-get` twin (use `apt-cache` or `dpkg-query`, whose output differs),
    and `apt` with a subcommand in a variable.

    Also reported without a fix, for now: a RUN that, written with
    `apt-get`, would newly fail one of hadolint's `apt-get` checks, which do
    not look at `apt` — unpinned versions (DL3008, which has no automatic
    fix), no `-y` (DL3014, DF101), no `--no-install-recommends` (DL3015,
    DF104, unsafe), lists left in the layer (DL3009, DF103). dockfix never
    leaves a file with more hadolint findings than it had; the RUN's `apt`
    commands are converted together once the other rules (or you) have
    dealt with those. In practice this means `apt install` of unpinned
    packages stays as it is.
    """

    code = "DF105"
    name = "apt-to-apt-get"
    summary = "`apt` in a RUN → `apt-get`"
    safety = Safety.SAFE
    covers = ("DL3027",)

    def check(self, ctx: Context):
        tree = ctx.tree
        shipped = shipped_stages(tree)
        for run in all_runs(tree, "apt"):
            if not run.usable:
                continue
            script = run.script
            assert script is not None
            planned: list[tuple[Command, str, tuple[int, int], list[Edit]]] = []
            for cmd in script.find("apt"):
                opts, sub, idx = apt_parse(cmd)
                name_text = script.text[cmd.name_start : cmd.name_end]
                span = _span(script, cmd)
                if sub is None or idx is None:
                    yield ctx.finding(span, "`apt` is meant for terminals; use `apt-get` (subcommand unknown: not changed)")
                    continue
                verb = sub.value
                if verb not in _SAME and verb not in ("upgrade", "full-upgrade") or not name_text.endswith("apt"):
                    yield ctx.finding(span, f"`apt {verb}` is meant for terminals; use `apt-cache` or `dpkg-query` (not changed)")
                    continue
                edits = [insert_after(script, cmd.name_end, "-get")]
                if verb == "full-upgrade":
                    edits.append(Edit(script.source(sub.start), script.source_end(sub.end), "dist-upgrade"))
                elif verb == "upgrade" and not apt_option(cmd, "--with-new-pkgs", "--without-new-pkgs") and (
                    "apt::get::upgrade-allow-new" not in apt_config_values(cmd)
                ):
                    edits.append(insert_after(script, insert_point_after_options(cmd, idx), " --with-new-pkgs"))
                planned.append((cmd, verb, span, edits))
            if not planned:
                continue
            # As `apt-get`, the commands come under hadolint's apt-get
            # checks; convert only when that gives the RUN no new finding.
            in_shipped = run.stage is not None and run.stage.index in shipped
            apt_get = list(script.find("apt-get"))
            before = hadolint_apt_get_codes(run.ins, script, apt_get, in_shipped)
            after = hadolint_apt_get_codes(run.ins, script, apt_get + [c for c, *_ in planned], in_shipped)
            new = sorted(after - before)
            for cmd, verb, span, edits in planned:
                if new:
                    yield ctx.finding(
                        span,
                        f"`apt {verb}` is meant for terminals; use `apt-get` (not changed: as `apt-get` this RUN "
                        f"would newly fail hadolint {'; '.join(f'{c}, {_WHY[c]}' for c in new)})",
                    )
                else:
                    yield ctx.finding(span, f"`apt {verb}` is meant for terminals; use `apt-get`", canonical_edits(edits, ctx.text))


_WHY = {
    "DL3008": "unpinned package versions, which have no automatic fix",
    "DL3009": "the apt lists are not removed (DF103)",
    "DL3014": "no `-y` (DF101)",
    "DL3015": "no `--no-install-recommends` (DF104, unsafe)",
}
