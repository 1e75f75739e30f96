from __future__ import annotations

from ... import tools
from ...shell import Command
from ._cache import Run
from ._cache_rule import CacheMountRule, CutCommand, Fight, Use, with_dirs
from ._node_cache import npm_env, parse, rc_sets, yarn

#: subcommands that fill the package cache (canonical names: :mod:`dockfix.tools.node`)
_SUBS = {
    "npm": ("install", "ci", "update", "install-test", "install-ci-test", "rebuild"),
    "yarn": ("install", "add", "upgrade", "global add", "import", "workspaces focus"),
    "pnpm": ("install", "add", "fetch", "update", "install-test"),
}


class NodeCacheMount(CacheMountRule):
    """
    ## What it does
    Adds a BuildKit cache mount for the package cache of `npm` (`install`,
    `ci`, `add`, `update`), `yarn` (`install`, bare `yarn`, `add`,
    `global add`, `upgrade`) and `pnpm` (`install`, `add`, `fetch`,
    `update`):

    - npm: `~/.npm` (`$npm_config_cache` or `--cache`);
    - yarn classic (1.x): `/usr/local/share/.cache/yarn` for root — yarn 1
      puts root's cache there whatever `HOME` is —, `~/.cache/yarn` for
      other users, `$XDG_CACHE_HOME/yarn`, `$YARN_CACHE_FOLDER` or
      `--cache-folder`;
    - yarn berry (2+), when the build context shows it (`.yarnrc.yml`, a
      `packageManager: "yarn@4…"` in `package.json`, `yarn set version`):
      its global folder's cache `~/.yarn/berry/cache`
      (`$XDG_DATA_HOME/yarn/berry/cache`, `$YARN_GLOBAL_FOLDER/cache`),
      which is the shared cache in yarn 4 and the mirror in yarn 2/3;
    - pnpm: its store, `~/.local/share/pnpm/store`
      (`$PNPM_HOME/store`, `$XDG_DATA_HOME/pnpm/store`, `--store-dir`).

    In the same RUN it removes `npm cache clean --force`, `yarn cache clean`
    and `pnpm store prune`, and `rm -rf` of the cache directory.

    ## Why
    Without a cache mount, every rebuild of the layer downloads every
    package again. Cleaning the cache keeps the image small, but a cache
    mount does that too — its content is never part of the image — and
    keeps the downloads for the next build. No hadolint rule covers this
    (hadolint's DL3060 asks for `yarn cache clean` and accepts a yarn cache
    mount instead).

    ## Example
    ```dockerfile
    FROM node:20
    COPY package.json package-lock.json ./
    RUN npm ci && npm cache clean --force
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM node:20
    COPY package.json package-lock.json ./
    RUN --mount=type=cache,target=/root/.npm npm ci
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer, and
    the package managers install the same files with or without their
    cache (pnpm copies from a store on another file system instead of
    hard-linking), so the image is the same — without the cache, which the
    removed clean commands kept out of it before. Nothing is added when the
    cache directory cannot be known: another user without a known `HOME`
    or numeric uid (the mount then carries `uid=`/`gid=`), a variable the
    file does not set, a `cache`/`store-dir`/`cache-folder` setting in an
    `.npmrc`/`.yarnrc` or a `config set`, yarn berry whose version or
    `enableGlobalCache` cannot be read (its default cache is inside the
    project, `.yarn/cache`), an offline install (`--offline`, which reads
    the cache instead of filling it), another mount or a cache mount below
    the cache directory, an `rm` of a parent of the mount point, a command
    that reads the cache directory, and an `npx` in `CMD`/`ENTRYPOINT`
    (npx runs packages from the npm cache). These cases are not reported:
    a cache mount is an optimisation, not a defect. Settings the base image
    makes and the Dockerfile does not show are assumed to be the defaults.
    """

    code = "DF212"
    looks_at = ("RUN",)
    supersedes = ("DF111",)  # the cache mount makes their cleanup moot
    name = "node-cache-mount"
    summary = "Cache npm / yarn / pnpm downloads with `RUN --mount=type=cache`"
    runtime_tools = ("npx",)

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        if cmd.program in _SUBS and any(a.value == "--offline" for a in cmd.args):
            return True
        return cmd.program == "npm" and (npm_env(run, cmd, "offline") or "") in ("true", "1")

    def use(self, run: Run, cmd: Command) -> Use | None:
        p = parse(cmd, _SUBS)
        if p is None:
            return None
        use = Use(cmd, f"{p.tool} {p.sub_tokens[0].text}" if p.sub_tokens else p.tool, tool=p.tool)
        d = self._yarn_folder(run, cmd, p) if p.tool == "yarn" else self._folder(run, cmd, p)
        return use if d is None else with_dirs(run, use, [d])

    def _folder(self, run: Run, cmd: Command, p: tools.Parsed) -> tools.CacheDir | None:
        """npm's cache or pnpm's store; None when a setting this rule does
        not read (an rc file, ``config set``) may move it."""
        if p.tool == "npm":
            d = run.cache_dir(tools.node.NPM_CACHE, cmd, p)
            moved = not d.set_by("npm_config_cache", "NPM_CONFIG_CACHE") and rc_sets(
                run, (".npmrc",), ("cache",)
            )
        else:
            d = run.cache_dir(tools.node.PNPM_STORE, cmd, p)
            moved = not d.set_by(*tools.node.PNPM_STORE_ENV) and rc_sets(run, (".npmrc",), ("store-dir",))
        return None if moved else d

    def _yarn_folder(self, run: Run, cmd: Command, p: tools.Parsed) -> tools.CacheDir | None:
        """yarn classic's cache, or yarn berry's global cache; None when
        the version or a setting this rule does not read may move it."""
        kind = yarn(run)
        if kind.kind == "classic":
            d = run.cache_dir(tools.node.YARN_CLASSIC_CACHE, cmd, p)
            rc = (".yarnrc", ".npmrc"), ("cache-folder", "yarn-offline-mirror")
            moved = not d.set_by("YARN_CACHE_FOLDER") and rc_sets(run, *rc)
        else:
            d = run.cache_dir(tools.node.YARN_BERRY_CACHE, cmd, p)
            moved = (
                kind.global_cache is None  # not known, or a .yarnrc.yml moves the cache ("unknown")
                or run.lookup("YARN_CACHE_FOLDER", cmd) is not None
                or run.lookup("YARN_ENABLE_GLOBAL_CACHE", cmd) is not None
            )
        return None if moved else d

    # -- cleaners ---------------------------------------------------------------
    def cleaners(self, run: Run, uses: list[Use]) -> list[Fight]:
        used = {u.tool for u in uses}
        out: list[Fight] = []
        # yarn 2/3 without a global cache: `yarn cache clean` empties the project's .yarn/cache
        local_cache = "yarn" in used and yarn(run).global_cache is False
        for cmd in run.script.commands:
            p = tools.parse(cmd) if cmd.program in used else None
            if p is None or p.tool != cmd.program:
                continue
            if p.is_sub("cache clean") and p.tool == "yarn":
                if not local_cache or p.has("--mirror", "--all"):
                    out.append(CutCommand(cmd))
            elif tools.node.is_cache_clean(p):
                out.append(CutCommand(cmd))
        return out
