"""DF220 (lockfile first): what maven, gradle installs read.

Commands are read with :mod:`dockfix.tools.jvm`'s grammars; the goals and
tasks that only resolve dependencies, the manifests and folders are its
own.  Shared helpers: :mod:`._lockfile`, the generic analyser:
:mod:`._lockfile_recipe`.
"""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import Env, Install, Project, missing, need, optional, optional_dir
from ._lockfile_recipe import Recipe

_MVN_GOAL = re.compile(tools.jvm.MAVEN_RESOLVE_GOALS)


def _resolves_only(p: tools.Parsed) -> bool:
    """Maven goals / Gradle tasks that only resolve dependencies."""
    names = p.operand_values
    if p.tool == "mvn":
        return bool(names) and all(g and _MVN_GOAL.match(g) for g in names)
    return bool(names) and all(t in tools.jvm.GRADLE_RESOLVE_TASKS for t in names)


def _maven_check(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
    for value in p.values("--settings", "--global-settings", "--toolchains"):
        if value and not value.startswith("/") and not need(inst, project, value):
            return
    if tools.jvm.wrapper(p) and not need(inst, project, "mvnw"):
        return
    pom = project.read("pom.xml") or ""
    if re.search(r"<modules>\s*<module>", pom):
        inst.fail("pom.xml has modules, whose pom.xml files are needed too")
    elif re.search(r"<relativePath>\s*[^<\s]", pom):
        inst.fail("pom.xml has a parent found by relativePath in the sources")


def _gradle_files(inst: Install, project: Project, p: tools.Parsed, spec: tools.Install) -> bool:
    """Every build script present (Groovy and Kotlin), the settings, the
    lock file and properties, the wrapper."""
    files = spec.files
    builds = [n for n in files.manifests if project.status(n) == "ok"]
    if not builds:
        inst.fail(missing(project, files.manifests[0]))
        return False
    inst.files.extend(project.path(n) for n in builds)
    optional(inst, project, *files.optional)
    if tools.jvm.wrapper(p) and not need(inst, project, "gradlew"):
        return False
    for folder in files.dirs:
        optional_dir(inst, project, folder)
    return True


def _gradle_check(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
    if project.has("buildSrc"):
        inst.fail("buildSrc holds build logic from the sources")
        return
    for name in ("settings.gradle", "settings.gradle.kts"):
        text = project.read(name) or ""
        if re.search(r"^\s*(include|includeBuild|includeFlat)\b", text, re.M):
            inst.fail(f"{name} includes other projects or builds, whose files are needed too")
            return
    for name in tools.INSTALLS["gradle"].files.manifests:
        text = (project.read(name) or "") if project.status(name) == "ok" else ""
        if re.search(r"\bapply\s*\(?\s*from\b|\bfiles?\s*\(|\bfileTree\s*\(", text):
            inst.fail(f"{name} reads other files of the sources")
            return


RECIPES = (
    Recipe(
        "java",
        tools.INSTALLS["mvn"],
        "it names another project file or modules",
        matches=_resolves_only,
        check=_maven_check,
    ),
    Recipe(
        "java",
        tools.INSTALLS["gradle"],
        "it names other files of the sources or writes lock files",
        "the project cache gradle writes",
        matches=_resolves_only,
        refuse=tools.jvm.GRADLE_WRITES_LOCKS,
        files=_gradle_files,
        check=_gradle_check,
    ),
)
