from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._cache import CommandFacts, Run
from ._cache_rule import CacheMountRule, Use, with_dirs


class BundlerCacheMount(CacheMountRule):
    """
    ## What it does
    Adds a BuildKit cache mount for the `.gem` files that `bundle install`
    and `gem install` download, in the gem directory's `cache/`:
    `$GEM_HOME/cache` (`/usr/local/bundle/cache` in the official `ruby`
    images), or `$BUNDLE_PATH/ruby/<ABI version>/cache` when `BUNDLE_PATH`
    is set (the ABI version, `3.3.0` for Ruby 3.3, read from the `ruby`
    image tag). `rm -rf` of that directory in the same RUN (the
    `rm -rf "${BUNDLE_PATH}"/ruby/*/cache` of Rails' Dockerfile) is removed.

    ## Why
    Without a cache mount, every rebuild of the layer downloads every gem
    again; removing the `.gem` files keeps them out of the image, but a
    cache mount does that too and keeps them for the next build. No hadolint
    rule covers this.

    ## Example
    ```dockerfile
    FROM ruby:3.3
    COPY Gemfile Gemfile.lock ./
    RUN bundle install
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM ruby:3.3
    COPY Gemfile Gemfile.lock ./
    RUN --mount=type=cache,target=/usr/local/bundle/cache bundle install
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer, and
    bundler installs the same gems (into `gems/`, `specifications/`,
    `extensions/`, which stay in the image) whether their `.gem` file was
    cached or downloaded; only the `.gem` archives are no longer in the
    image. A RUN that installs from local gems only (`--local`, `bundle
    cache`) gets no mount, nor does an earlier RUN whose `.gem` files such a
    RUN relies on. Nothing is added outside the official `ruby` images
    unless `GEM_HOME` is set in the file, when `BUNDLE_PATH` is relative,
    when the Ruby version cannot be read from the image tag, when the
    install path is configured otherwise (`bundle config … path`,
    `--path`, `--deployment`, `BUNDLE_DEPLOYMENT` without `BUNDLE_PATH`,
    `gem install --install-dir` / `--user-install`), for another user
    without a known `HOME` or numeric uid, or when
    another mount is there already. These cases are not reported: a cache
    mount is an optimisation, not a defect.
    """

    code = "DF216"
    looks_at = ("RUN",)
    name = "bundler-cache-mount"
    summary = "Cache the gems bundler / gem download with `RUN --mount=type=cache`"

    def _parse(self, cmd: Command) -> tools.Parsed | None:
        """``bundle install``/``update``/``cache`` (a bare ``bundle``
        installs), ``gem install``/``update`` (:mod:`dockfix.tools.bundler`)."""
        p = tools.parse(cmd)
        if p is None or not p.sub_known:
            return None
        if (p.tool == "bundle" and p.is_sub("install", "update", "cache")) or (
            p.tool == "gem" and p.is_sub("install", "update")
        ):
            return p
        return None

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        p = self._parse(cmd)
        return p is not None and (p.is_sub("cache") or any(a.value in ("--local", "-l") for a in cmd.args))

    def use(self, run: Run, cmd: Command) -> Use | None:
        p = self._parse(cmd)
        if p is None:
            return None
        written = p.sub_tokens[0].text if p.sub_tokens else "install"  # as written: `bundle package`
        use = Use(cmd, f"gem {p.sub}" if p.tool == "gem" else f"bundle {written}")
        if (
            any(a.value is None for a in cmd.args)
            or p.has("--install-dir")
            or (p.tool == "bundle" and run.so_far("bundler.configures", _configures))
        ):
            return use
        return with_dirs(run, use, [tools.bundler.gem_cache(CommandFacts(run, cmd), p, _ruby_abi(run))])


def _configures(cmd: Command) -> bool:
    """``bundle config … path|deployment|…``: the install path is configured."""
    vals = [a.value or a.text for a in cmd.args]
    return (
        cmd.program == "bundle"
        and vals[:1] == ["config"]
        and any(v in tools.bundler.BUNDLE_SETTINGS or v.startswith("BUNDLE_") for v in vals)
    )


def _ruby_abi(run: Run) -> str | None:
    """Ruby's ABI version (``3.3.0``) read from an official ``ruby`` image's tag."""
    m = re.match(r"(\d+)\.(\d+)", run.tag) if run.base == "ruby" else None
    return f"{m.group(1)}.{m.group(2)}.0" if m else None
