"""Ruby: bundler (``bundle``, ``bundler``) and RubyGems (``gem``).

How a rule asks::

    p = tools.parse(cmd)                       # bundle, bundle install, gem install x
    if p and p.tool == "bundle" and p.is_sub("install"):   # bare `bundle` installs too (implicit)
        d = tools.bundler.gem_cache(facts, p, ruby_abi="3.3.0")   # $GEM_HOME/cache or $BUNDLE_PATH/ruby/<abi>/cache

Downloaded gems go to the ``cache/`` folder of the gem directory they are
installed into: ``$GEM_HOME`` (what the official ruby images set), or
``$BUNDLE_PATH/ruby/<ruby ABI version>`` when bundler installs into a path.
Without ``GEM_HOME`` the directory is RubyGems' built-in default, which
depends on how Ruby was built: unknown here.
"""

from __future__ import annotations

import posixpath
import re

from ._dirs import CacheDir, CacheSpec, Facts, FromEnv, FromOption, cache_dir, norm
from ._files import Install, OnPath, ProjectFiles
from ._grammar import Grammar, Parsed, opts, sub, words

BUNDLE_OPTIONS = opts(
    values=(
        "--gemfile, -j --jobs, --retry, --path, --without, --with, --binstubs, --standalone, --shebang, "
        "--trust-policy, --target-rbconfig"
    ),
    flags=(
        "--deployment, --frozen, --local, --prefer-local, --system, --no-cache, --quiet, --clean, "
        "--full-index, --redownload --force, --no-prune, --conservative, --verbose, --global, --no-color"
    ),
)
BUNDLE = Grammar(
    "bundle",
    ("bundle", "bundler"),
    BUNDLE_OPTIONS,
    tuple(
        sub(n, *a)
        for n, *a in (
            ("install", "i"),
            ("update",),
            ("cache", "package", "pack"),
            ("exec", "e"),
            ("config",),
            ("check",),
            ("clean",),
            ("lock",),
            ("add",),
            ("remove",),
            ("binstubs",),
            ("show",),
            ("outdated",),
            ("list",),
            ("init",),
            ("platform",),
            ("doctor",),
            ("version",),
            ("help",),
        )
    ),
    default=("install",),
)

GEM_OPTIONS = opts(
    values=(
        "-v --version, -i --install-dir, -n --bindir, --source -s, -p --http-proxy, --platform, -g --file, "
        "--build-root, --document, -P --trust-policy"
    ),
    flags=(
        "-N --no-document, --no-doc, --user-install, --no-user-install, -E --env-shebang, --force -f, "
        "--conservative, --minimal-deps, --prerelease, --default, -q --quiet"
    ),
)
GEM = Grammar(
    "gem",
    ("gem",),
    GEM_OPTIONS,
    tuple(
        sub(n)
        for n in words(
            "install update uninstall cleanup list sources build env which search fetch pristine query "
            "specification contents"
        )
    ),
)
GRAMMARS = (BUNDLE, GEM)

GEM_CACHE = CacheSpec(
    "gem",
    "cache",
    (FromOption(("--install-dir",), "cache"), FromEnv("GEM_HOME", "cache")),
    config=("~/.gemrc", "--user-install"),
)
#: options of ``bundle install`` that put the gems (and their cache) elsewhere.
ELSEWHERE = ("--path", "--deployment", "--system", "--standalone")
BUNDLE_SETTINGS = ("path", "deployment", "system", "app_config")
OFFLINE = ("--local", "--prefer-local")
CACHES = {"gem": (GEM_CACHE,)}
#: subcommands that delete files (gems), per tool.
REMOVES = {"bundle": frozenset({"clean"}), "gem": frozenset({"cleanup", "uninstall"})}


_FALSE = re.compile(r"(?i)(false|f|no|n|0|)")


def setting_true(value: str) -> bool:
    """How bundler reads a boolean setting (``BUNDLE_DEPLOYMENT``...):
    ``false``, ``f``, ``no``, ``n``, ``0`` (any case) and the empty string
    are false, anything else is true — ``off`` too (``Settings#to_bool``;
    not :func:`dockfix.tools.truthy`'s reading)."""
    return _FALSE.fullmatch(value) is None


def gem_cache(facts: Facts, p: Parsed, ruby_abi: str | None = None) -> CacheDir:
    """Where ``bundle install`` / ``gem install`` keeps downloaded gems.
    ``ruby_abi``: Ruby's ABI version ("3.3.0"), needed when ``BUNDLE_PATH``
    is set (bundler installs into ``$BUNDLE_PATH/ruby/<abi>``)."""
    if p.tool == "gem":
        if p.has("--user-install"):
            return CacheDir(GEM_CACHE, None, reason="--user-install installs into ~/.gem/ruby/<abi>")
        return cache_dir(GEM_CACHE, facts, p)
    if p.has(*ELSEWHERE):
        return CacheDir(GEM_CACHE, None, reason="an option puts the gems elsewhere")
    path = facts.lookup("BUNDLE_PATH")
    if path is not None and path != "":
        if not isinstance(path, str):
            return CacheDir(GEM_CACHE, None, reason="BUNDLE_PATH is not known")
        base = norm(path)
        if base is None:
            return CacheDir(GEM_CACHE, None, reason="BUNDLE_PATH is relative to the project")
        if ruby_abi is None:
            return CacheDir(GEM_CACHE, None, reason="Ruby's ABI version is not known")
        return CacheDir(GEM_CACHE, posixpath.join(base, "ruby", ruby_abi, "cache"), FromEnv("BUNDLE_PATH"))
    deployment = facts.lookup("BUNDLE_DEPLOYMENT")
    if deployment is not None and (not isinstance(deployment, str) or setting_true(deployment)):
        return CacheDir(GEM_CACHE, None, reason="deployment mode installs into vendor/bundle")
    return cache_dir(GEM_CACHE, facts, None)


_RUBY_OWN = ("gem", "bundle", "bundler")


def on_path(p: Parsed) -> OnPath | None:
    """gem/bundle commands that put gem executables on PATH; ``gem update
    --system`` updates RubyGems itself (and bundler)."""
    if p.tool == "gem" and p.is_sub("update") and p.has("--system"):
        return OnPath(always=_RUBY_OWN, named=False)
    if p.tool == "gem" and p.is_sub("install", "update", "uninstall"):
        return OnPath(own=_RUBY_OWN)
    if p.tool == "bundle" and p.is_sub("install", "update"):
        return OnPath(own=_RUBY_OWN[1:])
    return None


INSTALLS = {
    "bundle": Install(
        "bundle",
        ("install",),
        ProjectFiles(
            ("Gemfile", "gems.rb"),
            ("Gemfile.lock", "gems.locked"),
            creates=("vendor/bundle", "vendor/cache", ".bundle"),
        ),
        other_project=("--gemfile", "--binstubs", "--standalone"),
        sources=("gemspec", "path: gems", "Gemfile code reading other files"),
    ),
}
#: the lock file bundler writes beside each manifest.
LOCK_OF = {"Gemfile": "Gemfile.lock", "gems.rb": "gems.locked"}
MARKERS = ("Gemfile", "gems.rb")
PROGRAMS = ("bundle", "bundler", "gem")

__all__ = [
    "BUNDLE",
    "BUNDLE_SETTINGS",
    "CACHES",
    "ELSEWHERE",
    "GEM",
    "GEM_CACHE",
    "GRAMMARS",
    "INSTALLS",
    "LOCK_OF",
    "MARKERS",
    "OFFLINE",
    "PROGRAMS",
    "REMOVES",
    "gem_cache",
    "on_path",
    "setting_true",
]
