"""yum / dnf / microdnf / tdnf / zypper: answer prompts, clean the cache."""

from __future__ import annotations

from dataclasses import dataclass

from ...shell import Arg
from ._pkgcache import (
    Invocation,
    has_long,
    has_short,
    subcommand,
)

# program -> family
FAMILY = {
    "yum": "yum",
    "dnf": "dnf",
    "dnf5": "dnf",
    "microdnf": "microdnf",
    "tdnf": "tdnf",
    "zypper": "zypper",
}
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
    "dnf": (
        "DL3040",
        frozenset({"dnf"}),
        frozenset({"install", "reinstall", "upgrade", "upgrade-minimal"}),
        frozenset({"clean", "all"}),
        True,
    ),
    "microdnf": (
        "DL3040",
        frozenset({"microdnf"}),
        frozenset({"install", "reinstall", "upgrade", "upgrade-minimal"}),
        frozenset({"clean", "all"}),
        True,
    ),
    "zypper": (
        "DL3036",
        frozenset({"zypper"}),
        frozenset({"install", "in"}),
        frozenset({"clean", "cc"}),
        False,
    ),
}

_RPM_SHORT_VAL = "cdeRx"
_RPM_LONG_VAL = frozenset(
    {
        "--config",
        "--installroot",
        "--releasever",
        "--enablerepo",
        "--disablerepo",
        "--repo",
        "--repoid",
        "--exclude",
        "--excludepkgs",
        "--setopt",
        "--debuglevel",
        "--errorlevel",
        "--rpmverbosity",
        "--color",
        "--downloaddir",
        "--destdir",
        "--forcearch",
        "--comment",
        "--repofrompath",
        "--advisory",
        "--advisories",
        "--bz",
        "--cve",
        "--sec-severity",
        "--secseverity",
        "--disableplugin",
        "--enableplugin",
        "--use-host-config",
    }
)
_ZYPPER_SHORT_VAL = "RcDC"
_ZYPPER_LONG_VAL = frozenset(
    {
        "--root",
        "--config",
        "--reposd-dir",
        "--cache-dir",
        "--raw-cache-dir",
        "--solv-cache-dir",
        "--pkg-cache-dir",
        "--userdata",
        "--releasever",
        "--plus-repo",
        "--plus-content",
    }
)

# subcommands that ask for confirmation
_RPM_PROMPTS = frozenset(
    {
        "install",
        "groupinstall",
        "localinstall",
        "reinstall",
        "update",
        "upgrade",
        "update-minimal",
        "upgrade-minimal",
        "remove",
        "erase",
        "autoremove",
        "downgrade",
        "distro-sync",
        "distribution-synchronization",
        "swap",
        "builddep",
        "groupupdate",
        "groupupgrade",
        "groupremove",
        "grouperase",
        "localupdate",
        "update-to",
        "upgrade-to",
    }
)
_RPM_GROUPS = frozenset({"group", "groups", "module"})
_RPM_GROUP_PROMPTS = frozenset(
    {"install", "update", "upgrade", "remove", "erase", "enable", "disable", "reset", "switch-to", "mark"}
)
# subcommands that download packages or metadata into the cache
_RPM_FILLS = frozenset(
    {
        "install",
        "groupinstall",
        "localinstall",
        "reinstall",
        "update",
        "upgrade",
        "update-minimal",
        "upgrade-minimal",
        "downgrade",
        "distro-sync",
        "distribution-synchronization",
        "swap",
        "builddep",
        "groupupdate",
        "groupupgrade",
        "localupdate",
        "update-to",
        "upgrade-to",
    }
)
_RPM_GROUP_FILLS = frozenset({"install", "update", "upgrade", "enable", "switch-to"})
_ZYPPER_PROMPTS = frozenset(
    {
        "install",
        "in",
        "remove",
        "rm",
        "update",
        "up",
        "dist-upgrade",
        "dup",
        "patch",
        "source-install",
        "si",
        "install-new-recommends",
        "inr",
        "verify",
        "ve",
    }
)
_ZYPPER_FILLS = frozenset(
    {
        "install",
        "in",
        "update",
        "up",
        "dist-upgrade",
        "dup",
        "patch",
        "source-install",
        "si",
        "install-new-recommends",
        "inr",
    }
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


def _installroot(pc: PkgCommand) -> bool:
    if pc.family == "zypper":
        return has_long(pc.inv.args, "--root") or has_short(pc.global_args, "R", _ZYPPER_SHORT_VAL)
    return has_long(pc.inv.args, "--installroot")
