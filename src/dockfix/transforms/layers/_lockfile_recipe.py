"""DF220 (lockfile first): the one analyser of installs from project manifests.

Every tool's install is read the same way: its grammar (``tools.parse``),
then its :class:`tools.Install` spec (``tools.INSTALLS``: the subcommands
that install, the options that point at another project, the manifest, lock
and other files, what the install creates, the dependencies-only flags),
then what this rule checks in the files, given by a :class:`Recipe` per tool
(the hooks of :mod:`._lockfile_python`, :mod:`._lockfile_node`...).  The
registry of analysers by tool is :mod:`._lockfile_analyse`.
"""

from __future__ import annotations

from collections.abc import Callable

from msgspec import Struct

from ... import tools
from ...shell import Command
from ._lockfile import Env, Install, Project, deps_project, forbid, need, optional, optional_dir, short

#: reads a parsed command: an :class:`Install` when it installs from project
#: files (maybe with a reason not to move it), None when it does not.
Analyser = Callable[[tools.Parsed, Command, Env], "Install | None"]
#: the content checks of one tool: set ``inst.reason`` (and ``project``,
#: the split) from what the files hold.
Check = Callable[[Install, Project, tools.Parsed, Command, Env], None]

VARIABLE = "an argument is a variable"


def default_files(inst: Install, project: Project, p: tools.Parsed, spec: tools.Install) -> bool:
    """The first manifest present (in the tool's order of preference), the
    lock and other files present, the folders present; False (a reason set)
    when no manifest is in the build context."""
    files = spec.files
    manifest = next((m for m in files.manifests if project.status(m) == "ok"), files.manifests[0])
    if not need(inst, project, manifest):
        return False
    optional(inst, project, *files.optional)
    for folder in files.dirs:
        optional_dir(inst, project, folder)
    return True


class Recipe(Struct, frozen=True):
    """How DF220 reads one tool's install from its project files.

    ``family``: the ecosystem (``python``, ``node``...: an install of the
    project after a dependencies-only install of the same family is already
    in the right order); ``spec``: the tool's :class:`tools.Install`;
    ``other_why``: why an option of ``spec.other_project`` (or ``refuse``)
    stops the move; ``creates_why``: what the files ``spec.files.creates``
    would be copied over (None: ``check`` looks at them itself).  Hooks:
    ``matches`` (default: one of ``spec.subcommands``), ``skip`` (after the
    variable check: not an install from the manifests, e.g. ``npm install
    pkg``), ``before`` (may refuse before the project folder is looked at),
    ``files`` (default :func:`default_files`), ``check`` (the files'
    contents)."""

    family: str
    spec: tools.Install
    other_why: str
    creates_why: str | None = "what the install creates"
    matches: Callable[[tools.Parsed], bool] | None = None
    skip: Callable[[tools.Parsed], bool] | None = None
    refuse: tuple[str, ...] = ()
    before: Callable[[Install, tools.Parsed], None] | None = None
    files: Callable[[Install, Project, tools.Parsed, tools.Install], bool] = default_files
    check: Check | None = None

    def __call__(self, p: tools.Parsed, cmd: Command, env: Env) -> Install | None:
        spec = self.spec
        if p.tool != spec.tool or not (self.matches(p) if self.matches else p.is_sub(*spec.subcommands)):
            return None
        inst = Install(self.family, short(cmd, env.script), tool=spec.tool)
        if p.expands:
            inst.deps_only = bool(spec.deps_only) and p.has(spec.deps_only[0])
            return inst.fail(VARIABLE)
        if self.skip is not None and self.skip(p):
            return None
        if p.has(*spec.other_project, *self.refuse):
            return inst.fail(self.other_why)
        if self.before is not None:
            self.before(inst, p)
            if inst.reason:
                return inst
        if env.probe and spec.deps_only:
            inst.project = not p.has(*spec.deps_only)
        project = deps_project(inst, env)
        if project is None or not self.files(inst, project, p, spec):
            return inst
        if self.check is not None:
            self.check(inst, project, p, cmd, env)
        if self.creates_why is not None:
            forbid(inst, project, *spec.files.creates, why=self.creates_why)
        return inst


__all__ = ["VARIABLE", "Analyser", "Check", "Recipe", "default_files"]
