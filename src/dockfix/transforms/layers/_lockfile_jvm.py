"""DF220 (lockfile first): what maven, gradle installs read.  Shared helpers: :mod:`._lockfile`."""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import (
    Env,
    Install,
    _missing,
    deps_project,
    forbid,
    need,
    optional,
    optional_dir,
    short,
)

# -- Java -----------------------------------------------------------------------

_MVN_GOAL = re.compile(tools.jvm.MAVEN_RESOLVE_GOALS)


def analyse_maven(cmd: Command, env: Env) -> Install | None:
    p = tools.parse(cmd, tool="mvn")
    if p is None:
        return None
    goals = p.operand_values
    if not goals or not all(g and _MVN_GOAL.match(g) for g in goals):
        return None
    inst = Install("java", short(cmd, env.script), tool="mvn")
    if p.expands:
        return inst.fail("an argument is a variable")
    if p.has(*tools.INSTALLS["mvn"].other_project):
        return inst.fail("it names another project file or modules")
    project = deps_project(inst, env, "pom.xml")
    if project is None:
        return inst
    for value in p.values("--settings", "--global-settings", "--toolchains"):
        if value and not value.startswith("/"):
            if not need(inst, project, value):
                return inst
    if tools.jvm.wrapper(p):
        if not need(inst, project, "mvnw"):
            return inst
    optional_dir(inst, project, ".mvn")
    pom = project.read("pom.xml") or ""
    if re.search(r"<modules>\s*<module>", pom):
        return inst.fail("pom.xml has modules, whose pom.xml files are needed too")
    if re.search(r"<relativePath>\s*[^<\s]", pom):
        return inst.fail("pom.xml has a parent found by relativePath in the sources")
    return inst


def analyse_gradle(cmd: Command, env: Env) -> Install | None:
    p = tools.parse(cmd, tool="gradle")
    if p is None:
        return None
    tasks = p.operand_values
    if not tasks or not all(t in tools.jvm.GRADLE_RESOLVE_TASKS for t in tasks):
        return None
    inst = Install("java", short(cmd, env.script), tool="gradle")
    if p.expands:
        return inst.fail("an argument is a variable")
    if p.has(
        *tools.INSTALLS["gradle"].other_project,
        "--write-locks",
        "--update-locks",
        "--write-verification-metadata",
    ):
        return inst.fail("it names other files of the sources or writes lock files")
    project = deps_project(inst, env)
    if project is None:
        return inst
    builds = [n for n in ("build.gradle", "build.gradle.kts") if project.status(n) == "ok"]
    if not builds:
        return inst.fail(_missing(project, "build.gradle"))
    inst.files.extend(project.path(n) for n in builds)
    optional(inst, project, "settings.gradle", "settings.gradle.kts", "gradle.properties")
    if tools.jvm.wrapper(p) and not need(inst, project, "gradlew"):
        return inst
    optional_dir(inst, project, "gradle")
    if project.has("buildSrc"):
        return inst.fail("buildSrc holds build logic from the sources")
    for name in ("settings.gradle", "settings.gradle.kts"):
        text = project.read(name) or ""
        if re.search(r"^\s*(include|includeBuild|includeFlat)\b", text, re.M):
            return inst.fail(f"{name} includes other projects or builds, whose files are needed too")
    for name in builds:
        text = project.read(name) or ""
        if re.search(r"\bapply\s*\(?\s*from\b|\bfiles?\s*\(|\bfileTree\s*\(", text):
            return inst.fail(f"{name} reads other files of the sources")
    forbid(inst, project, ".gradle", why="the project cache gradle writes")
    return inst
