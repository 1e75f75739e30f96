from __future__ import annotations

from ... import tools
from ...shell import Command
from ._cache import Run
from ._cache_rule import CacheMountRule, CutArg, CutCommand, Fight, ReplaceArg, Use, with_dirs

_INSTALL = {"add", "upgrade", "fix"}
_UPDATE_FLAGS = {"-U", "--update-cache", "--update"}
_NOT_ALPINE = {
    "debian",
    "ubuntu",
    "centos",
    "fedora",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "oraclelinux",
    "archlinux",
    "buildpack-deps",
    "opensuse/leap",
    "opensuse/tumbleweed",
    "redhat/ubi8",
    "redhat/ubi9",
    "registry.access.redhat.com/ubi8",
    "registry.access.redhat.com/ubi9",
    "kalilinux/kali-rolling",
}
# official images with Debian and Alpine variants: Alpine only when the tag says so
_VARIANTS = {
    "python",
    "node",
    "golang",
    "ruby",
    "php",
    "rust",
    "nginx",
    "httpd",
    "postgres",
    "redis",
    "openjdk",
    "eclipse-temurin",
    "maven",
    "gradle",
    "perl",
    "haproxy",
    "traefik",
    "memcached",
    "rabbitmq",
    "erlang",
    "elixir",
    "julia",
    "composer",
    "docker",
    "bash",
    "caddy",
    "mongo",
    "mariadb",
    "mysql",
}


def _sub(cmd: Command) -> str | None:
    """The first word of an ``apk`` command's subcommand (:mod:`dockfix.tools.apk`)."""
    p = tools.parse(cmd, tool="apk")
    return p.subcommand[0] if p is not None and p.sub_known and p.subcommand else None


def _updated(run: Run, cmd: Command) -> bool:
    """``cmd`` fetches the index (-U) or an `apk update` always runs before it."""
    return any(a.value in _UPDATE_FLAGS for a in cmd.args) or run.always_before(
        cmd, lambda c: _sub(c) == "update"
    )


def _no_cache(cmd: Command):
    return [a for a in cmd.args if a.value == "--no-cache"]


class ApkCacheMount(CacheMountRule):
    """
    ## What it does
    Adds BuildKit cache mounts for apk's cache to RUNs that run `apk add`
    (or `upgrade`, `fix`): `--mount=type=cache,target=/var/cache/apk,sharing=locked`
    and `--mount=type=cache,target=/etc/apk/cache,sharing=locked`. apk keeps
    downloaded packages only when `/etc/apk/cache` exists (Alpine's
    `setup-apkcache` makes it a symlink to `/var/cache/apk`); Docker images
    do not have it. Mounting the cache directly on `/etc/apk/cache` is the
    symlink-safe form: nothing is linked or created in the image (BuildKit
    removes the empty mount point after the RUN), it works whether or not
    the image already has `/etc/apk/cache` as a symlink (the mount follows
    it), and `/var/cache/apk` — where apk writes its indexes when there is
    no `/etc/apk/cache`, and what hadolint's DL3019 looks for — is covered
    as well. In the same RUN, `--no-cache` becomes `--update-cache` (apk
    must still fetch a fresh index, which `--no-cache` did) or is dropped
    when the index is fetched anyway (`-U`, or an `apk update` before), and
    `rm -rf /var/cache/apk/*` and `apk cache clean` are removed.

    ## Why
    Without a cache mount, every rebuild of the layer downloads the index
    and every package again. `--no-cache` keeps the image small, but a cache
    mount does that too and keeps the packages for the next build. No
    hadolint rule covers this (hadolint's DL3019 asks for `--no-cache` and
    accepts a `/var/cache/apk` cache mount instead).

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM alpine:3.20
    RUN --mount=type=cache,target=/var/cache/apk,sharing=locked --mount=type=cache,target=/etc/apk/cache,sharing=locked apk add --update-cache curl
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer, apk
    verifies cached packages against the index it has just fetched, and it
    installs the same packages, so the image is the same — without the
    index and packages, which `--no-cache` kept out of it before. Only RUNs
    that fetch the index themselves (`--no-cache`, `-U`, `apk update`) get
    the mounts: an `apk add` relying on an index an earlier layer left would
    not see it under a mount, and an earlier RUN whose index such a later
    RUN relies on is left alone too. RUNs as another user than root,
    with `--cache-dir`, with another mount there, or in an image that is
    not Alpine-based (a Debian tag of a multi-variant image, or a stage that
    also uses apt/dnf/yum) are left alone and not reported. Builders that
    leave empty mount points in the image (Buildah before it learnt to clean
    them up) would leave an empty `/etc/apk/cache` behind, which makes later
    `apk add` without `--no-cache` keep their packages in the image.
    """

    code = "DF219"
    looks_at = ("RUN",)
    supersedes = ("DF106",)  # the cache mount makes their cleanup moot
    name = "apk-cache-mount"
    summary = "Cache apk's index and packages with `RUN --mount=type=cache`"
    store = True

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        return _sub(cmd) in _INSTALL and not _no_cache(cmd) and not _updated(run, cmd)

    def _alpine(self, run: Run) -> bool:
        repo, tag = run.base, run.tag
        if "alpine" in repo or "alpine" in tag:
            return True
        if repo in _NOT_ALPINE or repo in _VARIANTS:
            return False
        return not run.so_far("apk.other_manager", lambda c: c.program in _OTHER_MANAGERS)

    def use(self, run: Run, cmd: Command) -> Use | None:
        """``/var/cache/apk`` and ``/etc/apk/cache`` (:mod:`dockfix.tools.apk`),
        for root in an Alpine image, without ``--cache-dir``."""
        sub = _sub(cmd)
        if sub not in _INSTALL:
            return None
        use = Use(cmd, f"apk {sub}")
        dirs = [
            run.cache_dir(spec, cmd, tools.parse(cmd, tool="apk"))
            for spec in (tools.apk.CACHE, tools.apk.PACKAGE_CACHE)
        ]
        if (
            run.who is None
            or not run.who.root
            or any(d.option is not None for d in dirs)
            or not self._alpine(run)
        ):
            return use
        fights: list[Fight] = [
            CutArg(cmd, a) if _updated(run, cmd) else ReplaceArg(cmd, a, "--update-cache")
            for a in _no_cache(cmd)
        ]
        return with_dirs(run, use, dirs, fights, sharing="locked")

    def cleaners(self, run: Run, uses: list[Use]) -> list[Fight]:
        return [
            CutCommand(cmd)
            for cmd in run.script.commands
            if (p := tools.parse(cmd, tool="apk")) is not None and tools.apk.is_cache_clean(p)
        ]


_OTHER_MANAGERS = ("apt-get", "apt", "dnf", "yum", "microdnf", "zypper", "dpkg", "rpm")
