from __future__ import annotations

import posixpath

from ... import tools
from ...shell import Command
from ._cache import Run, norm
from ._cache_rule import CacheMountRule, Use, with_dirs

_MAVEN = tools.jvm.MAVEN.programs
_GRADLE = tools.jvm.GRADLE.programs


class JvmCacheMount(CacheMountRule):
    """
    ## What it does
    Adds a BuildKit cache mount for Maven's local repository
    (`~/.m2/repository`, or `-Dmaven.repo.local=…`) to RUNs that run `mvn`
    or `./mvnw`, and for Gradle's dependency cache (`~/.gradle/caches`, or
    `$GRADLE_USER_HOME/caches`, `--gradle-user-home`) — plus the wrapper's
    distributions (`~/.gradle/wrapper`) for `./gradlew` — to RUNs that run
    Gradle. `rm -rf` of these directories in the same RUN is removed.

    ## Why
    Without a cache mount, every rebuild of the layer downloads every
    dependency (and, for `./gradlew`, Gradle itself) again. No hadolint rule
    covers this.

    ## Example
    ```dockerfile
    FROM maven:3.9-eclipse-temurin-21
    WORKDIR /src
    COPY . .
    RUN mvn -B package -DskipTests
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM maven:3.9-eclipse-temurin-21
    WORKDIR /src
    COPY . .
    RUN --mount=type=cache,target=/root/.m2/repository mvn -B package -DskipTests
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer, and
    the build resolves the same artifacts with or without them cached, so
    the image is the same except that the downloaded dependencies are no
    longer in it. The mounts cover `~/.m2/repository` and
    `~/.gradle/caches` rather than all of `~/.m2` / `~/.gradle`: those hold
    configuration (`settings.xml`, `gradle.properties`, `init.d`) that a
    mount would hide. A RUN that builds offline (`-o`, `--offline`) gets no
    mount, nor does an earlier RUN whose downloads such a RUN, a later
    `COPY --from` of these directories, or `mvn`/`gradle` in
    `CMD`/`ENTRYPOINT` relies on (they would have to download at run time).
    Nothing is added for another user without a known `HOME` or numeric
    uid, when `maven.repo.local` comes from `MAVEN_OPTS`/`MAVEN_ARGS`, or
    when another mount is there already. These cases are not reported: a
    cache mount is an optimisation, not a defect. A `<localRepository>` in
    a `settings.xml` is not read (the mount is then unused, and harmless).
    """

    code = "DF215"
    looks_at = ("RUN",)
    name = "jvm-cache-mount"
    summary = "Cache Maven / Gradle dependencies with `RUN --mount=type=cache`"
    store = True
    runtime_tools = _MAVEN + _GRADLE

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        if cmd.program in _MAVEN and any(a.value in ("-o", "--offline") for a in cmd.args):
            return True
        return cmd.program in _GRADLE and any(a.value == "--offline" for a in cmd.args)

    def exec_reads_offline(self, ins) -> bool:
        vals = [w.value for w in ins.args]
        if not vals:
            return False
        prog = posixpath.basename(vals[0])
        return (prog in _MAVEN and ("-o" in vals or "--offline" in vals)) or (
            prog in _GRADLE and "--offline" in vals
        )

    def use(self, run: Run, cmd: Command) -> Use | None:
        """Maven's local repository; Gradle's caches (and the wrapper's
        distributions for ``./gradlew``).  Java finds ``~`` in the user's
        ``/etc/passwd`` entry, not in ``$HOME`` (:mod:`dockfix.tools.jvm`)."""
        if cmd.program in _MAVEN:
            use, specs = Use(cmd, cmd.program), [tools.jvm.MAVEN_REPO]
            p = tools.parse(cmd, tool="mvn")
        elif cmd.program in _GRADLE:
            use, specs = (
                Use(cmd, "./gradlew" if cmd.program == "gradlew" else "gradle"),
                [tools.jvm.GRADLE_CACHES],
            )
            p = tools.parse(cmd, tool="gradle")
            if p is not None and tools.jvm.wrapper(p):
                specs.append(tools.jvm.GRADLE_WRAPPER)
        else:
            return None
        if p is None:
            return use
        dirs = [run.cache_dir(spec, cmd, p) for spec in specs]
        if any(isinstance(d.source, tools.FromDefine) and d.option is None for d in dirs):
            return use  # set in MAVEN_OPTS & co: not written into the RUN's words
        return with_dirs(run, use, dirs)


__all__ = ["JvmCacheMount", "norm"]
