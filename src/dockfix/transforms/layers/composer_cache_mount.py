from __future__ import annotations

import posixpath

from ... import tools
from ...analysis import per_instruction
from ._cache import UNKNOWN, Run, file_value
from ._cache_rule import CacheMountRule, CutArg, CutCommand, Use, env_assign_fights, export_fights

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
    name = "composer-cache-mount"
    summary = "Cache Composer downloads with `RUN --mount=type=cache`"

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        for cmd in run.script.commands:
            p = tools.parse(cmd, tool="composer")
            if p is None or not p.is_sub(*_INSTALLS, *(f"global {s}" for s in _INSTALLS)):
                continue
            use = Use(cmd, f"composer {p.sub_tokens[0].text}")
            target = self._target(run, cmd)
            assigns = env_assign_fights(run, cmd, ["COMPOSER_CACHE_DIR"])
            exports = export_fights(run, ["COMPOSER_CACHE_DIR"])
            if (
                target is None
                or run.who is None
                or exports is None
                # a per-command COMPOSER_CACHE_DIR=/dev/null only disables the cache
                or (assigns and run.lookup("COMPOSER_CACHE_DIR", cmd) not in ("/dev/null", "", "0"))
            ):
                out.append(use)
                continue
            no_cache = [CutArg(cmd, a) for a in cmd.args if a.value == "--no-cache"]
            out.append(use.known([run.mount(target)], no_cache + assigns + exports))
        if out:
            cleaners = [CutCommand(cmd) for cmd in run.script.commands if _clears_cache(cmd)]
            out[0] = out[0].fighting(cleaners)
        return out

    def _target(self, run: Run, cmd) -> str | None:
        cache = file_value(run.facts, "COMPOSER_CACHE_DIR")
        if cache is not None:
            if not isinstance(cache, str) or not cache.startswith("/") or cache.startswith("/dev"):
                return None
            return posixpath.normpath(cache)
        home = run.env_dir("COMPOSER_HOME", cmd)
        if home is UNKNOWN:
            return None
        if home is not None:
            return posixpath.join(home, "cache")
        if run.chain.any("cache_composer.sets_xdg", _sets_xdg):
            return None
        if self._global_config(run):
            return None
        user_home = run.home(cmd)
        if user_home is None:
            return None
        return posixpath.join(user_home, ".composer/cache")

    def _global_config(self, run: Run) -> bool:
        def configures(ins) -> bool:
            if ins.keyword in ("COPY", "ADD") and ins.args:
                dest = ins.args[-1].value
                if ".composer" in dest or ".config/composer" in dest or ".config/" in dest:
                    return True
            if ins.keyword != "RUN":
                return False
            script = run.facts.model.script(ins)
            if script is None:
                return False
            for c in script.commands:
                vals = [a.value or a.text for a in c.args]
                if c.program in ("composer", "composer.phar") and (
                    "global" in vals or ("config" in vals and ("-g" in vals or "--global" in vals))
                ):
                    return True
            return False

        configures = per_instruction(run.tree, "cache_composer.configures", configures)
        return run.chain.any("cache_composer.configures", configures) or configures(run.ins)


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
