"""DF220 (lockfile first): what go, cargo installs read.  Shared helpers: :mod:`._lockfile`."""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import (
    OUTSIDE,
    UNKNOWN,
    Env,
    Install,
    deps_project,
    optional,
    project_for,
    short,
)

# -- Go, Rust -------------------------------------------------------------------


def analyse_go(cmd: Command, env: Env) -> Install | None:
    spec = tools.INSTALLS["go"]
    p = tools.parse(cmd, tool="go")
    if p is None or not p.is_sub(*spec.subcommands):
        return None
    inst = Install("go", short(cmd, env.script), tool="go")
    if p.expands:
        return inst.fail("an argument is a variable")
    if p.has(*spec.other_project):
        return inst.fail("it reads another file of the sources")
    project = deps_project(inst, env, spec.files.manifests[0])
    if project is None:
        return inst
    optional(inst, project, *spec.files.optional)
    if any(project.has(name) for name in spec.files.refuses):
        return inst.fail("go.work makes it a workspace, whose modules need their own files")
    gomod = project.read("go.mod") or ""
    for m in re.finditer(r"=>\s*(\S+)", gomod):
        target = m.group(1)
        if target.startswith((".", "/")):
            return inst.fail(
                f"go.mod replaces a module with the local path {target}, which needs the sources"
            )
    return inst


def analyse_cargo(cmd: Command, env: Env) -> Install | None:
    p = tools.parse(cmd, tool="cargo")
    if p is None:
        return None
    if env.probe:
        # Before the whole-source COPY, any cargo build, fetch or
        # `cargo chef cook` can only have compiled the dependencies.
        if p.is_sub(*tools.INSTALLS["cargo"].subcommands, "chef cook"):
            return Install("rust", short(cmd, env.script), tool="cargo", deps_only=True)
        return None
    if p.is_sub("install"):
        if not p.has("--path"):
            return None
    elif not p.is_sub(*tools.INSTALLS["cargo"].subcommands):
        return None
    sub = p.sub
    inst = Install(
        "rust", short(cmd, env.script), tool="cargo", deps_only=sub == "fetch", project=sub != "fetch"
    )
    project_for(env, inst)
    if inst.reason in (OUTSIDE, UNKNOWN):
        return inst
    inst.reason = None
    return inst.fail(
        "cargo needs the crate's targets to fetch or build dependencies, and stub targets depend on the crate "
        "layout; use cargo-chef, or copy Cargo.toml and Cargo.lock with stub targets first"
    )
