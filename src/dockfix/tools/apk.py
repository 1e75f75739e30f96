"""Alpine's apk.

How a rule asks::

    p = tools.parse(cmd)                                   # apk add --no-cache --virtual .deps gcc
    if p and p.tool == "apk" and p.is_sub("add"):
        p.has("--no-cache"); p.value("--virtual")          # ".deps" (not a package)
        tools.apk.packages(p)                              # the package operands

apk's options are getopt_long's: ``--update`` is read as
``--update-cache`` (an unambiguous abbreviation, common in Dockerfiles);
``-t``/``--virtual``, ``-X``/``--repository``, ``-p``/``--root`` take a
value.  The index and package cache is ``/var/cache/apk`` (:data:`CACHE`;
``/etc/apk/cache``, :data:`PACKAGE_CACHE`, links there when a cache is set up).
"""

from __future__ import annotations

from ._dirs import CacheSpec, Fixed, FromOption
from ._files import OnPath
from ._grammar import Grammar, Parsed, Token, opts, sub, words

APK_OPTIONS = opts(
    values=(
        "-X --repository, -p --root, --arch, --cache-dir, --keys-dir, --repositories-file, --cache-max-age, "
        "--timeout, --wait, --progress-fd, -t --virtual"
    ),
    flags=(
        "--no-cache, -U --update-cache --update, -q --quiet, -v --verbose, -i --interactive, --no-progress, "
        "--progress, --allow-untrusted, --purge, --no-network, --preserve-env, --print-arch, --no-scripts, "
        "--no-check-certificate, --force-broken-world, --force-overwrite, --force-refresh, "
        "--force-non-repository, --force-old-apk, --clean-protected, -l --latest, -u --upgrade, --initdb, "
        "--no-chown, -s --simulate, -a --available, -r --rdepends, --usermode, -h --help, -V --version"
    ),
)
_SUBS = tuple(
    sub(n)
    for n in words(
        "add del fix update upgrade search info list fetch verify version stats audit dot manifest "
        "policy index mkpkg extract query"
    )
) + (sub("cache", subs=(sub("clean"), sub("purge"), sub("download"), sub("sync"))),)
APK = Grammar("apk", ("apk",), APK_OPTIONS, _SUBS)
GRAMMARS = (APK,)

INSTALL = frozenset({"add", "upgrade", "fix"})
#: applets that neither read nor write the index cache.
INDEX_FREE = frozenset({"del", "info", "version", "stats", "audit", "verify", "dot", "manifest"})
CACHE = CacheSpec(
    "apk", "cache", (FromOption(("--cache-dir",)), Fixed("/var/cache/apk")), off_options=("--no-cache",)
)
#: apk keeps the packages it downloads in ``/etc/apk/cache`` when that
#: folder exists (Alpine's ``setup-apkcache`` links it to
#: ``/var/cache/apk``; images do not have it).
PACKAGE_CACHE = CacheSpec(
    "apk", "packages", (FromOption(("--cache-dir",)), Fixed("/etc/apk/cache")), off_options=("--no-cache",)
)
CACHES = {"apk": (CACHE, PACKAGE_CACHE)}
#: applets that delete files.
REMOVES = {"apk": frozenset({"del"})}


def packages(p: Parsed) -> tuple[Token, ...]:
    """The package operands of ``apk add`` / ``apk del``."""
    return p.operands


def updates_index(p: Parsed) -> bool:
    """Fetches the index itself (``-U``/``--update-cache``/``--update``)."""
    return p.has("--update-cache")


def on_path(p: Parsed) -> OnPath | None:
    """A package manager may put any package's programs on PATH (or take them off)."""
    return OnPath() if p.tool == "apk" else None


def is_cache_clean(p: Parsed) -> bool:
    return p.tool == "apk" and p.is_sub("cache clean", "cache purge")


MARKERS: tuple[str, ...] = ()
PROGRAMS = ("apk",)

__all__ = [
    "APK",
    "CACHE",
    "CACHES",
    "GRAMMARS",
    "INDEX_FREE",
    "INSTALL",
    "MARKERS",
    "PACKAGE_CACHE",
    "PROGRAMS",
    "REMOVES",
    "is_cache_clean",
    "on_path",
    "packages",
    "updates_index",
]
