"""DF101 apt-get-yes: see the class docstring."""

from __future__ import annotations

from ...rules import Context, Rule, Safety
from ...shell import insert_after
from ._apt import _span, apt_commands
from ._apt_apk import apt_tool, canonical_edits, failure_stops_build


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
    looks_at = ("RUN",)
    name = "apt-get-yes"
    summary = "`apt-get install` without `-y` aborts at the first prompt"
    safety = Safety.SAFE
    covers = ("DL3014",)

    def check(self, ctx: Context):
        for run, script, cmd, p in apt_commands(ctx.tree):
            if p.sub not in apt_tool.PROMPTS or apt_tool.assumes_yes(p):
                continue
            safe = failure_stops_build(script, cmd, ctx.facts(run.ins).shell.errexit)
            msg = f"`{cmd.program} {p.sub_tokens[0].value}` without `-y` aborts at the first prompt"
            if not safe:
                msg += " (its failure is ignored here, so `-y` may install packages the build went without: unsafe)"
            yield ctx.finding(
                _span(script, cmd, p.insert_at),
                msg,
                canonical_edits([insert_after(script, p.insert_at, " -y")], ctx.text),
                safety=Safety.SAFE if safe else Safety.UNSAFE,
            )
