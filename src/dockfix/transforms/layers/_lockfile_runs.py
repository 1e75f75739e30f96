"""DF220 (lockfile first): what a RUN does with the files ``COPY .`` brought:
which commands are independent of them, which are installs, where a RUN
can be split.  The rule itself is :mod:`.lockfile_first_copy`."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from ...analysis import word_value
from ...model import SemanticModel
from ...shell import Command, Script, script_of
from ...tree import Instruction
from . import _lockfile as lf
from . import _lockfile_python as lf_py
from ._lockfile_analyse import analyse

# Programs that only touch the system (packages, users, global tools) and
# never the files COPY . brought, whatever their (literal) arguments.
_SYSTEM = {
    "apt-get",
    "apt",
    "apk",
    "yum",
    "dnf",
    "microdnf",
    "tdnf",
    "zypper",
    "useradd",
    "adduser",
    "groupadd",
    "addgroup",
    "usermod",
    "update-ca-certificates",
    "ldconfig",
    "locale-gen",
    "true",
    ":",
    "set",
    "export",
    "corepack",
    "add-apt-repository",
    "apt-mark",
    "dpkg-reconfigure",
    "update-alternatives",
}
# Commands whose path arguments must all be outside the copied tree.
_PATHS = {"rm", "mkdir", "chown", "chmod", "chgrp", "ln", "touch"}
_SYSTEM_DIRS = {
    "bin",
    "boot",
    "etc",
    "home",
    "lib",
    "lib64",
    "opt",
    "root",
    "run",
    "sbin",
    "srv",
    "tmp",
    "usr",
    "var",
}
_SAFE_SOURCE = re.compile(r"^[A-Za-z0-9._+@%=,:/-]+$")
# RUN --mount types that cannot see the copied files
_SAFE_MOUNTS = {"cache", "secret", "ssh", "tmpfs"}


@dataclass
class Where:
    """Where `COPY .` put the context, and what that brought."""

    dest: str  # absolute (maybe based on the unknown base WORKDIR)
    bc: object | None = None  # the build context

    @property
    def roots(self) -> list[str] | None:
        """The copied top-level entries (None: not known)."""
        if self.bc is None:
            return None
        if not hasattr(self, "_roots"):
            self._roots = lf.top_level_entries(self.bc)
        return self._roots

    def touches(self, path: str) -> bool:
        """May ``path`` be (in, or a parent of) a file the COPY brought?"""
        if lf.is_unknown_based(self.dest) or lf.is_unknown_based(path):
            return True
        if self.dest == "/" and self.roots is not None:
            return path == "/" or any(lf.overlaps(path, "/" + r) for r in self.roots)
        return lf.overlaps(path, self.dest)


def _paths_outside(cmd: Command, where: Where, cwd: str | None) -> bool:
    for a in cmd.args:
        v = a.value
        if v is None:
            return False
        if v.startswith("-"):
            continue
        if cmd.program in ("chown", "chgrp") and a is cmd.operands()[0]:
            continue  # the owner
        if cmd.program == "chmod" and a is cmd.operands()[0]:
            continue  # the mode
        path = lf.join_path(cwd, v)
        if path is None or where.touches(path):
            return False
    return True


def _names_only(args) -> bool:
    return all(
        a.value is not None and not lf.looks_local(a.value)
        for a in args
        if not (a.value or "").startswith("-")
    )


def independent(cmd: Command, where: Where, cwd: str | None) -> bool:
    """Provably does not read or write the files `COPY .` brought."""
    if cmd.name is None or cmd.redirected or cmd.conditional or "pipeline" in cmd.ancestors:
        return False
    if any("$(" in a or "`" in a for a in cmd.assignments):
        return False
    prog = cmd.program
    if prog in _SYSTEM:
        for a in cmd.args:
            v = a.value
            if v is None:
                continue  # package lists in variables
            v = v.split("=", 1)[1] if v.startswith("-") and "=" in v else v
            if v.startswith("/"):
                if where.touches(posixpath.normpath(v)):
                    return False
            elif not v.startswith("-") and lf.looks_local(v):
                return False
        return True
    if prog in ("echo", "printf"):
        return True
    if prog == "cd":
        return True
    if prog in _PATHS:
        return _paths_outside(cmd, where, cwd)
    vals = [a.value for a in cmd.args]
    if prog in ("pip", "pip3") or lf_py.pip_invocation(cmd) is not None:
        inv = lf_py.pip_invocation(cmd)
        if inv is None:
            return False
        _tool, args = inv
        sub = next((a.value for a in args if a.value and not a.value.startswith("-")), None)
        if sub == "install":
            parsed = lf.parse_args(args, lf_py._PIP_INSTALL_VALUE)
            if parsed.unknown or any(
                n in lf_py._PIP_REQ_OPTS or n in lf_py._PIP_PATH_OPTS or n in ("-e", "--editable")
                for n, _, _ in parsed.options
            ):
                return False
            return _names_only(parsed.operands[1:])
        return sub in ("cache", "config", "--version", "list", "freeze", "check")
    if (
        lf_py._PY_PROG.match(prog or "")
        and len(vals) >= 3
        and vals[0] == "-m"
        and vals[1] in ("venv", "virtualenv")
    ):
        return all(
            v is not None and (v.startswith("-") or (v.startswith("/") and not where.touches(v)))
            for v in vals[2:]
        )
    if prog in ("npm", "pnpm", "yarn"):
        if "-g" in vals or "--global" in vals or (prog == "yarn" and vals[:1] == ["global"]):
            return _names_only(cmd.args)
        if vals[:2] in (["cache", "clean"], ["cache", "verify"], ["store", "prune"]) or vals[:1] == [
            "--version"
        ]:
            return True
        if (
            prog == "npm"
            and vals[:2] == ["config", "set"]
            and not any(v and (v.startswith("--location") or v in ("-L", "--userconfig")) for v in vals)
        ):
            return True
        return False
    if prog == "gem":
        return (
            vals[:1] == ["install"]
            and _names_only(cmd.args[1:])
            and not any(v and v.startswith(("-i", "--install-dir", "-g", "--file")) for v in vals)
        )
    if prog == "poetry":
        if vals[:1] == ["config"]:
            return "--local" not in vals
        return vals[:1] in (["--version"], ["self"])
    if prog == "uv":
        if vals[:1] == ["venv"]:
            return all(
                v is not None and (v.startswith("-") or (v.startswith("/") and not where.touches(v)))
                for v in vals[1:]
            )
        if vals[:2] in (["python", "install"], ["tool", "install"], ["cache", "clean"], ["cache", "prune"]):
            return _names_only(cmd.args[2:])
        return False
    if prog == "pipx":
        return vals[:1] == ["install"] and _names_only(cmd.args[1:])
    if prog == "go":
        if vals[:2] == ["env", "-w"]:
            return True
        if vals[:1] == ["install"]:
            ops = [v for v in vals[1:] if v is not None and not v.startswith("-")]
            return bool(ops) and all(
                v is not None and "@" in v and not lf.looks_local(v.split("@")[0]) for v in ops
            )
        return False
    if prog == "git":
        return vals[:2] == ["config", "--global"] or vals[:2] == ["config", "--system"]
    if prog == "composer":
        return (
            vals[:1] == ["global"]
            or (vals[:1] == ["config"] and ("--global" in vals or "-g" in vals))
            or vals[:1] in (["clear-cache"], ["clearcache"], ["--version"], ["self-update"])
        )
    if prog == "bundle":
        return vals[:2] == ["config", "--global"] or vals[:1] == ["--version"]
    return False


def _run_mounts_ok(ins: Instruction) -> bool:
    for f in ins.flags:
        if f.name != "mount":
            continue
        kinds = [p.split("=", 1)[1] for p in (f.value or "").split(",") if p.startswith("type=")]
        kind = kinds[0] if kinds else "bind"
        if kind not in _SAFE_MOUNTS:
            return False
    return True


@dataclass
class RunView:
    """A RUN split into dependency installs from the copied tree and the
    other commands."""

    script: Script | None
    installs: list[tuple[Command, lf.Install]]
    blockers: list[Command]  # commands that may need the sources
    cwd_known: bool
    state: list[tuple[int, str]] = field(default_factory=list)  # `export X=1`, `X=1`, `unset X`, functions
    opaque: list[tuple[int, str]] = field(
        default_factory=list
    )  # statements that are not commands: `[[ -f x ]]`


_STATE_NODES = {
    "declaration_command",
    "variable_assignment",
    "variable_assignments",
    "unset_command",
    "function_definition",
}
_OPAQUE_NODES = {"test_command", "arithmetic_expansion", "c_style_for_statement"}


def _statements(script: Script) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Statements ``script.commands`` does not show: shell state changes
    and tests or bare redirections (which may read or write files)."""
    state: list[tuple[int, str]] = []
    opaque: list[tuple[int, str]] = []

    stack = [script.tree.root_node]  # iterative: long chains nest deeply
    while stack:
        node = stack.pop()
        t = node.type
        if t in ("command", "heredoc_body", "comment"):
            continue
        if t in _STATE_NODES:
            state.append((script._c(node.start_byte), script.node_text(node)))
        elif (
            t in _OPAQUE_NODES
            or t == "redirected_statement"
            and not any(
                c.type
                in (
                    "command",
                    "pipeline",
                    "list",
                    "compound_statement",
                    "subshell",
                    "if_statement",
                    "for_statement",
                    "while_statement",
                    "case_statement",
                    "declaration_command",
                )
                for c in node.children
            )
        ):
            opaque.append((script._c(node.start_byte), script.node_text(node)))
        stack.extend(reversed(node.children))
    return state, opaque


