"""Helpers for the package-manager cache rules (DF110-DF114, DF401, DF510).

Not a rule module (the name starts with ``_``).  What is here:

* :func:`run_sites` walks every RUN (ONBUILD RUN too) with the state a
  shell command sees there: ENV values, USER, SHELL, whether the stage is a
  Windows one, the BuildKit cache mounts of the RUN, the base image.
* :func:`unwrap` looks through ``exec``/``time``/``sudo``/``env``/``xargs``
  … to the program they run.
* option scanning, cache-mount coverage, and :func:`append` which runs a
  command after everything a RUN does (keeping the author's layout).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ... import lexing, shell
from ...analysis import Env, is_windows_stage, stage_parent
from ...shell import Arg, Command, Script
from ...tree import Dockerfile, Instruction, Stage

# Values hadolint (and pip/uv) read as "on" for PIP_NO_CACHE_DIR & co.
TRUTHY = frozenset({"1", "true", "True", "TRUE", "on", "On", "ON", "yes", "Yes", "YES"})
_POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"})
_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


# -- state at an instruction --------------------------------------------------
@dataclass
class State:
    # (Env: copies share their table, so a State per instruction is cheap)
    env: Env = field(default_factory=Env)  # name -> value, None: not a literal
    user: str | None = "root"  # None: unknown (a variable)
    shell: tuple[str, ...] | None = None  # None: the default /bin/sh -c
    user_set: bool = False  # a USER instruction of this file is in effect
    from_arg: Env = field(default_factory=Env)  # env names an ARG set (name -> True)

    def copy(self) -> State:
        return State(self.env.copy(), self.user, self.shell, self.user_set, self.from_arg.copy())

    @property
    def posix(self) -> bool:
        if self.shell is None:
            return True
        prog = posixpath.basename(self.shell[0]) if self.shell else ""
        return prog in _POSIX_SHELLS

    def truthy(self, name: str) -> bool:
        """A switch set by ENV (as hadolint, an ARG does not count: it can be
        overridden at build time)."""
        v = self.env.get(name)
        return v is not None and v in TRUTHY and name not in self.from_arg

    @property
    def home(self) -> str | None:
        """$HOME for the user, when it can be told."""
        home = self.env.get("HOME", "")
        if home is None:
            return None
        if home:
            return home.rstrip("/") or "/"
        if self.user is None:
            return None
        if self.user in ("root", "0"):
            return "/root"
        if self.user.isdigit():
            return None
        return f"/home/{self.user}"


def _expand(raw: str, env: Mapping[str, str | None]) -> str | None:
    """A Dockerfile word with quotes removed and $VARS from ``env``
    expanded; None when it depends on something unknown."""

    def sub(m: re.Match) -> str:
        v = env.get(m.group(1) or m.group(2))
        if v is None:
            raise KeyError
        return v

    if "$" in raw:
        if re.search(r"\$\{[^}]*[:#%/]", raw):
            return None
        try:
            raw = _VAR.sub(sub, raw)
        except KeyError:
            return None
        if "$" in raw:
            return None
    words = lexing.shell_words(raw, raw=False)
    if not words or len(words) != 1:
        return None
    return words[0][0]


def _apply(state: State, ins: Instruction, global_env: dict[str, str | None] | None = None) -> None:
    kw = ins.keyword
    if kw == "ENV":
        for key, value in ins.pairs():
            state.env[key.value] = _expand(value.value, state.env)
            state.from_arg.pop(key.value, None)
    elif kw == "ARG":
        # An ARG is in RUN's environment too (its default, or the global
        # ARG's); an ENV of the same name wins over it.
        for a in ins.args:
            name, eq, value = a.value.partition("=")
            if name in state.env:
                continue
            if eq:
                state.env[name] = _expand(value, state.env)
            elif global_env and global_env.get(name):
                state.env[name] = global_env[name]
            else:
                continue
            state.from_arg[name] = True
    elif kw == "USER" and ins.args:
        raw = ins.args[0].value
        user = _expand(raw, state.env)
        state.user = user.split(":", 1)[0] if user else None
        if state.user == "0":
            state.user = "root"
        state.user_set = True
    elif kw == "SHELL" and ins.json:
        state.shell = tuple(a.value for a in ins.args)


def global_args(tree: Dockerfile) -> dict[str, str | None]:
    """The global ARGs' defaults (a fresh dict; worked out once per tree)."""
    cached = tree.memo.get("_pkgcache.global_args")
    if cached is None:
        cached = tree.memo["_pkgcache.global_args"] = _global_args(tree)
    return dict(cached)  # type: ignore[call-overload]


