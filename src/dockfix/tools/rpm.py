"""RPM-family package managers: yum, dnf (dnf5), microdnf, tdnf, zypper.

How a rule asks::

    p = tools.parse(cmd)                          # dnf -y --setopt=tsflags=nodocs install x
    if p and p.tool in tools.rpm.FAMILY:
        tools.rpm.prompts(p); tools.rpm.fills_cache(p); tools.rpm.answers_yes(p)
        p.sub                                     # "install", "group install", "module enable"

``dnf group install`` / ``yum groups install`` / ``dnf module enable`` are
two-word subcommands.  zypper's global options (``-n``/``--non-interactive``)
come before the subcommand and its subcommand options (``-y``/
``--no-confirm``, ``-n`` = ``--name`` for install) after: its grammar has
``globals_after=False``.
"""

from __future__ import annotations

from ._dirs import CacheSpec, Fixed
from ._files import OnPath
from ._grammar import DashDash, Grammar, Parsed, Sub, opts, sub, words

RPM_OPTIONS = opts(
    values=(
        "-c --config, --installroot, --releasever, --enablerepo --enable-repo, --disablerepo --disable-repo, "
        "--repo --repoid, -x --exclude --excludepkgs, --setopt, -d --debuglevel, -e --errorlevel, "
        "-R --randomwait, --rpmverbosity, --color, --downloaddir --destdir, --forcearch, --comment, "
        "--repofrompath, --advisory --advisories, --bz, --cve, --sec-severity --secseverity, "
        "--disableplugin --disable-plugin, --enableplugin --enable-plugin, --installonly-limit"
    ),
    flags=(
        "-y --assumeyes, --assumeno, -q --quiet, -v --verbose, -C --cacheonly, --nodocs, --best, "
        "--nobest --no-best, --allowerasing, --skip-broken, --skip-unavailable, --refresh, --noplugins, "
        "--nogpgcheck --no-gpgchecks, --use-host-config, --downloadonly, --security, --bugfix, "
        "--enhancement, --newpackage, --obsoletes, --noautoremove, -h --help, --version, --showduplicates, "
        "--show-new-leaves"
    ),
)
_ACTIONS = words(
    "install update upgrade remove erase enable disable reset switch-to mark list info summary provides"
)
_GROUP_SUBS = tuple(sub(n) for n in _ACTIONS)
_SUBS: tuple[Sub, ...] = tuple(
    sub(n)
    for n in words(
        "install groupinstall localinstall reinstall update upgrade update-minimal upgrade-minimal "
        "remove erase autoremove downgrade distro-sync distribution-synchronization swap builddep "
        "groupupdate groupupgrade groupremove grouperase localupdate update-to upgrade-to clean "
        "makecache search info list provides repolist history check-update download config-manager "
        "repoquery mark versionlock"
    )
) + (sub("group", "groups", subs=_GROUP_SUBS), sub("module", subs=_GROUP_SUBS))
#: yum 3 (optparse) and dnf 4 (argparse) take the command from the words after
#: ``--``; dnf5's parser rejects a ``--`` there, so reading it as dnf 4 does is
#: moot; microdnf and tdnf are not known to, and keep the default.
YUM, DNF, MICRODNF, TDNF = (
    Grammar(tool, programs, RPM_OPTIONS, _SUBS, after_dashdash=dashdash)
    for tool, programs, dashdash in (
        ("yum", ("yum",), DashDash.SUBCOMMAND),
        ("dnf", ("dnf", "dnf5", "dnf-3"), DashDash.SUBCOMMAND),
        ("microdnf", ("microdnf",), DashDash.OPERANDS),
        ("tdnf", ("tdnf",), DashDash.OPERANDS),
    )
)

ZYPPER_GLOBAL = opts(
    values=(
        "-R --root, -c --config, -D --reposd-dir, -C --cache-dir, --raw-cache-dir, --solv-cache-dir, "
        "--pkg-cache-dir, --userdata, --releasever, -p --plus-repo, --plus-content, --installroot"
    ),
    flags=(
        "-n --non-interactive, -q --quiet, -v --verbose, --no-gpg-checks, --gpg-auto-import-keys, "
        "-x --xmlout, -t --terse, --no-refresh, --disable-repositories, --no-cd, --no-remote, "
        "-i --ignore-unknown, -A --no-abbrev, --non-interactive-include-reboot-patches, -h --help, "
        "-V --version"
    ),
)
ZYPPER_SUB = opts(
    values="-t --type, -r --repo --from, --download",
    flags=(
        "-y --no-confirm, -l --auto-agree-with-licenses, --no-recommends, --recommends, -f --force, "
        "-d --download-only, -D --dry-run, -n --name, -C --capability, --oldpackage, --allow-unsigned-rpm, "
        "--details, --clean-deps, -a --all"
    ),
)
_ZYPPER_SUBS = tuple(
    sub(n, *a, options=ZYPPER_SUB)
    for n, *a in (
        ("install", "in"),
        ("remove", "rm"),
        ("update", "up"),
        ("dist-upgrade", "dup"),
        ("patch",),
        ("source-install", "si"),
        ("install-new-recommends", "inr"),
        ("verify", "ve"),
        ("refresh", "ref"),
        ("clean", "cc"),
        ("addrepo", "ar"),
        ("removerepo", "rr"),
        ("modifyrepo", "mr"),
        ("search", "se"),
        ("info", "if"),
        ("patches", "pch"),
        ("repos", "lr"),
        ("packages", "pa"),
        ("addlock", "al"),
    )
)
ZYPPER = Grammar(
    "zypper", ("zypper",), ZYPPER_GLOBAL, _ZYPPER_SUBS, globals_after=False, after_dashdash=DashDash.GLOBALS
)
GRAMMARS = (YUM, DNF, MICRODNF, TDNF, ZYPPER)
FAMILY = ("yum", "dnf", "microdnf", "tdnf", "zypper")