def view_run(ins: Instruction, at: lf.StageState, where: Where, bc, probe: bool = False) -> RunView:
    script = script_of(ins)
    if script is None or script.has_error:
        return RunView(script, [], [], False)
    cwd: str | None = at.workdir
    installs: list[tuple[Command, lf.Install]] = []
    blockers: list[Command] = []
    for cmd in script.commands:
        env = lf.Env(script, cwd, where.dest, bc, probe)
        inst = analyse(cmd, env)
        if inst is not None and inst.reason == lf.OUTSIDE:
            inst = None  # works in another folder
            if cmd.conditional or cmd.redirected or "pipeline" in cmd.ancestors:
                blockers.append(cmd)
        elif inst is not None and inst.reason == lf.UNKNOWN:
            blockers.append(cmd)
        elif inst is not None and inst.aux:
            if inst.reason or cmd.conditional or cmd.redirected or "pipeline" in cmd.ancestors:
                blockers.append(cmd)
        elif inst is not None:
            installs.append((cmd, inst))
            if cmd.conditional or "pipeline" in cmd.ancestors or cmd.redirected:
                inst.fail("the install runs inside a compound command, a pipeline or a redirection")
        elif not independent(cmd, where, cwd):
            blockers.append(cmd)
        if cmd.program == "cd":
            ops = [a for a in cmd.args if not (a.value or "").startswith("-")]
            if len(ops) == 1 and ops[0].value is not None and not cmd.conditional:
                cwd = lf.join_path(cwd, ops[0].value)
            else:
                cwd = None
        elif cmd.program in ("pushd", "popd"):
            cwd = None
    state, opaque = _statements(script)
    return RunView(script, installs, blockers, True, state, opaque)


