"""Which Dockerfile syntax the frontend that builds a file understands.

The ``# syntax=`` directive picks the Dockerfile frontend; a pinned old one
lacks newer syntax (``docker/dockerfile:1.0`` has no ``RUN --mount``, which
came to the stable channel in 1.2).  Every rule that writes BuildKit-only
syntax asks :func:`frontend` (or ``Context.frontend``) first, so no fix
ever emits syntax the pinned frontend cannot parse.

Versions come from the Dockerfile frontend's release notes: ``RUN --mount``
(cache, bind, tmpfs, secret, ssh) and ``COPY``/``ADD --chmod`` in 1.2 (the
mounts were in the ``-experimental`` tags of 1.0 and 1.1 before; uid/gid
of cache mounts since 1.1.2-experimental), ``RUN --network`` in 1.3,
heredocs (1.3-labs) and ``--link`` in 1.4, ``ADD --checksum`` (1.5-labs)
and ``ADD`` of git URLs in 1.6, ``--exclude`` (1.7-labs) in 1.19,
``RUN --mount=type=secret,env=`` (the secret as a variable) in 1.10,
``COPY --parents`` (1.7-labs) and ``RUN --security`` in 1.20.

Without a directive the builder's own frontend is used; the rules then add
``# syntax=docker/dockerfile:1`` along with the new syntax, so every stable
feature is available.  A directive this module cannot read (a third-party
frontend, a bare digest, an unknown tag) supports nothing new.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from msgspec import Struct

if TYPE_CHECKING:
    from .tree import Dockerfile, Node

# features (the syntax a rule may write)
MOUNT_CACHE = "RUN --mount=type=cache"
MOUNT_CACHE_IDS = "uid/gid of RUN --mount=type=cache"
MOUNT_BIND = "RUN --mount=type=bind"
MOUNT_TMPFS = "RUN --mount=type=tmpfs"
MOUNT_SECRET = "RUN --mount=type=secret"
MOUNT_SECRET_ENV = "`env=` of secret mounts"  # RUN --mount=type=secret,env=NAME
MOUNT_SSH = "RUN --mount=type=ssh"
RUN_NETWORK = "RUN --network"
RUN_SECURITY = "RUN --security"
RUN_DEVICE = "RUN --device"
HEREDOC = "heredocs"
COPY_LINK = "COPY --link"
COPY_CHMOD = "COPY --chmod"
COPY_PARENTS = "COPY --parents"
COPY_EXCLUDE = "COPY --exclude"
ADD_CHECKSUM = "ADD --checksum"
ADD_GIT = "ADD of a git repository"
ADD_KEEP_GIT_DIR = "ADD --keep-git-dir"
ADD_UNPACK = "ADD --unpack"

_MOUNTS = (MOUNT_CACHE, MOUNT_BIND, MOUNT_TMPFS, MOUNT_SECRET, MOUNT_SSH)

#: first stable docker/dockerfile version with the feature
STABLE: dict[str, tuple[int, int, int]] = {
    **{m: (1, 2, 0) for m in _MOUNTS},
    MOUNT_CACHE_IDS: (1, 2, 0),
    COPY_CHMOD: (1, 2, 0),
    RUN_NETWORK: (1, 3, 0),
    HEREDOC: (1, 4, 0),
    MOUNT_SECRET_ENV: (1, 10, 0),
    COPY_LINK: (1, 4, 0),
    ADD_CHECKSUM: (1, 6, 0),
    ADD_GIT: (1, 6, 0),
    ADD_KEEP_GIT_DIR: (1, 6, 0),
    COPY_EXCLUDE: (1, 19, 0),
    COPY_PARENTS: (1, 20, 0),
    RUN_SECURITY: (1, 20, 0),
}
#: first ``-labs`` version with the feature before it was stable
LABS: dict[str, tuple[int, int, int]] = {
    RUN_NETWORK: (1, 2, 1),
    RUN_SECURITY: (1, 2, 0),
    HEREDOC: (1, 3, 0),
    ADD_CHECKSUM: (1, 5, 0),
    ADD_KEEP_GIT_DIR: (1, 5, 0),
    COPY_PARENTS: (1, 7, 0),
    COPY_EXCLUDE: (1, 7, 0),
    RUN_DEVICE: (1, 14, 0),
}
#: features of the ``-experimental`` tags (before 1.2 renamed them labs)
EXPERIMENTAL: dict[str, tuple[int, int, int]] = {
    **{m: (1, 0, 0) for m in _MOUNTS},
    MOUNT_CACHE_IDS: (1, 1, 2),
    RUN_SECURITY: (1, 1, 2),
}
ALL_STABLE = frozenset(STABLE)
ALL = frozenset(STABLE) | frozenset(LABS) | frozenset(EXPERIMENTAL)

_REF = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io|mirror\.gcr\.io)/)?docker/(dockerfile|dockerfile-upstream)"
    r"(?::([\w][\w.-]*))?(?:@sha256:[0-9a-f]{64})?$",
    re.IGNORECASE,
)
_TAG = re.compile(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-(rc\d*|labs|experimental))?$")


class Frontend(Struct, frozen=True):
    """The Dockerfile frontend of a file: ``ref`` is the ``# syntax=`` value
    (None without one), ``features`` what it understands of the syntax this
    module knows, ``known`` whether the directive could be read."""

    ref: str | None
    features: frozenset[str]
    known: bool = True

    def supports(self, *features: str) -> bool:
        return all(f in self.features for f in features)

    def lacks(self, *features: str) -> list[str]:
        return [f for f in features if f not in self.features]

    def why_not(self, *features: str) -> str:
        """Why a fix using ``features`` is not made (for messages)."""
        missing = self.lacks(*features)
        if not self.known:
            return f"the file's frontend `{self.ref}` is not one whose syntax dockfix knows"
        first = max((STABLE[f] for f in missing if f in STABLE), default=None)
        what = " and ".join(f"`{f}`" if f.startswith(("RUN", "COPY", "ADD")) else f for f in missing)
        need = f", which needs docker/dockerfile:{first[0]}.{first[1]} or later" if first else ""
        return f"the pinned frontend `{self.ref}` lacks {what}{need}"


def parse_frontend(ref: str | None) -> Frontend:
    """The Frontend a ``# syntax=`` value selects (None: no directive)."""
    if ref is None:
        return Frontend(None, ALL_STABLE)
    value = ref.strip()
    m = _REF.match(value)
    if not m:
        return Frontend(value, frozenset(), known=False)
    repo, tag = m.group(1).lower(), m.group(2)
    if tag is None:
        if "@" in value:  # a bare digest: which version is unknown
            return Frontend(value, frozenset(), known=False)
        tag = "latest"
    if repo == "dockerfile-upstream" and tag in ("master", "master-labs"):
        return Frontend(value, ALL)
    if tag in ("latest", "1"):
        return Frontend(value, ALL_STABLE)
    if tag in ("labs", "1-labs"):
        return Frontend(value, ALL)
    if tag == "experimental":  # the experimental channel ended with 1.1.x
        return Frontend(value, _features((1, 1, 7), "experimental"))
    t = _TAG.match(tag)
    if not t or t.group(1) != "1" or t.group(2) is None:
        return Frontend(value, frozenset(), known=False)
    version = (1, int(t.group(2) or 99999), int(t.group(3) or 99999))
    return Frontend(value, _features(version, t.group(4) or ""))


