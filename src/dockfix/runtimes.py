"""What an image needs at run time: ONE table of runtime variants and of
the packages a build installs.

* :func:`runtime_base` — the image a built artifact runs on: the ``-slim``
  variant of the same language image and version (``python:3.12`` →
  ``python:3.12-slim``, ``node:20-bookworm`` → ``node:20-bookworm-slim``),
  a JRE for a JDK or a Maven/Gradle image (``maven:3.9-eclipse-temurin-21``
  → ``eclipse-temurin:21-jre``), distroless ``static`` for a static Go
  binary, the same Debian release's slim image for a binary linked to
  glibc.  A digest cannot be carried over offline: it is dropped, and the
  answer says so (an image that is already the runtime one keeps its
  reference, digest included).  What cannot be known gives a :class:`Refusal` with the
  reason, never a guess.
* :func:`is_build_package` — compilers, headers and ``-dev`` packages
  (``gcc``, ``build-essential``, ``libpq-dev``, Alpine's ``musl-dev``…).
* :func:`runtime_package` — the library a ``-dev`` package stands for at
  run time (``libpq-dev`` → ``libpq5``; Alpine ``postgresql-dev`` →
  ``libpq``), per distribution family.

Base-image facts (family, users, package manager) stay in
:mod:`dockfix.images`; this module only adds the run-time side of them.
"""

from __future__ import annotations

import re

from msgspec import Struct

from .images import Family, ImageRef, Unknown, image_info

# -- runtime images --------------------------------------------------------------


class RuntimeBase(Struct, frozen=True):
    """The image to run on (``text``, a reference as written in FROM) and
    what the choice means: ``note`` for the finding's message (a dropped
    digest…); ``family``, ``has_shell`` and ``nonroot`` of that image."""

    text: str
    family: Family
    has_shell: bool
    note: str = ""
    #: the same image as the builder's (already slim): the split only pays
    #: when the build installs compilers or headers
    same: bool = False
    #: packages a program built on the language image expects and this
    #: image lacks (``ca-certificates`` on ``debian:*-slim``)
    packages: tuple[str, ...] = ()

    @property
    def manager(self) -> str | None:
        return "apt" if self.family.debian_like else "apk" if self.family.apk else None


class Refusal(Struct, frozen=True):
    """Why no runtime image can be chosen."""

    reason: str


_DEBIAN_RELEASES = {"bookworm": "12", "bullseye": "11", "trixie": "13", "buster": "10"}
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def _split_tag(tag: str) -> tuple[str, list[str]]:
    """``3.12-slim-bookworm`` → (``3.12``, [``slim``, ``bookworm``])."""
    parts = tag.split("-")
    if parts and _VERSION.match(parts[0]):
        return parts[0], parts[1:]
    return "", parts


def _digest_note(ref: ImageRef) -> str:
    if isinstance(ref.digest, str):
        return f"; the digest of `{ref.text}` cannot be carried over offline: pin the new base yourself"
    return ""


def _known_ref(ref: ImageRef) -> Refusal | None:
    if isinstance(ref.path, Unknown) or isinstance(ref.tag, Unknown) or isinstance(ref.registry, Unknown):
        return Refusal(f"the base image `{ref.text}` depends on a build argument")
    if not ref.official:
        return Refusal(f"`{ref.text}` is not a Docker Official Image dockfix knows the variants of")
    return None


def debian_release(ref: ImageRef) -> str | None:
    """The Debian codename a tag names (``1.22-bookworm`` → ``bookworm``),
    None when the tag does not say (the default variant follows Debian's
    current release, which changes over time)."""
    tag = ref.tag if isinstance(ref.tag, str) else ""
    for part in tag.split("-"):
        if part in _DEBIAN_RELEASES:
            return part
    return None


