"""Maven and Gradle (and their wrappers ``mvnw``, ``gradlew``, ``mvnd``).

How a rule asks::

    p = tools.parse(cmd)                      # mvn, ./mvnw, sh mvnw, gradle, ./gradlew
    if p and p.tool == "mvn":
        p.operands                            # goals and phases; p.value("-pl"), p.values("-D")
        repo = tools.cache_dir(tools.jvm.MAVEN_REPO, facts, p)   # -Dmaven.repo.local, $MAVEN_OPTS, ~/.m2/repository
    if p and p.tool == "gradle":
        caches = tools.cache_dir(tools.jvm.GRADLE_CACHES, facts, p)   # -g, -Dgradle.user.home, $GRADLE_USER_HOME

Maven's options are commons-cli ones: short names of several letters
(``-pl``, ``-amd``, ``-ntp``), values attached to ``-D``/``-P``/``-T``
(``-Dk=v``, ``-Pprod``), ``-e`` is ``--errors`` (a flag).  Both tools find
``~`` through Java's ``user.home``, which is the home of the user's
``/etc/passwd`` entry, not ``$HOME``: ``ENV HOME=/app`` does not move
``~/.m2``.
"""

from __future__ import annotations

from ._dirs import CacheSpec, FromDefine, FromEnv, FromHome, FromOption
from ._files import Install, ProjectFiles
from ._grammar import Grammar, Parsed, Syntax, Token, opts

MAVEN_OPTIONS = opts(
    values=(
        "-f --file, -s --settings, -gs --global-settings, -t --toolchains, -gt --global-toolchains, "
        "-P --activate-profiles, -T --threads, -pl --projects, -D --define, -l --log-file, "
        "-rf --resume-from, -b --builder, -emp --encrypt-master-password, -ep --encrypt-password, "
        "-fos --fail-on-severity"
    ),
    flags=(
        "-am --also-make, -amd --also-make-dependents, -B --batch-mode, -C --strict-checksums, "
        "-c --lax-checksums, -cpu --check-plugin-updates, -e --errors, -X --debug, -fae --fail-at-end, "
        "-ff --fail-fast, -fn --fail-never, -h --help, -llr --legacy-local-repository, -N --non-recursive, "
        "-npr --no-plugin-registry, -npu --no-plugin-updates, -nsu --no-snapshot-updates, "
        "-ntp --no-transfer-progress, -o --offline, -q --quiet, -U --update-snapshots, -up --update-plugins, "
        "-v --version, -V --show-version"
    ),
    optional="--color",
)
MAVEN = Grammar("mvn", ("mvn", "mvnw", "mvnd"), MAVEN_OPTIONS, syntax=Syntax.MAVEN)

GRADLE_OPTIONS = opts(
    values=(
        "-p --project-dir, -b --build-file, -c --settings-file, -I --init-script, -g --gradle-user-home, "
        "-x --exclude-task, -P --project-prop, -D --system-prop, --console, --warning-mode, --include-build, "
        "--priority, -M --write-verification-metadata, --max-workers, --project-cache-dir, "
        "-F --dependency-verification, --update-locks, --problems-report"
    ),
    flags=(
        "--offline, --refresh-dependencies, --build-cache, --no-build-cache, --daemon, --no-daemon, "
        "-q --quiet, -i --info, -d --debug, -w --warn, -s --stacktrace, -S --full-stacktrace, --scan, "
        "--no-scan, --parallel, --no-parallel, --configuration-cache, --write-locks, -t --continuous, "
        "--rerun-tasks, -m --dry-run, --continue, -a --no-rebuild, -v --version, -h --help, --status, --stop"
    ),
)
GRADLE = Grammar("gradle", ("gradle", "gradlew"), GRADLE_OPTIONS)
GRAMMARS = (MAVEN, GRADLE)

_WRAPPERS = {"mvnw": "mvn", "gradlew": "gradle"}


def launch(program: str, args: tuple[Token, ...]) -> tuple[str, int, str] | None:
    """``sh ./gradlew build``, ``bash mvnw package``: the wrapper script
    run by a shell."""
    if program not in ("sh", "bash") or not args:
        return None
    first = args[0].value
    if first is None:
        return None
    tool = _WRAPPERS.get(first.rsplit("/", 1)[-1])
    if tool is None:
        return None
    return tool, 1, f"{program} {first}"


