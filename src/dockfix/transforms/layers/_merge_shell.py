"""DF201 (merge consecutive RUNs): what the shell scripts of the two RUNs
do to the shell that runs them: the state the first may leave behind, the
shape the second must have, and the SHELL that runs both.  The rule itself
is :mod:`.merge_consecutive_runs`."""

from __future__ import annotations

import re

from ...images import Unknown
from ...rules import Context
from ...shell import Script
from ...tree import Instruction

# Builtins (and shell keywords run like commands) that change the state of
# the shell running them: working directory, variables, options, umask,
# limits, traps, aliases, functions, file descriptors, or that end it.
STATE_BUILTINS = frozenset({
    ".", "source", "cd", "pushd", "popd", "chdir", "export", "declare", "typeset", "local", "readonly",
    "unset", "set", "shopt", "setopt", "unsetopt", "emulate", "umask", "ulimit", "limit", "trap",
    "alias", "unalias", "exec", "exit", "logout", "return", "eval", "read", "readarray", "mapfile",
    "getopts", "let", "hash", "rehash", "enable", "shift", "bg", "fg", "disown", "suspend", "coproc",
    "break", "continue", "newgrp", "history", "fc", "bind", "complete", "compopt", "dirs"
})  # fmt: skip
# POSIX special builtins: `X=1 :` keeps X=1 in the shell.
SPECIAL_BUILTINS = frozenset({
    ":", "break", "continue", ".", "eval", "exec", "exit", "export", "readonly", "return", "set",
    "shift", "times", "trap", "unset"
})  # fmt: skip
# Constructs whose commands run in a child process: their state dies with it.
_CHILD = frozenset({"subshell", "command_substitution", "process_substitution"})
_ARITH_ASSIGN = frozenset(
    {"=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", "&=", "^=", "|=", "++", "--"}
)
_SHELL_OPTION = re.compile(r"^-[eEuxvfhBCHP]+$|^-o$|^\+o$|^-eo$|^-[eux]*o$")
_SHELL_OPTION_NAMES = frozenset(
    {"pipefail", "errexit", "nounset", "xtrace", "verbose", "noglob", "errtrace", "posix"}
)


# ---------------------------------------------------------------------------
# Shell state the first RUN could leave behind.


def walk(root, child: bool = False, arith: bool = False):
    """Yield (node, in_child_process, in_arithmetic) for every node, in
    document order (iteratively: long `&&` chains nest deeply)."""
    stack = [(root, child, arith)]
    while stack:
        node, child, arith = stack.pop()
        yield node, child, arith
        t = node.type
        kid_child = child or t in _CHILD
        kid_arith = (
            arith
            or t == "arithmetic_expansion"
            or (t == "compound_statement" and node.child_count > 0 and node.children[0].type == "((")
        )
        stack.extend((c, kid_child, kid_arith) for c in reversed(node.children))


def in_child(cmd) -> bool:
    return any(a in _CHILD for a in cmd.ancestors)


def _first_operand(cmd) -> str | None:
    for a in cmd.args:
        if a.value is None:
            return None
        if not a.value.startswith("-"):
            return a.value
    return None


def _failing_exit(cmd) -> bool:
    """`exit 1`: the RUN fails, merged or not."""
    if len(cmd.args) != 1 or cmd.args[0].value is None or not cmd.args[0].value.isdigit():
        return False
    return int(cmd.args[0].value) % 256 != 0


def leaked_state(script: Script) -> str | None:
    """Why the shell state after ``script`` may differ from a fresh shell's
    (None: it provably does not)."""
    for node, child, arith in walk(script.tree.root_node):
        t = node.type
        if t == "&":
            return "it runs a command in the background (`&`)"
        if t == "function_definition":
            return "it defines a shell function"
        if t == "heredoc_redirect":
            return "it uses a shell heredoc"
        if child:
            continue
        if arith and t in _ARITH_ASSIGN:
            return "it assigns a variable in an arithmetic expression"
        if t == "expansion" and any(c.type in ("=", ":=") for c in node.children):
            return "it assigns a variable with `${VAR:=…}`"
        if t in ("declaration_command", "unset_command"):
            word = script.node_text(node).split(None, 1)[0]
            return f"`{word}` changes the shell's variables"
        if (
            t in ("variable_assignment", "variable_assignments")
            and node.parent is not None
            and node.parent.type
            not in (
                "command",
                "declaration_command",
                "variable_assignments",
            )
        ):
            return "it sets a shell variable"
        if t in ("for_statement", "c_style_for_statement"):
            return "its loop variable stays set"
    for cmd in script.commands:
        if in_child(cmd):
            continue
        prog = cmd.program
        if prog is None:
            return "it runs a command whose name is a variable or substitution"
        if prog == "exit" and _failing_exit(cmd):
            continue  # the build stops either way
        if prog in STATE_BUILTINS:
            return f"`{prog}` changes the shell's state"
        if prog in ("command", "builtin") and (_first_operand(cmd) or "") in STATE_BUILTINS:
            return f"`{prog} {_first_operand(cmd)}` changes the shell's state"
        if prog in SPECIAL_BUILTINS and cmd.assignments:
            return f"variables assigned before the special builtin `{prog}` stay set"
        if prog == "printf" and cmd.has_option("-v"):
            return "`printf -v` sets a shell variable"
    return None


