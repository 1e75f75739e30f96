"""DF220 (lockfile first): what go, cargo installs read.

Commands are read with :mod:`dockfix.tools.go` and :mod:`dockfix.tools.cargo`;
the manifests and lock files are their ``INSTALLS``.  Shared helpers:
:mod:`._lockfile`, the generic analyser: :mod:`._lockfile_recipe`.
"""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import OUTSIDE, UNKNOWN, Env, Install, Project, project_for, short
from ._lockfile_recipe import Recipe


def _go_check(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
    workspace = next((name for name in tools.INSTALLS["go"].files.refuses if project.has(name)), None)
    if workspace is not None:
        inst.fail(f"{workspace} makes it a workspace, whose modules need their own files")
        return
    gomod = project.read("go.mod") or ""
    for m in re.finditer(r"=>\s*(\S+)", gomod):
        target = m.group(1)
        if target.startswith((".", "/")):
            inst.fail(f"go.mod replaces a module with the local path {target}, which needs the sources")
            return


GO = Recipe("go", tools.INSTALLS["go"], "it reads another file of the sources", check=_go_check)

_CARGO_WHY = (
    "cargo needs the crate's targets to fetch or build dependencies, and stub targets depend on the crate "
    "layout; use cargo-chef, or copy Cargo.toml and Cargo.lock with stub targets first"
)


def analyse_cargo(p: tools.Parsed, cmd: Command, env: Env) -> Install | None:
    """Cargo is report-only: fetching or building needs the crate's targets."""
    spec = tools.INSTALLS["cargo"]
    if p.tool != "cargo":
        return None
    if env.probe:
        # Before the whole-source COPY, any cargo build, fetch or
        # `cargo chef cook` can only have compiled the dependencies.
        if p.is_sub(*spec.subcommands, "chef cook"):
            return Install("rust", short(cmd, env.script), tool="cargo", deps_only=True)
        return None
    if p.is_sub("install"):
        if not p.has("--path"):
            return None
    elif not p.is_sub(*spec.subcommands):
        return None
    fetch = p.sub == "fetch"
    inst = Install("rust", short(cmd, env.script), tool="cargo", deps_only=fetch, project=not fetch)
    project_for(env, inst)
    if inst.reason in (OUTSIDE, UNKNOWN):
        return inst
    inst.reason = None
    return inst.fail(_CARGO_WHY)
