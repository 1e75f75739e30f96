"""What dockfix knows about base images: ONE table.

:func:`parse_ref` splits an image reference the way Docker does
(``registry/path:tag@digest``, Docker Hub's ``docker.io/library/`` prefix
dropped); :func:`image_info` tells what is known about the image: its
family (Debian, Ubuntu, Alpine, RHEL-like, distroless, scratch, Windows…),
whether it has a ``/bin/sh``, its package manager, the user it runs as
(and whether that is known or a guess), the users it ships (and the one
for apps), its ENV values and ENTRYPOINT, how it creates a user, whether
its own server starts as root, and its tini package.  Image references
live in :mod:`dockfix._image_ref`, the facts about running and
administering an image in :mod:`dockfix._image_services`; both are
exported here.

Knowledge comes from the official images' variants (``python:3.12`` is
Debian, ``-slim`` Debian too, ``-alpine`` Alpine, ``windowsservercore-*``
Windows; ``eclipse-temurin:21`` is Ubuntu; ``openjdk:17`` Oracle Linux…),
from well-known vendors (Red Hat UBI, Google distroless, Chainguard,
Microsoft) and from distribution names in the tag (``-bookworm``,
``-jammy``, ``-ubi9-minimal``).  Whatever is not known is
:data:`UNKNOWN` — never a guess.

A reference may hold build variables that cannot be expanded
(``python:${PY}-slim``): the unknown parts are written ``*`` in
:attr:`ImageRef.pattern_tag` / :attr:`ImageRef.pattern_path`, so the known
parts (``-slim``) still tell the family.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from msgspec import Struct
from msgspec.structs import replace

from ._image_ref import HOLE, UNKNOWN, Family, ImageRef, Unknown, parse_ref
from ._image_services import (
    PHP_SERVER,
    SERVICES,
    SYSTEM_USERS,
    TINI_PATHS,
    UserTool,
    tini_package,
    user_tool,
)


class ImageUser(Struct, frozen=True):
    """A user an image ships (in its /etc/passwd)."""

    name: str
    uid: int
    gid: int
    home: str


class ImageInfo(Struct, frozen=True):
    """What is known of an image.  Fields that cannot be known are UNKNOWN.

    ``package_manager`` is ``apt``, ``apk``, ``dnf``, ``microdnf``, ``yum``,
    ``zypper``, ``tdnf``, ``pacman``, or None when the image has none.
    ``has_shell`` is about ``/bin/sh`` (what a shell-form RUN runs).
    ``default_user`` is the image's USER (``root`` for most).  ``users`` are
    users known to be in its /etc/passwd.  ``env`` holds ENV values of the
    image that rules read (``GOPATH`` of golang…); a name not in it may
    still be set by the image unless ``env_complete``.  ``workdir`` is the
    image's WORKDIR (``/`` when it sets none).  ``entrypoint`` is its
    ENTRYPOINT (``()`` when it sets none)."""

    ref: ImageRef | None
    family: Family
    distro: str | Unknown = UNKNOWN
    package_manager: str | None | Unknown = UNKNOWN
    has_shell: bool | Unknown = UNKNOWN
    default_user: str | Unknown = UNKNOWN
    users: tuple[ImageUser, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    workdir: str | Unknown = UNKNOWN
    libc: str | None | Unknown = UNKNOWN  # "glibc", "musl", None (scratch)
    #: a non-root default user is likely (the image or its vendor says so)
    nonroot_hint: bool = False
    #: ``env`` is the image's whole ENV (a name not in it is unset)
    env_complete: bool = False
    entrypoint: tuple[str, ...] | Unknown = UNKNOWN

    @property
    def windows(self) -> bool:
        return self.family is Family.WINDOWS

    @property
    def app_user(self) -> ImageUser | None:
        """The non-root user the image ships for running an app (``node`` of
        node, ``nonroot`` of distroless and Wolfi, ``app`` of .NET 8+), None
        when it ships only root and the family's system accounts (nobody,
        www-data)."""
        for u in self.users:
            if u.uid != 0 and u.name not in SYSTEM_USERS:
                return u
        return None

    @property
    def default_user_known(self) -> bool:
        """``default_user`` comes from the table (a Docker Official Image, a
        known Docker Hub image, a known vendor, scratch), not from a guess
        (``myorg/base:1-bookworm`` is Debian, but may set a USER)."""
        if self.family is Family.SCRATCH:
            return True
        ref = self.ref
        if (
            ref is None
            or not self.known
            or isinstance(ref.path, Unknown)
            or isinstance(ref.registry, Unknown)
        ):
            return False
        if ref.registry is None:
            return ref.path in OFFICIAL
        return f"{ref.registry}/{ref.path}".startswith(_VENDORS)

    @property
    def starts_as_root(self) -> str | None:
        """Why a ``USER`` would break the image's own server (it starts as
        root and drops privileges itself, or keeps its state in root's
        folders), None when it is no such server."""
        ref = self.ref
        if ref is None or ref.registry is not None or not isinstance(ref.path, str):
            return None
        if ref.path == "php":
            tag = ref.tag if isinstance(ref.tag, str) else ref.pattern_tag
            return PHP_SERVER if "apache" in tag or "fpm" in tag else None
        return SERVICES.get(ref.path)

    @property
    def user_tool(self) -> UserTool:
        """How the image creates a system user (see :class:`UserTool`)."""
        return user_tool(self)

    @property
    def known(self) -> bool:
        return self.family is not Family.UNKNOWN

    def user(self, name: str) -> ImageUser | None:
        """The shipped user called ``name`` (or with that numeric uid)."""
        for u in self.users:
            if u.name == name or (name.isdigit() and u.uid == int(name)):
                return u
        return None

    def env_value(self, name: str) -> str | None:
        for k, v in self.env:
            if k == name:
                return v
        return None


# -- the table ------------------------------------------------------------------

_ROOT = ImageUser("root", 0, 0, "/root")
_NOBODY_DEB = ImageUser("nobody", 65534, 65534, "/nonexistent")
_WWW_DEB = ImageUser("www-data", 33, 33, "/var/www")
_NOBODY_ALPINE = ImageUser("nobody", 65534, 65534, "/")
_NOBODY_RHEL = ImageUser("nobody", 65534, 65534, "/")

#: users every image of a family ships
_FAMILY_USERS: dict[Family, tuple[ImageUser, ...]] = {
    Family.DEBIAN: (_ROOT, _NOBODY_DEB, _WWW_DEB),
    Family.UBUNTU: (_ROOT, _NOBODY_DEB, _WWW_DEB),
    Family.ALPINE: (_ROOT, _NOBODY_ALPINE),
    Family.WOLFI: (_ROOT, ImageUser("nonroot", 65532, 65532, "/home/nonroot"), _NOBODY_ALPINE),
    Family.RHEL: (_ROOT, _NOBODY_RHEL),
    Family.SUSE: (_ROOT,),
    Family.ARCH: (_ROOT,),
    Family.PHOTON: (_ROOT,),
    Family.BUSYBOX: (_ROOT, ImageUser("nobody", 65534, 65534, "/home")),
    Family.DISTROLESS: (
        _ROOT,
        ImageUser("nonroot", 65532, 65532, "/home/nonroot"),
        ImageUser("nobody", 65534, 65534, "/nonexistent"),
    ),
}
_FAMILY_PM: dict[Family, str | None] = {
    Family.DEBIAN: "apt",
    Family.UBUNTU: "apt",
    Family.ALPINE: "apk",
    Family.WOLFI: "apk",
    Family.SUSE: "zypper",
    Family.ARCH: "pacman",
    Family.PHOTON: "tdnf",
    Family.BUSYBOX: None,
    Family.DISTROLESS: None,
    Family.SCRATCH: None,
    Family.WINDOWS: None,
}
_FAMILY_LIBC: dict[Family, str | None] = {
    Family.DEBIAN: "glibc",
    Family.UBUNTU: "glibc",
    Family.ALPINE: "musl",
    Family.WOLFI: "glibc",
    Family.RHEL: "glibc",
    Family.SUSE: "glibc",
    Family.ARCH: "glibc",
    Family.PHOTON: "glibc",
    Family.SCRATCH: None,
    Family.WINDOWS: None,
}


class _Spec(Struct, frozen=True):
    """A Docker Official Image (or a well-known image): the family of its
    default variant, extra users, ENV values, WORKDIR."""

    family: Family
    users: tuple[ImageUser, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    workdir: str = "/"
    alpine_users: tuple[ImageUser, ...] | None = None  # users of its -alpine variants
    distro: str = ""
    env_complete: bool = False  # ``env`` is all the image sets
    #: the image's ENTRYPOINT in every tag (``()``: none); None: not known
    entrypoint: tuple[str, ...] | None = None


_D, _U = Family.DEBIAN, Family.UBUNTU
_GO_ENV = (("GOPATH", "/go"),)
_RUST_ENV = (("CARGO_HOME", "/usr/local/cargo"), ("RUSTUP_HOME", "/usr/local/rustup"))
_RUBY_ENV = (("GEM_HOME", "/usr/local/bundle"), ("BUNDLE_APP_CONFIG", "/usr/local/bundle"))
_NODE_USER = (ImageUser("node", 1000, 1000, "/home/node"),)
_OS_ENV = (("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),)
_NO: tuple[str, ...] = ()  # no ENTRYPOINT

#: Docker Official Images (by name) and a few well-known Docker Hub images
OFFICIAL: dict[str, _Spec] = {
    # the distributions' own images set nothing but PATH
    "debian": _Spec(_D, env=_OS_ENV, env_complete=True, entrypoint=_NO),
    "ubuntu": _Spec(_U, env=_OS_ENV, env_complete=True, entrypoint=_NO),
    "alpine": _Spec(Family.ALPINE, env=_OS_ENV, env_complete=True, entrypoint=_NO),
    "busybox": _Spec(Family.BUSYBOX, env=_OS_ENV, env_complete=True),
    "buildpack-deps": _Spec(_D, entrypoint=_NO),
    "python": _Spec(_D, entrypoint=_NO), "pypy": _Spec(_D, entrypoint=_NO),
    # docker-entrypoint.sh ends in `exec "$@"` (it prepends `node` only when
    # the first argument is not a command)
    "node": _Spec(_D, _NODE_USER, alpine_users=_NODE_USER, entrypoint=("docker-entrypoint.sh",)),
    "golang": _Spec(_D, env=_GO_ENV, workdir="/go", entrypoint=_NO),
    "rust": _Spec(_D, env=_RUST_ENV, entrypoint=_NO),
    "ruby": _Spec(_D, env=_RUBY_ENV, entrypoint=_NO),
    "php": _Spec(_D, workdir="/var/www/html", alpine_users=(ImageUser("www-data", 82, 82, "/home/www-data"),)),
    "perl": _Spec(_D, entrypoint=_NO), "gcc": _Spec(_D, entrypoint=_NO), "julia": _Spec(_D), "erlang": _Spec(_D), "elixir": _Spec(_D),
    "haskell": _Spec(_D), "r-base": _Spec(_D), "dart": _Spec(_D), "clojure": _Spec(_D),
    "swift": _Spec(_U),
    "eclipse-temurin": _Spec(_U), "ibm-semeru-runtimes": _Spec(_U), "sapmachine": _Spec(_U),
    "maven": _Spec(_U), "gradle": _Spec(_U, (ImageUser("gradle", 1000, 1000, "/home/gradle"),)),
    "tomcat": _Spec(_U, workdir="/usr/local/tomcat"), "groovy": _Spec(_U),
    "amazoncorretto": _Spec(Family.RHEL, distro="amazonlinux"),
    "openjdk": _Spec(_D),  # 12+ default tags: Oracle Linux (see _openjdk)
    "nginx": _Spec(_D, (ImageUser("nginx", 101, 101, "/nonexistent"),),
                   alpine_users=(ImageUser("nginx", 101, 101, "/var/cache/nginx"),)),
    "httpd": _Spec(_D, workdir="/usr/local/apache2",
                   alpine_users=(ImageUser("www-data", 82, 82, "/var/www"),)),
    "postgres": _Spec(_D, (ImageUser("postgres", 999, 999, "/var/lib/postgresql"),),
                      alpine_users=(ImageUser("postgres", 70, 70, "/var/lib/postgresql"),)),
    "redis": _Spec(_D, (ImageUser("redis", 999, 999, "/home/redis"),), workdir="/data"),
    "memcached": _Spec(_D, (ImageUser("memcache", 11211, 11211, "/home/memcache"),)),
    "mongo": _Spec(_U, (ImageUser("mongodb", 999, 999, "/data/db"),)),
    "mariadb": _Spec(_U, (ImageUser("mysql", 999, 999, "/home/mysql"),)),
    "mysql": _Spec(Family.RHEL, (ImageUser("mysql", 999, 999, "/var/lib/mysql"),), distro="oraclelinux"),
    "rabbitmq": _Spec(_U, (ImageUser("rabbitmq", 999, 999, "/var/lib/rabbitmq"),)),
    "wordpress": _Spec(_D, workdir="/var/www/html"),
    "haproxy": _Spec(_D, (ImageUser("haproxy", 99, 99, "/var/lib/haproxy"),)),
    "composer": _Spec(Family.ALPINE, env=(("COMPOSER_HOME", "/tmp"),), workdir="/app"),
    "docker": _Spec(Family.ALPINE), "bash": _Spec(Family.ALPINE), "caddy": _Spec(Family.ALPINE, workdir="/srv"),
    "traefik": _Spec(Family.ALPINE),
    "fedora": _Spec(Family.RHEL, distro="fedora"), "centos": _Spec(Family.RHEL, distro="centos"),
    "rockylinux": _Spec(Family.RHEL, distro="rocky"), "almalinux": _Spec(Family.RHEL, distro="alma"),
    "amazonlinux": _Spec(Family.RHEL, distro="amazonlinux"), "oraclelinux": _Spec(Family.RHEL, distro="oraclelinux"),
    "photon": _Spec(Family.PHOTON), "archlinux": _Spec(Family.ARCH),
    "opensuse/leap": _Spec(Family.SUSE), "opensuse/tumbleweed": _Spec(Family.SUSE),
    "rockylinux/rockylinux": _Spec(Family.RHEL, distro="rocky"),
    "redhat/ubi8": _Spec(Family.RHEL, distro="ubi"), "redhat/ubi9": _Spec(Family.RHEL, distro="ubi"),
    "redhat/ubi10": _Spec(Family.RHEL, distro="ubi"),
    "continuumio/miniconda3": _Spec(_D), "continuumio/anaconda3": _Spec(_D),
    "mambaorg/micromamba": _Spec(_D, (ImageUser("mambauser", 57439, 57439, "/home/mambauser"),)),
    "lukemathwalker/cargo-chef": _Spec(_D, env=_RUST_ENV),
    "jenkins/jenkins": _Spec(_D, (ImageUser("jenkins", 1000, 1000, "/var/jenkins_home"),)),
    "kalilinux/kali-rolling": _Spec(_D),
}  # fmt: skip

#: registries and paths whose images the table describes (not a guess from
#: a distribution name in the tag)
_VENDORS: Final = (
    "gcr.io/distroless/",
    "registry.access.redhat.com/",
    "registry.redhat.io/",
    "mcr.microsoft.com/dotnet/",
)

#: images whose default user is known not to be root (name: user)
_NONROOT_DEFAULT: dict[str, str] = {
    "jenkins/jenkins": "jenkins",
    "mambaorg/micromamba": "mambauser",
    "memcached": "memcache",  # its Dockerfile ends with USER memcache
}

# Images whose default user is likely not root: their HOME and uid are not
# in the Dockerfile (from dockfix's cache rules).
_NONROOT_PREFIXES = (
    "jupyter/", "quay.io/jupyter/", "bitnami/", "cgr.dev/chainguard/", "cimg/", "circleci/", "selenium/",
    "jenkins/", "gcr.io/distroless/", "sonarqube",
)  # fmt: skip

# distribution names in tags (and in image names)
_DEBIAN_CODENAMES = ("buster", "bullseye", "bookworm", "trixie", "forky", "stretch", "jessie", "sid")
_UBUNTU_CODENAMES = (
    "xenial", "bionic", "focal", "jammy", "noble", "oracular", "plucky", "questing", "resolute",
)  # fmt: skip
_TOKEN_SPLIT = re.compile(r"[^a-z0-9.*]+")


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(text) if t]


def _tag_family(tokens: list[str]) -> tuple[Family, str] | None:
    """The family a tag names (``3.12-alpine3.20`` → Alpine), if any."""
    for t in tokens:
        if t.startswith("alpine"):
            return Family.ALPINE, "alpine"
        if t.startswith(("windowsservercore", "nanoserver", "ltsc")) or t == "windows":
            return Family.WINDOWS, "windows"
        if t in ("chiseled", "distroless") or t.startswith("chiseled"):
            return Family.DISTROLESS, "ubuntu-chiseled" if t.startswith("chiseled") else "distroless"
    for t in tokens:
        if t in _DEBIAN_CODENAMES or t.startswith("debian"):
            return Family.DEBIAN, "debian"
        if t in _UBUNTU_CODENAMES or t.startswith("ubuntu"):
            return Family.UBUNTU, "ubuntu"
        if t.startswith("ubi"):
            return Family.RHEL, "ubi"
        if t.startswith(("amazonlinux", "al2", "amazoncorretto")) or t == "corretto":
            return Family.RHEL, "amazonlinux"
        if t.startswith(("oraclelinux", "oracle")):
            return Family.RHEL, "oraclelinux"
        if t.startswith(("centos", "rockylinux", "almalinux", "fedora")):
            return Family.RHEL, t.rstrip("0123456789.")
        if t.startswith(("azurelinux", "cbl", "mariner")):
            return Family.PHOTON, "azurelinux"
        if t.startswith("wolfi"):
            return Family.WOLFI, "wolfi"
    return None


def _rhel_pm(distro: str, path: str, tokens: list[str]) -> str | None | Unknown:
    """The package manager of a RHEL-like image."""
    words = set(tokens) | set(_tokens(path))
    if any("micro" in w and "microdnf" not in w for w in words):
        return None  # ubi-micro
    if any("minimal" in w or w == "slim" or w.endswith("-slim") for w in words) or "ubi-minimal" in path:
        return "microdnf"
    versions = [t for t in tokens if t[:1].isdigit()]
    major = versions[0].split(".", 1)[0] if versions else ""
    if distro == "amazonlinux":
        if any(t.startswith(("al2023", "2023")) for t in tokens):
            return "dnf"
        if path == "amazonlinux":
            return "yum" if major == "2" else "dnf"  # amazonlinux:latest is 2023
        return "yum"  # amazoncorretto's default variant is Amazon Linux 2
    if distro in ("centos", "oraclelinux") and major in ("6", "7"):
        return "yum"
    if distro == "centos" and not major:
        return "yum"  # centos:latest is 7 (the last)
    return "dnf"


def _nonroot_hint(path: str, tag: str) -> bool:
    return (
        path.startswith(_NONROOT_PREFIXES)
        or any(k in tag for k in ("nonroot", "non-root", "rootless"))
        or "unprivileged" in path
    )


def _finish(
    ref: ImageRef,
    family: Family,
    distro: str | Unknown,
    spec: _Spec | None,
    default_user: str | Unknown = "root",
    pm: str | None | Unknown = UNKNOWN,
) -> ImageInfo:
    """Fill in what follows from the family (package manager, libc, users);
    ``pm`` UNKNOWN: the family's."""
    if isinstance(pm, Unknown):
        pm = _FAMILY_PM.get(family, UNKNOWN)
    users = _FAMILY_USERS.get(family, (_ROOT,))
    if spec is not None:
        extra = spec.alpine_users if family is Family.ALPINE and spec.alpine_users is not None else spec.users
        users = tuple(u for u in users if all(u.name != v.name for v in extra)) + extra
    path = ref.path if isinstance(ref.path, str) else ref.pattern_path
    hint = _nonroot_hint(path if ref.registry is None else f"{ref.registry}/{path}", ref.pattern_tag)
    if family is Family.WINDOWS:
        users = ()
        default_user = {"servercore": "ContainerAdministrator", "nanoserver": "ContainerUser"}.get(
            "servercore" if "servercore" in ref.text else "nanoserver" if "nanoserver" in ref.text else "",
            UNKNOWN,
        )
    return ImageInfo(
        ref=ref,
        family=family,
        distro=distro,
        package_manager=pm,
        has_shell=(
            False
            if family in (Family.DISTROLESS, Family.SCRATCH, Family.WINDOWS)
            else UNKNOWN
            if family is Family.RHEL and pm is None
            else True
        ),
        default_user=default_user,
        users=users,
        env=spec.env if spec is not None else (),
        workdir=spec.workdir if spec is not None else UNKNOWN,
        libc=_FAMILY_LIBC.get(family, UNKNOWN),
        nonroot_hint=hint,
        env_complete=spec.env_complete if spec is not None else False,
        entrypoint=spec.entrypoint if spec is not None and spec.entrypoint is not None else UNKNOWN,
    )


