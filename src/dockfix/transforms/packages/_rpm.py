"""yum / dnf / microdnf / tdnf / zypper: answer prompts, clean the cache."""

from __future__ import annotations

from ... import tools
from ._pkgcache import Invocation

# hadolint's view: (its code, command names, install words, clean words, rm counts)
_HADOLINT = {
    "yum": ("DL3032", frozenset({"yum"}), frozenset({"install"}), frozenset({"clean", "all"}), True),
    "dnf": (
        "DL3040",
        frozenset({"dnf"}),
        frozenset({"install", "reinstall", "upgrade", "upgrade-minimal"}),
        frozenset({"clean", "all"}),
        True,
    ),
    "microdnf": (
        "DL3040",
        frozenset({"microdnf"}),
        frozenset({"install", "reinstall", "upgrade", "upgrade-minimal"}),
        frozenset({"clean", "all"}),
        True,
    ),
    "zypper": (
        "DL3036",
        frozenset({"zypper"}),
        frozenset({"install", "in"}),
        frozenset({"clean", "cc"}),
        False,
    ),
}


def rpm_command(inv: Invocation) -> tools.Parsed | None:
    """The yum/dnf/microdnf/tdnf/zypper command ``inv`` runs, read with
    :mod:`dockfix.tools.rpm`'s grammar (``p.tool`` is the family)."""
    p = tools.parse(inv.cmd, unwrap=True)
    return p if p is not None and p.tool in tools.rpm.FAMILY else None


def name(p: tools.Parsed) -> str:
    """The command for messages, as written: ``dnf5 group install``, ``zypper in``."""
    return " ".join([p.program, *(t.value or t.text for t in p.sub_tokens)])


def installroot(p: tools.Parsed) -> bool:
    """Does the command work on another root (``--installroot``, zypper ``-R``/``--root``)?"""
    return p.has("--root") if p.tool == "zypper" else p.has("--installroot")
