from __future__ import annotations

import posixpath

from ... import tools
from ._cache import UNKNOWN, Run, norm
from ._cache_rule import CacheMountRule, Use, option_path

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
    name = "jvm-cache-mount"
    summary = "Cache Maven / Gradle dependencies with `RUN --mount=type=cache`"
    store = True
    runtime_tools = _MAVEN + _GRADLE

    def reads_offline(self, run: Run) -> bool:
        for cmd in run.script.commands:
            if cmd.program in _MAVEN and any(a.value in ("-o", "--offline") for a in cmd.args):
                return True
            if cmd.program in _GRADLE and any(a.value == "--offline" for a in cmd.args):
                return True
        return False

    def exec_reads_offline(self, ins) -> bool:
        vals = [w.value for w in ins.args]
        if not vals:
            return False
        prog = posixpath.basename(vals[0])
        return (prog in _MAVEN and ("-o" in vals or "--offline" in vals)) or (
            prog in _GRADLE and "--offline" in vals
        )

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        for cmd in run.script.commands:
            if cmd.program in _MAVEN:
                out.append(self._maven(run, cmd))
            elif cmd.program in _GRADLE:
                out.append(self._gradle(run, cmd))
        return out

    def _maven(self, run: Run, cmd) -> Use:
        use = Use(cmd, cmd.program)
        if run.who is None:
            return use
        for var in ("MAVEN_OPTS", "MAVEN_ARGS", "MAVEN_CONFIG", "JAVA_TOOL_OPTIONS"):
            v = run.lookup(var, cmd)
            if v is UNKNOWN or (isinstance(v, str) and "maven.repo.local" in v):
                return use
        repo = None
        option_args: set[int] = set()
        for a in cmd.args:
            v = a.value if a.value is not None else a.text
            if v.startswith("-Dmaven.repo.local="):
                repo = run.path(a.text.split("=", 1)[1], cmd)
                if repo is None:
                    return use
                option_args.add(id(a))
        if repo is None:
            home = run.home(cmd)
            if home is None:
                return use
            repo = posixpath.join(home, ".m2/repository")
        return use.known([run.mount(repo)], option_args=option_args)

    def _gradle(self, run: Run, cmd) -> Use:
        use = Use(cmd, "./gradlew" if cmd.program == "gradlew" else "gradle")
        if run.who is None:
            return use
        opt = option_path(run, cmd, ["--gradle-user-home", "-g"])
        guh = opt.path
        if guh is UNKNOWN:
            return use
        if guh is None:
            env = run.env_dir("GRADLE_USER_HOME", cmd)
            if env is UNKNOWN:
                return use
            if env is None:
                opts = run.lookup("GRADLE_OPTS", cmd)
                if opts is UNKNOWN or (isinstance(opts, str) and "gradle.user.home" in opts):
                    return use
                home = run.home(cmd)
                if home is None:
                    return use
                env = posixpath.join(home, ".gradle")
            guh = env
        assert isinstance(guh, str)
        targets = [run.mount(posixpath.join(guh, "caches"))]
        if cmd.program == "gradlew":
            targets.append(run.mount(posixpath.join(guh, "wrapper")))
        return use.known(targets, option_args=opt.args)


__all__ = ["JvmCacheMount", "norm"]