def _unknown(ref: ImageRef | None, hint: bool = False) -> ImageInfo:
    return ImageInfo(ref, Family.UNKNOWN, nonroot_hint=hint)


SCRATCH: Final = ImageInfo(
    ref=None,
    family=Family.SCRATCH,
    distro="scratch",
    package_manager=None,
    has_shell=False,
    default_user="root",
    users=(),
    workdir="/",
    libc=None,
    entrypoint=(),
)


@lru_cache(maxsize=1024)
def image_info(ref: ImageRef | str) -> ImageInfo:
    """What is known of the image ``ref`` (a reference or its text)."""
    if isinstance(ref, str):
        ref = parse_ref(ref)
    if ref.scratch:
        return replace(SCRATCH, ref=ref)
    if ref.tag == "":
        return _unknown(ref)  # `node:` (`node:${UNDECLARED}`): no image BuildKit would pull
    registry = ref.registry
    path = ref.path if isinstance(ref.path, str) else ref.pattern_path
    tag = ref.tag if isinstance(ref.tag, str) else ref.pattern_tag
    tokens = _tokens(tag)
    full = path if registry is None else f"{registry}/{path}"
    if isinstance(registry, Unknown) or (isinstance(ref.path, Unknown) and "*" in path.rsplit("/", 1)[-1]):
        return _unknown(ref)
    vendor = _vendor(ref, full, path, tag, tokens)
    if vendor is not None:
        return vendor
    spec = OFFICIAL.get(path) if registry is None else None
    if spec is None and registry in ("public.ecr.aws", "quay.io") and path.startswith("docker/library/"):
        spec = OFFICIAL.get(path[len("docker/library/") :])
    named = _tag_family(tokens) if spec is not None else _tag_family(_tokens(full) + tokens)
    if spec is None:
        if named is None:
            return _unknown(ref, _nonroot_hint(full, tag))
        family, distro = named
        guess = _rhel_pm(distro, path, tokens) if family is Family.RHEL else UNKNOWN
        return _finish(ref, family, distro, None, UNKNOWN if _nonroot_hint(full, tag) else "root", guess)
    if named is not None:
        family, distro = named
    elif isinstance(ref.tag, Unknown) and "slim" not in tokens:
        # an unknown tag may pick any variant (-alpine, windowsservercore…)
        return _unknown(ref)
    elif path == "openjdk":
        family, distro = _openjdk(tokens)
    else:
        family, distro = spec.family, spec.distro or spec.family.value
    if family is Family.WINDOWS:
        return _finish(ref, family, "windows", None, UNKNOWN)
    pm: str | None | Unknown = UNKNOWN
    if family is Family.RHEL:
        pm = _rhel_pm(distro, path, tokens)
        if path in ("mysql", "openjdk") and distro == "oraclelinux":
            pm = "microdnf"
    if path == "buildpack-deps" and any(t in _UBUNTU_CODENAMES for t in tokens):
        family, distro = Family.UBUNTU, "ubuntu"
    default_user = _NONROOT_DEFAULT.get(path, "root")
    if path == "haproxy":  # USER haproxy from 2.4 on
        versions = [t for t in tokens if t[:1].isdigit()]
        parts = versions[0].split(".") if versions else []
        known = len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit()
        default_user = "root" if known and (int(parts[0]), int(parts[1])) < (2, 4) else "haproxy"
    return _finish(ref, family, distro, spec, default_user, pm)