def _earlier_installs(model: SemanticModel, before: Instruction) -> set[str]:
    """Families and tools of the dependencies-only installs that already ran
    before ``before`` in this stage or the stages it builds on."""
    families: set[str] = set()
    where = Where(lf.UNKNOWN_ROOT)
    for st in model.at(before).stage.chain:
        for ins in st.stage.instructions:
            if ins is before:
                return families
            if ins.keyword != "RUN":
                continue
            view = view_run(ins, lf.state_at(model, ins), where, None, probe=True)
            for _cmd, inst in view.installs:
                if inst.deps_only and not inst.project:
                    families.update((inst.family, inst.tool))
    return families


_SHELL_STATE = {
    "cd",
    "pushd",
    "popd",
    "export",
    "set",
    "source",
    ".",
    "umask",
    "alias",
    "unset",
    "shopt",
    "trap",
    "ulimit",
    "exec",
    "eval",
    "declare",
    "typeset",
    "local",
    "readonly",
    "shift",
    "hash",
}


_REMOVES = {
    "apt-get": {"remove", "purge", "autoremove", "clean", "autoclean"},
    "apt": {"remove", "purge", "autoremove", "clean"},
    "apk": {"del"},
    "yum": {"remove", "erase", "autoremove", "clean"},
    "dnf": {"remove", "autoremove", "clean"},
    "microdnf": {"remove", "clean"},
    "zypper": {"remove", "rm", "clean"},
    "pip": {"uninstall", "cache"},
    "pip3": {"uninstall", "cache"},
    "npm": {"prune", "uninstall", "rm", "remove", "cache", "dedupe"},
    "yarn": {"cache", "autoclean", "remove"},
    "pnpm": {"prune", "remove", "rm", "store"},
    "go": {"clean"},
    "cargo": {"clean"},
    "composer": {"clear-cache", "clearcache", "remove"},
    "bundle": {"clean"},
    "gem": {"cleanup", "uninstall"},
    "poetry": {"cache", "remove"},
    "uv": {"cache"},
    "mvn": {"clean"},
}


