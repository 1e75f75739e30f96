from __future__ import annotations

import json
import posixpath
import re

from ... import tools
from ...analysis import per_instruction
from ...shell import Command
from ._cache import UNKNOWN, Run, norm
from ._cache_rule import CacheMountRule, CutCommand, Fight, Use, option_path

#: subcommands that fill the package cache (canonical names: :mod:`dockfix.tools.node`)
_NPM_SUBS = ("install", "ci", "update", "install-test", "install-ci-test", "rebuild")
_YARN_SUBS = ("install", "add", "upgrade", "global add", "import", "workspaces focus")
_PNPM_SUBS = ("install", "add", "fetch", "update", "install-test")


def _parse(cmd: Command, tool: str, subs: tuple[str, ...]) -> tools.Parsed | None:
    """``cmd`` read with ``tool``'s grammar when it runs one of ``subs``."""
    p = tools.parse(cmd, tool=tool)
    return p if p is not None and p.is_sub(*subs) else None


def _npm_env(run: Run, cmd: Command | None, key: str):
    """An npm config key from the environment (``npm_config_<key>``, any
    case): a str, None, or UNKNOWN."""
    for name in (f"npm_config_{key}", f"NPM_CONFIG_{key.upper()}"):
        v = run.lookup(name, cmd)
        if v is not None:
            return v
    return None


