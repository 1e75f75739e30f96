"""yum / dnf / microdnf / tdnf / zypper: answer prompts, clean the cache."""

from __future__ import annotations

from ... import tools
from ._pkgcache import RunSite, invocations

# hadolint's view: (its code, command names, install words, clean words, rm counts)
_HADOLINT = {
    tool: (code, frozenset({tool}), frozenset(installs.split()), frozenset(cleans.split()), rm)
    for tool, code, installs, cleans, rm in (
        ("yum", "DL3032", "install", "clean all", True),
        ("dnf", "DL3040", "install reinstall upgrade upgrade-minimal", "clean all", True),
        ("microdnf", "DL3040", "install reinstall upgrade upgrade-minimal", "clean all", True),
        ("zypper", "DL3036", "install in", "clean cc", False),
    )
}


def rpm_commands(site: RunSite) -> list[tuple[int, tools.Parsed]]:
    """The yum/dnf/microdnf/tdnf/zypper commands of a RUN (index among its
    commands, the command read with :mod:`dockfix.tools.rpm`'s grammar:
    ``p.tool`` is the family)."""
    out = []
    for i, inv in invocations(site.script):
        p = tools.parse(inv.cmd, unwrap=True)
        if p is not None and p.tool in tools.rpm.FAMILY:
            out.append((i, p))
    return out


def installroot(p: tools.Parsed) -> bool:
    """Does the command work on another root (``--installroot``, zypper ``-R``/``--root``)?"""
    return p.has("--root") if p.tool == "zypper" else p.has("--installroot")
