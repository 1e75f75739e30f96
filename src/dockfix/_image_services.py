# mypy: disallow-untyped-defs, disallow-incomplete-defs, disallow-untyped-calls, disallow-any-generics
# mypy: check-untyped-defs, warn-return-any, no-implicit-reexport, strict-equality
"""The part of the image table (:mod:`dockfix.images`, which exports it)
about running and administering an image: the servers that start as root
and drop privileges themselves, how each distribution family creates a
system user, and where its tini package comes from.  Read these facts
through :class:`dockfix.images.ImageInfo` (``starts_as_root``,
``user_tool``) and :func:`dockfix.images.tini_package`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from msgspec import Struct

from ._image_ref import Family, ImageRef

if TYPE_CHECKING:
    from .images import ImageInfo

#: accounts of a whole family that are no app's user
SYSTEM_USERS: Final = frozenset({"root", "nobody", "www-data"})

#: Images whose server starts as root and drops privileges itself, or keeps
#: its state in folders only root may write: a USER breaks them.  Docker
#: Hub name → why.
SERVICES: Final[dict[str, str]] = {
    "nginx": "nginx starts as root (port 80, /var/cache/nginx, /var/run/nginx.pid) and runs its workers "
    "as `nginx` itself",
    "httpd": "httpd starts as root to bind port 80 and runs its workers as another user itself",
    "wordpress": "Apache (or php-fpm) starts as root and runs its workers as `www-data` itself",
    "postgres": "the image's entrypoint starts as root, prepares the data folder and switches to `postgres` itself",
    "mysql": "the image's entrypoint starts as root, prepares the data folder and switches to `mysql` itself",
    "mariadb": "the image's entrypoint starts as root, prepares the data folder and switches to `mysql` itself",
    "mongo": "the image's entrypoint starts as root, prepares the data folder and switches to `mongodb` itself",
    "redis": "the image's entrypoint starts as root, prepares /data and switches to `redis` itself",
    "rabbitmq": "the image's entrypoint starts as root and switches to `rabbitmq` itself",
    "tomcat": "Tomcat writes its logs, work and temp folders under /usr/local/tomcat, which are root's",
    "caddy": "Caddy binds ports 80 and 443 and keeps its state in /data and /config, which are root's",
    "traefik": "Traefik binds ports 80 and 443",
}
#: php's -apache and -fpm variants
PHP_SERVER: Final = "Apache or php-fpm starts as root and runs its workers as `www-data` itself"


class UserTool(Struct, frozen=True):
    """How an image creates a system user: ``kind`` is ``shadow``
    (groupadd/useradd) or ``busybox`` (addgroup/adduser), None when the
    image has no such tool (``why`` says so)."""

    kind: str | None
    why: str = ""


def user_tool(image: ImageInfo) -> UserTool:
    """The user tool the image ships (``ImageInfo.user_tool``)."""
    fam = image.family
    name = image.ref.text if image.ref is not None else fam.value
    if fam.debian_like or fam is Family.ARCH:
        return UserTool("shadow")
    if fam in (Family.ALPINE, Family.WOLFI, Family.BUSYBOX):
        return UserTool("busybox")
    if fam is Family.RHEL:
        if image.distro == "amazonlinux":
            return UserTool(None, f"`{name}` (Amazon Linux) ships without shadow-utils, so without useradd")
        if image.package_manager in ("dnf", "yum"):
            return UserTool("shadow")
        return UserTool(None, f"`{name}` is a minimal image without shadow-utils, so without useradd")
    if fam is Family.SCRATCH:
        return UserTool(None, "`scratch` has no /etc/passwd and no tool to create a user")
    if fam is Family.DISTROLESS:
        return UserTool(None, f"`{name}` has no shell or tool to create a user, and ships no non-root user")
    if fam in (Family.SUSE, Family.PHOTON):
        return UserTool(None, f"`{name}` is not known to ship useradd (shadow-utils)")
    return UserTool(
        None, f"the base image `{name}` is not one dockfix knows: how to create a user there is unknown"
    )


#: where the distribution's tini package puts the binary (by package manager)
TINI_PATHS: Final[dict[str, str]] = {"apt": "/usr/bin/tini", "apk": "/sbin/tini"}
#: releases whose archive has no tini package (Debian has it since buster,
#: Ubuntu since 18.10)
_NO_TINI_RELEASES: Final = frozenset({"wheezy", "jessie", "stretch", "trusty", "xenial", "bionic"})
_NO_TINI: Final[dict[Family, str]] = {
    Family.DISTROLESS: "a distroless image has no package manager (use an image that ships tini, or `docker run --init`)",
    Family.SCRATCH: "a `scratch` image has no package manager (use `docker run --init`)",
    Family.WINDOWS: "Windows images are not handled",
    Family.RHEL: "tini is not in the base repositories of RHEL-like images (only in EPEL)",
}


def tini_package(family: Family, ref: ImageRef | None) -> tuple[str | None, str]:
    """(package manager that installs the ``tini`` package, "") or (None,
    why not) for an image of ``family`` (``ref`` tells its release); the
    binary's path is ``TINI_PATHS[manager]``."""
    if family.debian_like:
        tag = (ref.pattern_tag if ref is not None else "").lower()
        old = next((t for t in re.split(r"[^a-z0-9]+", tag) if t in _NO_TINI_RELEASES), None)
        if old is not None:
            return None, f"`{old}` has no tini package"
        return "apt", ""
    if family is Family.ALPINE:
        return "apk", ""
    return None, _NO_TINI.get(family, "dockfix knows no tini package for this base image")


__all__ = ["PHP_SERVER", "SERVICES", "SYSTEM_USERS", "TINI_PATHS", "UserTool", "tini_package", "user_tool"]
