"""Local stand-ins for the official images, and a harness for real-build tests.

No registry is reachable where dockfix is tested, yet the rules that rewrite
``FROM python:3.11`` into a builder and a ``python:3.11-slim`` runtime must
be proven by real builds with the FROM lines unchanged.  So the official
images the fixtures use are *stood in for*: built by buildah from the local
``debian:bookworm-slim`` (made by ``../shared/tools/buildah-setup.sh``) with
Debian's own packages (npm and yarn from the npm registry), laid out like the
official ones (paths, ENV, users, ENTRYPOINT/CMD), and tagged with the
official names — ``docker.io/library/python:3.11``, which an unqualified
``FROM python:3.11`` resolves to offline, or ``gcr.io/distroless/...`` as is.
:data:`STANDINS` is the table; each one's Dockerfile is in ``tests/images/``.

Building:  ``python tests/standins.py build [NAME...]`` (or
``tests/images/build.sh``) builds what is missing or out of date (a hash of
the stand-in's folder, build args and base image ID, kept in
``$B/standins.json``); a second run only checks (seconds).  ``list`` shows
them with their sizes.  In tests, the session fixture :func:`standin_images`
(import it: ``from standins import standin_images as standin_images``)
skips when buildah is not set up, and ``standin_images.ensure(names)``
builds what a test needs.

The harness: :func:`build_image`, :func:`inspect_image`, :func:`image_size`,
:func:`image_config`, :func:`config_diff`; :func:`container` (a working
container: ``.run()`` the image's Entrypoint+Cmd as its User in its
WorkingDir, as ``docker run`` would; ``.ids()`` the uid/gid of the image's
user, read from the config and the image's /etc/passwd: no ``id`` binary
needed; ``.fs`` its files) and the one-shot :func:`run_image`,
:func:`image_ids`, :func:`mounted`; :func:`build_before_after` (a case
folder built before and after ``dockfix --unsafe-fixes``).  Apps for those builds live in ``tests/apps/``
(:func:`load_app`), each with a ``case.json``.

buildah 1.28 limits to keep in mind: no heredocs, no ``COPY --link``,
``# syntax=`` ignored, HEALTHCHECK kept only with ``--format docker`` (the
harness default), and ``--layers`` keys a non-RUN step (USER, WORKDIR, ENV…)
by its unexpanded text: ``USER ${UID}`` built twice with different build
args reuses the first build's layer unless a RUN that uses the arg comes
before it.  ``buildah run`` does not apply the image's User and WorkingDir
by itself (:meth:`Container.run` passes them), and finds no command in a
PATH folder reached through an absolute symlink (the stand-ins link
relatively).  Reading an image's files
(:func:`mounted`) needs root, as CI has.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import posixpath
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "tests" / "images"
APPS = ROOT / "tests" / "apps"
BUILDER = Path(os.environ.get("B", "/tmp/dockfix-builder"))
#: the image buildah-setup.sh makes; every stand-in is built on it
LOCAL_BASE = "debian:bookworm-slim"
STAMPS = "standins.json"


# -- buildah ---------------------------------------------------------------------


class BuildahError(RuntimeError):
    """A buildah command failed; the message ends with its output."""

    def __init__(self, args: Sequence[str], proc: subprocess.CompletedProcess[str]) -> None:
        self.returncode = proc.returncode
        self.stdout = proc.stdout or ""
        self.stderr = proc.stderr or ""
        tail = (self.stdout[-4000:] + "\n" + self.stderr[-4000:]).strip()
        super().__init__(f"buildah {' '.join(args)} exited {proc.returncode}:\n{tail}")


def buildah_env() -> dict[str, str]:
    """The environment buildah needs (what ``$B/env.sh`` exports)."""
    env = dict(os.environ)
    env.update(
        CONTAINERS_STORAGE_CONF=str(BUILDER / "storage.conf"),
        CONTAINERS_CONF=str(BUILDER / "containers.conf"),
        STORAGE_DRIVER="overlay",
        BUILDAH_ISOLATION="chroot",
        TMPDIR=str(BUILDER / "tmp"),
    )
    return env


def buildah(
    *args: str, timeout: float = 600, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``buildah ARGS``; raise :class:`BuildahError` on failure when ``check``."""
    proc = subprocess.run(
        ["buildah", *args], cwd=cwd, capture_output=True, text=True, env=buildah_env(), timeout=timeout,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise BuildahError(args, proc)
    return proc


def buildah_missing() -> str | None:
    """Why real builds cannot run here, or None when they can."""
    if shutil.which("buildah") is None:
        return "buildah is not installed (run ../shared/tools/buildah-setup.sh)"
    if not (BUILDER / "storage.conf").exists():
        return f"buildah is not set up in {BUILDER} (run ../shared/tools/buildah-setup.sh)"
    if image_id(LOCAL_BASE) is None:
        return f"the local {LOCAL_BASE} base image is missing (run ../shared/tools/buildah-setup.sh)"
    return None


def canonical(name: str) -> str:
    """The fully qualified reference buildah stores ``name`` under:
    ``python:3.11`` -> ``docker.io/library/python:3.11``, a registry's
    reference without a tag -> ``:latest``."""
    first, sep, _ = name.partition("/")
    last = name.rsplit("/", 1)[-1]
    tagged = name if ":" in last or "@" in last else f"{name}:latest"
    if sep and ("." in first or ":" in first or first == "localhost"):
        return tagged
    return f"docker.io/{tagged}" if sep else f"docker.io/library/{tagged}"


def image_id(ref: str) -> str | None:
    """The ID of the local image ``ref``, or None when there is none."""
    proc = buildah("inspect", "--type", "image", "--format", "{{.FromImageID}}", ref, check=False)
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


# -- the stand-ins ---------------------------------------------------------------


@dataclass(frozen=True)
class StandIn:
    """An official image stood in for: built from ``tests/images/<folder>/
    <dockerfile>`` with ``--build-arg BASE=<base>`` (and ``args``), tagged
    ``name`` and ``aliases`` (fully qualified).  ``stands_for`` says what it
    is and which official tags it stands for."""

    name: str
    folder: str
    base: str
    stands_for: str
    dockerfile: str = "Dockerfile"
    args: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return canonical(self.name)

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.ref, *(canonical(a) for a in self.aliases))

    @property
    def context(self) -> Path:
        return IMAGES / self.folder

    def digest(self, base_id: str) -> str:
        """What the image is made of: its folder's files, Dockerfile, build
        args and base image."""
        h = hashlib.sha256()
        h.update(json.dumps([self.name, self.dockerfile, list(self.args), base_id]).encode())
        for path in sorted(p for p in self.context.rglob("*") if p.is_file()):
            rel = path.relative_to(self.context).as_posix()
            h.update(f"\0{rel}\0{path.stat().st_mode & 0o111}\0".encode())
            h.update(path.read_bytes())
        return h.hexdigest()