def _slim(ref: ImageRef, name: str) -> RuntimeBase | Refusal:
    """``name:V[-variant]`` → ``name:V-slim[-release]``; Alpine variants
    stay as they are (already small)."""
    tag = ref.tag if isinstance(ref.tag, str) else "latest"
    version, rest = _split_tag(tag)
    info = image_info(ref)
    if info.family is Family.ALPINE:
        return RuntimeBase(ref.text, Family.ALPINE, True, same=True)  # already small
    if info.family is not Family.DEBIAN:
        return Refusal(f"no slim variant of `{ref.text}` is known")
    if tag == "latest":
        return RuntimeBase(f"{name}:slim", Family.DEBIAN, True, _digest_note(ref))
    release = [p for p in rest if p in _DEBIAN_RELEASES]
    if any(p not in _DEBIAN_RELEASES and p != "slim" for p in rest):
        return Refusal(f"no slim variant of the tag `{tag}` is known")
    # python, ruby, perl: 3.12-slim-bookworm; node: 20-bookworm-slim
    parts = ([version] if version else []) + (release + ["slim"] if name == "node" else ["slim"] + release)
    if "-".join(parts) == tag:
        return RuntimeBase(ref.text, Family.DEBIAN, True, same=True)
    return RuntimeBase(f"{name}:{'-'.join(parts)}", Family.DEBIAN, True, _digest_note(ref))


_JAVA_IMAGES = ("eclipse-temurin", "openjdk", "maven", "gradle", "amazoncorretto")


def _java_major(ref: ImageRef) -> str | None:
    tag = ref.tag if isinstance(ref.tag, str) else ""
    name = ref.name
    if name in ("eclipse-temurin", "openjdk", "amazoncorretto"):
        m = re.match(r"^(\d{1,2})(?:[.u_+-]|$)", tag)
        return m.group(1) if m else None
    # maven:3.9-eclipse-temurin-21, gradle:8.5-jdk21, maven:3-openjdk-17
    m = re.search(r"(?:eclipse-temurin|openjdk|amazoncorretto|corretto|jdk)-?(\d{1,2})(?:$|[-.])", tag)
    return m.group(1) if m else None


_JAVA_DISTROS = ("alpine", "jammy", "noble", "focal", "ubi9-minimal", "ubi10-minimal")


def _java(ref: ImageRef) -> RuntimeBase | Refusal:
    """A JRE of the same Java version (and of the same eclipse-temurin
    version and distribution when the image is one)."""
    major = _java_major(ref)
    if major is None:
        return Refusal(f"the Java version of `{ref.text}` is not in its tag")
    tag = ref.tag if isinstance(ref.tag, str) else ""
    if ref.name == "eclipse-temurin":
        parts = tag.split("-")
        if "jre" in parts:
            return RuntimeBase(ref.text, _java_family(tag), True, same=True)
        if "jdk" in parts:
            parts[parts.index("jdk")] = "jre"
        else:
            parts.insert(1, "jre")
        return RuntimeBase(f"eclipse-temurin:{'-'.join(parts)}", _java_family(tag), True, _digest_note(ref))
    distro = next((d for d in _JAVA_DISTROS if tag.endswith(d)), "")
    new = f"eclipse-temurin:{major}-jre" + (f"-{distro}" if distro else "")
    return RuntimeBase(new, _java_family(distro), True, _digest_note(ref))


def _java_family(tag: str) -> Family:
    return Family.ALPINE if "alpine" in tag else Family.RHEL if "ubi" in tag else Family.UBUNTU


def runtime_base(ref: ImageRef, *, static: bool = False, needs_shell: bool = True) -> RuntimeBase | Refusal:
    """The image an artifact built on ``ref`` runs on.

    ``static``: the artifact is a static binary (Go with cgo off): any
    image runs it — distroless ``static`` (no shell, runs as ``nonroot``)
    unless ``needs_shell``, then the slim image of the builder's Debian
    release.  Otherwise a binary linked to glibc needs the same Debian
    release as the builder (named in the tag)."""
    refused = _known_ref(ref)
    if refused is not None:
        return refused
    name = ref.name
    assert isinstance(name, str)
    if name in ("python", "node", "ruby", "perl"):
        return _slim(ref, name)
    if name in _JAVA_IMAGES:
        return _java(ref)
    if name in ("golang", "rust", "gcc"):
        info = image_info(ref)
        if info.family is Family.ALPINE:
            tag = ref.tag if isinstance(ref.tag, str) else ""
            m = re.search(r"alpine(\d+\.\d+)", tag)
            return RuntimeBase(f"alpine:{m.group(1) if m else '3'}", Family.ALPINE, True, _digest_note(ref))
        if static and not needs_shell:
            return RuntimeBase("gcr.io/distroless/static-debian12:nonroot", Family.DISTROLESS, False, "")
        release = debian_release(ref)
        certs = ("ca-certificates",)  # the language images have them, debian:*-slim does not
        if release is None and static:  # a static binary runs on any release
            return RuntimeBase("debian:bookworm-slim", Family.DEBIAN, True, _digest_note(ref), packages=certs)
        if release is None:
            return Refusal(
                f"the tag of `{ref.text}` does not name its Debian release, so the runtime's C library "
                f"cannot be matched: pin it (e.g. `{name}:<version>-bookworm`)"
            )
        return RuntimeBase(f"debian:{release}-slim", Family.DEBIAN, True, _digest_note(ref), packages=certs)
    return Refusal(f"dockfix knows no runtime image for `{ref.text}`")


