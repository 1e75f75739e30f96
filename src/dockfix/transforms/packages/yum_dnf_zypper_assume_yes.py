"""DF112 yum-dnf-zypper-assume-yes: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from ... import tools
from ...rules import Context, Finding, Rule, Safety
from ...shell_edits import insert_word
from ...tree import Dockerfile
from ._pkgcache import RunSite, run_sites
from ._rpm import rpm_commands


def _asking(tree: Dockerfile) -> Iterator[tuple[RunSite, tools.Parsed]]:
    """The commands that stop at a yes/no question without `-y` (with their RUN)."""
    for site in run_sites(tree):
        for _, p in rpm_commands(site):
            if tools.rpm.prompts(p) and not tools.rpm.answers_yes(p):
                yield site, p


class YumDnfZypperAssumeYes(Rule):
    """
    ## What it does
    Adds `-y` to `yum`, `dnf`, `dnf5`, `microdnf` and `tdnf` commands that ask
    for confirmation (`install`, `groupinstall`, `localinstall`, `reinstall`,
    `update`/`upgrade`, `remove`/`erase`, `downgrade`, `group install`,
    `module enable`, …), right after the subcommand; and
    `--non-interactive` to `zypper` before such a subcommand (`install`/`in`,
    `remove`/`rm`, `update`/`up`, `dist-upgrade`/`dup`, `patch`,
    `source-install`/`si`, …). A command already answering is left alone:
    `-y`/`--assumeyes` (or `--assumeno`) anywhere on the command line; for zypper `-n`/`--non-interactive` before
    the subcommand or `-y`/`--no-confirm` after it.

    ## Why
    Without it the package manager stops at its `Is this ok [y/N]` prompt.
    A build has no terminal to answer it, so the build fails — or works only
    while there happens to be nothing to confirm. `microdnf` never prompts,
    but takes `-y` for compatibility; hadolint asks for it too (DL3038).

    ## Example
    ```dockerfile
    RUN yum install httpd && yum clean all
    RUN zypper install curl
    ```

    Use instead:
    ```dockerfile
    RUN yum install -y httpd && yum clean all
    RUN zypper --non-interactive install curl
    ```

    ## Fix safety
    Safe: the answer the build needs is "yes"; a build that went through
    installs exactly the same packages. For zypper the global
    `--non-interactive` is used because every subcommand accepts it
    (`-y` after the subcommand is not valid for all of them); note that it
    answers license prompts with the default "no": packages that need
    `--auto-agree-with-licenses` still fail, as they did before.
    A command in a stage whose shell is not a POSIX shell is reported
    without a fix. Commands run through a variable or inside `sh -c '…'`
    are not analysed.
    """

    code = "DF112"
    looks_at = ("RUN",)
    name = "yum-dnf-zypper-assume-yes"
    summary = "`yum/dnf/microdnf install` → `-y`; `zypper install` → `--non-interactive`"
    safety = Safety.SAFE
    covers = ("DL3030", "DL3034", "DL3038")

    def check(self, ctx: Context):
        return (self._finding(ctx, site, p) for site, p in _asking(ctx.tree))

    @staticmethod
    def _finding(ctx: Context, site: RunSite, p: tools.Parsed) -> Finding:
        assert p.cmd is not None  # parsed from a Command
        span = site.span(p.cmd)
        if not site.posix:
            flag = "--non-interactive" if p.tool == "zypper" else "-y"
            return ctx.finding(
                span, f"`{p.written}` without `{flag}` (not fixed: the RUN's shell is not a POSIX shell)"
            )
        if p.tool == "zypper":
            edit = insert_word(site.script, ctx.text, p.name_end, "--non-interactive")
            msg = f"`{p.written}` without `--non-interactive`: the build cannot answer zypper's prompt"
        else:
            edit = insert_word(site.script, ctx.text, p.insert_at, "-y")
            msg = f"`{p.written}` without `-y`: the build cannot answer the confirmation prompt"
        return ctx.finding(span, msg, [edit])