_CC = "base-files netbase tzdata media-types libc6 libssl3 libgomp1 libstdc++6 libgcc-s1 gcc-12-base"

#: the stand-ins, each after its base
STANDINS: tuple[StandIn, ...] = (
    StandIn("buildpack-deps:bookworm-curl", "buildpack-deps-curl", LOCAL_BASE,
            "buildpack-deps:bookworm-curl: ca-certificates, curl, gnupg, netbase, wget"),
    StandIn("buildpack-deps:bookworm-scm", "buildpack-deps-scm", "buildpack-deps:bookworm-curl",
            "buildpack-deps:bookworm-scm: + git, mercurial, openssh-client, subversion, procps"),
    StandIn("buildpack-deps:bookworm", "buildpack-deps", "buildpack-deps:bookworm-scm",
            "buildpack-deps:bookworm: + gcc, g++, make, the -dev libraries (less imagemagick)"),
    StandIn("python:3.11", "python", "buildpack-deps:bookworm",
            "python:3.11 (bookworm): Debian's Python 3.11.2, pip 23.0.1, python3-dev",
            args=(("EXTRA_PACKAGES", "python3-dev"),), aliases=("python:3.11-bookworm",)),
    StandIn("python:3.11-slim", "python", LOCAL_BASE,
            "python:3.11-slim (bookworm): Debian's Python 3.11.2, pip 23.0.1, venv; no compiler",
            aliases=("python:3.11-slim-bookworm",)),
    StandIn("node:18", "node", "buildpack-deps:bookworm",
            "node:18 (bookworm): Debian's Node.js 18.20.4, npm 10.8.2, yarn 1.22.22, user node",
            aliases=("node:18-bookworm",)),
    StandIn("node:18-slim", "node", LOCAL_BASE,
            "node:18-slim (bookworm): as node:18 on the slim base; no compiler, no python",
            aliases=("node:18-bookworm-slim",)),
    StandIn("golang:1.19", "golang", "buildpack-deps:bookworm-scm",
            "golang:1.19 (bookworm): Debian's Go 1.19.8 at /usr/local/go, GOPATH=/go",
            aliases=("golang:1.19-bookworm",)),
    StandIn("rust:1.63", "rust", "buildpack-deps:bookworm",
            "rust:1.63: Debian's rustc 1.63.0 and cargo (0.66, Rust 1.65's) in $CARGO_HOME/bin",
            aliases=("rust:1.63-bookworm",)),  # upstream's 1.63 is bullseye: the tag names the release built here
    StandIn("rust:1.63-slim", "rust", LOCAL_BASE,
            "rust:1.63-slim: as rust:1.63 on the slim base with gcc and libc6-dev",
            args=(("EXTRA_PACKAGES", "ca-certificates gcc libc6-dev"),)),
    StandIn("eclipse-temurin:17-jdk", "eclipse-temurin", LOCAL_BASE,
            "eclipse-temurin:17-jdk: Debian's OpenJDK 17 (headless JDK) at /opt/java/openjdk",
            dockerfile="jdk.Dockerfile", aliases=("eclipse-temurin:17",)),
    StandIn("eclipse-temurin:17-jre", "eclipse-temurin", LOCAL_BASE,
            "eclipse-temurin:17-jre: Debian's OpenJDK 17 headless JRE at /opt/java/openjdk",
            dockerfile="jre.Dockerfile"),
    StandIn("maven:3-eclipse-temurin-17", "maven", "eclipse-temurin:17-jdk",
            "maven:3-eclipse-temurin-17: Debian's Maven 3.8.7, repositories mirrored by /usr/share/maven-repo",
            aliases=("maven:3.8-eclipse-temurin-17", "maven:3.8.7-eclipse-temurin-17")),
    StandIn("gcr.io/distroless/static-debian12", "distroless", LOCAL_BASE,
            "gcr.io/distroless/static-debian12: base-files, netbase, tzdata, media-types, CA bundle",
            aliases=("gcr.io/distroless/static",)),
    StandIn("gcr.io/distroless/static-debian12:nonroot", "distroless", "gcr.io/distroless/static-debian12",
            "gcr.io/distroless/static-debian12:nonroot: as static, USER 65532",
            dockerfile="nonroot.Dockerfile", aliases=("gcr.io/distroless/static:nonroot",)),
    StandIn("gcr.io/distroless/cc-debian12", "distroless", LOCAL_BASE,
            "gcr.io/distroless/cc-debian12: static + libc6, libssl3, libgcc-s1, libstdc++6, libgomp1",
            args=(("PACKAGES", _CC),), aliases=("gcr.io/distroless/cc",)),
    StandIn("gcr.io/distroless/cc-debian12:nonroot", "distroless", "gcr.io/distroless/cc-debian12",
            "gcr.io/distroless/cc-debian12:nonroot: as cc, USER 65532",
            dockerfile="nonroot.Dockerfile", aliases=("gcr.io/distroless/cc:nonroot",)),
)  # fmt: skip