def _global_args(tree: Dockerfile) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for ins in tree.preamble:
        if ins.keyword != "ARG":
            continue
        for a in ins.args:
            name, eq, value = a.value.partition("=")
            out[name] = _expand(value, out) if eq else None
    return out


def root_stage(tree: Dockerfile, stage: Stage) -> Stage:
    """The first stage of the chain of stages ``stage`` builds on."""
    roots = tree.memo.get("_pkgcache.roots")
    if roots is None:
        # a stage's parent comes before it: one pass, in order
        roots = tree.memo["_pkgcache.roots"] = []
        for st in tree.stages:
            parent = stage_parent(tree, st)
            roots.append(st if parent is None else roots[parent.index])  # type: ignore[attr-defined]
    if stage.index < len(roots) and tree.stages[stage.index] is stage:  # type: ignore[arg-type]
        return roots[stage.index]  # type: ignore[index]
    seen = set()
    while stage.index not in seen:
        seen.add(stage.index)
        parent = stage_parent(tree, stage)
        if parent is None:
            return stage
        stage = parent
    return stage


def base_image(tree: Dockerfile, stage: Stage) -> str:
    """The image reference the stage is built on (earlier stages followed,
    global ARG defaults substituted where known), lower-cased."""
    root = root_stage(tree, stage)
    raw = root.base.value if root.base else ""
    args = global_args(tree)

    def sub(m: re.Match) -> str:
        return args.get(m.group(1) or m.group(2)) or ""

    return _VAR.sub(sub, raw).lower()


@dataclass
class RunSite:
    """One RUN (or ONBUILD RUN) whose shell script dockfix can read."""

    ins: Instruction  # the RUN instruction (the inner one for ONBUILD)
    outer: Instruction  # the top-level instruction
    stage: Stage | None
    script: Script
    state: State
    windows: bool
    onbuild: bool

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
        return cache_mount_targets(self.ins, self.state)

    def _exported(self) -> list[Env]:
        """The ENV plus the ``export``s before each command of the script
        (worked out once per RUN: the tables share what they have in common)."""
        cached = self.__dict__.get("_exports")
        if cached is None:
            cached = []
            env = self.state.env
            for c in self.script.commands:
                cached.append(env)
                if c.program == "export" and not c.conditional:
                    env = env.copy()
                    for a in c.args:
                        if a.value is not None and "=" in a.value and not a.value.startswith("-"):
                            name, _, value = a.value.partition("=")
                            env[name] = value
                        elif a.value is None and "=" in a.text:
                            env[a.text.split("=", 1)[0]] = None
            self.__dict__["_exports"] = cached
        return cached

    def state_for(self, inv: Invocation) -> State:
        """The state a command sees: the stage's, plus ``export NAME=value``
        earlier in the RUN and its own ``NAME=value`` prefixes."""
        st = self.state.copy()
        st.env = self._exported()[inv.cmd.index].copy()
        for assignment in inv.assignments:
            name, _, value = assignment.partition("=")
            st.env[name] = _expand(value, st.env) if value else ""
        return st