#: subcommands that ask for confirmation, three tables: yum/dnf's one-word
#: subcommands, the second word after ``group``/``module``, zypper's.
_PROMPTS = (
    frozenset(
        words(
            "install groupinstall localinstall reinstall update upgrade update-minimal upgrade-minimal remove "
            "erase autoremove downgrade distro-sync distribution-synchronization swap builddep groupupdate "
            "groupupgrade groupremove grouperase localupdate update-to upgrade-to"
        )
    ),
    frozenset(words("install update upgrade remove erase enable disable reset switch-to mark")),
    frozenset(words("install remove update dist-upgrade patch source-install install-new-recommends verify")),
)
#: subcommands that download into the cache (the same three tables).
_FILLS = (
    _PROMPTS[0] - {"remove", "erase", "autoremove", "groupremove", "grouperase"},
    frozenset(words("install update upgrade enable switch-to")),
    _PROMPTS[2] - {"remove", "verify"},
)

#: subcommands that delete files (packages, the cache), per tool.
REMOVES = {
    "yum": frozenset(words("remove erase autoremove clean")),
    "dnf": frozenset(words("remove autoremove clean")),
    "microdnf": frozenset(words("remove clean")),
    "zypper": frozenset(words("remove rm clean")),
}

CACHE_DIRS: dict[str, tuple[str, ...]] = {
    "yum": ("/var/cache/yum",),
    "dnf": ("/var/cache/dnf", "/var/cache/libdnf5"),
    "microdnf": ("/var/cache/yum", "/var/cache/dnf"),
    "tdnf": ("/var/cache/tdnf",),
    "zypper": ("/var/cache/zypp",),
}
CACHES = {
    tool: tuple(
        CacheSpec(tool, "cache", (Fixed(d),), config=("--setopt=cachedir", "--installroot")) for d in dirs
    )
    for tool, dirs in CACHE_DIRS.items()
}


def _sub_in(p: Parsed, tables: tuple[frozenset[str], ...]) -> bool:
    """Is the subcommand in ``tables`` (see ``_PROMPTS``)?"""
    one_word, second_word, zypper = tables
    if not p.sub_known:
        return False
    if p.tool == "zypper":
        return p.subcommand[0] in zypper
    if len(p.subcommand) == 2:
        return p.subcommand[1] in second_word
    return p.sub in one_word


def prompts(p: Parsed) -> bool:
    """Would the command stop at a yes/no question without -y?"""
    return _sub_in(p, _PROMPTS)


def fills_cache(p: Parsed) -> bool:
    return _sub_in(p, _FILLS)


def on_path(p: Parsed) -> OnPath | None:
    """A package manager may put any package's programs on PATH (or take them off)."""
    return OnPath() if p.tool in FAMILY else None


def is_cache_clean(p: Parsed) -> bool:
    return p.tool in FAMILY and p.is_sub("clean")


def answers_yes(p: Parsed) -> bool:
    """``-y``/``--assumeyes`` (or ``--assumeno``) anywhere; for zypper
    ``-n``/``--non-interactive`` before the subcommand or
    ``-y``/``--no-confirm`` after it."""
    if p.tool == "zypper":
        return any(o.key == "--non-interactive" for o in p.options if o.before_sub) or any(
            o.key == "--no-confirm" for o in p.options if not o.before_sub
        )
    return p.has("--assumeyes", "--assumeno")


MARKERS: tuple[str, ...] = ()
PROGRAMS = ("yum", "dnf", "dnf5", "microdnf", "tdnf", "zypper")

__all__ = [
    "CACHES",
    "CACHE_DIRS",
    "DNF",
    "FAMILY",
    "GRAMMARS",
    "MARKERS",
    "MICRODNF",
    "PROGRAMS",
    "REMOVES",
    "TDNF",
    "YUM",
    "ZYPPER",
    "ZYPPER_GLOBAL",
    "ZYPPER_SUB",
    "answers_yes",
    "fills_cache",
    "is_cache_clean",
    "on_path",
    "prompts",
]
