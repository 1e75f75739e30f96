from __future__ import annotations

import posixpath
import re

from ... import tools
from ...analysis import per_instruction
from ._cache import UNKNOWN, Run, Unknown
from ._cache_rule import CacheMountRule, Use


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
    name = "bundler-cache-mount"
    summary = "Cache the gems bundler / gem download with `RUN --mount=type=cache`"

    def _kind(self, cmd) -> str | None:
        """``install``/``update``/``cache`` (as written: ``package``...) for
        bundle (a bare ``bundle`` installs), ``gem install``/``gem update``
        (:mod:`dockfix.tools.bundler`)."""
        p = tools.parse(cmd)
        if p is None or not p.sub_known:
            return None
        if p.tool == "bundle" and p.is_sub("install", "update", "cache"):
            return p.sub_tokens[0].text if p.sub_tokens else "install"
        if p.tool == "gem" and p.is_sub("install", "update"):
            return f"gem {p.sub}"
        return None

    def reads_offline(self, run: Run) -> bool:
        for cmd in run.script.commands:
            kind = self._kind(cmd)
            if kind is None:
                continue
            if kind in ("cache", "package", "pack"):
                return True
            if any(a.value in ("--local", "-l") for a in cmd.args):
                return True
        return False

    def _configured(self, run: Run) -> bool:
        """`bundle config … path|deployment` earlier or in this RUN."""

        def configures(ins) -> bool:
            if ins.keyword != "RUN":
                return False
            script = run.facts.model.script(ins)
            if script is None:
                return False
            for cmd in script.commands:
                vals = [a.value or a.text for a in cmd.args]
                if (
                    cmd.program == "bundle"
                    and vals[:1] == ["config"]
                    and any(
                        v in ("path", "deployment", "system", "app_config") or v.startswith("BUNDLE_")
                        for v in vals
                    )
                ):
                    return True
            return False

        configures = per_instruction(run.tree, "cache_bundler.configures", configures)
        return run.chain.any("cache_bundler.configures", configures) or configures(run.ins)

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        for cmd in run.script.commands:
            kind = self._kind(cmd)
            if kind is None:
                continue
            label = kind if kind.startswith("gem ") else f"bundle {kind}"
            use = Use(cmd, label)
            target = self._target(run, cmd) if run.who is not None else None
            out.append(use.known([run.mount(target)]) if target is not None else use)
        return out

    def _target(self, run: Run, cmd) -> str | None:
        vals = [a.value for a in cmd.args]
        if any(v is None for v in vals):
            return None
        gem_home = run.env_dir("GEM_HOME", cmd)
        if gem_home is UNKNOWN:
            return None
        if cmd.program == "gem":
            if gem_home is None:
                return None
            if any(
                v in ("-i", "--install-dir", "--user-install") or (v or "").startswith("--install-dir=")
                for v in vals
            ):
                return None
            return posixpath.join(gem_home, "cache")  # type: ignore[arg-type]
        if any(
            v in ("--path", "--deployment", "--system", "--standalone") or (v or "").startswith("--path=")
            for v in vals
        ):
            return None
        if self._configured(run):
            return None
        path = run.lookup("BUNDLE_PATH", cmd)
        if isinstance(path, Unknown):
            return None
        if path is None or path == "":
            if run.lookup("BUNDLE_DEPLOYMENT", cmd) not in (None, "", "0", "false"):
                return None  # deployment mode installs into vendor/bundle
            if gem_home is None:
                return None
            return posixpath.join(gem_home, "cache")  # type: ignore[arg-type]
        if not path.startswith("/"):
            return None
        if run.base != "ruby":
            return None
        m = re.match(r"(\d+)\.(\d+)", run.tag)
        if not m:
            return None
        return posixpath.join(posixpath.normpath(path), "ruby", f"{m.group(1)}.{m.group(2)}.0", "cache")
