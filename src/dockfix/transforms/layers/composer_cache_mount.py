from __future__ import annotations

from ... import tools
from ...shell import Command
from ._cache import Run
from ._cache_rule import (
    CacheMountRule,
    CutAssignment,
    CutCommand,
    Fight,
    Use,
    off_fights,
    with_dirs,
)

#: composer commands that download packages (``global require`` too)
_INSTALLS = ("install", "update", "require", "create-project", "reinstall")


class ComposerCacheMount(CacheMountRule):
    """
    ## What it does
    Adds a BuildKit cache mount for Composer's cache to RUNs that run
    `composer install`, `update`, `require`, `create-project` or `global
    require`: `$COMPOSER_CACHE_DIR`, else `$COMPOSER_HOME/cache`
    (`/tmp/cache` in the official `composer` image, which sets
    `COMPOSER_HOME=/tmp`), else `~/.composer/cache` (`/root/.composer/cache`
    for root). In the same RUN it removes `--no-cache`,
    `COMPOSER_CACHE_DIR=/dev/null`-style prefixes, `composer clear-cache`
    and `rm -rf` of the cache directory.

    ## Why
    Without a cache mount, every rebuild of the layer downloads every
    package again. No hadolint rule covers this.

    ## Example
    ```dockerfile
    FROM php:8.3-cli
    COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
    COPY composer.json composer.lock ./
    RUN composer install --no-dev --no-cache
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM php:8.3-cli
    COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
    COPY composer.json composer.lock ./
    RUN --mount=type=cache,target=/root/.composer/cache composer install --no-dev
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer, and
    Composer installs the same `vendor/` with or without its cache, so the
    image is the same without the cache. Without `COMPOSER_HOME`, Composer
    picks `~/.composer` when that directory exists and otherwise
    `~/.config/composer` when the image has `/etc/xdg`; the mount creates
    `~/.composer/cache`, so Composer uses it (and writes its small
    `.htaccess` marker files under `~/.composer`). Nothing is added when
    `XDG_*` variables are set without `COMPOSER_HOME` (Composer would then
    use `~/.cache/composer`), when an earlier `composer global` / `config
    --global` / `COPY` put global configuration where the mount would change
    which home Composer reads, for another user without a known `HOME` or
    numeric uid, when `COMPOSER_CACHE_DIR` is set by `ENV`, or when another
    mount is there already. These cases are not reported: a cache mount is
    an optimisation, not a defect.
    """

    code = "DF217"
    looks_at = ("RUN",)
    name = "composer-cache-mount"
    summary = "Cache Composer downloads with `RUN --mount=type=cache`"

    def use(self, run: Run, cmd: Command) -> Use | None:
        p = tools.parse(cmd, tool="composer")
        if p is None or not p.is_sub(*_INSTALLS, *(f"global {s}" for s in _INSTALLS)):
            return None
        use = Use(cmd, f"composer {p.sub_tokens[0].text}")
        # a COMPOSER_CACHE_DIR=… prefix or export is cut: the folder is the file's
        d = run.cache_dir(tools.composer.CACHE, cmd, p, file_only=["COMPOSER_CACHE_DIR"])
        if not d.set_by("COMPOSER_CACHE_DIR", "COMPOSER_HOME") and (
            # Composer's home (and so its cache) moves with an XDG_* variable
            # or with global configuration the mount would hide
            run.chain.any("cache_composer.sets_xdg", _sets_xdg)
            or run.so_far("composer.global", _global, _home)
        ):
            return use
        fights = off_fights(run, p, tools.composer.CACHE, ["COMPOSER_CACHE_DIR"])
        # a per-command COMPOSER_CACHE_DIR=/dev/null only disables the cache; another value moves it
        prefixed = fights is not None and any(isinstance(f, CutAssignment) for f in fights)
        if fights is None or (
            prefixed and run.lookup("COMPOSER_CACHE_DIR", cmd) not in ("/dev/null", "", "0")
        ):
            return use
        return with_dirs(run, use, [d], fights)

    def cleaners(self, run: Run, uses: list[Use]) -> list[Fight]:
        return [CutCommand(cmd) for cmd in run.script.commands if _clears_cache(cmd)]


def _home(dest: str) -> bool:
    """A COPY into Composer's home (global configuration)."""
    return ".composer" in dest or ".config/composer" in dest or ".config/" in dest


def _global(cmd: Command) -> bool:
    """``composer global …`` / ``composer config --global``."""
    vals = [a.value or a.text for a in cmd.args]
    return cmd.program in ("composer", "composer.phar") and (
        "global" in vals or ("config" in vals and ("-g" in vals or "--global" in vals))
    )


def _sets_xdg(ins) -> bool:
    """An ENV or ARG setting an ``XDG_*`` variable (composer reads them)."""
    if ins.keyword == "ENV":
        return any(k.value.startswith("XDG_") for k, _v in ins.pairs())
    if ins.keyword == "ARG":
        return any(w.value.startswith("XDG_") for w in ins.args)
    return False


def _clears_cache(cmd) -> bool:
    """``composer clear-cache`` (``clearcache``, ``cc``)."""
    p = tools.parse(cmd, tool="composer")
    return p is not None and tools.composer.is_cache_clean(p)