def wrapper(p: Parsed) -> bool:
    """Run through the project's wrapper script (``./mvnw``, ``gradlew``)."""
    return (
        p.program in _WRAPPERS
        or p.via.rsplit("/", 1)[-1] in _WRAPPERS
        or any(p.via.endswith(" " + w) for w in _WRAPPERS)
    )


MAVEN_REPO = CacheSpec(
    "mvn",
    "repository",
    (
        FromDefine("maven.repo.local", ("MAVEN_ARGS", "MAVEN_OPTS", "MAVEN_CONFIG", "JAVA_TOOL_OPTIONS")),
        FromHome(".m2/repository", passwd=True),
    ),
    config=("settings.xml <localRepository>", "-s/--settings", ".mvn/maven.config", "-Duser.home"),
)


def _gradle_home(sub: str) -> CacheSpec:
    """A folder of the Gradle user home (``caches``, ``wrapper``): ``--gradle-user-home``,
    ``-Dgradle.user.home``, ``$GRADLE_USER_HOME``, ``~/.gradle``."""
    return CacheSpec(
        "gradle",
        sub,
        (
            FromOption(("--gradle-user-home",), sub),
            FromDefine("gradle.user.home", ("GRADLE_OPTS", "JAVA_OPTS", "JAVA_TOOL_OPTIONS"), sub=sub),
            FromEnv("GRADLE_USER_HOME", sub),
            FromHome(f".gradle/{sub}", passwd=True),
        ),
        config=("gradle.properties", "-Duser.home") if sub == "caches" else (),
    )


GRADLE_CACHES = _gradle_home("caches")
GRADLE_WRAPPER = _gradle_home("wrapper")
CACHES = {"mvn": (MAVEN_REPO,), "gradle": (GRADLE_CACHES, GRADLE_WRAPPER)}
#: goals that delete files (maven's ``clean`` phase).
REMOVES = {"mvn": frozenset({"clean"})}
OFFLINE = ("--offline",)  # also mvn -o: `has("--offline")` finds both spellings

#: goals that only resolve dependencies (what DF220 moves before `COPY .`).
MAVEN_RESOLVE_GOALS = (
    r"^(dependency:(go-offline|resolve|resolve-plugins|resolve-sources)"
    r"|([\w.-]+:)?go-offline-maven-plugin(:[\w.-]+)?:resolve-dependencies)$"
)
GRADLE_RESOLVE_TASKS = (
    "dependencies",
    "resolveDependencies",
    "downloadDependencies",
    "androidDependencies",
    "resolveAllDependencies",
    "buildEnvironment",
)
#: gradle options that write lock or verification files into the project
#: (``gradle.lockfile``, ``gradle/verification-metadata.xml``).
GRADLE_WRITES_LOCKS = ("--write-locks", "--update-locks", "--write-verification-metadata")

INSTALLS = {
    "mvn": Install(
        "mvn",
        (),
        ProjectFiles(("pom.xml",), (), (), (".mvn",)),
        other_project=("--file", "--projects", "--resume-from"),
        sources=("modules (their pom.xml files)", "a parent found by relativePath"),
    ),
    "gradle": Install(
        "gradle",
        (),
        ProjectFiles(
            ("build.gradle", "build.gradle.kts"),
            ("gradle.lockfile",),
            ("settings.gradle", "settings.gradle.kts", "gradle.properties"),
            ("gradle",),
            creates=(".gradle",),
        ),
        other_project=(
            "--project-dir",
            "--build-file",
            "--settings-file",
            "--init-script",
            "--include-build",
            "--project-cache-dir",
        ),
        sources=("buildSrc", "included builds", "apply from / files() in the build scripts"),
    ),
}
MARKERS = ("pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts")
PROGRAMS = ("mvn", "mvnw", "mvnd", "gradle", "gradlew")

__all__ = [
    "CACHES",
    "GRADLE",
    "GRADLE_CACHES",
    "GRADLE_RESOLVE_TASKS",
    "GRADLE_WRAPPER",
    "GRADLE_WRITES_LOCKS",
    "GRAMMARS",
    "INSTALLS",
    "MARKERS",
    "MAVEN",
    "MAVEN_REPO",
    "MAVEN_RESOLVE_GOALS",
    "OFFLINE",
    "PROGRAMS",
    "REMOVES",
    "launch",
    "wrapper",
]