# ---------------------------------------------------------------------------
# The shape of the second script.


def and_list_problem(script: Script) -> str | None:
    """The second script must be one `&&` chain: `A && b1; b2` would run b2
    even when A failed."""
    root = script.tree.root_node
    nodes = [n for n in root.children if n.type not in (";", "comment")]
    if not nodes:
        return "the second RUN runs nothing"
    if any(n.type == "&" for n in root.children):
        return "the second RUN runs a command in the background (`&`)"
    if root.children[0].type == "comment":
        return "the second RUN starts with a shell comment"
    if len(nodes) > 1:
        return "the second RUN is a list (`;`): appended with `&&`, its later commands would run even if the first RUN failed"

    # Only `&&` between the elements of the chain (lists nest to the left).
    stack, ok = [nodes[0]], True
    while stack and ok:
        node = stack.pop()
        if node.type == "list":
            for k in node.children:
                if k.type in ("||", ";", "&"):
                    ok = False
                elif k.type != "&&":
                    stack.append(k)
    if not ok:
        return "the second RUN uses `||`: appended with `&&`, it would run even if the first RUN failed"
    return None


def unquoted_assigned(script: Script) -> str | None:
    """A variable the second script assigns and then uses unquoted.  At the
    start of a script ShellCheck knows its value is safe; chained after the
    first RUN it no longer does, and hadolint would newly report SC2086."""
    assigned = set()
    for node, child, _arith in walk(script.tree.root_node):
        if child or node.type != "variable_assignment":
            continue
        if node.parent is not None and node.parent.type in ("command", "declaration_command"):
            continue
        name = node.child_by_field_name("name")
        if name is not None:
            assigned.add(script.node_text(name))
    if not assigned:
        return None

    stack = [(script.tree.root_node, False)]
    while stack:
        node, quoted = stack.pop()
        if node.type in ("simple_expansion", "expansion") and not quoted:
            for c in node.children:
                if c.type == "variable_name" and script.node_text(c) in assigned:
                    return script.node_text(c)
        stack.extend((c, quoted or node.type == "string") for c in node.children)
    return None


# ---------------------------------------------------------------------------
# The shell that runs the RUNs.


def shell_problem(ctx: Context, ins: Instruction) -> str | None:
    """Why the SHELL in effect (the semantic model's) may not run two
    scripts chained as it runs them apart; None when it does."""
    facts = ctx.facts(ins)
    if facts.windows:
        return "Windows image: the shell is not a POSIX shell"
    shell = facts.shell
    if shell.default:
        return None
    args = list(shell.argv) if not isinstance(shell.argv, Unknown) else []
    if len(args) < 2 or args[-1] != "-c":
        return "the SHELL in effect is not `<posix shell> [options] -c`"
    if not shell.posix:
        return f"the SHELL in effect runs `{args[0].rsplit('/', 1)[-1]}`, not a POSIX shell"
    for opt in args[1:-1]:
        if opt in ("-l", "--login", "-i") or not (_SHELL_OPTION.match(opt) or opt in _SHELL_OPTION_NAMES):
            return f"the SHELL in effect has the option `{opt}`"
    if shell.program in ("bash", "zsh", "ksh", "mksh"):
        tree = ctx.tree
        startup = tree.memo.get("merge_runs.bash_env")
        if startup is None:
            startup = tree.memo["merge_runs.bash_env"] = any(
                env.keyword == "ENV" and any(k.value in ("BASH_ENV", "ENV") for k, _ in env.pairs())
                for env in tree.instructions
            )
        if startup:
            return "BASH_ENV/ENV makes each shell read a startup file"
    return None


def shell_path(ctx: Context, ins: Instruction) -> str:
    argv = ctx.facts(ins).shell.argv
    return argv[0] if not isinstance(argv, Unknown) and argv else "/bin/sh"
