"""Helpers for the package-manager cache rules (DF110-DF114, DF401, DF510).

Not a rule module (the name starts with ``_``).  What is here:

* :func:`run_sites` walks every RUN (ONBUILD RUN too) with the state a
  shell command sees there: ENV values, USER, SHELL, whether the stage is a
  Windows one, the BuildKit cache mounts of the RUN, the base image.
* :func:`unwrap` looks through ``exec``/``time``/``sudo``/``env``/``xargs``
  … to the program they run.
* cache-mount coverage, whether an install's cache is removed later in
  the RUN, and :meth:`RunSite.append` which runs a command after
  everything a RUN does (keeping the author's layout).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Sequence

from msgspec import Struct, field

from ... import shell, tools
from ...images import UNKNOWN, Unknown
from ...model import Facts, SemanticModel
from ...rules import Edit
from ...shell import Arg, Command, Script
from ...shell_edits import append_edit
from ...tree import Dockerfile, Instruction, Stage
from ..layers._cache import expand, file_value

# Values hadolint (and pip/uv) read as "on" for PIP_NO_CACHE_DIR & co.
TRUTHY = frozenset({"1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"})


# -- state at an instruction --------------------------------------------------
class State(Struct):
    """What a command of a RUN sees, read from the semantic model: ``facts``
    (None: nothing but ``env``), ``env`` the RUN's own settings over them
    (``export``s, ``NAME=value`` prefixes; None: not a literal), ``user``
    (None: unknown; root unless a USER of the file says otherwise)."""

    facts: Facts | None = None
    env: dict[str, str | None] = field(default_factory=dict)
    user: str | None = "root"

    @classmethod
    def of(cls, facts: Facts) -> State:
        user: str | None = "root"
        if facts.user.explicit:
            name = facts.user.name
            user = None if not isinstance(name, str) else "root" if name == "0" else name
        return cls(facts, {}, user)

    def lookup(self, name: str) -> str | None | Unknown:
        """The variable as the cache rules read it (an image's variable the
        image table does not know counts as unset)."""
        if name in self.env:
            v = self.env[name]
            return UNKNOWN if v is None else v
        return None if self.facts is None else file_value(self.facts, name)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The variable's value, ``default`` when unset, None when unknown."""
        v = self.lookup(name)
        return default if v is None else v if isinstance(v, str) else None

    def expand(self, raw: str) -> str | None:
        """A shell word's value (None when it cannot be known)."""
        return expand(raw, self.lookup)

    @property
    def posix(self) -> bool:
        return self.facts is None or self.facts.shell.posix

    def truthy(self, name: str) -> bool:
        """A switch set by ENV (as hadolint, an ARG does not count: it can be
        overridden at build time)."""
        v: str | None | Unknown = None
        if name in self.env:
            v = self.env[name]
        elif self.facts is not None:
            var = self.facts.variable(name)
            v = var.value if var is not None and var.kind == "env" else None
        return isinstance(v, str) and v in TRUTHY

    @property
    def home(self) -> str | None:
        """$HOME for the user, when it can be told."""
        home = self.get("HOME", "")
        if home is None:
            return None
        if home:
            return home.rstrip("/") or "/"
        return self.passwd_home

    @property
    def root(self) -> bool | None:
        """Does the command run as root (None: unknown)?"""
        return None if self.user is None else self.user in ("root", "0")

    @property
    def passwd_home(self) -> str | None:
        """The user's home in /etc/passwd, when it can be told."""
        if self.user is None:
            return None
        if self.user in ("root", "0"):
            return "/root"
        if self.facts is not None and isinstance(self.facts.user.home, str):
            return self.facts.user.home.rstrip("/") or "/"  # created by the file or shipped by the image
        if self.user.isdigit():
            return None
        return f"/home/{self.user}"