#: programs the full language images have (buildpack-deps) and their
#: ``-slim`` variants lack: program → Debian package
FULL_ONLY: dict[str, str] = {
    "curl": "curl", "wget": "wget", "git": "git", "gpg": "gnupg", "dirmngr": "dirmngr", "hg": "mercurial",
    "svn": "subversion", "ssh": "openssh-client", "scp": "openssh-client", "ps": "procps", "pkill": "procps",
    "pgrep": "procps", "top": "procps", "free": "procps", "unzip": "unzip", "zip": "zip", "file": "file",
    "make": "make", "gcc": "gcc", "g++": "g++", "cc": "gcc", "c++": "g++", "patch": "patch",
    "pkg-config": "pkg-config", "autoconf": "autoconf", "automake": "automake", "convert": "imagemagick",
    "identify": "imagemagick", "mysql": "default-mysql-client", "psql": "postgresql-client", "bzip2": "bzip2",
}  # fmt: skip
#: programs of a JDK that a JRE does not have
JDK_ONLY = frozenset(
    {"javac", "jar", "jarsigner", "javadoc", "javap", "jdeps", "jlink", "jmod", "jpackage", "jshell", "jcmd",
     "jconsole", "jdb", "jhsdb", "jinfo", "jmap", "jps", "jstack", "jstat", "jstatd", "jfr", "serialver"}
)  # fmt: skip


# -- build packages -------------------------------------------------------------


#: packages that only build (compilers, make, headers), by family
def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_BUILD_TOOLS: dict[str, frozenset[str]] = {
    "apt": _names(
        "build-essential gcc g++ cpp make cmake ninja-build autoconf automake libtool pkg-config pkgconf "
        "clang llvm gfortran bison flex swig cargo rustc golang-go patch dpkg-dev"
    ),
    "apk": _names(
        "build-base gcc g++ make cmake ninja autoconf automake libtool pkgconfig pkgconf clang llvm "
        "gfortran bison flex swig musl-dev linux-headers cargo rust go patch"
    ),
}


def is_build_package(name: str, manager: str) -> bool:
    """A package only a build needs: a compiler or build tool, or headers
    (``-dev``/``-devel``/``-headers``)."""
    tools = _BUILD_TOOLS.get(manager)
    if tools is None:
        return False
    base = name.split("=", 1)[0].split(":", 1)[0]
    return base in tools or base.endswith(("-dev", "-devel", "-headers")) or base.startswith("python3-dev")


