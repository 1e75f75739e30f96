"""DF104 apt-no-install-recommends: see the class docstring."""

from __future__ import annotations

from ...rules import Context, Rule, Safety
from ...shell import insert_after
from ._apt import _span, apt_commands
from ._apt_apk import apt_tool, canonical_edits


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
    looks_at = ("RUN",)
    name = "apt-no-install-recommends"
    summary = "`apt-get install` without `--no-install-recommends`"
    safety = Safety.UNSAFE
    covers = ("DL3015",)

    def check(self, ctx: Context):
        installs = ((script, cmd, p) for _, script, cmd, p in apt_commands(ctx.tree) if p.sub == "install")
        for script, cmd, p in installs:
            recommends = apt_tool.config_flag(p, "APT::Install-Recommends")
            if p.has("--no-install-recommends") or recommends is False:
                continue
            span = _span(script, cmd, p.insert_at)
            if p.has("--install-recommends") or recommends is True:
                yield ctx.finding(
                    span,
                    "recommended packages are installed on purpose here (`--install-recommends`): not changed",
                )
                continue
            at = p.after_leading_options()
            yield ctx.finding(
                span,
                f"`{cmd.program} install` without `--no-install-recommends` also installs recommended packages",
                canonical_edits([insert_after(script, at, " --no-install-recommends")], ctx.text),
            )