class RunSite(Struct, dict=True):
    """One RUN (or ONBUILD RUN) whose shell script dockfix can read.  (``dict=True``:
    :meth:`_exported` memoizes in the instance ``__dict__``.)"""

    ins: Instruction  # the RUN instruction (the inner one for ONBUILD)
    outer: Instruction  # the top-level instruction
    stage: Stage | None
    script: Script
    state: State
    windows: bool
    onbuild: bool
    model: SemanticModel

    @property
    def posix(self) -> bool:
        return not self.windows and self.state.posix

    @property
    def heredoc(self) -> bool:
        start = self.script.source(0)
        return any(h.body_start <= start <= h.body_end for h in self.ins.heredocs)

    def span(self, cmd: Command) -> tuple[int, int]:
        return (self.script.source(cmd.start), self.script.source_end(cmd.end))

    def cache_targets(self) -> list[str]:
        return cache_mount_targets(self.model, self.ins)

    def _exported(self) -> list[dict[str, str | None]]:
        """The ``export``s before each command of the script (worked out
        once per RUN: commands between two exports share their table)."""
        cached = self.__dict__.get("_exports")
        if cached is None:
            cached = []
            env: dict[str, str | None] = {}
            for c in self.script.commands:
                cached.append(env)
                if c.program == "export" and not c.conditional:
                    env = dict(env)
                    for a in c.args:
                        if a.value is not None and "=" in a.value and not a.value.startswith("-"):
                            name, _, value = a.value.partition("=")
                            env[name] = value
                        elif a.value is None and "=" in a.text:
                            env[a.text.split("=", 1)[0]] = None
            self.__dict__["_exports"] = cached
        return cached

    def append(self, command: str) -> tuple[Edit | None, str]:
        """The edit that runs ``command`` after everything the RUN does;
        None and why when there is none (:func:`append_edit`)."""
        if not self.posix:
            return None, "the RUN's shell is not a POSIX shell"
        errexit = self.model.at(self.ins).shell.errexit
        edit = append_edit(self.ins, self.script, command, self.model.tree, errexit)
        return (edit, "") if edit is not None else (None, "nothing can run after the end of this RUN")

    def state_for(self, inv: Invocation) -> State:
        """The state a command sees: the stage's, plus ``export NAME=value``
        earlier in the RUN and its own ``NAME=value`` prefixes."""
        st = State(self.state.facts, dict(self._exported()[inv.cmd.index]), self.state.user)
        for assignment in inv.assignments:
            name, _, value = assignment.partition("=")
            st.env[name] = st.expand(value) if value else ""
        return st


def run_sites(tree: Dockerfile) -> Iterator[RunSite]:
    model = SemanticModel.of(tree)
    for info in model.stages:
        for ins in info.stage.instructions:
            run, onbuild = ins, False
            if ins.keyword == "ONBUILD" and ins.inner is not None:
                run, onbuild = ins.inner, True
            if run.keyword != "RUN":
                continue
            script = shell.script_of(run)
            if script is None or script.has_error:
                continue
            # (an ONBUILD RUN sees the state at the end of its stage)
            state = State.of(model.at(run))
            yield RunSite(run, ins, info.stage, script, state, info.windows, onbuild, model)


# -- cache mounts ---------------------------------------------------------------
def cache_mount_targets(model: SemanticModel, ins: Instruction) -> list[str]:
    """Targets of the ``--mount=type=cache`` flags of a RUN, expanded as
    BuildKit does (a target whose variables are unknown is kept as written)."""
    out = []
    for m in model.mounts(ins):
        if m.type != "cache":
            continue
        target = m.target
        if isinstance(target, Unknown):
            raw = dict(m.fields)
            target = raw.get("target") or raw.get("dst") or raw.get("destination")
        if target:
            out.append(target)
    return out


def _norm(path: str) -> str:
    path = posixpath.normpath(path)
    return path if path != "//" else "/"


def covers(targets: list[str], path: str | None) -> bool:
    """Is ``path`` (a cache directory) inside one of the mount targets?"""
    if not path or not path.startswith("/"):
        return False
    p = _norm(path)
    for t in targets:
        if not t.startswith("/") or "$" in t:
            continue
        t = _norm(t)
        if p == t or p.startswith(t.rstrip("/") + "/"):
            return True
    return False


def covers_home_cache(targets: list[str], state: State, tool_dir: str) -> bool:
    """Does a cache mount hold ``$XDG_CACHE_HOME/<tool_dir>`` (by default
    ``~/.cache/<tool_dir>``)?  When the user's home cannot be told, a mount
    at any ``…/.cache`` or ``…/.cache/<tool_dir>`` counts."""
    xdg = state.get("XDG_CACHE_HOME", "")
    if xdg:
        return covers(targets, f"{xdg}/{tool_dir}")
    home = state.home
    if home is not None:
        return covers(targets, f"{home}/.cache/{tool_dir}")
    for t in targets:
        t = _norm(t) if t.startswith("/") else t
        if t.endswith("/.cache") or t.endswith(f"/.cache/{tool_dir}"):
            return True
    return False


def rm_paths(cmd: Command, state: State) -> list[str]:
    """The paths an `rm` removes, with `~` and `$HOME` expanded when the home
    directory is known; `$(yarn cache dir)` is kept as a marker."""
    out = []
    home = state.home
    for a in cmd.operands():
        text = a.value if a.value is not None else a.text.strip("\"'")
        if "yarn cache dir" in a.text:
            out.append("$(yarn cache dir)")
            continue
        if home:
            text = re.sub(r"^(~|\$HOME|\$\{HOME\})(?=/|$)", home, text)
        if a.value is None and "$" in text:
            continue
        out.append(text)
    return out


