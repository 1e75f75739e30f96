"""yarn and npm leave their package caches in the image layer."""

from __future__ import annotations

import json
import re
from pathlib import Path

from msgspec import Struct

from ... import tools
from ...rules import Context, Finding, Rule, Safety
from ...shell import Script, script_of
from ...tools import node
from ._pkgcache import (
    Invocation,
    RunSite,
    cache_removed,
    covers,
    hadolint_clean_fires,
    hadolint_note,
    invocations,
    reaches_final_image,
    run_sites,
)

#: the yarn installs DF111 handles (those hadolint DL3060 checks); for npm,
#: every command that fills its cache (``tools.node.fills_cache``).
_YARN_INSTALLS = ("install", "add", "global add")
_CLEAN = {"yarn": "yarn cache clean", "npm": "npm cache clean --force"}
_CACHE = {"yarn": node.YARN_CLASSIC_CACHE, "npm": node.NPM_CACHE}
_HADOLINT_WHY = {
    "clean": "it only compares the first `yarn cache clean` with the first `yarn install`",
    "rm": "it only accepts `yarn cache clean`",
    "mount": None,
}


class _Node(Struct):
    """A yarn or npm command of a RUN: its index among the commands, what
    it runs, and how the tool reads it."""

    index: int
    inv: Invocation
    p: tools.Parsed

    def installs(self, tool: str) -> bool:
        """An install DF111 fixes, of a program called by the tool's name
        (the clean command names it: not ``yarnpkg``, ``corepack yarn``)."""
        p = self.p
        if p.tool != tool or p.program != tool:
            return False
        return p.is_sub(*_YARN_INSTALLS) if tool == "yarn" else node.fills_cache(p)

    @property
    def label(self) -> str:
        """``npm ci``, ``yarn install`` for a bare ``yarn``."""
        return f"{self.p.program} {self.p.sub}" if self.p.implicit else self.p.written

    def cache_option(self, tool: str) -> tools.Option | None:
        """``npm --cache DIR`` / ``yarn --cache-folder DIR``."""
        sources = _CACHE[tool].sources
        return self.p.option(*(n for s in sources if isinstance(s, tools.FromOption) for n in s.names))


def _node_commands(script: Script) -> list[_Node]:
    out = []
    for i, inv in invocations(script):
        p = tools.parse(inv.cmd, unwrap=True)
        if p is not None and p.tool in _CLEAN:
            out.append(_Node(i, inv, p))
    return out


def _mount_covers(targets: list[str], cache_dir: str | None, tool: str) -> bool:
    """Does a cache mount hold the cache (when its folder cannot be told:
    any mount at ``…/.npm``, ``…/.cache/yarn``)?"""
    if not targets:
        return False
    if cache_dir:
        return covers(targets, cache_dir)
    suffixes = ["/" + s.sub for s in _CACHE[tool].sources if isinstance(s, tools.FromHome)]
    return any(t.rstrip("/").endswith(x) for t in targets for x in suffixes)


def _hadolint_reports(site: RunSite) -> bool:
    """Does hadolint DL3060 report the RUN: a `yarn … install …` before any
    `yarn cache`/`clean`, in a stage it looks at?"""
    return reaches_final_image(site.model.tree, site.stage) and hadolint_clean_fires(
        site.script, frozenset({"yarn"}), frozenset({"install"}), frozenset({"cache", "clean"}), False
    )


def _context_dir(ctx: Context) -> Path | None:
    """The build context's folder (as DF212 reads it: `--context` or the
    compose file's, when given), else the Dockerfile's."""
    if ctx.build_context is not None:
        return ctx.build_context.root
    try:
        p = Path(ctx.path)
        return p.parent if p.is_file() else None
    except (OSError, ValueError):
        return None