def _removes(cmd: Command) -> bool:
    """Does the command delete files (which a split would leave in the
    install's layer)?"""
    prog = cmd.program
    vals = [a.value for a in cmd.args]
    if prog in ("rm", "rmdir", "shred", "unlink"):
        return True
    if prog == "find":
        return "-delete" in vals or "-exec" in vals or "-execdir" in vals
    inv = lf_py.pip_invocation(cmd)
    if inv is not None:
        vals = [a.value for a in inv[1]]
        prog = "pip"
    words = {v for v in vals if v}
    return bool(words & _REMOVES.get(prog or "", set()))


def _split_point(script: Script, view: RunView, run: Instruction):
    """Where to cut ``RUN install && build`` in two: (start, end) source
    offsets of the ``&&`` glue between the last install and the first
    command that may need the sources, or a reason why it cannot be cut."""
    no = f"the same RUN also runs `{lf.short(view.blockers[0], script, 40)}`, which may use the sources"
    root = script.tree.root_node
    top = [n for n in root.children if n.type not in ("comment", ";")]
    if len(top) != 1 or script.has_error or run.heredocs:
        return no
    chain: list = []

    def flatten(node) -> bool:
        if node.type == "list":
            kids = [k for k in node.children if k.type != "comment"]
            if len(kids) != 3 or kids[1].type != "&&":
                return False
            return flatten(kids[0]) and flatten(kids[2])
        chain.append(node)
        return True

    if not flatten(top[0]) or len(chain) < 2:
        return no
    spans = [(script._c(n.start_byte), script._c(n.end_byte)) for n in chain]

    def element(cmd: Command) -> int:
        return next((i for i, (a, b) in enumerate(spans) if a <= cmd.start < b), len(spans))

    last_install = max(element(c) for c, _ in view.installs)
    first_blocker = min(element(c) for c in view.blockers)
    if first_blocker <= last_install or last_install >= len(spans) - 1:
        return no
    for cmd in script.commands:
        if element(cmd) <= last_install and cmd.program in _SHELL_STATE:
            return f"{no}, and the RUN cannot be split after the install because `{lf.short(cmd, script, 30)}` changes the shell's state"
    for at, text in view.state:
        if at < spans[last_install][1]:
            return f"{no}, and the RUN cannot be split after the install because `{' '.join(text.split())[:30]}` changes the shell's state"
    for i in range(last_install + 1):
        if chain[i].type != "command":
            return no
    for cmd in script.commands:
        if element(cmd) > last_install and _removes(cmd):
            return (
                f"{no}, and the RUN cannot be split after the install because `{lf.short(cmd, script, 30)}` "
                "removes files, which would stay in the install's layer"
            )
    a = script.source_end(spans[last_install][1])
    b = script.source(spans[last_install + 1][0])
    if a >= b or "#" in run._text[a:b]:
        return no  # a comment line inside the continuation
    return a, b


def _whole_source(ins: Instruction) -> bool:
    """`COPY . <dir>` / `ADD ./ <dir>`: the whole build context."""
    if ins.keyword not in ("COPY", "ADD") or len(ins.args) != 2 or ins.heredocs:
        return False
    if any(f.name == "from" for f in ins.flags):
        return False
    src = ins.args[0].value if ins.json else word_value(ins.args[0].value)
    if src is None:
        return False
    return posixpath.normpath("/" + src) == "/"


def _quote_dest(text: str) -> str | None:
    return text if _SAFE_SOURCE.match(text) or re.match(r"^[A-Za-z0-9._+@%=,:/${}-]+$", text) else None