def rm_covers(paths: list[str], cache_dir: str | None) -> bool:
    if not cache_dir:
        return False
    for p in paths:
        if p.endswith("/*"):
            p = p[:-2]
        if covers([p], cache_dir):
            return True
    return False


def cache_removed(
    site: RunSite, after: int, cleaned: bool, dirs: Sequence[str | None], state: State, marker: str = ""
) -> str | None:
    """How a cache is removed after the command at index ``after``: "clean"
    when ``cleaned`` (the tool's clean command runs later), "rm" when a
    later ``rm`` removes one of ``dirs`` (or names ``marker``, such as
    ``$(yarn cache dir)``), else None."""
    if cleaned:
        return "clean"
    for i, inv in invocations(site.script):
        if i > after and inv.program == "rm":
            paths = rm_paths(inv.cmd, state)
            if any(rm_covers(paths, d) for d in dirs) or (marker and marker in paths):
                return "rm"
    return None


def hadolint_note(what: str, code: str, why: str | None) -> str:
    """The message for a cache that is kept out of the image but that
    hadolint ``code`` still reports: ``why`` it does (None: the cache is in
    a cache mount)."""
    if why is None:
        where, note = "is in a cache mount, not in the image", "does not know cache mounts"
    else:
        where, note = "is already removed after the last install", f"still reports it: {why}"
    return f"{what} {where}; nothing to fix (hadolint {code} {note})"


# -- looking through wrapper commands -----------------------------------------
class Invocation(Struct):
    """The program a command really runs and its arguments."""

    cmd: Command
    program: str | None
    args: list[Arg]
    name_end: int  # script offset after the program word (to insert options)
    assignments: list[str]


def unwrap(cmd: Command) -> Invocation | None:
    """Look through ``exec``/``time``/``sudo``/``env``/``xargs``/… to the
    program they run (:func:`dockfix.tools.posix.unwrap`); None when that
    is not a literal word."""
    if cmd.name is None or not cmd.program:
        return None
    got = tools.posix.unwrap(cmd.program, tools.tokens(cmd), cmd.name_end)
    if got is None:
        return None
    assignments = [*cmd.assignments, *got.assignments]
    return Invocation(cmd, got.program, list(cmd.args[got.start :]), got.name_end, assignments)


def invocations(script: Script) -> Iterator[tuple[int, Invocation]]:
    for i, c in enumerate(script.commands):
        inv = unwrap(c)
        if inv is not None and inv.program:
            yield i, inv


def reaches_final_image(tree: Dockerfile, stage: Stage | None) -> bool:
    """Is ``stage`` the last stage or the base (FROM) of another stage?
    (hadolint's DL3009 and DL3060 only look at those.)"""
    if stage is None:
        return True
    info = SemanticModel.of(tree).stages[stage.index]
    return info.is_final or bool(info.children)


def hadolint_view(script: Script) -> list[tuple[str | None, list[str | None]]]:
    """The commands as hadolint sees them: (name as written, argument
    values); hadolint looks through `exec` and `time` but not `sudo`."""
    out = []
    for c in script.commands:
        name, args = c.name, c.values
        while name in ("exec", "time") and args and args[0] is not None and not args[0].startswith("-"):
            name, args = args[0], args[1:]
        out.append((name, args))
    return out


def hadolint_clean_fires(
    script: Script, names: frozenset[str], installs: frozenset[str], cleans: frozenset[str], rm_counts: bool
) -> bool:
    """hadolint's "clean missing" checks (DL3032, DL3036, DL3040, DL3060):
    a command of ``names`` with an argument in ``installs``, and no command
    of ``names`` with an argument in ``cleans`` (or, when ``rm_counts``, an
    ``rm`` with ``-rf`` or ``/var/cache/yum/*``) — where hadolint compares
    the *first* install with the *first* clean only."""
    first_install = first_clean = None
    for i, (name, args) in enumerate(hadolint_view(script)):
        if name in names and any(a in installs for a in args) and first_install is None:
            first_install = i
        is_clean = (name in names and any(a in cleans for a in args)) or (
            rm_counts and name == "rm" and any(a in ("-rf", "/var/cache/yum/*") for a in args)
        )
        if is_clean and first_clean is None:
            first_clean = i
    if first_install is None:
        return False
    return first_clean is None or first_clean < first_install
