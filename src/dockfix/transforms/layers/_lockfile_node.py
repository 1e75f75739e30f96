"""DF220 (lockfile first): what npm, yarn, pnpm, bun installs read.  Shared helpers: :mod:`._lockfile`."""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import (
    Env,
    Install,
    _table,
    deps_project,
    forbid,
    need,
    optional,
    optional_dir,
    short,
)

# -- Node ---------------------------------------------------------------------

_NODE_LOCAL_DEP = re.compile(r"^(file:|link:|portal:|workspace:|patch:|\.{1,2}/|/|~/)")


def analyse_node(cmd: Command, env: Env) -> Install | None:
    p = tools.parse(cmd)
    if p is None or p.tool not in ("npm", "yarn", "pnpm", "bun"):
        return None
    tool, table = p.tool, tools.INSTALLS[p.tool]
    if not p.is_sub(*table.subcommands):
        return None
    if p.has("-g", "--global", "--location"):
        return None  # global tools by name
    inst = Install("node", short(cmd, env.script), tool=tool)
    if p.expands:
        return inst.fail("an argument is a variable")
    if p.operands:
        return None  # `npm install pkg` changes package.json: not a lockfile install
    if p.has(*table.other_project):
        return inst.fail("it names another folder or workspaces")
    fetch = tool == "pnpm" and p.sub == "fetch"
    project = deps_project(inst, env)
    if project is None:
        return inst
    if fetch:
        if not need(inst, project, tools.node.PNPM_FETCH_FILES.manifests[0]):
            return inst
        optional(inst, project, *tools.node.PNPM_FETCH_FILES.optional)
        return inst
    if not need(inst, project, table.files.manifests[0]):
        return inst
    optional(inst, project, *table.files.optional)
    pkg = project.json("package.json")
    if not isinstance(pkg, dict):
        return inst.fail(f"{project.path('package.json')} could not be read as JSON")
    if pkg.get("workspaces"):
        return inst.fail("package.json declares workspaces, whose packages need their own files")
    ws = project.read("pnpm-workspace.yaml")
    if ws is not None and re.search(r"^packages\s*:", ws, re.M):
        return inst.fail("pnpm-workspace.yaml declares workspace packages, which need their own files")
    scripts = _table(pkg, "scripts")
    ignore_scripts = p.has("--ignore-scripts")
    lifecycle = [s for s in tools.node.LIFECYCLE_SCRIPTS if s in scripts]
    if lifecycle and not ignore_scripts:
        inst.project = True
        return inst.fail(
            f"package.json has a `{lifecycle[0]}` script, which the install runs and may need the sources"
        )
    for key in (
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
        "overrides",
        "resolutions",
    ):
        deps = pkg.get(key)
        if isinstance(deps, dict):
            for name, spec in deps.items():
                if isinstance(spec, str) and _NODE_LOCAL_DEP.match(spec):
                    return inst.fail(f"package.json installs {name} from `{spec}`, which needs the sources")
    if "patchedDependencies" in pkg or "patchedDependencies" in (pkg.get("pnpm") or {}):
        return inst.fail("package.json patches dependencies with files from the sources")
    for folder in table.files.dirs:
        optional_dir(inst, project, folder)
    forbid(inst, project, *table.files.creates, why="what the install creates")
    return inst
