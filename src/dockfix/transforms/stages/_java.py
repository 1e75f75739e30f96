"""The Java side of a stage split: the jar ``java -jar`` runs, built by
Maven or Gradle (or ``javac``/``jar``), copied to the same path on the JRE
image of the same Java version (``eclipse-temurin:<major>-jre``)."""

from __future__ import annotations

import posixpath
import re

from ... import tools
from ...rules import Context
from ...runtimes import Refusal, runtime_base
from ...shell import Command
from ._ecosystems import IMAGES
from ._split import Analysis, Artifacts, Ecosystem, asset_paths, command_words, container_command

_SOURCE = re.compile(
    r"(\.java|\.kt|\.kts|\.groovy|(^|/)pom\.xml|(^|/)build\.gradle|(^|/)settings\.gradle|(^|/)gradle\.properties|"
    r"(^|/)(gradlew|mvnw)(\.cmd)?|(^|/)(gradle|\.mvn|src)(/.*)?)$"
)
#: commands of a jar build that no tool grammar reads
_BUILD_PROGRAMS = ("javac", "jar", "cp", "mv", "mkdir")


class Java(Ecosystem):
    name = "java"
    images = IMAGES["java"]

    def builds(self, ctx: Context, p: tools.Parsed) -> bool:
        return p.tool in ("mvn", "gradle")

    def builds_command(self, cmd: Command) -> bool:
        return cmd.program in _BUILD_PROGRAMS

    def runtime_needs_tools(self, words: list[str]) -> str | None:
        for w in words[:2]:
            base = posixpath.basename(w)
            if base in ("mvn", "mvnw", "gradle", "gradlew", "javac"):
                return f"`{base}` at start"
        return None

    def _jar(self, ctx: Context, an: Analysis) -> str | Refusal:
        ep, cmd = container_command(an)
        words = [*(command_words(ep) or [] if ep else []), *(command_words(cmd) or [] if cmd else [])]
        if not words or posixpath.basename(words[0]) != "java":
            return Refusal("the container command is not `java … -jar <file>`")
        if "-jar" not in words[:-1]:
            return Refusal("the container runs java without `-jar`: which files it needs is not known")
        jar = words[words.index("-jar") + 1]
        if not jar.endswith(".jar") or any(c in jar for c in "*?[$"):
            return Refusal(f"the jar `{jar}` is not one known file")
        wd = ctx.model.after(an.last_build).workdir.path
        if not jar.startswith("/") and not isinstance(wd, str):
            return Refusal("the working directory is not known")
        path = posixpath.normpath(posixpath.join(wd if isinstance(wd, str) else "/", jar))
        folders = [ctx.facts(i).workdir.path for i in an.builds]
        if not any(isinstance(f, str) and path.startswith(f.rstrip("/") + "/") for f in folders):
            return Refusal(f"`{jar}` is not in the folder the build runs in")
        return path

    def artifacts(self, ctx: Context, an: Analysis) -> Artifacts | Refusal:
        jar = self._jar(ctx, an)
        if isinstance(jar, Refusal):
            return jar
        assets = asset_paths(ctx, an, _SOURCE)
        if isinstance(assets, Refusal):
            return assets
        base = runtime_base(an.ref)
        if isinstance(base, Refusal):
            return base
        copies = [(p, p) for p in assets]
        if not any(jar.startswith(p.rstrip("/") + "/") for p in assets):
            copies.append((jar, jar))
        return Artifacts(base=base, copies=copies)
