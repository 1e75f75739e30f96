"""The Node side of a stage split: install and build in the builder, drop
the devDependencies there (``npm prune --omit=dev``, ``pnpm prune
--prod``, yarn 1's ``install --production``), and run the app folder on
``node:<v>-slim`` (or the same Alpine image)."""

from __future__ import annotations

import json
import posixpath
import re

from ... import tools
from ...rules import Context
from ...runtimes import Refusal, runtime_base
from ...shell import Command
from ._ecosystems import IMAGES
from ._split import (
    Analysis,
    Artifacts,
    Ecosystem,
    command_words,
    container_command,
    copied_paths,
    is_manifest,
)

#: programs that serve a development build (they need devDependencies and rebuild at start)
_DEV_SERVERS = frozenset(
    [
        "nodemon",
        "ts-node",
        "ts-node-dev",
        "tsx",
        "vite",
        "webpack-dev-server",
        "ng",
        "react-scripts",
        "vue-cli-service",
        "nuxi",
    ]
)
_DEV_SUBCOMMANDS = {"next": "dev", "nuxt": "dev", "astro": "dev", "remix": "dev", "gatsby": "develop"}
#: what may stand before the command: an init, its `--`, the node image's entrypoint
_WRAPPERS = frozenset({"tini", "dumb-init", "--", "docker-entrypoint.sh"})
_SCRIPT_RUNNERS = {"npm": ("run", "run-script", "start"), "yarn": (), "pnpm": ("run", "start")}


class Node(Ecosystem):
    name = "node"
    images = IMAGES["node"]
    build_tools = ("python3", "python", "python-is-python3")  # node-gyp's

    def builds(self, ctx: Context, p: tools.Parsed) -> bool:
        if p.tool == "npm":
            return p.is_sub("install", "ci", "run-script", "rebuild", "prune")
        return p.tool in ("yarn", "pnpm", "npx") and not p.is_sub("start")

    def builds_command(self, cmd: Command) -> bool:
        return cmd.program == "corepack"

    def runtime_needs_tools(self, words: list[str]) -> str | None:
        for i, w in enumerate(words):
            base = posixpath.basename(w)
            if base in _DEV_SERVERS:
                return f"`{base}` serves a development build"
            if _DEV_SUBCOMMANDS.get(base) in words[i + 1 : i + 2]:
                return f"`{base} {words[i + 1]}` serves a development build"
            if base in ("npm", "yarn", "pnpm") and words[i + 1 : i + 2] in (["install"], ["ci"], ["i"]):
                return f"`{base} {words[i + 1]}` at start"
        return None

    # -- the package manager, and what the container runs ---------------------------

    def _package_json(self, ctx: Context) -> dict | None:
        bc = ctx.build_context
        text = bc.read_text("package.json") if bc is not None else None
        try:
            data = json.loads(text) if text else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _manager(self, ctx: Context, an: Analysis) -> str | Refusal:
        found: set[str] = set()
        for ins in an.builds:
            for cmd in ctx.model.script(ins).commands:  # type: ignore[union-attr]
                p = tools.parse(cmd, unwrap=True)
                if p is None or p.tool not in ("npm", "yarn", "pnpm"):
                    continue
                if p.has("--global") or p.value("--prefix") is not None:
                    return Refusal(f"`{p.label}` (line {ins.start_line}) installs outside the app folder")
                if p.is_sub("install", "ci"):
                    found.add(p.tool)
        if len(found) != 1:
            return Refusal("the dependencies are not installed by one of npm, yarn or pnpm")
        return found.pop()

    def _prune(self, ctx: Context, an: Analysis, manager: str) -> str | Refusal:
        if manager == "pnpm":
            return "RUN pnpm prune --prod"
        if manager == "yarn":
            bc = ctx.build_context
            files = (
                (bc.read_text(".yarnrc.yml"), bc.read_text("package.json"))
                if bc is not None
                else (None, None)
            )
            if tools.node.project_yarn(*files).kind != "classic":
                return Refusal("Yarn 2+ needs a plugin to install production dependencies only")
            return "RUN yarn install --production --frozen-lockfile --ignore-scripts --prefer-offline"
        tag = an.ref.tag if isinstance(an.ref.tag, str) else ""
        m = re.match(r"(\d+)", tag)
        old = m is not None and int(m.group(1)) < 15  # npm 6: no --omit
        return "RUN npm prune --production" if old else "RUN npm prune --omit=dev"

    def _start_words(self, ctx: Context, an: Analysis) -> list[str] | Refusal:
        """What the container runs, with `npm start`/`yarn build` resolved
        to the package.json script."""
        ep, cmd = container_command(an)
        words = [*(command_words(ep) or [] if ep else []), *(command_words(cmd) or [] if cmd else [])]
        while words and posixpath.basename(words[0]) in _WRAPPERS:
            words = words[1:]  # an init or the image's entrypoint runs the command
        if not words:
            return Refusal("the container command is not one plain command")
        runner = posixpath.basename(words[0])
        if runner in _SCRIPT_RUNNERS:
            rest = words[1:]
            if rest[:1] and rest[0] in _SCRIPT_RUNNERS[runner]:
                rest = rest[1:] if rest[0] != "start" else ["start"]
            script = rest[0] if rest else "start"
            pkg = self._package_json(ctx)
            if pkg is None:
                return Refusal("no package.json in the build context: what `npm start` runs is not known")
            body = (pkg.get("scripts") or {}).get(script)
            if body is None and script == "start":
                body = "node server.js"  # npm's default
            if not isinstance(body, str):
                return Refusal(f"package.json has no `{script}` script")
            dev = set((pkg.get("devDependencies") or {}).keys())
            words = body.split()
            if words and words[0] in dev:
                return Refusal(f"the `{script}` script runs `{words[0]}`, a devDependency")
        why = self.runtime_needs_tools(words)
        return Refusal(f"the container needs the build tools: {why}") if why else words

    def artifacts(self, ctx: Context, an: Analysis) -> Artifacts | Refusal:
        manager = self._manager(ctx, an)
        if isinstance(manager, Refusal):
            return manager
        start = self._start_words(ctx, an)
        if isinstance(start, Refusal):
            return start
        prune = self._prune(ctx, an, manager)
        if isinstance(prune, Refusal):
            return prune
        wd = ctx.model.after(an.last_build).workdir.path
        if not isinstance(wd, str) or wd == "/":
            return Refusal("the app folder (WORKDIR) is not known")
        paths = copied_paths(ctx, an, lambda src: not is_manifest(src))
        if isinstance(paths, Refusal):
            return paths
        if "/" in paths:
            return Refusal("the sources are copied to `/`: the runtime would need the builder's whole tree")
        copies = [(wd, wd)] + [(p, p) for p in paths if not p.startswith(wd.rstrip("/") + "/") and p != wd]
        base = runtime_base(an.ref)
        if isinstance(base, Refusal):
            return base
        return Artifacts(base=base, copies=copies, builder_tail=[prune], always_pays=True)
