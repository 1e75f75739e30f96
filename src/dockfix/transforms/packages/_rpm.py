"""yum / dnf / microdnf / tdnf / zypper: answer prompts, clean the cache."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import Context, Rule, Safety
from ..shell import Arg
from ._pkgcache import (
    Invocation,
    append,
    can_append,
    covers,
    hadolint_clean_fires,
    has_long,
    insert_word,
    has_short,
    invocations,
    rm_covers,
    rm_paths,
    run_sites,
    subcommand,
)

# program -> family
FAMILY = {"yum": "yum", "dnf": "dnf", "dnf5": "dnf", "microdnf": "microdnf", "tdnf": "tdnf", "zypper": "zypper"}
# where each family keeps its cache
CACHE_DIRS = {
    "yum": ("/var/cache/yum",),
    "dnf": ("/var/cache/dnf", "/var/cache/libdnf5"),
    "microdnf": ("/var/cache/yum", "/var/cache/dnf"),
    "tdnf": ("/var/cache/tdnf",),
    "zypper": ("/var/cache/zypp",),
}

# hadolint's view: (its code, command names, install words, clean words, rm counts)
_HADOLINT = {
    "yum": ("DL3032", frozenset({"yum"}), frozenset({"install"}), frozenset({"clean", "all"}), True),
    "dnf": ("DL3040", frozenset({"dnf"}), frozenset({"install", "reinstall", "upgrade", "upgrade-minimal"}), frozenset({"clean", "all"}), True),
    "microdnf": ("DL3040", frozenset({"microdnf"}), frozenset({"install", "reinstall", "upgrade", "upgrade-minimal"}), frozenset({"clean", "all"}), True),
    "zypper": ("DL3036", frozenset({"zypper"}), frozenset({"install", "in"}), frozenset({"clean", "cc"}), False),
}

_RPM_SHORT_VAL = "cdeRx"
_RPM_LONG_VAL = frozenset(
    {
        "--config", "--installroot", "--releasever", "--enablerepo", "--disablerepo", "--repo",
        "--repoid", "--exclude", "--excludepkgs", "--setopt", "--debuglevel", "--errorlevel",
        "--rpmverbosity", "--color", "--downloaddir", "--destdir", "--forcearch", "--comment",
        "--repofrompath", "--advisory", "--advisories", "--bz", "--cve", "--sec-severity",
        "--secseverity", "--disableplugin", "--enableplugin", "--use-host-config",
    }
)
_ZYPPER_SHORT_VAL = "RcDC"
_ZYPPER_LONG_VAL = frozenset(
    {
        "--root", "--config", "--reposd-dir", "--cache-dir", "--raw-cache-dir", "--solv-cache-dir",
        "--pkg-cache-dir", "--userdata", "--releasever", "--plus-repo", "--plus-content",
    }
)

# subcommands that ask for confirmation
_RPM_PROMPTS = frozenset(
    {
        "install", "groupinstall", "localinstall", "reinstall", "update", "upgrade", "update-minimal",
        "upgrade-minimal", "remove", "erase", "autoremove", "downgrade", "distro-sync",
        "distribution-synchronization", "swap", "builddep", "groupupdate", "groupupgrade",
        "groupremove", "grouperase", "localupdate", "update-to", "upgrade-to",
    }
)
_RPM_GROUPS = frozenset({"group", "groups", "module"})
_RPM_GROUP_PROMPTS = frozenset(
    {"install", "update", "upgrade", "remove", "erase", "enable", "disable", "reset", "switch-to", "mark"}
)
# subcommands that download packages or metadata into the cache
_RPM_FILLS = frozenset(
    {
        "install", "groupinstall", "localinstall", "reinstall", "update", "upgrade", "update-minimal",
        "upgrade-minimal", "downgrade", "distro-sync", "distribution-synchronization", "swap",
        "builddep", "groupupdate", "groupupgrade", "localupdate", "update-to", "upgrade-to",
    }
)
_RPM_GROUP_FILLS = frozenset({"install", "update", "upgrade", "enable", "switch-to"})
_ZYPPER_PROMPTS = frozenset(
    {
        "install", "in", "remove", "rm", "update", "up", "dist-upgrade", "dup", "patch",
        "source-install", "si", "install-new-recommends", "inr", "verify", "ve",
    }
)
_ZYPPER_FILLS = frozenset(
    {"install", "in", "update", "up", "dist-upgrade", "dup", "patch", "source-install", "si", "install-new-recommends", "inr"}
)


@dataclass
class PkgCommand:
    inv: Invocation
    family: str
    words: list[Arg]  # the subcommand (one word, two for `group install`)
    global_args: list[Arg]  # options before the subcommand

    @property
    def name(self) -> str:
        return " ".join([self.inv.program or "", *(w.value or "" for w in self.words)])

    @property
    def sub(self) -> str:
        return self.words[0].value or ""

    @property
    def action(self) -> str:
        return self.words[-1].value or ""


def pkg_command(inv: Invocation) -> PkgCommand | None:
    family = FAMILY.get(inv.program or "")
    if family is None:
        return None
    args = inv.args
    if family == "zypper":
        k = subcommand(args, _ZYPPER_SHORT_VAL, _ZYPPER_LONG_VAL)
    else:
        k = subcommand(args, _RPM_SHORT_VAL, _RPM_LONG_VAL)
    if k is None:
        return None
    words = [args[k]]
    if family != "zypper" and args[k].value in _RPM_GROUPS:
        rest = args[k + 1 :]
        j = subcommand(rest, _RPM_SHORT_VAL, _RPM_LONG_VAL)
        if j is None:
            return None
        words.append(rest[j])
    return PkgCommand(inv, family, words, args[:k])


def prompts(pc: PkgCommand) -> bool:
    if pc.family == "zypper":
        return pc.sub in _ZYPPER_PROMPTS
    if len(pc.words) == 2:
        return pc.action in _RPM_GROUP_PROMPTS
    return pc.sub in _RPM_PROMPTS


def fills_cache(pc: PkgCommand) -> bool:
    if pc.family == "zypper":
        return pc.sub in _ZYPPER_FILLS
    if len(pc.words) == 2:
        return pc.action in _RPM_GROUP_FILLS
    return pc.sub in _RPM_FILLS


def is_clean(pc: PkgCommand) -> bool:
    return pc.sub in (("clean", "cc") if pc.family == "zypper" else ("clean",))


def answers_yes(pc: PkgCommand) -> bool:
    args = pc.inv.args
    if pc.family == "zypper":
        if has_short(pc.global_args, "n", _ZYPPER_SHORT_VAL) or has_long(pc.global_args, "--non-interactive"):
            return True
        after = args[len(pc.global_args) + 1 :]
        return has_short(after, "y") or has_long(after, "--no-confirm")
    return has_short(args, "y", _RPM_SHORT_VAL) or has_long(args, "--assumeyes", "--assumeno")


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
    name = "yum-dnf-zypper-assume-yes"
    summary = "`yum/dnf/microdnf install` → `-y`; `zypper install` → `--non-interactive`"
    safety = Safety.SAFE
    covers = ("DL3030", "DL3034", "DL3038")

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            for _, inv in invocations(site.script):
                pc = pkg_command(inv)
                if pc is None or not prompts(pc) or answers_yes(pc):
                    continue
                span = site.span(inv.cmd)
                flag = "--non-interactive" if pc.family == "zypper" else "-y"
                if not site.posix:
                    yield ctx.finding(span, f"`{pc.name}` without `{flag}` (not fixed: the RUN's shell is not a POSIX shell)")
                    continue
                if pc.family == "zypper":
                    edit = insert_word(site.script, ctx.text, inv.name_end, "--non-interactive")
                    msg = f"`{pc.name}` without `--non-interactive`: the build cannot answer zypper's prompt"
                else:
                    edit = insert_word(site.script, ctx.text, pc.words[-1].end, "-y")
                    msg = f"`{pc.name}` without `-y`: the build cannot answer the confirmation prompt"
                yield ctx.finding(span, msg, [edit])


def _installroot(pc: PkgCommand) -> bool:
    if pc.family == "zypper":
        return has_long(pc.inv.args, "--root") or has_short(pc.global_args, "R", _ZYPPER_SHORT_VAL)
    return has_long(pc.inv.args, "--installroot")


class YumDnfZypperClean(Rule):
    """
    ## What it does
    After the last command of a RUN that fills the package cache (`yum`,
    `dnf`, `dnf5`, `microdnf` or `tdnf` `install`, `update`/`upgrade`,
    `reinstall`, `group install`, …; `zypper install`/`update`/`patch`/
    `dist-upgrade`, …) appends `yum clean all` / `dnf clean all` /
    `microdnf clean all` / `tdnf clean all` / `zypper clean --all` to the
    same RUN. Nothing is added when the same tool already cleans after the
    last install (`yum clean …`, `zypper clean`/`cc`), when an `rm` removes
    the cache directory (`rm -rf /var/cache/yum`, `/var/cache/dnf/*`,
    `/var/cache/zypp`), or when a BuildKit cache mount holds it
    (`--mount=type=cache,target=/var/cache/dnf`).

    ## Why
    The repository metadata and downloaded packages stay in `/var/cache`
    (easily 100–300 MB) in the layer of the RUN that installed the packages;
    cleaning in a later RUN does not make the image smaller.

    ## Example
    ```dockerfile
    RUN dnf install -y httpd
    ```

    Use instead:
    ```dockerfile
    RUN dnf install -y httpd && dnf clean all
    ```

    ## Fix safety
    Safe: only the package manager's cache is removed; installed packages
    are untouched, and a later install downloads the metadata again. The
    command is chained with `&&`, so it runs only when the RUN succeeded.
    Reported without a fix: a RUN whose cache mount holds the cache
    (hadolint DL3032/DL3040/DL3036 do not know cache mounts; nothing
    reaches the image, and cleaning would empty the mount); a RUN that is
    already clean but that hadolint still reports — it compares only the
    *first* clean with the *first* install (`yum clean all && yum install
    -y x && yum clean all`), and DL3036 does not accept `rm -rf
    /var/cache/zypp` — so that every hadolint finding left is explained;
    an install into another root (`--installroot`, zypper `--root`: the
    cache is inside that root and the clean needs the same options, review
    by hand); a RUN that ends in `exit`, `exec` or a background `&`; a
    stage whose shell is not a POSIX shell.
    """

    code = "DF113"
    name = "yum-dnf-zypper-clean"
    summary = "`yum/dnf/zypper install` → clean the cache in the same RUN"
    safety = Safety.SAFE
    covers = ("DL3032", "DL3036", "DL3040")

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            cmds = [(i, pc) for i, inv in invocations(site.script) if (pc := pkg_command(inv)) is not None]
            if not cmds:
                continue
            for family in dict.fromkeys(pc.family for _, pc in cmds):
                mine = [(i, pc) for i, pc in cmds if pc.family == family]
                fills = [(i, pc) for i, pc in mine if fills_cache(pc)]
                if not fills:
                    continue
                last_i, last = fills[-1]
                span = site.span(last.inv.cmd)
                hadolint = _HADOLINT.get(family)
                fires = hadolint is not None and hadolint_clean_fires(site.script, *hadolint[1:])
                code = hadolint[0] if hadolint else ""
                dirs = CACHE_DIRS[family]
                cleaned_by = None
                if any(is_clean(pc) for i, pc in mine if i > last_i):
                    cleaned_by = "clean"
                elif any(
                    rm_covers(rm_paths(inv.cmd, site.state), d)
                    for i, inv in invocations(site.script)
                    if i > last_i and inv.program == "rm"
                    for d in dirs
                ):
                    cleaned_by = "rm"
                if cleaned_by is not None:
                    if fires:
                        why = (
                            "it only compares the first clean with the first install"
                            if cleaned_by == "clean"
                            else "it does not accept this `rm` of the cache"
                        )
                        yield ctx.finding(
                            span,
                            f"the {family} cache is already removed after the last install; nothing to fix "
                            f"(hadolint {code} still reports it: {why})",
                        )
                    continue
                prog = last.inv.program
                command = f"{prog} clean --all" if family == "zypper" else f"{prog} clean all"
                if any(covers(site.cache_targets(), d) for d in dirs):
                    if fires:
                        yield ctx.finding(
                            span,
                            f"the {family} cache is in a cache mount, not in the image; nothing to fix "
                            f"(hadolint {code} does not know cache mounts)",
                        )
                    continue
                if any(_installroot(pc) for _, pc in fills):
                    yield ctx.finding(
                        span, f"`{command}` missing after `{last.name}` (not fixed: the install goes to another root)"
                    )
                    continue
                if not site.posix or not can_append(site.script):
                    why = "the RUN's shell is not a POSIX shell" if not site.posix else "nothing can run after the end of this RUN"
                    yield ctx.finding(span, f"`{command}` missing after `{last.name}` (not fixed: {why})")
                    continue
                yield ctx.finding(
                    span,
                    f"`{command}` missing after `{last.name}`: the package cache stays in the layer",
                    [append(site, command, ctx.tree)],
                )
