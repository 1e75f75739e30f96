"""apt-get, apt and apt-cache.

How a rule asks::

    p = tools.parse(cmd)                              # apt-get -qq -o X=Y install -y x
    if p and p.tool in tools.apt.APT and p.sub in tools.apt.PROMPTS:
        tools.apt.assumes_yes(p)                      # -y, --yes, -qq, -q=2, -o APT::Get::Assume-Yes=true
        tools.apt.config(p)                           # {"apt::install-recommends": "false", ...}
        tools.apt.config_flag(p, "APT::Install-Recommends")   # False (-o ...=false), True, None
        p.after_leading_options()                     # where to insert a new option

apt's own command-line parser: ``-o``/``-c``/``-t``/``-a``/``-P`` take a
value (attached or next word), short flags cluster (``-qqy``), ``-q=2``
sets a level, long options may carry ``=value``; options are read before
and after the subcommand.
"""

from __future__ import annotations

from ._dirs import CacheSpec, Fixed
from ._files import OnPath
from ._grammar import DashDash, Grammar, Parsed, opts, sub, words

APT_OPTIONS = opts(
    values=(
        "-o --option, -c --config-file, -t --target-release --default-release, -a --host-architecture, "
        "-P --build-profiles"
    ),
    flags=(
        "-y --yes --assume-yes, --assume-no, -q --quiet, -s --simulate --just-print --dry-run --recon, "
        "--no-act, -d --download-only, -f --fix-broken, -m --ignore-missing --fix-missing, "
        "-u --show-upgraded, -V --verbose-versions, -b --compile --build, --no-install-recommends, "
        "--install-recommends, --install-suggests, --no-install-suggests, --allow-downgrades, "
        "--allow-remove-essential, --allow-change-held-packages, --allow-unauthenticated, --reinstall, "
        "--no-upgrade, --only-upgrade, --purge, --auto-remove --autoremove, --no-download, --list-cleanup, "
        "--trivial-only, --with-new-pkgs, --without-new-pkgs, -h --help, -v --version"
    ),
    optional="--quiet",
)
_SUBS = tuple(
    sub(n, *a)
    for n, *a in (
        ("update",),
        ("upgrade",),
        ("dist-upgrade", "full-upgrade"),
        ("dselect-upgrade",),
        ("install",),
        ("reinstall",),
        ("remove",),
        ("purge",),
        ("autoremove", "auto-remove"),
        ("source",),
        ("build-dep",),
        ("satisfy",),
        ("check",),
        ("download",),
        ("clean",),
        ("autoclean", "auto-clean"),
        ("changelog",),
        ("indextargets",),
        ("list",),
        ("search",),
        ("show",),
        ("edit-sources",),
        ("policy",),
        ("depends",),
        ("rdepends",),
        ("showsrc",),
        ("madison",),
        ("showpkg",),
        ("moo",),
    )
)
#: apt's parser takes the command from the words after ``--`` (``apt-get -- install x``).
APT_GET, APT_, APT_CACHE = GRAMMARS = tuple(
    Grammar(name, (name,), APT_OPTIONS, _SUBS, short_equals=True, after_dashdash=DashDash.SUBCOMMAND)
    for name in ("apt-get", "apt", "apt-cache")
)
APT = ("apt-get", "apt")

#: subcommands that read the package lists (they fail or pick other versions without them).
NEEDS_LISTS = frozenset(
    words(
        "install reinstall upgrade dist-upgrade full-upgrade dselect-upgrade build-dep source download "
        "satisfy changelog show search list policy depends rdepends madison showpkg showsrc"
    )
)
#: subcommands that stop for a yes/no question without -y.
PROMPTS = frozenset(
    words(
        "install reinstall upgrade dist-upgrade full-upgrade dselect-upgrade remove purge autoremove "
        "build-dep satisfy"
    )
)
#: subcommands that download packages into the archive cache.
FILLS_CACHE = frozenset(
    words("install upgrade dist-upgrade full-upgrade build-dep source reinstall satisfy download")
)
CLEANS_CACHE = frozenset({"clean", "autoclean"})
#: subcommands that delete files (packages, downloaded archives).
REMOVES = dict.fromkeys(APT, frozenset(words("remove purge autoremove clean autoclean")))

ARCHIVES = CacheSpec("apt", "archives", (Fixed("/var/cache/apt"),), config=("-o Dir::Cache", "apt.conf.d"))
LISTS = CacheSpec(
    "apt", "lists", (Fixed("/var/lib/apt/lists"),), config=("-o Dir::State::Lists", "apt.conf.d")
)
CACHES = {"apt-get": (ARCHIVES, LISTS), "apt": (ARCHIVES, LISTS)}
#: the Debian/Ubuntu image setting that deletes downloaded .debs after each install.
DOCKER_CLEAN = "/etc/apt/apt.conf.d/docker-clean"
KEEP_DOWNLOADS = 'Binary::apt::APT::Keep-Downloaded-Packages "true";'

#: how apt reads a boolean (``StringToBool``).
_TRUE = frozenset({"1", "true", "yes", "on", "enable", "with"})
_FALSE = frozenset({"0", "false", "no", "off", "disable", "without"})


def config(p: Parsed) -> dict[str, str]:
    """``-o Key=Value`` settings of the command line (keys lower-cased)."""
    out: dict[str, str] = {}
    for o in p.options_named("--option"):
        if o.value and "=" in o.value:
            key, _, val = o.value.partition("=")
            out[key.strip().lower()] = val.strip()
    return out


def config_flag(p: Parsed, key: str) -> bool | None:
    """A boolean ``-o Key=Value`` setting as apt reads it; None when it is
    not given or not a boolean."""
    value = config(p).get(key.lower(), "").lower()
    return True if value in _TRUE else False if value in _FALSE else None


def assumes_yes(p: Parsed) -> bool:
    """-y / --yes / --assume-yes (``--yes=false`` does not), quiet level 2
    (``-qq``, ``-q=2``, ``--quiet=2``), or ``-o APT::Get::Assume-Yes=true``."""
    quiet = 0
    for o in p.options:
        if o.key == "--yes" and (o.value is None or o.value.lower() in _TRUE):
            return True
        if o.key == "--quiet":
            quiet = max(quiet, int(o.value)) if o.value and o.value.isdigit() else quiet + 1
    if quiet >= 2:
        return True
    return config_flag(p, "APT::Get::Assume-Yes") is True


def on_path(p: Parsed) -> OnPath | None:
    """A package manager may put any package's programs on PATH (or take them off)."""
    return OnPath() if p.tool in APT else None


def is_cache_clean(p: Parsed) -> bool:
    return p.tool in APT and p.sub in CLEANS_CACHE and not p.operands


MARKERS: tuple[str, ...] = ()
PROGRAMS = ("apt-get", "apt", "apt-cache")

__all__ = [
    "APT",
    "APT_CACHE",
    "APT_GET",
    "ARCHIVES",
    "CACHES",
    "CLEANS_CACHE",
    "DOCKER_CLEAN",
    "FILLS_CACHE",
    "GRAMMARS",
    "KEEP_DOWNLOADS",
    "LISTS",
    "NEEDS_LISTS",
    "PROGRAMS",
    "PROMPTS",
    "REMOVES",
    "assumes_yes",
    "config",
    "config_flag",
    "is_cache_clean",
    "on_path",
]
