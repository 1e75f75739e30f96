"""Composer (``composer``, ``composer.phar``, ``php composer.phar``).

How a rule asks::

    p = tools.parse(cmd)               # composer install, php -d memory_limit=-1 composer.phar i
    if p and p.tool == "composer" and p.is_sub("install"):
        d = tools.cache_dir(tools.composer.CACHE, facts, p)

Composer's cache folder (``Factory::getCacheDir``): ``$COMPOSER_CACHE_DIR``,
else ``$COMPOSER_HOME/cache``, else — when "XDG is in use" (an ``XDG_*``
variable is set, or ``/etc/xdg`` exists in the image) —
``$XDG_CACHE_HOME/composer`` or ``~/.cache/composer``, else
``~/.composer/cache``.  PHP reads an empty value and "0" as unset.  The
official ``composer`` image sets ``COMPOSER_HOME=/tmp``.  Options are
Symfony Console's: clusters (``-vvv``, ``-no``), ``--opt=value`` or
``--opt value``; ``-d``/``--working-dir`` and ``--no-cache`` are global.
"""

from __future__ import annotations

from ._dirs import CacheSpec, FromEnv, FromHome
from ._files import Install, OnPath, ProjectFiles
from ._grammar import Grammar, Parsed, Token, opts, sub, words

GLOBAL = opts(
    values="-d --working-dir",
    flags=(
        "--no-cache, -n --no-interaction, -q --quiet, -v --verbose, --ansi, --no-ansi, --profile, "
        "--no-plugins, --no-scripts, -V --version, -h --help"
    ),
)
INSTALL = opts(
    values="--prefer-install, --audit-format, --apcu-autoloader-prefix, --ignore-platform-req",
    flags=(
        "--prefer-source, --prefer-dist, --dry-run, --download-only, --dev, --no-suggest, --no-dev, "
        "--no-autoloader, --no-progress, --no-install, --audit, --no-audit, -o --optimize-autoloader, "
        "-a --classmap-authoritative, --apcu-autoloader, --ignore-platform-reqs, --strict-psr, "
        "-w --with-dependencies, -W --with-all-dependencies, --lock, --prefer-lowest, --prefer-stable, "
        "-m --minimal-changes, -i --interactive, --root-reqs, --sort-packages"
    ),
)
_COMMANDS = (
    sub("install", "i", options=INSTALL),
    sub("update", "u", "upgrade", options=INSTALL),
    sub("require", "r", options=INSTALL),
    sub("remove", "rm", "uninstall", options=INSTALL),
    sub("reinstall", options=INSTALL),
    sub("create-project", options=INSTALL),
    sub("bump"),
    sub("dump-autoload", "dumpautoload", options=INSTALL),
    sub("clear-cache", "clearcache", "cc"),
    sub("config"),
    sub("show", "info"),
    sub("outdated"),
    sub("validate"),
    sub("diagnose"),
    sub("self-update", "selfupdate"),
    sub("run-script", "run"),
    sub("exec"),
    sub("depends", "why"),
    sub("prohibits", "why-not"),
    sub("audit"),
    sub("licenses"),
    sub("status"),
    sub("archive"),
    sub("browse", "home"),
    sub("search"),
    sub("init"),
    sub("fund"),
    sub("check-platform-reqs"),
    sub("suggests"),
)
COMPOSER = Grammar(
    "composer", ("composer", "composer.phar"), GLOBAL, (*_COMMANDS, sub("global", subs=_COMMANDS))
)
GRAMMARS = (COMPOSER,)

# php's options that take a value (`php -d memory_limit=-1 composer.phar`)
_PHP_VALUE = "dcz"


def launch(program: str, args: tuple[Token, ...]) -> tuple[str, int, str] | None:
    """``php [-d k=v] composer.phar install``: (tool, first index, how)."""
    if program != "php":
        return None
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None:
            return None
        if v.startswith("-") and v != "-":
            if v in ("-f",) or len(v) == 2 and v[1] in _PHP_VALUE:
                i += 1
            i += 1
            continue
        if v.rsplit("/", 1)[-1] in ("composer", "composer.phar"):
            return "composer", i + 1, f"{program} {v}"
        return None
    return None


