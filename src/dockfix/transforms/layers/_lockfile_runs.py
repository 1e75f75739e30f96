"""DF220 (lockfile first): what a RUN does with the files ``COPY .`` brought:
which commands are installs (:mod:`._lockfile_analyse`), which may need the
sources (those not :mod:`._lockfile_independent` of them), where a RUN can be
split.  The rule itself is :mod:`.lockfile_first_copy`."""

from __future__ import annotations

from msgspec import Struct, field

from ... import tools
from ...model import SemanticModel
from ...shell import Command, Script, script_of
from ...tree import Instruction
from . import _lockfile as lf
from ._lockfile_analyse import analyse
from ._lockfile_independent import Where, independent

# RUN --mount types that cannot see the copied files
_SAFE_MOUNTS = {"cache", "secret", "ssh", "tmpfs"}


def run_mounts_ok(model: SemanticModel, ins: Instruction) -> bool:
    """No ``--mount`` of the RUN can see the copied files (the model's
    parsed mounts: a bind mount, or a type that is a variable, can)."""
    mounts = model.mounts(ins)
    if len(mounts) != sum(1 for f in ins.flags if f.name == "mount"):
        return False  # a --mount flag without a value
    return all(isinstance(m.type, str) and m.type in _SAFE_MOUNTS for m in mounts)


class RunView(Struct):
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


def view_run(ins: Instruction, at: lf.ImagePath | None, where: Where, bc, probe: bool = False) -> RunView:
    """The RUN ``ins``, working in ``at``, after the COPY of ``where``."""
    script = script_of(ins)
    if script is None or script.has_error:
        return RunView(script, [], [], False)
    cwd = at
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


def earlier_installs(model: SemanticModel, before: Instruction) -> set[str]:
    """Families and tools of the dependencies-only installs that already ran
    before ``before`` in this stage or the stages it builds on."""
    families: set[str] = set()
    where = Where(None)
    for st in model.at(before).stage.chain:
        for ins in st.stage.instructions:
            if ins is before:
                return families
            if ins.keyword != "RUN":
                continue
            view = view_run(ins, lf.workdir_at(model, ins), where, None, probe=True)
            for _cmd, inst in view.installs:
                if inst.deps_only and not inst.project:
                    families.update((inst.family, inst.tool))
    return families


SHELL_STATE = {
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


def _removes(cmd: Command) -> bool:
    """Does the command delete files (which a split would leave in the
    install's layer)?  ``rm`` & co, ``find -delete``, or a tool's deleting
    subcommand (:func:`dockfix.tools.removes`)."""
    vals = [a.value for a in cmd.args]
    if cmd.program in ("rm", "rmdir", "shred", "unlink"):
        return True
    if cmd.program == "find":
        return "-delete" in vals or "-exec" in vals or "-execdir" in vals
    p = tools.parse(cmd)  # pip3.12, python -m pip, ./mvnw...
    return p is not None and tools.removes(p)


def split_point(script: Script, view: RunView, run: Instruction):
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
        if element(cmd) <= last_install and cmd.program in SHELL_STATE:
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