def _berry_context(ctx: Context) -> bool:
    """Does the build context say Yarn 2+ (a `.yarnrc.yml`, `.yarn/releases`,
    or `"packageManager": "yarn@2…"` in package.json)?"""
    d = _context_dir(ctx)
    if d is None:
        return False
    if (d / ".yarnrc.yml").exists() or (d / ".yarn" / "releases").is_dir():
        return True
    pkg = d / "package.json"
    if pkg.is_file():
        try:
            data = json.loads(pkg.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        pm = data.get("packageManager") if isinstance(data, dict) else None
        if isinstance(pm, str):
            m = re.match(r"yarn@(\d+)", pm)
            return bool(m and int(m.group(1)) >= 2)
    return False


def _berry_script(script: Script, upto: int) -> bool:
    """Commands that switch to Yarn 2+ or only exist there."""
    for _, inv in invocations(script):
        if inv.cmd.index > upto:
            break
        if inv.program == "corepack":
            return True
        p = tools.parse(inv.cmd, unwrap=True, tool="yarn")
        if p is None:
            continue
        version = node.yarn_version_set(p)
        if (version is not None and node.is_berry_version(version)) or p.has(*node.YARN_BERRY_OPTIONS):
            return True
    return False


def _berry_stage(site: RunSite) -> bool:
    """An earlier RUN of the stage (or of a stage it builds on) that
    switches to Yarn 2+."""
    if site.stage is None:
        return False
    for info in reversed(site.model.stages[site.stage.index].chain):
        for ins in info.stage.instructions:
            if ins is site.outer:
                break
            if ins.keyword != "RUN":
                continue
            script = script_of(ins)
            if script is not None and not script.has_error and _berry_script(script, len(script.commands)):
                return True
    return False


class YarnNpmCacheClean(Rule):
    """
    ## What it does
    After the last `yarn install` (also bare `yarn`, `yarn add`, `yarn
    global add`) of a RUN, appends `yarn cache clean` to that RUN; after the
    last `npm install` / `npm ci` (and their aliases, `npm update`), appends
    `npm cache clean --force`. Nothing is added when the cache is already
    cleaned after the last install (`yarn cache clean`, `npm cache clean`,
    or an `rm` of the cache directory), or when a BuildKit cache mount holds
    the cache (`/usr/local/share/.cache/yarn` for root, `~/.cache/yarn`
    otherwise, `YARN_CACHE_FOLDER`; `~/.npm`, `npm_config_cache`). One rule
    for both tools: the problem and the fix are the same.

    ## Why
    yarn and npm keep a copy of every package tarball they download
    (`/usr/local/share/.cache/yarn`, `~/.npm/_cacache`). In an image it is
    dead weight — often as big as `node_modules` itself — in the layer of
    the RUN that installed the packages; removing it in a later RUN saves
    nothing.

    ## Example
    ```dockerfile
    RUN yarn install --frozen-lockfile
    RUN npm ci
    ```

    Use instead:
    ```dockerfile
    RUN yarn install --frozen-lockfile && yarn cache clean
    RUN npm ci && npm cache clean --force
    ```

    ## Fix safety
    Safe: the cache is only read again by a later install; installed
    packages are untouched, so the image behaves the same. The command is
    chained with `&&`, so it runs only when the RUN succeeded, and a failure
    still fails the build.
    Reported without a fix: Yarn 2+ ("Berry": a `.yarnrc.yml`,
    `.yarn/releases` or `"packageManager": "yarn@2…"` in the build context,
    `corepack`, `yarn set version`, or Berry-only flags such as
    `--immutable`) — with Plug'n'Play, packages are loaded at run time from
    the cache, so `yarn cache clean` could break the application; a RUN
    ending in `exit` or `exec` or a background `&` (nothing can run after
    it); a stage whose shell is not a POSIX shell; an install that moves
    the cache with `npm --cache` / `yarn --cache-folder` (the clean command
    would empty the default cache, not that one); and, for yarn, a RUN
    whose cache mount already holds yarn's cache (hadolint DL3060 does not
    know cache mounts: nothing reaches the image; `yarn cache clean` would
    empty the mount), or that is already clean but that hadolint still
    reports (it compares only the *first* `yarn cache clean` with the first
    `yarn install`, and does not accept an `rm` of the cache) — notes that
    explain every hadolint finding left.
    """

    code = "DF111"
    looks_at = ("RUN",)
    name = "yarn-npm-cache-clean"
    summary = "`yarn install` / `npm ci` → clean the package cache in the same RUN"
    safety = Safety.SAFE
    covers = ("DL3060",)

    def check(self, ctx: Context):
        berry: dict[str, bool] = {}  # the build context's answer, read once
        for site in run_sites(ctx.tree):
            cmds = _node_commands(site.script)
            for tool in ("yarn", "npm"):
                installs = [c for c in cmds if c.installs(tool)]
                if installs:
                    found = self._finding(ctx, site, tool, installs[-1], cmds, berry)
                    if found is not None:
                        yield found

    @staticmethod
    def _finding(
        ctx: Context, site: RunSite, tool: str, last: _Node, cmds: list[_Node], berry: dict[str, bool]
    ) -> Finding | None:
        """The finding for the last install of ``tool`` in the RUN."""
        span = site.span(last.inv.cmd)
        state = site.state_for(last.inv)
        cache_dir = tools.cache_dir(_CACHE[tool], state, last.p).path
        cleaned = any(c.index > last.index and c.p.tool == tool and node.is_cache_clean(c.p) for c in cmds)
        marker = "$(yarn cache dir)" if tool == "yarn" else ""
        done = cache_removed(site, last.index, cleaned, [cache_dir], state, marker)
        if done is None and _mount_covers(site.cache_targets(), cache_dir, tool):
            done = "mount"
        if done is not None:
            if tool == "yarn" and _hadolint_reports(site):  # it reports it all the same: say why
                return ctx.finding(span, hadolint_note("yarn's cache", "DL3060", _HADOLINT_WHY[done]))
            return None
        if tool == "yarn":
            if "context" not in berry:
                berry["context"] = _berry_context(ctx)
            if berry["context"] or _berry_script(site.script, last.inv.cmd.index) or _berry_stage(site):
                return ctx.finding(
                    span,
                    "`yarn install` leaves yarn's cache in the layer (not fixed: with Yarn 2+ "
                    "Plug'n'Play loads packages from the cache; use a cache mount)",
                )
        command = _CLEAN[tool]
        edit, why = site.append(command)
        moved = last.cache_option(tool)
        if edit is not None and moved is not None:
            # `npm cache clean` / `yarn cache clean` would empty the default cache, not this one
            edit, why = None, f"`{moved.key}` puts the cache where `{command}` does not look"
        if edit is None:
            if tool == "npm" and not site.posix:
                return None
            return ctx.finding(span, f"`{command}` missing after `{last.label}` (not fixed: {why})")
        return ctx.finding(
            span, f"`{command}` missing after `{last.label}`: the package cache stays in the layer", [edit]
        )