def _features(version: tuple[int, int, int], channel: str) -> frozenset[str]:
    out = {f for f, v in STABLE.items() if version >= v}
    if channel in ("labs", "experimental"):
        out |= {f for f, v in LABS.items() if version >= v}
        out |= {f for f, v in EXPERIMENTAL.items() if version >= v}
    return frozenset(out)


#: BuildKit-only flags: instruction -> flag -> feature (None: not versioned here)
FLAGS: dict[str, dict[str, str | None]] = {
    "RUN": {"mount": None, "network": RUN_NETWORK, "security": RUN_SECURITY, "device": RUN_DEVICE},
    "COPY": {"link": COPY_LINK, "parents": COPY_PARENTS, "exclude": COPY_EXCLUDE, "chmod": COPY_CHMOD},
    "ADD": {"link": COPY_LINK, "checksum": ADD_CHECKSUM, "keep-git-dir": ADD_KEEP_GIT_DIR,
            "exclude": COPY_EXCLUDE, "chmod": COPY_CHMOD, "unpack": None},
}  # fmt: skip
_MOUNT_TYPES = {"cache": MOUNT_CACHE, "bind": MOUNT_BIND, "tmpfs": MOUNT_TMPFS, "secret": MOUNT_SECRET,
                "ssh": MOUNT_SSH}  # fmt: skip


def features_used(tree: Dockerfile) -> list[tuple[Node, str, str | None]]:
    """(node, description, feature) of every BuildKit-only syntax the file
    uses (``feature`` None when this module does not know its versions)."""
    found: list[tuple[Node, str, str | None]] = []
    for top in tree.instructions:
        for ins in (top, top.inner) if top.inner is not None else (top,):
            for flag in ins.flags:
                table = FLAGS.get(ins.keyword, {})
                if flag.name not in table:
                    continue
                feature = table[flag.name]
                if ins.keyword == "RUN" and flag.name == "mount":
                    kind, keys = "bind", set()
                    for part in (flag.value or "").split(","):
                        k, _, v = part.partition("=")
                        keys.add(k.strip().lower())
                        if k.strip().lower() == "type":
                            kind = v.strip().lower()
                    feature = _MOUNT_TYPES.get(kind)
                    if kind == "secret" and "env" in keys:
                        feature = MOUNT_SECRET_ENV
                found.append((flag, f"{ins.keyword} --{flag.name}", feature))
            if ins.heredocs and ins.inner is None:
                found.append((ins.heredocs[0], f"a heredoc in {ins.keyword}", HEREDOC))
    return found


def frontend(tree: Dockerfile) -> Frontend:
    """The frontend that builds ``tree`` (from its ``# syntax=`` directive)."""
    d = tree.directive("syntax")
    return parse_frontend(d.value if d is not None else None)


__all__ = ["Frontend", "features_used", "frontend", "parse_frontend"]