def _openjdk(tokens: list[str]) -> tuple[Family, str]:
    """openjdk: 8 and 11 are Debian; from 12 on the default tags are Oracle
    Linux (``-slim``/``-buster``/``-bullseye`` Debian, named by the tag)."""
    versions = [t for t in tokens if t[:1].isdigit()]
    if "slim" in tokens:
        return Family.DEBIAN, "debian"
    major = versions[0].split(".", 1)[0].split("u", 1)[0] if versions else ""
    if major in ("6", "7", "8", "9", "10", "11"):
        return Family.DEBIAN, "debian"
    return Family.RHEL, "oraclelinux"


def _vendor(ref: ImageRef, full: str, path: str, tag: str, tokens: list[str]) -> ImageInfo | None:
    """Images of vendors known by their registry path."""
    if full.startswith("gcr.io/distroless/"):
        debug = "debug" in tokens
        nonroot = "nonroot" in tokens
        info = _finish(ref, Family.DISTROLESS, "distroless", None, "nonroot" if nonroot else "root")
        if debug:  # a busybox shell at /busybox/sh, no /bin/sh
            return replace(info, has_shell=False)
        return info
    if full.startswith(("cgr.dev/chainguard/", "cgr.dev/")):
        dev = any(t.endswith("dev") for t in tokens) or path.endswith("wolfi-base")
        return ImageInfo(
            ref=ref,
            family=Family.WOLFI,
            distro="wolfi",
            package_manager="apk" if dev else None,
            has_shell=True if dev else UNKNOWN,
            default_user=UNKNOWN,
            users=_FAMILY_USERS[Family.WOLFI],
            libc="glibc",
            nonroot_hint=True,
        )
    if full.startswith(("registry.access.redhat.com/", "registry.redhat.io/")) and re.match(r"ubi\d+", path):
        pm = _rhel_pm("ubi", path, tokens)
        info = _finish(ref, Family.RHEL, "ubi", None, "root", pm)
        return replace(info, workdir="/")
    if full.startswith("mcr.microsoft.com/"):
        sub = path
        if (
            sub.startswith(("windows", "powershell"))
            or "/framework/" in f"/{sub}/"
            or any(t.startswith(("windowsservercore", "nanoserver", "ltsc")) for t in tokens)
        ):
            if sub.startswith("powershell") and not any(
                t.startswith(("windowsservercore", "nanoserver", "ltsc")) for t in tokens
            ):
                return None
            return _finish(ref, Family.WINDOWS, "windows", None, UNKNOWN)
        if sub.startswith("dotnet/"):
            # the `app` user ships from .NET 8 on (dotnet/core/*:3.1, dotnet/aspnet:6.0 have none)
            versions = [t for t in tokens if t[:1].isdigit()]
            major = versions[0].split(".", 1)[0] if versions else ""
            old = sub.startswith("dotnet/core") or (major.isdigit() and int(major) < 8)
            app = () if old else (ImageUser("app", 1654, 1654, "/home/app"),)
            named = _tag_family(tokens)
            if named is None:
                if isinstance(ref.tag, Unknown):
                    return _unknown(ref)
                named = (Family.DEBIAN, "debian")
            family, distro = named
            if family is Family.DISTROLESS:  # -chiseled: Ubuntu without shell, runs as app
                info = _finish(ref, family, distro, None, "app" if app else UNKNOWN)
                return replace(info, users=(_ROOT, *app))
            pm = "tdnf" if family is Family.PHOTON else UNKNOWN
            info = _finish(ref, family, distro, _Spec(family, app), "root", pm)
            return info
    return None


__all__ = [
    "HOLE",
    "OFFICIAL",
    "SCRATCH",
    "SERVICES",
    "TINI_PATHS",
    "UNKNOWN",
    "Family",
    "ImageInfo",
    "ImageRef",
    "ImageUser",
    "Unknown",
    "UserTool",
    "image_info",
    "parse_ref",
    "tini_package",
]
