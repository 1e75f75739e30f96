"""DF105 apt-to-apt-get: see the class docstring."""

from __future__ import annotations

from ...rules import Context, Edit, Rule, Safety
from ...shell import Command, insert_after
from ._apt import (
    _SAME,
    _WHY,
    _span,
)
from ._apt_apk import (
    all_runs,
    apt_tool,
    canonical_edits,
    hadolint_apt_get_codes,
    literal_sub,
)
from ._pkgcache import reaches_final_image


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
    looks_at = ("RUN",)
    name = "apt-to-apt-get"
    summary = "`apt` in a RUN → `apt-get`"
    safety = Safety.SAFE
    covers = ("DL3027",)

    def check(self, ctx: Context):
        for run in all_runs(ctx.tree, "apt"):
            if not run.usable:
                continue
            script = run.script
            assert script is not None
            planned: list[tuple[Command, str, tuple[int, int], list[Edit]]] = []
            for cmd in script.find("apt"):
                p = literal_sub(cmd)
                name_text = script.text[cmd.name_start : cmd.name_end]
                span = _span(script, cmd)
                if p is None:
                    yield ctx.finding(
                        span, "`apt` is meant for terminals; use `apt-get` (subcommand unknown: not changed)"
                    )
                    continue
                sub = p.sub_tokens[0]
                verb = sub.value
                if (
                    verb not in _SAME
                    and verb not in ("upgrade", "full-upgrade")
                    or not name_text.endswith("apt")
                ):
                    yield ctx.finding(
                        span,
                        f"`apt {verb}` is meant for terminals; use `apt-cache` or `dpkg-query` (not changed)",
                    )
                    continue
                edits = [insert_after(script, cmd.name_end, "-get")]
                if verb == "full-upgrade":
                    edits.append(Edit(script.source(sub.start), script.source_end(sub.end), "dist-upgrade"))
                elif (
                    verb == "upgrade"
                    and not p.has("--with-new-pkgs", "--without-new-pkgs")
                    and ("apt::get::upgrade-allow-new" not in apt_tool.config(p))
                ):
                    edits.append(insert_after(script, p.after_leading_options(), " --with-new-pkgs"))
                planned.append((cmd, verb, span, edits))
            if not planned:
                continue
            # As `apt-get`, the commands come under hadolint's apt-get
            # checks; convert only when that gives the RUN no new finding.
            in_shipped = reaches_final_image(ctx.tree, run.stage)
            apt_get = list(script.find("apt-get"))
            before = hadolint_apt_get_codes(run.ins, script, apt_get, in_shipped)
            after = hadolint_apt_get_codes(run.ins, script, apt_get + [c for c, *_ in planned], in_shipped)
            new = sorted(after - before)
            for _cmd, verb, span, edits in planned:
                if new:
                    yield ctx.finding(
                        span,
                        f"`apt {verb}` is meant for terminals; use `apt-get` (not changed: as `apt-get` this RUN "
                        f"would newly fail hadolint {'; '.join(f'{c}, {_WHY[c]}' for c in new)})",
                    )
                else:
                    yield ctx.finding(
                        span,
                        f"`apt {verb}` is meant for terminals; use `apt-get`",
                        canonical_edits(edits, ctx.text),
                    )
