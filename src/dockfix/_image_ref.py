# mypy: disallow-untyped-defs, disallow-incomplete-defs, disallow-untyped-calls, disallow-any-generics
# mypy: check-untyped-defs, warn-return-any, no-implicit-reexport, strict-equality
"""Image references and the values the image table and the semantic model
share: :class:`Unknown` (the one "cannot be known"), :class:`Family` (the
distribution families) and :class:`ImageRef` / :func:`parse_ref` (a
reference split as Docker splits it).  :mod:`dockfix.images` (the table)
exports all of them; import them from there."""

from __future__ import annotations

from enum import Enum
from typing import Final

from msgspec import Struct


class Unknown:
    """The one "cannot be known" value of the semantic model (a singleton:
    compare with ``is UNKNOWN``).  It is falsy."""

    _inst: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()

#: marks the part of a reference a variable hides
HOLE = "\x00"


class Family(str, Enum):
    """The distribution family an image is built on."""

    DEBIAN = "debian"
    UBUNTU = "ubuntu"
    ALPINE = "alpine"
    WOLFI = "wolfi"  # Chainguard's (apk, glibc)
    RHEL = "rhel"  # RHEL, UBI, Fedora, CentOS, Rocky, Alma, Amazon Linux, Oracle Linux
    SUSE = "suse"
    ARCH = "arch"
    PHOTON = "photon"  # and CBL-Mariner / Azure Linux (tdnf)
    BUSYBOX = "busybox"
    DISTROLESS = "distroless"
    SCRATCH = "scratch"
    WINDOWS = "windows"
    UNKNOWN = "unknown"

    @property
    def debian_like(self) -> bool:
        return self in (Family.DEBIAN, Family.UBUNTU)

    @property
    def apk(self) -> bool:
        return self in (Family.ALPINE, Family.WOLFI)


class ImageRef(Struct, frozen=True):
    """An image reference.  ``registry`` is None for Docker Hub; ``path`` is
    the repository path without the registry and Docker Hub's ``library/``
    (``python``, ``ubi9/ubi-minimal``, ``distroless/static-debian12``), lower
    case.  Parts hidden by a variable are UNKNOWN, and written ``*`` in the
    ``pattern_*`` fields."""

    text: str
    registry: str | None | Unknown
    path: str | Unknown
    tag: str | None | Unknown
    digest: str | None | Unknown
    pattern_path: str = ""
    pattern_tag: str = ""

    @property
    def name(self) -> str | Unknown:
        """The last component of the path (``python``, ``ubi-minimal``)."""
        if isinstance(self.path, Unknown):
            last = self.pattern_path.rsplit("/", 1)[-1]
            return UNKNOWN if "*" in last else last
        return self.path.rsplit("/", 1)[-1]

    @property
    def hub(self) -> bool:
        """On Docker Hub (or a mirror of it)."""
        return self.registry is None

    @property
    def official(self) -> bool:
        """A Docker Official Image (``python``, ``docker.io/library/python``)."""
        return self.hub and isinstance(self.path, str) and "/" not in self.path

    @property
    def scratch(self) -> bool:
        return self.path == "scratch" and self.registry is None


_HUB_REGISTRIES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com", "mirror.gcr.io"}
)


def parse_ref(text: str) -> ImageRef:
    """Split ``[registry/]path[:tag][@digest]`` as Docker does: the first
    component is a registry when it has a ``.`` or ``:`` or is
    ``localhost``.  :data:`HOLE` characters in ``text`` mark parts a
    variable hides; the parts holding one are UNKNOWN."""
    raw = text.strip()
    lowered = raw.lower()
    rest, _, digest = lowered.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag: str | None = None
    if colon > slash:
        rest, tag = rest[:colon], rest[colon + 1 :]
    registry: str | None = None
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or HOLE in first):
        registry, rest = first, remainder
    if registry in _HUB_REGISTRIES:
        registry = None
    if registry == "public.ecr.aws" and rest.startswith("docker/library/"):
        registry, rest = None, rest[len("docker/") :]
    if registry is None and rest.startswith("library/"):
        rest = rest[len("library/") :]

    def known(part: str | None) -> str | None | Unknown:
        return UNKNOWN if part is not None and HOLE in part else part

    return ImageRef(
        text=raw.replace(HOLE, "*"),
        registry=known(registry),
        path=UNKNOWN if HOLE in rest else rest,
        tag=known(tag),
        digest=known(digest or None),
        pattern_path=rest.replace(HOLE, "*"),
        pattern_tag=(tag or "").replace(HOLE, "*"),
    )


__all__ = ["HOLE", "UNKNOWN", "Family", "ImageRef", "Unknown", "parse_ref"]