def states(tree: Dockerfile) -> tuple[dict[int, State], dict[int, State]]:
    """State before each instruction (by id), and at the end of each stage
    (worked out once per tree; the caller must not change them)."""
    cached = tree.memo.get("_pkgcache.states")
    if cached is None:
        cached = tree.memo["_pkgcache.states"] = _states(tree)
    return cached  # type: ignore[return-value]


def _states(tree: Dockerfile) -> tuple[dict[int, State], dict[int, State]]:
    before: dict[int, State] = {}
    final: dict[int, State] = {}
    globals_ = global_args(tree)
    for stage in tree.stages:
        parent = stage_parent(tree, stage)
        st = final[parent.index].copy() if parent is not None and parent.index in final else State()
        for ins in stage.instructions:
            before[id(ins)] = st.copy()
            _apply(st, ins, globals_)
        final[stage.index] = st
    return before, final


def run_sites(tree: Dockerfile) -> Iterator[RunSite]:
    before, final = states(tree)
    for stage in tree.stages:
        windows = is_windows_stage(tree, root_stage(tree, stage))
        for ins in stage.instructions:
            run, onbuild = ins, False
            if ins.keyword == "ONBUILD" and ins.inner is not None:
                run, onbuild = ins.inner, True
            if run.keyword != "RUN":
                continue
            script = shell.script_of(run)
            if script is None or script.has_error:
                continue
            state = final[stage.index] if onbuild else before[id(ins)]
            yield RunSite(run, ins, stage, script, state, windows, onbuild)