def standin(name: str) -> StandIn:
    """The stand-in called ``name`` (or one of its aliases, in any spelling)."""
    ref = canonical(name)
    for s in STANDINS:
        if ref in s.tags:
            return s
    raise KeyError(f"no stand-in for {name!r}")


def closure(names: Iterable[str] | None = None) -> list[StandIn]:
    """The stand-ins ``names`` need (they and their bases), bases first;
    all of them when ``names`` is None."""
    if names is None:
        return list(STANDINS)
    wanted: set[str] = set()
    todo = [standin(n) for n in names]
    while todo:
        s = todo.pop()
        if s.name not in wanted:
            wanted.add(s.name)
            if canonical(s.base) != canonical(LOCAL_BASE):
                todo.append(standin(s.base))
    return [s for s in STANDINS if s.name in wanted]


@dataclass
class Report:
    """What :func:`ensure_standins` did for one stand-in."""

    name: str
    built: bool
    seconds: float
    size: int

    def line(self) -> str:
        what = f"built in {self.seconds:6.1f}s" if self.built else "up to date      "
        return f"{self.name:45} {what}  {self.size / 1e6:8.1f} MB"


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    """One builder of stand-ins at a time (tests and helpers share storage)."""
    with open(BUILDER / "standins.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def local_images() -> dict[str, str]:
    """Every tag in the local storage and its image ID (one buildah call)."""
    for attempt in range(5):
        # fails when another process removes an image while it lists them
        proc = buildah("images", "--json", "--no-trunc", check=attempt == 4)
        if proc.returncode == 0:
            break
        time.sleep(1 + attempt)
    listing = json.loads(proc.stdout or "[]")
    return {
        name: entry["id"].removeprefix("sha256:") for entry in listing for name in entry.get("names") or ()
    }


def ensure_standins(
    names: Iterable[str] | None = None, *, force: bool = False, log: Callable[[str], None] | None = None
) -> list[Report]:
    """Build the stand-ins ``names`` need (all when None) that are missing or
    out of date; ``force`` rebuilds them.  With ``log``, report each one
    (and its size).  Raises :class:`BuildahError`."""
    reports = []
    with _lock():
        stamps_file = BUILDER / STAMPS
        stamps: dict[str, dict[str, str]] = (
            json.loads(stamps_file.read_text()) if stamps_file.exists() else {}
        )
        ids = local_images()
        for s in closure(names):
            base_id = ids.get(canonical(s.base))
            if base_id is None:
                raise RuntimeError(f"{s.name}: its base {s.base} is missing")
            digest = s.digest(base_id)
            current = ids.get(s.ref)
            stamp = stamps.get(s.name, {})
            built, took = False, 0.0
            if force or current is None or stamp.get("digest") != digest or stamp.get("id") != current:
                args = ["build", "--layers", "--pull=never", "-f", s.dockerfile]
                for key, value in (("BASE", s.base), *s.args):
                    args += ["--build-arg", f"{key}={value}"]
                for tag in s.tags:
                    args += ["-t", tag]
                if log:
                    log(f"building {s.name} ...")
                start = time.monotonic()
                buildah(*args, ".", cwd=s.context, timeout=3600)
                took, built = time.monotonic() - start, True
                current = image_id(s.ref)
                assert current is not None
                stamps[s.name] = {"digest": digest, "id": current}
                stamps_file.write_text(json.dumps(stamps, indent=1, sort_keys=True) + "\n")
            for tag in s.tags:
                if not built and ids.get(tag) != current:
                    buildah("tag", s.ref, tag)
                ids[tag] = current
            report = Report(s.name, built, took, image_size(inspect_image(s.ref)) if log else 0)
            if log:
                log(report.line())
            reports.append(report)
    return reports


class StandIns:
    """What the :func:`standin_images` fixture gives a test: ``ensure(*names)``
    builds the stand-ins those names need, once per session."""

    def __init__(self) -> None:
        self.done: set[str] = set()
        self.reports: list[Report] = []

    def ensure(self, *names: str) -> None:
        todo = [n for n in names if standin(n).name not in self.done]
        if todo:
            reports = ensure_standins(todo)
            self.reports += [r for r in reports if r.name not in self.done]
            self.done.update(r.name for r in reports)


# -- the harness -----------------------------------------------------------------

#: the parts of an image's config a rewrite must keep (unless a test allows)
CONFIG_KEYS = (
    "Cmd", "Entrypoint", "Env", "User", "WorkingDir", "ExposedPorts", "Volumes", "StopSignal", "Labels",
    "Healthcheck",
)  # fmt: skip


@dataclass
class Built:
    """An image :func:`build_image` built."""

    tag: str
    seconds: float
    output: str
    info: dict[str, Any] = field(repr=False)

    @property
    def size(self) -> int:
        return image_size(self.info)

    @property
    def config(self) -> dict[str, Any]:
        return image_config(self.info)


def build_image(
    context: Path,
    tag: str,
    dockerfile: str = "Dockerfile",
    *,
    layers: bool = True,
    build_args: Mapping[str, str] | None = None,
    fmt: str = "docker",
    timeout: float = 1800,
) -> Built:
    """``buildah build`` ``context`` into ``tag`` (``--format docker`` keeps
    HEALTHCHECK; ``--pull=never``: nothing is ever pulled).  Raises
    :class:`BuildahError` with the build's output."""
    args = ["build", f"--layers={str(layers).lower()}", "--pull=never", "--format", fmt, "-f", dockerfile]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    start = time.monotonic()
    proc = buildah(*args, "-t", tag, ".", cwd=context, timeout=timeout)
    took = time.monotonic() - start
    return Built(tag, took, proc.stdout + proc.stderr, inspect_image(tag))


def inspect_image(ref: str) -> dict[str, Any]:
    """``buildah inspect`` of a local image."""
    info: dict[str, Any] = json.loads(buildah("inspect", "--type", "image", ref).stdout)
    return info


def image_size(info: Mapping[str, Any]) -> int:
    """Uncompressed bytes: the sum of the image's layers."""
    manifest = json.loads(info["Manifest"])
    return sum(int(layer["size"]) for layer in manifest["layers"])


def image_config(info: Mapping[str, Any]) -> dict[str, Any]:
    """The :data:`CONFIG_KEYS` of an image's config (None when unset; Labels
    without buildah's own ``io.buildah.version``)."""
    oci = (info.get("OCIv1") or {}).get("config") or {}
    docker = (info.get("Docker") or {}).get("config") or {}
    out: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        value = docker.get(key) if key == "Healthcheck" else oci.get(key)
        if key == "Labels" and value:
            value = {k: v for k, v in value.items() if k != "io.buildah.version"}
        out[key] = value or None
    return out


def env_dict(config: Mapping[str, Any]) -> dict[str, str]:
    """An image config's Env as a mapping."""
    return dict(item.split("=", 1) if "=" in item else (item, "") for item in config.get("Env") or ())


def config_diff(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    allow: Iterable[str] = (),
    allow_env: Iterable[str] = (),
) -> dict[str, tuple[Any, Any]]:
    """Where two image configs (:func:`image_config`) differ, less the keys in
    ``allow``; Env is compared by variable (``"Env:PATH"``), less the names in
    ``allow_env``.  Empty means the same."""
    allowed, allowed_env = set(allow), set(allow_env)
    diff: dict[str, tuple[Any, Any]] = {}
    for key in CONFIG_KEYS:
        if key in allowed:
            continue
        if key == "Env":
            a, b = env_dict(before), env_dict(after)
            for name in sorted(set(a) | set(b)):
                if name not in allowed_env and a.get(name) != b.get(name):
                    diff[f"Env:{name}"] = (a.get(name), b.get(name))
        elif before.get(key) != after.get(key):
            diff[key] = (before.get(key), after.get(key))
    return diff


@dataclass
class Ran:
    """What :func:`run_image` ran and what it printed."""

    argv: list[str]
    user: str
    workdir: str
    returncode: int
    stdout: str
    stderr: str


class ImageFS:
    """An image's files, mounted read-only in spirit: paths are resolved
    inside the image (an absolute symlink points into the image, not the
    host)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def resolve(self, path: str) -> Path:
        """The host path of ``path`` in the image, symlinks followed in it."""
        parts = [p for p in path.split("/") if p]
        done: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == ".":
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            host = self.root.joinpath(*done, part)
            if host.is_symlink():
                hops += 1
                if hops > 40:
                    raise OSError(f"too many symlinks resolving {path}")
                target = os.readlink(host)
                if target.startswith("/"):
                    done = []
                parts = [p for p in target.split("/") if p] + parts
                continue
            done.append(part)
        return self.root.joinpath(*done)

    def exists(self, path: str) -> bool:
        return self.resolve(path).exists()

    def is_executable(self, path: str) -> bool:
        host = self.resolve(path)
        return host.is_file() and os.access(host, os.X_OK)

    def read_text(self, path: str) -> str:
        return self.resolve(path).read_text()

    def stat(self, path: str) -> os.stat_result:
        return self.resolve(path).stat()

    def readlink(self, path: str) -> str | None:
        """The target of the symlink ``path`` (its folder resolved), or None."""
        folder, name = posixpath.split(path.rstrip("/"))
        host = self.resolve(folder) / name
        return os.readlink(host) if host.is_symlink() else None

    def find(self, name: str, *folders: str) -> list[str]:
        """Files called ``name`` under ``folders`` of the image (symlinks
        not followed), as host paths."""
        found: set[str] = set()
        for folder in folders:
            top = self.resolve(folder)
            for dirpath, _dirs, files in os.walk(top):
                if name in files:
                    found.add(os.path.join(dirpath, name))
        return sorted(found)


class Container:
    """A working container of an image (see :func:`container`): run commands
    in it as ``docker run`` would, read its files.  Runs share the
    container's files, as ``docker exec`` into one container would."""

    def __init__(self, ref: str, name: str) -> None:
        self.ref = ref
        self.name = name
        self.config = image_config(inspect_image(ref))
        self._fs: ImageFS | None = None

    def run(
        self,
        args: Sequence[str] | None = None,
        *,
        entrypoint: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
    ) -> Ran:
        """The image's Entrypoint (or ``entrypoint``) followed by ``args`` or
        its Cmd (an explicit ``entrypoint`` drops the Cmd), as its User, in
        its WorkingDir, with its Env (plus ``env``) — ``buildah run`` applies
        none of User and WorkingDir by itself."""
        config = self.config
        ep = list(entrypoint) if entrypoint is not None else list(config["Entrypoint"] or [])
        if args is not None:
            cmd = list(args)
        else:
            cmd = [] if entrypoint is not None else list(config["Cmd"] or [])
        argv = ep + cmd
        if not argv:
            raise ValueError(f"{self.ref} has no command to run")
        user = config["User"] or "0:0"
        workdir = config["WorkingDir"] or "/"
        opts = ["--user", user, "--workingdir", workdir]
        for key, value in (env or {}).items():
            opts += ["-e", f"{key}={value}"]
        proc = buildah("run", *opts, self.name, "--", *argv, check=False, timeout=timeout)
        return Ran(argv, user, workdir, proc.returncode, proc.stdout, proc.stderr)

    @property
    def fs(self) -> ImageFS:
        """The container's files (mounted on first use; needs root)."""
        if self._fs is None:
            self._fs = ImageFS(Path(buildah("mount", self.name).stdout.strip()))
        return self._fs

    def ids(self) -> tuple[int, int]:
        """The uid and gid the image's command runs as (``id -u``/``id -g``),
        from the config's User and the image's /etc/passwd and /etc/group —
        no ``id`` binary needed, so distroless images work.  Raises
        LookupError for a name the image does not define."""
        user = self.config["User"] or "0"
        name, _, group = user.partition(":")
        if name.isdigit() and group.isdigit():
            return int(name), int(group)
        fs = self.fs
        passwd = fs.read_text("/etc/passwd") if fs.exists("/etc/passwd") else ""
        entry = _lookup(passwd, name)
        if name.isdigit():
            uid = int(name)
        elif entry is None:
            raise LookupError(f"{self.ref}: user {name!r} is not in its /etc/passwd")
        else:
            uid = int(entry[2])
        if group.isdigit():
            return uid, int(group)
        if group:
            groups = fs.read_text("/etc/group") if fs.exists("/etc/group") else ""
            g = _lookup(groups, group)
            if g is None:
                raise LookupError(f"{self.ref}: group {group!r} is not in its /etc/group")
            return uid, int(g[2])
        return uid, int(entry[3]) if entry is not None and len(entry) > 3 else 0


@contextlib.contextmanager
def container(ref: str) -> Iterator[Container]:
    """A working container of image ``ref``, removed afterwards."""
    name = f"dockfix-test-{uuid.uuid4().hex[:12]}"
    buildah("from", "--pull=never", "--name", name, ref)
    c: Container | None = None
    try:
        c = Container(ref, name)
        yield c
    finally:
        if c is not None and c._fs is not None:
            buildah("umount", name, check=False)
        buildah("rm", name, check=False)


def run_image(
    ref: str,
    args: Sequence[str] | None = None,
    *,
    entrypoint: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> Ran:
    """Run image ``ref`` as ``docker run [--entrypoint] ref [args]`` would
    (see :meth:`Container.run`), in a container of its own."""
    with container(ref) as c:
        return c.run(args, entrypoint=entrypoint, env=env, timeout=timeout)


@contextlib.contextmanager
def mounted(ref: str) -> Iterator[ImageFS]:
    """The files of image ``ref`` (needs root)."""
    with container(ref) as c:
        yield c.fs


def image_ids(ref: str) -> tuple[int, int]:
    """The uid and gid image ``ref`` runs its command as (:meth:`Container.ids`)."""
    with container(ref) as c:
        return c.ids()


def _lookup(table: str, name: str) -> list[str] | None:
    """The /etc/passwd or /etc/group entry for a name (or a number)."""
    for line in table.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and (fields[0] == name or (name.isdigit() and fields[2] == name)):
            return fields
    return None


# -- apps: build before and after dockfix ------------------------------------------


@dataclass(frozen=True)
class AppCase:
    """A fixture app (``tests/apps/<name>/`` with its ``case.json``): the
    stand-ins it (and its expected rewrite) builds on, what its command
    prints, and the config keys / ENV names a rewrite may change."""

    name: str
    folder: Path
    description: str
    stand_ins: tuple[str, ...]
    stdout: str
    config_may_differ: tuple[str, ...]
    env_may_differ: tuple[str, ...]


def app_names() -> list[str]:
    return sorted(p.name for p in APPS.iterdir() if (p / "case.json").is_file()) if APPS.is_dir() else []


def load_app(name: str) -> AppCase:
    folder = APPS / name
    spec = json.loads((folder / "case.json").read_text())
    return AppCase(
        name=name,
        folder=folder,
        description=spec.get("description", ""),
        stand_ins=tuple(spec["stand_ins"]),
        stdout=spec["stdout"],
        config_may_differ=tuple(spec.get("config_may_differ", ())),
        env_may_differ=tuple(spec.get("env_may_differ", ())),
    )


def run_dockfix(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``dockfix ARGS Dockerfile`` in ``folder`` (this checkout's source)."""
    return subprocess.run(
        [sys.executable, "-m", "dockfix", *args, "Dockerfile"],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )  # fmt: skip


@dataclass
class BeforeAfter:
    """A case folder built as it is and after ``dockfix``."""

    original: str
    rewritten: str
    dockfix: subprocess.CompletedProcess[str]
    before: Built
    after: Built

    @property
    def changed(self) -> bool:
        return self.rewritten != self.original

    def summary(self, label: str) -> str:
        b, a = self.before, self.after
        return (
            f"{label}: build {b.seconds:.1f}s -> {a.seconds:.1f}s; "
            f"image {b.size / 1e6:.1f} MB -> {a.size / 1e6:.1f} MB"
        )


def build_before_after(
    case_dir: Path,
    workdir: Path,
    tag: str,
    dockfix_args: Sequence[str] = ("--unsafe-fixes",),
    **build_kw: Any,
) -> BeforeAfter:
    """Copy ``case_dir`` (less its case.json) to ``workdir/before`` and
    ``workdir/after``, run dockfix in ``after``, build both as ``tag:before``
    and ``tag:after``.  Asserts nothing: the caller compares (dockfix failing
    raises, with its stderr)."""
    ignore = shutil.ignore_patterns("case.json")
    before, after = workdir / "before", workdir / "after"
    shutil.copytree(case_dir, before, ignore=ignore)
    shutil.copytree(case_dir, after, ignore=ignore)
    fixed = run_dockfix(after, *dockfix_args)
    if fixed.returncode != 0:
        raise RuntimeError(f"dockfix {' '.join(dockfix_args)} exited {fixed.returncode}:\n{fixed.stderr}")
    return BeforeAfter(
        original=(before / "Dockerfile").read_text(),
        rewritten=(after / "Dockerfile").read_text(),
        dockfix=fixed,
        before=build_image(before, f"{tag}:before", **build_kw),
        after=build_image(after, f"{tag}:after", **build_kw),
    )


# -- pytest ----------------------------------------------------------------------

try:
    import pytest
except ImportError:  # run as a script without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture(scope="session")
    def standin_images() -> StandIns:
        """Session fixture: the stand-ins, built on demand by ``ensure``;
        skips when buildah is not set up."""
        reason = buildah_missing()
        if reason is not None:
            pytest.skip(reason)
        return StandIns()


# -- command line ----------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    usage = "usage: standins.py build [--force] [NAME...] | list"
    if not argv or argv[0] not in ("build", "list"):
        print(usage, file=sys.stderr)
        return 2
    reason = buildah_missing()
    if reason is not None:
        print(f"standins: {reason}", file=sys.stderr)
        return 1
    if argv[0] == "list":
        for s in STANDINS:
            present = image_id(s.ref)
            size = f"{image_size(inspect_image(s.ref)) / 1e6:8.1f} MB" if present else "     missing"
            print(f"{s.name:45} {size}  {s.stands_for}")
        return 0
    rest = list(argv[1:])
    force = "--force" in rest
    names = [n for n in rest if n != "--force"] or None
    start = time.monotonic()
    try:
        reports = ensure_standins(names, force=force, log=print)
    except (BuildahError, RuntimeError, KeyError) as e:
        print(f"standins: {e}", file=sys.stderr)
        return 1
    total = sum(r.size for r in reports)
    print(
        f"standins: {sum(r.built for r in reports)} built, {len(reports)} in all, "
        f"{time.monotonic() - start:.1f}s, {total / 1e6:.1f} MB (layers shared between images counted again)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
