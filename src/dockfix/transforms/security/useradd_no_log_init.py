from __future__ import annotations

from ...rules import Context, Rule, Safety
from ...shell import Arg
from ..packages._pkgcache import insert_word, invocations, run_sites

# useradd's options that take a value
_SHORT_VAL = "bcdefgGkKpsuZRP"
_LONG_VAL = frozenset(
    {
        "--base-dir",
        "--comment",
        "--home-dir",
        "--home",
        "--expiredate",
        "--inactive",
        "--gid",
        "--groups",
        "--skel",
        "--key",
        "--password",
        "--root",
        "--prefix",
        "--shell",
        "--uid",
        "--selinux-user",
        "--selinux-range",
    }
)
HIGH_UID = 10000


def parse_useradd(args: list[Arg]) -> tuple[Arg | str | None, bool]:
    """(the UID given with -u/--uid — an Arg, or the text of an attached
    value — and whether -l/--no-log-init is given), reading the options as
    getopt does."""
    uid: Arg | str | None = None
    no_log_init = False
    i = 0
    while i < len(args):
        a = args[i]
        v = a.value
        i += 1
        if v is None:
            # an option whose value expands (`--uid=$UID`, `-u$UID`)
            if not a.text.startswith("-") or a.text.startswith("-$"):
                continue
            v = a.text
        if v == "--":
            break
        if v.startswith("--"):
            name, eq, value = v.partition("=")
            if name == "--no-log-init":
                no_log_init = True
            elif name == "--uid":
                if eq:
                    uid = value
                elif i < len(args):
                    uid = args[i]
                    i += 1
            elif name in _LONG_VAL and not eq:
                i += 1
            continue
        if not v.startswith("-") or v == "-":
            continue
        for k in range(1, len(v)):
            ch = v[k]
            if ch == "l":
                no_log_init = True
            if ch in _SHORT_VAL:
                attached = v[k + 1 :]
                if attached:
                    if ch == "u":
                        uid = attached
                elif i < len(args):
                    if ch == "u":
                        uid = args[i]
                    i += 1
                break
    return uid, no_log_init


def is_high(uid: Arg | str) -> bool | None:
    """True for a UID of HIGH_UID or more, or one that comes from a
    variable (it may be high); False for a low literal one."""
    value = uid if isinstance(uid, str) else uid.value
    if value is None or "$" in value or "`" in value:
        return True
    value = value.strip("'\"")
    if not value.isdigit():
        return False
    return int(value) >= HIGH_UID


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
    name = "useradd-no-log-init"
    summary = "`useradd -u <high UID>` → `useradd -l`"
    safety = Safety.SAFE
    covers = ("DL3046",)

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            if not site.posix:
                continue
            for _, inv in invocations(site.script):
                if inv.program != "useradd":
                    continue
                uid, no_log_init = parse_useradd(inv.args)
                if uid is None or no_log_init or not is_high(uid):
                    continue
                shown = uid if isinstance(uid, str) else uid.text
                yield ctx.finding(
                    site.span(inv.cmd),
                    f"`useradd -u {shown}` without `-l`: lastlog/faillog entries for a high UID bloat the layer",
                    [insert_word(site.script, ctx.text, inv.name_end, "-l")],
                )
