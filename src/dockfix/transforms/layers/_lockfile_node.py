"""DF220 (lockfile first): what npm, yarn, pnpm, bun installs read.

Commands are read with :mod:`dockfix.tools.node`'s grammars; the manifests,
lock files and folders are its ``INSTALLS``.  Shared helpers:
:mod:`._lockfile`, the generic analyser: :mod:`._lockfile_recipe`.
"""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import Env, Install, Project, need, optional, sub_table
from ._lockfile_recipe import Recipe, default_files

_NODE_LOCAL_DEP = re.compile(r"^(file:|link:|portal:|workspace:|patch:|\.{1,2}/|/|~/)")
_DEPENDENCY_TABLES = (
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
    "overrides",
    "resolutions",
)


def _files(inst: Install, project: Project, p: tools.Parsed, spec: tools.Install) -> bool:
    """``pnpm fetch`` reads only the lock file (and nothing is checked
    after); the others read package.json and the lock files."""
    if p.tool == "pnpm" and p.sub == "fetch":
        fetch = tools.node.PNPM_FETCH_FILES
        if need(inst, project, fetch.manifests[0]):
            optional(inst, project, *fetch.optional)
        return False
    return default_files(inst, project, p, spec)


def _check(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
    pkg = project.json("package.json")
    if not isinstance(pkg, dict):
        inst.fail(f"{project.path('package.json')} could not be read as JSON")
        return
    if pkg.get("workspaces"):
        inst.fail("package.json declares workspaces, whose packages need their own files")
        return
    ws = project.read("pnpm-workspace.yaml")
    if ws is not None and re.search(r"^packages\s*:", ws, re.M):
        inst.fail("pnpm-workspace.yaml declares workspace packages, which need their own files")
        return
    scripts = sub_table(pkg, "scripts")
    lifecycle = [s for s in tools.node.LIFECYCLE_SCRIPTS if s in scripts]
    if lifecycle and not p.has("--ignore-scripts"):
        inst.project = True
        inst.fail(
            f"package.json has a `{lifecycle[0]}` script, which the install runs and may need the sources"
        )
        return
    for key in _DEPENDENCY_TABLES:
        deps = pkg.get(key)
        for name, spec in deps.items() if isinstance(deps, dict) else ():
            if isinstance(spec, str) and _NODE_LOCAL_DEP.match(spec):
                inst.fail(f"package.json installs {name} from `{spec}`, which needs the sources")
                return
    if "patchedDependencies" in pkg or "patchedDependencies" in (pkg.get("pnpm") or {}):
        inst.fail("package.json patches dependencies with files from the sources")


def _recipe(tool: str) -> Recipe:
    return Recipe(
        "node",
        tools.INSTALLS[tool],
        "it names another folder or workspaces",
        matches=lambda p: (
            p.is_sub(*tools.INSTALLS[tool].subcommands) and not p.has("-g", "--global", "--location")
        ),
        skip=lambda p: bool(p.operands),  # `npm install pkg` changes package.json: not a lockfile install
        files=_files,
        check=_check,
    )


RECIPES = tuple(_recipe(tool) for tool in ("npm", "yarn", "pnpm", "bun"))