def _rc_sets(run: Run, names: tuple[str, ...], keys: tuple[str, ...]) -> bool:
    """Does an rc file of the build context (or a `config set` in the
    file) set one of ``keys``?"""
    bc = run.ctx.build_context
    if bc is not None:
        for name in names:
            text = bc.read_text(name)
            if text and any(re.search(rf"(?m)^\s*{re.escape(k)}\s*[=:]", text) for k in keys):
                return True

    def sets(ins) -> bool:
        if ins.keyword in ("COPY", "ADD") and ins.args:
            dest = ins.args[-1].value
            if any(dest.rstrip("/").endswith(n) for n in names) and bc is None:
                return True
        if ins.keyword != "RUN":
            return False
        script = run.facts.model.script(ins)
        if script is None:
            return False
        for cmd in script.commands:
            vals = [a.value or a.text for a in cmd.args]
            if (
                cmd.program in ("npm", "yarn", "pnpm")
                and "config" in vals[:2]
                and any(any(k in v for k in keys) for v in vals)
            ):
                return True
        return False

    key = ("cache_node.rc_sets", names, keys, bc is None)
    sets = per_instruction(run.tree, key, sets)
    return run.chain.any(key, sets) or sets(run.ins)


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
    supersedes = ("DF111",)  # the cache mount makes their cleanup moot
    name = "node-cache-mount"
    summary = "Cache npm / yarn / pnpm downloads with `RUN --mount=type=cache`"
    runtime_tools = ("npx",)

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        tools: set[str] = set()
        for cmd in run.script.commands:
            use = None
            if cmd.program == "npm":
                use = self._npm(run, cmd)
            elif cmd.program == "yarn":
                use = self._yarn(run, cmd)
            elif cmd.program == "pnpm":
                use = self._pnpm(run, cmd)
            if use is not None:
                out.append(use)
                tools.add(cmd.program)  # type: ignore[arg-type]
        if out:
            out[0] = out[0].fighting(self._cleaners(run, tools))
        return out

    def reads_offline(self, run: Run) -> bool:
        for cmd in run.script.commands:
            if cmd.program in ("npm", "yarn", "pnpm") and any(a.value == "--offline" for a in cmd.args):
                return True
            if cmd.program == "npm" and (_npm_env(run, cmd, "offline") or "") in ("true", "1"):
                return True
        return False

    # -- npm -----------------------------------------------------------------
    def _npm(self, run: Run, cmd: Command) -> Use | None:
        p = _parse(cmd, "npm", _NPM_SUBS)
        if p is None:
            return None
        use = Use(cmd, f"npm {p.sub_tokens[0].text}")
        option = option_path(run, cmd, ["--cache"])
        opt = option.path
        if opt is UNKNOWN:
            return use
        if opt is None:
            env = _npm_env(run, cmd, "cache")
            if env is UNKNOWN:
                return use
            if isinstance(env, str):
                opt = norm(env)
                if opt is None:
                    return use
            else:
                if _rc_sets(run, (".npmrc",), ("cache",)):
                    return use
                home = run.home(cmd)
                if home is None:
                    return use
                opt = posixpath.join(home, ".npm")
        if run.who is None or not isinstance(opt, str):
            return use
        return use.known([run.mount(opt)], option_args=option.args)

    # -- yarn ----------------------------------------------------------------
    def _yarn_flavor(self, run: Run):
        """("classic", None) or ("berry", major or None, global_cache or None)."""
        bc = run.ctx.build_context
        major = None
        berry = False
        global_cache = None
        if bc is not None:
            rc = bc.read_text(".yarnrc.yml")
            if rc is not None:
                berry = True
                m = re.search(r"(?m)^\s*yarnPath:\s*['\"]?\S*yarn-(\d+)\.", rc)
                if m:
                    major = int(m.group(1))
                m = re.search(r"(?m)^\s*enableGlobalCache:\s*['\"]?(true|false)", rc)
                if m:
                    global_cache = m.group(1) == "true"
                if re.search(r"(?m)^\s*(cacheFolder|globalFolder):", rc):
                    return ("unknown", None, None)
            pkg = bc.read_text("package.json")
            if pkg:
                try:
                    pm = json.loads(pkg).get("packageManager")
                except (ValueError, AttributeError):
                    pm = None
                if isinstance(pm, str) and pm.startswith("yarn@"):
                    m = re.match(r"yarn@(\d+)", pm)
                    if m:
                        major = int(m.group(1))
                        berry = berry or major >= 2

        def asks(ins) -> str | None:
            """The yarn version the last `yarn set version` or `corepack
            prepare yarn@…` of ``ins`` asks for."""
            version = None
            if ins.keyword != "RUN":
                return version
            script = run.facts.model.script(ins)
            if script is None:
                return version
            for cmd in script.commands:
                vals = [a.value or "" for a in cmd.args]
                found = None
                if cmd.program == "yarn" and vals[:2] == ["set", "version"] and len(vals) > 2:
                    found = vals[2]
                elif cmd.program == "corepack" and vals[:1] in (["prepare"], ["use"], ["install"]):
                    found = next((v[5:] for v in vals if v.startswith("yarn@")), None)
                if found is not None:
                    version = found
            return version

        asks = per_instruction(run.tree, "cache_node.yarn_version", asks)

        def last_version(version: str | None, ins) -> str | None:
            found = asks(ins)
            return version if found is None else found

        # each such command decides both berry and major: only the last counts
        version = last_version(run.chain.fold("cache_node.yarn_version", last_version, None), run.ins)
        if version is not None:
            if version in ("classic", "1") or version.startswith("1."):
                berry, major = False, 1
            else:
                berry = True
                m = re.match(r"(\d+)", version)
                major = int(m.group(1)) if m else (4 if version in ("stable", "berry", "latest") else None)
        if not berry:
            return ("classic", None, None)
        if global_cache is None and major is not None:
            global_cache = major >= 4
        return ("berry", major, global_cache)

    def _yarn(self, run: Run, cmd: Command) -> Use | None:
        p = _parse(cmd, "yarn", _YARN_SUBS)
        if p is None:
            return None
        use = Use(cmd, f"yarn {p.sub_tokens[0].text}" if p.sub_tokens else "yarn")
        if run.who is None:
            return use
        flavor = self._yarn_flavor(run)
        if flavor[0] == "unknown":
            return use
        if flavor[0] == "classic":
            option = option_path(run, cmd, ["--cache-folder"])
            opt = option.path
            if opt is UNKNOWN:
                return use
            if opt is None:
                env = run.env_dir("YARN_CACHE_FOLDER", cmd)
                if env is UNKNOWN:
                    return use
                if env is None:
                    if _rc_sets(run, (".yarnrc", ".npmrc"), ("cache-folder", "yarn-offline-mirror")):
                        return use
                    xdg = run.env_dir("XDG_CACHE_HOME", cmd)
                    if xdg is UNKNOWN:
                        return use
                    if xdg is not None:
                        env = posixpath.join(xdg, "yarn")
                    elif run.who.root:
                        env = "/usr/local/share/.cache/yarn"
                    else:
                        home = run.home(cmd)
                        if home is None:
                            return use
                        env = posixpath.join(home, ".cache/yarn")
                opt = env
            assert isinstance(opt, str)
            return use.known([run.mount(opt)], option_args=option.args)
        # berry
        _kind, _major, global_cache = flavor
        if global_cache is None:
            return use
        if (
            run.lookup("YARN_CACHE_FOLDER", cmd) is not None
            or run.lookup("YARN_ENABLE_GLOBAL_CACHE", cmd) is not None
        ):
            return use
        folder = run.env_dir("YARN_GLOBAL_FOLDER", cmd)
        if folder is UNKNOWN:
            return use
        if folder is None:
            xdg = run.env_dir("XDG_DATA_HOME", cmd)
            if xdg is UNKNOWN:
                return use
            if xdg is not None:
                folder = posixpath.join(xdg, "yarn/berry")
            else:
                home = run.home(cmd)
                if home is None:
                    return use
                folder = posixpath.join(home, ".yarn/berry")
        assert isinstance(folder, str)
        return use.known([run.mount(posixpath.join(folder, "cache"))])

    # -- pnpm ----------------------------------------------------------------
    def _pnpm(self, run: Run, cmd: Command) -> Use | None:
        p = _parse(cmd, "pnpm", _PNPM_SUBS)
        if p is None:
            return None
        use = Use(cmd, f"pnpm {p.sub_tokens[0].text}")
        option = option_path(run, cmd, ["--store-dir"])
        opt = option.path
        if opt is UNKNOWN:
            return use
        if opt is None:
            env = _npm_env(run, cmd, "store_dir")
            if env is None:
                env = _npm_env(run, cmd, "store-dir")
            if env is UNKNOWN:
                return use
            if isinstance(env, str):
                return use  # relative / `~` forms resolved by pnpm itself
            if _rc_sets(run, (".npmrc",), ("store-dir",)):
                return use
            home_dir = run.env_dir("PNPM_HOME", cmd)
            if home_dir is UNKNOWN:
                return use
            if home_dir is None:
                data = run.xdg("XDG_DATA_HOME", ".local/share", cmd)
                if data is None:
                    return use
                home_dir = posixpath.join(data, "pnpm")
            opt = posixpath.join(home_dir, "store")
        if run.who is None or not isinstance(opt, str):
            return use
        return use.known([run.mount(opt)], option_args=option.args)

    # -- cleaners ---------------------------------------------------------------
    def _cleaners(self, run: Run, tools: set[str]) -> list[Fight]:
        out: list[Fight] = []
        flavor = self._yarn_flavor(run) if "yarn" in tools else None
        local_cache = flavor is not None and flavor[0] == "berry" and flavor[2] is False
        for cmd in run.script.commands:
            vals = [a.value for a in cmd.args]
            if (
                cmd.program == "npm"
                and "npm" in tools
                and vals[:1] == ["cache"]
                and len(vals) > 1
                and vals[1]
                in (
                    "clean",
                    "clear",
                    "rm",
                )
            ):
                out.append(CutCommand(cmd))
            elif cmd.program == "yarn" and "yarn" in tools and vals[:2] == ["cache", "clean"]:
                if local_cache and not any(v in ("--mirror", "--all") for v in vals):
                    # yarn 2/3 without a global cache: this empties the project's .yarn/cache
                    continue
                out.append(CutCommand(cmd))
            elif cmd.program == "pnpm" and "pnpm" in tools and vals[:2] == ["store", "prune"]:
                out.append(CutCommand(cmd))
        return out
