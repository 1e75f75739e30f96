"""yarn and npm leave their package caches in the image layer."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ...rules import Context, Rule, Safety
from ...shell import Script, script_of
from ...shell_edits import append_edit
from ._pkgcache import (
    Invocation,
    RunSite,
    State,
    covers,
    hadolint_clean_fires,
    invocations,
    reaches_final_image,
    rm_covers,
    rm_paths,
    run_sites,
    subcommand,
)

_YARN_LONG_VAL = frozenset(
    {
        "--cwd",
        "--cache-folder",
        "--modules-folder",
        "--mutex",
        "--network-concurrency",
        "--network-timeout",
        "--registry",
        "--global-folder",
        "--link-folder",
        "--preferred-cache-folder",
        "--otp",
        "--use-yarnrc",
    }
)
_YARN_BERRY_FLAGS = (
    "--immutable",
    "--immutable-cache",
    "--check-cache",
    "--inline-builds",
    "--mode",
    "--refresh-lockfile",
)
_NPM_LONG_VAL = frozenset(
    {
        "--prefix",
        "--cache",
        "--registry",
        "--userconfig",
        "--globalconfig",
        "--loglevel",
        "--workspace",
        "--omit",
        "--include",
    }
)
_NPM_INSTALL = frozenset(
    {
        "install",
        "i",
        "in",
        "ins",
        "inst",
        "insta",
        "instal",
        "isnt",
        "isnta",
        "isntal",
        "isntall",
        "add",
        "ci",
        "clean-install",
        "ic",
        "install-clean",
        "isntall-clean",
        "update",
        "up",
        "upgrade",
        "udpate",
        "install-test",
        "it",
        "install-ci-test",
        "cit",
    }
)
_YARN_ROOT_CACHE = "/usr/local/share/.cache/yarn"


def yarn_install(inv: Invocation) -> bool:
    """`yarn`, `yarn install`, `yarn add …`, `yarn global add …`."""
    if inv.program != "yarn":
        return False
    args = inv.args
    if any(a.value is None for a in args[:1]):
        return False
    k = subcommand(args, "", _YARN_LONG_VAL)
    if k is None:
        # only options (or nothing): `yarn --frozen-lockfile` installs
        if any(a.value is None for a in args):
            return False
        return not any(a.value in ("-v", "--version", "-h", "--help") for a in args)
    first = args[k].value
    if first in ("install", "add"):
        return True
    if first == "global":
        rest = [a.value for a in args[k + 1 :] if not (a.value or "-").startswith("-")]
        return bool(rest) and rest[0] == "add"
    return False


def npm_install(inv: Invocation) -> bool:
    if inv.program != "npm":
        return False
    k = subcommand(inv.args, "Cw", _NPM_LONG_VAL)
    return k is not None and inv.args[k].value in _NPM_INSTALL


def _operands(inv: Invocation) -> list[str | None]:
    return [a.value for a in inv.operands()]


def yarn_cache_clean(inv: Invocation) -> bool:
    ops = _operands(inv)
    return inv.program == "yarn" and ops[:2] == ["cache", "clean"]


def npm_cache_clean(inv: Invocation) -> bool:
    ops = _operands(inv)
    return inv.program == "npm" and len(ops) >= 2 and ops[0] == "cache" and ops[1] in ("clean", "clear", "rm")


def yarn_cache_dir(state: State) -> str | None:
    folder = state.get("YARN_CACHE_FOLDER", "")
    if folder or folder is None:
        return folder
    xdg = state.get("XDG_CACHE_HOME", "")
    if xdg or xdg is None:  # yarn 1 looks at XDG_CACHE_HOME first, root or not
        return f"{xdg}/yarn" if xdg else None
    if state.user == "root":
        return _YARN_ROOT_CACHE
    home = state.home
    return f"{home}/.cache/yarn" if home else None


def npm_cache_dir(state: State) -> str | None:
    for name in ("npm_config_cache", "NPM_CONFIG_CACHE"):
        v = state.get(name, "")
        if v or v is None:
            return v
    home = state.home
    return f"{home}/.npm" if home else None


_CACHE_OPTION = {"npm": "--cache", "yarn": "--cache-folder"}


def _cache_option(inv: Invocation, state: State) -> tuple[bool, str | None]:
    """Does the install name its cache folder with an option (npm
    `--cache`, yarn `--cache-folder`)?  (given, the folder — None when it
    cannot be told)."""
    name = _CACHE_OPTION[inv.program or ""]
    args = inv.args
    for i, a in enumerate(args):
        if a.value == "--":
            break
        if a.value == name:
            raw = args[i + 1].text if i + 1 < len(args) else ""
        elif (a.value or a.text).startswith(name + "="):
            raw = a.text.partition("=")[2]
        else:
            continue
        path = state.expand(raw) if raw else None
        return True, (path if path and path.startswith("/") else None)
    return False, None


def _mount_covers(targets: list[str], cache_dir: str | None, suffixes: tuple[str, ...]) -> bool:
    if not targets:
        return False
    if cache_dir:
        return covers(targets, cache_dir)
    return any(t.rstrip("/").endswith(s) for t in targets for s in suffixes)


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
        ops = _operands(inv)
        if inv.program == "corepack":
            return True
        if inv.program == "yarn":
            if ops[:2] == ["set", "version"] and not (
                len(ops) > 2 and (ops[2] or "").startswith(("classic", "1"))
            ):
                return True
            if ops[:2] == ["policies", "set-version"] and not (
                len(ops) > 2 and (ops[2] or "").startswith(("classic", "1"))
            ):
                return True
            if any((a.value or "").split("=", 1)[0] in _YARN_BERRY_FLAGS for a in inv.args):
                return True
    return False


def _describe(inv: Invocation) -> str:
    if inv.program == "npm":
        k = subcommand(inv.args, "Cw", _NPM_LONG_VAL)
    else:
        k = subcommand(inv.args, "", _YARN_LONG_VAL)
    sub = inv.args[k].value if k is not None else "install"
    return f"{inv.program} {sub}"


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
    name = "yarn-npm-cache-clean"
    summary = "`yarn install` / `npm ci` → clean the package cache in the same RUN"
    safety = Safety.SAFE
    covers = ("DL3060",)

    def check(self, ctx: Context):
        berry_ctx = None
        for site in run_sites(ctx.tree):
            invs = list(invocations(site.script))
            # what hadolint DL3060 sees: `yarn … install …` before any `yarn cache`/`clean`
            hadolint_yarn = reaches_final_image(ctx.tree, site.stage) and hadolint_clean_fires(
                site.script, frozenset({"yarn"}), frozenset({"install"}), frozenset({"cache", "clean"}), False
            )
            for tool in ("yarn", "npm"):
                is_install = yarn_install if tool == "yarn" else npm_install
                is_clean = yarn_cache_clean if tool == "yarn" else npm_cache_clean
                installs = [(i, inv) for i, inv in invs if is_install(inv)]
                if not installs:
                    continue
                last_i, last = installs[-1]
                state = site.state_for(last)
                cache_dir = yarn_cache_dir(state) if tool == "yarn" else npm_cache_dir(state)
                moved, option_dir = _cache_option(last, state)
                if moved:
                    cache_dir = option_dir
                cleaned = None
                for i, inv in invs:
                    if i <= last_i:
                        continue
                    if is_clean(inv):
                        cleaned = "clean"
                    elif inv.program == "rm":
                        paths = rm_paths(inv.cmd, state)
                        if rm_covers(paths, cache_dir) or (tool == "yarn" and "$(yarn cache dir)" in paths):
                            cleaned = cleaned or "rm"
                span = site.span(last.cmd)
                quiet = tool == "npm" or not hadolint_yarn
                if cleaned:
                    if not quiet:
                        why = (
                            "it only compares the first `yarn cache clean` with the first `yarn install`"
                            if cleaned == "clean"
                            else "it only accepts `yarn cache clean`"
                        )
                        yield ctx.finding(
                            span,
                            f"yarn's cache is already removed after the last install; nothing to fix "
                            f"(hadolint DL3060 still reports it: {why})",
                        )
                    continue
                suffixes = ("/.cache/yarn", "/share/.cache/yarn") if tool == "yarn" else ("/.npm",)
                if _mount_covers(site.cache_targets(), cache_dir, suffixes):
                    if not quiet:
                        yield ctx.finding(
                            span,
                            "yarn's cache is in a cache mount, not in the image; nothing to fix "
                            "(hadolint DL3060 does not know cache mounts)",
                        )
                    continue
                command = "yarn cache clean" if tool == "yarn" else "npm cache clean --force"
                what = _describe(last)
                if tool == "yarn":
                    if berry_ctx is None:
                        berry_ctx = _berry_context(ctx)
                    if (
                        berry_ctx
                        or _berry_script(site.script, last.cmd.index)
                        or self._berry_stage(ctx, site)
                    ):
                        yield ctx.finding(
                            span,
                            "`yarn install` leaves yarn's cache in the layer (not fixed: with Yarn 2+ "
                            "Plug'n'Play loads packages from the cache; use a cache mount)",
                        )
                        continue
                edit = append_edit(
                    site.ins, site.script, command, ctx.tree, ctx.facts(site.ins).shell.errexit
                )
                if not site.posix or edit is None:
                    if tool == "npm" and not site.posix:
                        continue
                    why = (
                        "the RUN's shell is not a POSIX shell"
                        if not site.posix
                        else "nothing can run after the end of this RUN"
                    )
                    yield ctx.finding(span, f"`{command}` missing after `{what}` (not fixed: {why})")
                    continue
                if moved:
                    # `npm cache clean` / `yarn cache clean` would empty the default cache, not this one
                    yield ctx.finding(
                        span,
                        f"`{command}` missing after `{what}` (not fixed: `{_CACHE_OPTION[tool]}` "
                        f"puts the cache where `{command}` does not look)",
                    )
                    continue
                yield ctx.finding(
                    span,
                    f"`{command}` missing after `{what}`: the package cache stays in the layer",
                    [edit],
                )

    @staticmethod
    def _berry_stage(ctx: Context, site: RunSite) -> bool:
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
                if (
                    script is not None
                    and not script.has_error
                    and _berry_script(script, len(script.commands))
                ):
                    return True
        return False
