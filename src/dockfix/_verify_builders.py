"""The image builders ``dockfix verify`` drives (docker buildx, podman,
buildah): the only place that knows their command lines and output formats,
and which one is installed (:func:`detect`)."""

import json
import re
import shutil
import subprocess

from msgspec import Struct

from .cli import UsageProblem

CONFIG_KEYS = ("Cmd", "Entrypoint", "Env", "User", "WorkingDir", "ExposedPorts")


class Builder(Struct, frozen=True):
    """One image builder: its name as ``--builder`` takes it, the program
    and the subcommand words in front of ``build``."""

    name: str
    exe: str

    @property
    def label(self) -> str:
        return "docker buildx" if self.name == "docker" else self.name

    def build_argv(self, dockerfile: str, context: str, tag: str, cold: bool) -> list[str]:
        no_cache = ["--no-cache"] if cold else []
        if self.name == "docker":
            return [self.exe, "buildx", "build", "--load", "--progress=plain", *no_cache,
                    "-f", dockerfile, "-t", tag, context]  # fmt: skip
        # podman and buildah: keep the layers for the rebuild; the docker
        # format keeps HEALTHCHECK, SHELL and ONBUILD (OCI drops them)
        return [self.exe, "build", "--layers", "--format", "docker", *no_cache,
                "-f", dockerfile, "-t", tag, context]  # fmt: skip

    def inspect_argv(self, tag: str) -> list[str]:
        if self.name == "buildah":
            return [self.exe, "inspect", "--type", "image", tag]
        return [self.exe, "image", "inspect", tag]

    def remove_argv(self, tags: list[str]) -> list[str]:
        if self.name == "docker":
            return [self.exe, "image", "rm", "--force", *tags]
        return [self.exe, "rmi", "--force", *tags]

    def image_facts(self, inspected: str) -> tuple[dict, int | None]:
        """(config, size in bytes) from the ``inspect`` output."""
        data = json.loads(inspected)
        if isinstance(data, list):
            data = data[0] if data else {}
        if self.name == "buildah":
            cfg = (data.get("OCIv1") or {}).get("config") or (data.get("Docker") or {}).get("config") or {}
            size = None
            try:
                manifest = json.loads(data.get("Manifest") or "{}")
                size = sum(int(layer["size"]) for layer in manifest.get("layers", []))
            except (ValueError, KeyError, TypeError):
                pass
        else:
            cfg = data.get("Config") or {}
            size = data.get("Size") if isinstance(data.get("Size"), int) else None
        return {k: cfg.get(k) or None for k in CONFIG_KEYS}, size

    def steps(self, log: str) -> tuple[int, int] | None:
        """(steps run, steps in all) of a build from its log: steps taken
        from the layer cache did not run.  None when the log says nothing."""
        if self.name == "docker":
            # BuildKit plain progress: "#7 [2/5] RUN ...", then "#7 CACHED"
            ids = dict.fromkeys(
                m.group(1) for m in re.finditer(r"^#(\d+) \[[^\]]*\d+/\d+\] (?!FROM\b)", log, re.M)
            )
            if not ids:
                return None
            cached = {m.group(1) for m in re.finditer(r"^#(\d+) CACHED\s*$", log, re.M)}
            return len([i for i in ids if i not in cached]), len(ids)
        parts = re.split(r"^STEP \d+/\d+: ", log, flags=re.M)[1:]
        parts = [p for p in parts if not p.upper().startswith("FROM ")]
        if not parts:
            return None
        return sum("--> Using cache" not in p for p in parts), len(parts)


BUILDERS = ("docker", "podman", "buildah")
ALIASES = {"buildx": "docker", "docker-buildx": "docker"}


class NoBuilder(Exception):
    """No usable builder: one line, exit 2."""


def _docker_has_buildx(exe: str) -> bool:
    try:
        proc = subprocess.run([exe, "buildx", "version"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0


def detect(preferred: str | None = None) -> Builder:
    """The builder to use: ``preferred`` (``docker``/``buildx``, ``podman``,
    ``buildah``) or the first one on PATH, in that order."""
    if preferred is not None:
        name = ALIASES.get(preferred.lower(), preferred.lower())
        if name not in BUILDERS:
            raise UsageProblem(f"--builder: unknown builder {preferred!r} (one of: docker, podman, buildah)")
        names: tuple[str, ...] = (name,)
    else:
        names = BUILDERS
    for name in names:
        exe = shutil.which(name)
        if exe is None:
            continue
        if name == "docker" and not _docker_has_buildx(exe):
            continue
        return Builder(name, exe)
    if preferred is not None:
        what = "docker buildx" if names[0] == "docker" else names[0]
        raise NoBuilder(f"--builder {preferred}: {what} is not installed (not found on PATH)")
    raise NoBuilder("no image builder found: install docker (with buildx), podman or buildah")
