from __future__ import annotations

from ... import tools
from ...rules import Context, Rule, Safety
from ...shell_edits import insert_word
from ..instructions._tool_commands import tool_commands

HIGH_UID = 10000


def is_high(uid: tools.Option) -> bool:
    """True for a UID (``-u``/``--uid``) of HIGH_UID or more, or one that
    comes from a variable (it may be high); False for a low literal one."""
    value = uid.value
    if value is None or "$" in value or "`" in value:
        return True
    value = value.strip("'\"")
    return value.isdigit() and int(value) >= HIGH_UID


class UseraddNoLogInit(Rule):
    """
    ## What it does
    Adds `-l` (`--no-log-init`) to `useradd` when it is given a high UID
    (`-u`/`--uid` of 10000 or more) or a UID from a variable (`-u $UID`:
    it may be high), and `-l` is not there yet.

    ## Why
    Without `-l`, useradd writes the new user's record into
    `/var/log/lastlog` and `/var/log/faillog` at an offset proportional to
    the UID. On disk those are sparse files, but image layers do not keep
    sparseness: a UID of 100000 adds about 29 MB of zeros to the layer, a
    UID of 1000000000 hundreds of gigabytes (and builds that never finish).
    hadolint (DL3046) flags UIDs of more than five characters; dockfix
    starts at 10000 (a 3 MB lastlog), and at any UID it cannot read.

    ## Example
    ```dockerfile
    RUN useradd -u 100000 -m app
    ```

    Use instead:
    ```dockerfile
    RUN useradd -l -u 100000 -m app
    ```

    ## Fix safety
    Safe: `-l` only skips the lastlog/faillog entries of the new user. The
    user, its UID, groups, home and shell are the same. Those files record
    interactive logins and failed login attempts; nothing logs in to a
    container, and nothing else reads them. Commands in a stage whose shell
    is not a POSIX shell, run through a variable or inside `sh -c '…'` are
    not analysed; nothing is reported without a fix.
    """

    code = "DF401"
    looks_at = ("RUN",)
    name = "useradd-no-log-init"
    summary = "`useradd -u <high UID>` → `useradd -l`"
    safety = Safety.SAFE
    covers = ("DL3046",)

    def check(self, ctx: Context):
        for run, _, cmd, p in tool_commands(ctx, "useradd"):
            uid = p.option("--uid")
            if not run.posix or uid is None or p.has("--no-log-init") or not is_high(uid):
                continue
            yield ctx.finding(
                run.span(cmd),
                f"`useradd -u {uid.raw}` without `-l`: lastlog/faillog entries for a high UID bloat the layer",
                [insert_word(run.script, ctx.text, p.name_end, "-l")],
            )