#: ``-dev`` package → the run-time library it stands for (Debian bookworm
#: and later, Ubuntu 22.04 and later; names apt resolves on all of them)
_RUNTIME_APT: dict[str, str] = {
    "libpq-dev": "libpq5",
    "libffi-dev": "libffi8",
    "libssl-dev": "libssl3",
    "libxml2-dev": "libxml2",
    "libxslt1-dev": "libxslt1.1",
    "libxslt-dev": "libxslt1.1",
    "default-libmysqlclient-dev": "libmariadb3",
    "libmariadb-dev": "libmariadb3",
    "libmariadb-dev-compat": "libmariadb3",
    "libjpeg-dev": "libjpeg62-turbo",
    "libjpeg62-turbo-dev": "libjpeg62-turbo",
    "zlib1g-dev": "zlib1g",
    "libpng-dev": "libpng16-16",
    "libsqlite3-dev": "libsqlite3-0",
    "libyaml-dev": "libyaml-0-2",
    "libbz2-dev": "libbz2-1.0",
    "liblzma-dev": "liblzma5",
    "libreadline-dev": "libreadline8",
    "libncurses-dev": "libncursesw6",
    "libncurses5-dev": "libncursesw6",
    "libgdbm-dev": "libgdbm6",
    "libcurl4-openssl-dev": "libcurl4",
    "libldap2-dev": "libldap-2.5-0",
    "libsasl2-dev": "libsasl2-2",
    "libmagic-dev": "libmagic1",
    "libfreetype6-dev": "libfreetype6",
    "libfreetype-dev": "libfreetype6",
    "libwebp-dev": "libwebp7",
    "libtiff-dev": "libtiff6",
    "libtiff5-dev": "libtiff6",
    "liblcms2-dev": "liblcms2-2",
    "libopenjp2-7-dev": "libopenjp2-7",
    "libzstd-dev": "libzstd1",
    "libsnappy-dev": "libsnappy1v5",
    "libgmp-dev": "libgmp10",
    "libkrb5-dev": "libkrb5-3",
    "unixodbc-dev": "unixodbc",
    "libgeos-dev": "libgeos-c1v5",
    "libproj-dev": "proj-bin",
    "libcairo2-dev": "libcairo2",
    "libpango1.0-dev": "libpango-1.0-0",
    "libglib2.0-dev": "libglib2.0-0",
    "libusb-1.0-0-dev": "libusb-1.0-0",
    "libsodium-dev": "libsodium23",
    "libzmq3-dev": "libzmq5",
    "libpcre3-dev": "libpcre3",
    "libuuid1-dev": "libuuid1",
    "uuid-dev": "libuuid1",
    "libexpat1-dev": "libexpat1",
    "libedit-dev": "libedit2",
    "libaio-dev": "libaio1",
}
#: headers whose library every image of the family already ships
_IN_BASE_APT = frozenset(
    {"libc6-dev", "libc-dev", "linux-libc-dev", "python3-dev", "python-dev", "libpython3-dev"}
)

_RUNTIME_APK: dict[str, str] = {
    "postgresql-dev": "libpq",
    "libpq-dev": "libpq",
    "libffi-dev": "libffi",
    "openssl-dev": "libssl3",
    "libressl-dev": "libressl",
    "libxml2-dev": "libxml2",
    "libxslt-dev": "libxslt",
    "mariadb-dev": "mariadb-connector-c",
    "mariadb-connector-c-dev": "mariadb-connector-c",
    "jpeg-dev": "libjpeg-turbo",
    "libjpeg-turbo-dev": "libjpeg-turbo",
    "zlib-dev": "zlib",
    "libpng-dev": "libpng",
    "sqlite-dev": "sqlite-libs",
    "yaml-dev": "yaml",
    "bzip2-dev": "libbz2",
    "xz-dev": "xz-libs",
    "readline-dev": "readline",
    "ncurses-dev": "ncurses-libs",
    "curl-dev": "libcurl",
    "openldap-dev": "libldap",
    "cyrus-sasl-dev": "libsasl",
    "libmagic": "libmagic",
    "freetype-dev": "freetype",
    "libwebp-dev": "libwebp",
    "tiff-dev": "tiff",
    "lcms2-dev": "lcms2",
    "openjpeg-dev": "openjpeg",
    "zstd-dev": "zstd-libs",
    "gmp-dev": "gmp",
    "krb5-dev": "krb5-libs",
    "unixodbc-dev": "unixodbc",
    "geos-dev": "geos",
    "cairo-dev": "cairo",
    "glib-dev": "glib",
    "libsodium-dev": "libsodium",
    "zeromq-dev": "libzmq",
    "pcre-dev": "pcre",
    "util-linux-dev": "libuuid",
    "expat-dev": "expat",
    "libedit-dev": "libedit",
}
_IN_BASE_APK = frozenset({"musl-dev", "linux-headers", "python3-dev", "libc-dev"})


def runtime_package(name: str, manager: str) -> str | None | Unknown:
    """The run-time library the build package ``name`` stands for; None when
    nothing is needed at run time (a compiler, a header of a library the
    image already has); UNKNOWN when dockfix cannot tell."""
    from .images import UNKNOWN

    base = name.split("=", 1)[0]
    if manager == "apt":
        table, in_base = _RUNTIME_APT, _IN_BASE_APT
    elif manager == "apk":
        table, in_base = _RUNTIME_APK, _IN_BASE_APK
    else:
        return UNKNOWN
    if base in table:
        return table[base]
    if base in in_base or base in _BUILD_TOOLS[manager]:
        return None
    return UNKNOWN


__all__ = [
    "FULL_ONLY",
    "JDK_ONLY",
    "Refusal",
    "RuntimeBase",
    "debian_release",
    "is_build_package",
    "runtime_base",
    "runtime_package",
]