# -- cache mounts ---------------------------------------------------------------
def mount_options(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in value.split(","):
        part = part.strip().strip('"')
        key, _, val = part.partition("=")
        out[key.strip().lower()] = val.strip().strip('"')
    return out


def cache_mount_targets(ins: Instruction, state: State | None = None) -> list[str]:
    """Targets of the ``--mount=type=cache`` flags of a RUN (``$VARS``
    from ENV expanded where known; unexpandable targets are kept as is)."""
    out = []
    for f in ins.flags:
        if f.name != "mount" or not f.value:
            continue
        opts = mount_options(f.value)
        if opts.get("type") != "cache":
            continue
        target = opts.get("target") or opts.get("dst") or opts.get("destination")
        if not target:
            continue
        if state is not None and "$" in target:
            target = _expand(target, state.env) or target
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
    xdg = state.env.get("XDG_CACHE_HOME", "")
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


# -- looking through wrapper commands -----------------------------------------
@dataclass
class Invocation:
    """The program a command really runs and its arguments."""

    cmd: Command
    program: str | None
    args: list[Arg]
    name_end: int  # script offset after the program word (to insert options)
    assignments: list[str]

    def operands(self) -> list[Arg]:
        return [a for a in self.args if not (a.value or "").startswith("-")]


# wrapper -> (short options taking a value, long options taking a value)
_WRAPPERS: dict[str, tuple[str, frozenset[str]]] = {
    "exec": ("a", frozenset()),
    "time": ("fo", frozenset({"--format", "--output"})),
    "nice": ("n", frozenset({"--adjustment"})),
    "nohup": ("", frozenset()),
    "sudo": (
        "ugCDhpRrTtU",
        frozenset(
            {
                "--user",
                "--group",
                "--close-from",
                "--chdir",
                "--host",
                "--prompt",
                "--role",
                "--type",
                "--command-timeout",
                "--other-user",
                "--chroot",
            }
        ),
    ),
    "env": ("uCS", frozenset({"--unset", "--chdir", "--split-string"})),
    "xargs": (
        "aEeIiLlnPsd",
        frozenset(
            {
                "--arg-file",
                "--eof",
                "--replace",
                "--max-lines",
                "--max-args",
                "--max-procs",
                "--max-chars",
                "--delimiter",
                "--process-slot-var",
            }
        ),
    ),
    "stdbuf": ("ioe", frozenset({"--input", "--output", "--error"})),
    "command": ("", frozenset()),
}


def unwrap(cmd: Command) -> Invocation | None:
    """Look through ``exec``/``time``/``sudo``/``env``/``xargs``/… to the
    program they run; None when that is not a literal word."""
    if cmd.name is None:
        return None
    inv = Invocation(cmd, cmd.program, list(cmd.args), cmd.name_end, list(cmd.assignments))
    for _ in range(4):
        wrapper = _WRAPPERS.get(inv.program or "")
        if wrapper is None:
            return inv
        short_val, long_val = wrapper
        args = inv.args
        i = 0
        while i < len(args):
            v = args[i].value
            if v is None:
                return None
            if v == "--":
                i += 1
                break
            if inv.program == "env" and "=" in v and not v.startswith("-"):
                inv.assignments.append(v)
                i += 1
                continue
            if not v.startswith("-") or v == "-":
                break
            if inv.program == "command" and v in ("-v", "-V"):
                return None
            if v.startswith("--"):
                i += 2 if (v in long_val) else 1
                continue
            # a group of short options: one taking a value ends the group
            j, consumed = 1, 1
            while j < len(v):
                if v[j] in short_val:
                    consumed = 1 if j + 1 < len(v) else 2
                    break
                j += 1
            i += consumed
        if i >= len(args) or args[i].value is None:
            return None
        prog = args[i]
        inv = Invocation(cmd, posixpath.basename(prog.value), args[i + 1 :], prog.end, inv.assignments)
    return inv


def invocations(script: Script) -> Iterator[tuple[int, Invocation]]:
    for i, c in enumerate(script.commands):
        inv = unwrap(c)
        if inv is not None and inv.program:
            yield i, inv


def reaches_final_image(tree: Dockerfile, stage: Stage | None) -> bool:
    """Is ``stage`` the last stage or the base (FROM) of another stage?
    (hadolint 2.15's DL3060 only looks at those.)"""
    if stage is None:
        return True
    stages = tree.stages
    if stage.index == len(stages) - 1:
        return True
    parents = tree.memo.get("_pkgcache.parents")
    if parents is None:
        parents = tree.memo["_pkgcache.parents"] = {
            id(p) for p in (stage_parent(tree, other) for other in stages) if p is not None
        }
    return id(stage) in parents  # type: ignore[operator]


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


# -- options -------------------------------------------------------------------
def subcommand(args: list[Arg], short_val: str = "", long_val: frozenset[str] = frozenset()) -> int | None:
    """Index in ``args`` of the first operand (the subcommand), skipping
    options and the values of the options that take one; None if there is
    none or something before it is not a literal."""
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None:
            return None
        if v == "--":
            return i + 1 if i + 1 < len(args) and args[i + 1].value is not None else None
        if not v.startswith("-") or v == "-":
            return i
        if v.startswith("--"):
            i += 2 if (v in long_val) else 1
            continue
        consumed = 1
        for j in range(1, len(v)):
            if v[j] in short_val:
                consumed = 1 if j + 1 < len(v) else 2
                break
        i += consumed
    return None


def has_short(args: list[Arg], letter: str, short_val: str = "", upto: int | None = None) -> bool:
    """Is the short option ``-letter`` given (grouped or not), reading
    option groups as getopt does (a letter after one taking a value is that
    value, not an option)?"""
    for a in args[:upto]:
        v = a.value
        if v is None or not v.startswith("-") or v.startswith("--") or v == "-":
            continue
        for ch in v[1:]:
            if ch == letter:
                return True
            if ch in short_val:
                break
    return False


def has_long(args: list[Arg], *names: str) -> bool:
    for a in args:
        v = a.value or ""
        for n in names:
            if v == n or v.startswith(n + "="):
                return True
    return False


# -- edits ---------------------------------------------------------------------
def insertion(text: str, at: int, inserted: str):
    """An edit inserting ``inserted`` at ``at``."""
    from ...rules import Edit

    return Edit(at, at, inserted)


def insert_word(script: Script, text: str, end: int, word: str):
    """An edit adding `` word`` right after what ends at script offset
    ``end`` (``text`` is the Dockerfile)."""
    return insertion(text, script.source_end(end), f" {word}")


# -- appending a command to a RUN ----------------------------------------------
errexit = shell.errexit


def can_append(script: Script) -> bool:
    """Is running a command after the whole script possible and sure to
    happen when the script succeeds?  Not after ``exit``/``exec`` ending the
    script, nor after a background ``&``."""
    root = script.tree.root_node
    kids = [n for n in root.children if n.type not in ("comment", "\n")]
    if not kids:
        return False
    if kids[-1].type == "&":
        return False
    last = None
    for c in script.commands:
        if not c.ancestors:
            last = c
    if last is not None and last.program in ("exit", "exec") and last.next_op is None:
        return False
    return True


def append(site: RunSite, command: str, tree: Dockerfile):
    """An edit that runs ``command`` after everything the RUN does, only
    when it succeeded.  In a heredoc script without ``set -e`` the command is
    chained with `` && `` to the last statement, so a failure of the script
    still fails the RUN."""
    if site.heredoc and not errexit(site.script):
        end = shell.last_node_end(site.script)
        edit = shell.insert_after(site.script, end, f" && {command}")
    else:
        edit = shell.append_command(site.ins, site.script, command, tree.newline, tree.escape)
    if edit.start == edit.end:
        edit = insertion(tree.text, edit.start, edit.replacement)
    return edit


# -- base images ----------------------------------------------------------------
_BUSYBOX_HINTS = ("alpine", "busybox", "wolfi", "chainguard", "cgr.dev/")
_GLIBC_HINTS = (
    "debian",
    "ubuntu",
    "buster",
    "bullseye",
    "bookworm",
    "trixie",
    "stretch",
    "jessie",
    "bionic",
    "focal",
    "jammy",
    "noble",
    "xenial",
    "centos",
    "fedora",
    "rocky",
    "almalinux",
    "rhel",
    "ubi8",
    "ubi9",
    "ubi10",
    "ubi-",
    "/ubi",
    "oraclelinux",
    "amazonlinux",
    "opensuse",
    "suse",
    "sles",
    "archlinux",
    "buildpack-deps",
    "-slim",
    "cuda",
    "photon",
    "mariner",
    "azurelinux",
)
# official images whose default variant is Debian-based
_DEBIAN_DEFAULT = frozenset(
    {
        "python",
        "node",
        "golang",
        "ruby",
        "openjdk",
        "eclipse-temurin",
        "amazoncorretto",
        "rust",
        "php",
        "perl",
        "gcc",
        "maven",
        "gradle",
        "julia",
        "erlang",
        "elixir",
        "haskell",
        "clojure",
        "r-base",
        "swift",
        "httpd",
        "nginx",
        "postgres",
        "mysql",
        "mariadb",
        "redis",
        "mongo",
        "tomcat",
        "jetty",
        "sbt",
        "groovy",
        "kotlin",
        "dart",
        "pypy",
        "bash",
    }
)


def image_name(ref: str) -> str:
    """``registry/ns/name:tag@digest`` → ``name``."""
    ref = ref.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


def libc_family(ref: str) -> str | None:
    """ "busybox" for Alpine/BusyBox/Wolfi images, "gnu" for glibc
    distributions, None when the image name does not tell."""
    if not ref or "$" in ref:
        if any(h in ref for h in _BUSYBOX_HINTS):
            return "busybox"
        return None
    if any(h in ref for h in _BUSYBOX_HINTS):
        return "busybox"
    if any(h in ref for h in _GLIBC_HINTS):
        return "gnu"
    segments = ref.split("@", 1)[0].split("/")
    if image_name(ref) in _DEBIAN_DEFAULT and (len(segments) == 1 or segments[-2] == "library"):
        return "gnu"
    if image_name(ref) == "docker":
        return "busybox"  # the docker:* images are Alpine-based
    return None