CACHE = CacheSpec(
    "composer",
    "cache",
    (
        FromEnv("COMPOSER_CACHE_DIR", empty=("", "0")),
        FromEnv("COMPOSER_HOME", "cache", empty=("", "0")),
        FromEnv("XDG_CACHE_HOME", "composer", empty=("", "0")),
        FromHome(
            ".composer/cache",
            caveat="~/.cache/composer when the image has /etc/xdg or sets an XDG_* variable",
        ),
    ),
    off_options=("--no-cache",),
    config=("COMPOSER_HOME/config.json cache-dir", "composer config -g cache-dir", "composer.json config"),
)
CACHES = {"composer": (CACHE,)}
CLEANS_CACHE = ("clear-cache",)
#: commands that delete files (the cache, packages).
REMOVES = {"composer": frozenset({"clear-cache", "clearcache", "remove"})}
FILLS_CACHE = (
    "install",
    "update",
    "require",
    "reinstall",
    "create-project",
    "global install",
    "global update",
    "global require",
)


def fills_cache(p: Parsed) -> bool:
    return p.tool == "composer" and p.is_sub(*FILLS_CACHE)


def on_path(p: Parsed) -> OnPath | None:
    """``composer global ...`` installs into the global vendor/bin."""
    return OnPath(own=("composer",)) if p.tool == "composer" and p.subcommand[:1] == ("global",) else None


def is_cache_clean(p: Parsed) -> bool:
    return p.tool == "composer" and p.is_sub(*CLEANS_CACHE)


#: install events whose scripts run during ``composer install``.
INSTALL_EVENTS = words(
    "pre-install-cmd post-install-cmd pre-package-install post-package-install pre-operations-exec "
    "pre-dependencies-solving post-dependencies-solving pre-package-update post-package-update "
    "pre-pool-create"
)
DUMP_EVENTS = ("pre-autoload-dump", "post-autoload-dump")
#: install option -> its ``dump-autoload`` counterpart (None: not passed on).
DUMP_AUTOLOAD_FLAGS: dict[str, str | None] = {
    "--optimize-autoloader": "--optimize",
    "--classmap-authoritative": "--classmap-authoritative",
    "--apcu-autoloader": "--apcu",
    "--apcu-autoloader-prefix": "--apcu-prefix",
    "--no-dev": "--no-dev",
    "--dev": "--dev",
    "--no-scripts": "--no-scripts",
    "--no-plugins": "--no-plugins",
    "--ignore-platform-reqs": "--ignore-platform-reqs",
    "--ignore-platform-req": "--ignore-platform-req",
    "--no-interaction": "--no-interaction",
    "--quiet": "--quiet",
    "--no-ansi": "--no-ansi",
    "--ansi": "--ansi",
    "--verbose": "-v",
    "--strict-psr": None,
    "--no-progress": None,
    "--prefer-dist": None,
    "--prefer-source": None,
    "--prefer-install": None,
    "--no-suggest": None,
    "--audit": None,
    "--no-audit": None,
    "--audit-format": None,
    "--dry-run": None,
    "--download-only": None,
    "--no-cache": None,
}
#: plugins known to write only inside vendor/ (or nothing) during an install.
SAFE_PLUGINS = frozenset(
    {
        "php-http/discovery",
        "pestphp/pest-plugin",
        "composer/package-versions-deprecated",
        "dealerdirect/phpcodesniffer-composer-installer",
        "phpstan/extension-installer",
        "symfony/runtime",
        "ergebnis/composer-normalize",
        "bamarni/composer-bin-plugin",
        "infection/extension-installer",
    }
)
INSTALLS = {
    "composer": Install(
        "composer",
        ("install",),
        ProjectFiles(("composer.json",), ("composer.lock",), ("auth.json",), creates=("vendor",)),
        deps_only=("--no-autoloader",),
        other_project=("--working-dir",),
        sources=(
            "install scripts",
            "path/artifact repositories",
            "plugins",
            "a classmap or optimised autoloader",
        ),
    ),
}
MARKERS = ("composer.json",)
PROGRAMS = ("composer",)

__all__ = [
    "CACHE",
    "CACHES",
    "CLEANS_CACHE",
    "COMPOSER",
    "DUMP_AUTOLOAD_FLAGS",
    "DUMP_EVENTS",
    "FILLS_CACHE",
    "GLOBAL",
    "GRAMMARS",
    "INSTALL",
    "INSTALLS",
    "INSTALL_EVENTS",
    "MARKERS",
    "PROGRAMS",
    "REMOVES",
    "SAFE_PLUGINS",
    "fills_cache",
    "is_cache_clean",
    "launch",
    "on_path",
]
