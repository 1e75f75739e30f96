"""What a dependency install reads from the project folder, per tool.

:class:`ProjectFiles` lists a tool's manifests (one of them must exist),
lock files, other files and folders it reads, and what the install writes
into the project (a ``COPY .`` after it would copy over them).
:class:`Install` says which subcommands install from those files, which
flag makes them install the dependencies only (so the project itself can
come after the full ``COPY``), which options make them read another
project, and when they need the project's sources.  The files are read
(``bc``, the build context) by the rule; this module only knows names.
"""

from __future__ import annotations

from msgspec import Struct


class ProjectFiles(Struct, frozen=True):
    manifests: tuple[str, ...]  # one of them is required, in the tool's order of preference
    locks: tuple[str, ...] = ()
    extras: tuple[str, ...] = ()  # other files the install reads when present
    dirs: tuple[str, ...] = ()  # folders the install reads when present
    creates: tuple[str, ...] = ()  # what the install writes into the project folder
    refuses: tuple[str, ...] = ()  # files that make the project a workspace of several

    @property
    def optional(self) -> tuple[str, ...]:
        """Files copied with the manifest when they exist."""
        return self.locks + self.extras


class Install(Struct, frozen=True):
    """An install from the project's manifest files.

    ``subcommands``: canonical subcommand paths that do it (``"ci"``,
    ``"install"``); ``deps_only``: flags that skip the project itself (the
    first one is the one to add when splitting); ``other_project``: options
    that point the install at another folder or manifest; ``sources``:
    when the install needs more than the manifests (plain words, for
    messages and docs)."""

    tool: str
    subcommands: tuple[str, ...]
    files: ProjectFiles
    deps_only: tuple[str, ...] = ()
    other_project: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


class OnPath(Struct, frozen=True):
    """What a command may put on PATH, or take off it (console scripts,
    global packages, binaries), besides the programs its operands name
    (``named``).  ``own``: programs it may replace when its package list is
    not literal (pip's own ``pip``, for ``pip install -r req.txt``);
    ``always``: programs it replaces whatever it names (``gem update
    --system``, ``uv self update``); ``prefixes``: the same by name prefix
    (``uv python install``: ``python3.12``); ``anything``: when the list is
    not literal, any program (a global npm package may ship any binary)."""

    own: tuple[str, ...] = ()
    always: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    named: bool = True
    anything: bool = False


__all__ = ["Install", "OnPath", "ProjectFiles"]
