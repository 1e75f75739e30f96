from __future__ import annotations

import re
from dataclasses import dataclass

from ...images import Unknown
from ...rules import Context, Edit, Rule, Safety
from ...shell import Script, _parser, last_node_end, script_of
from ...tree import Dockerfile, Instruction, Node, Trivia

# Builtins (and shell keywords run like commands) that change the state of
# the shell running them: working directory, variables, options, umask,
# limits, traps, aliases, functions, file descriptors, or that end it.
STATE_BUILTINS = frozenset(
    {
        ".",
        "source",
        "cd",
        "pushd",
        "popd",
        "chdir",
        "export",
        "declare",
        "typeset",
        "local",
        "readonly",
        "unset",
        "set",
        "shopt",
        "setopt",
        "unsetopt",
        "emulate",
        "umask",
        "ulimit",
        "limit",
        "trap",
        "alias",
        "unalias",
        "exec",
        "exit",
        "logout",
        "return",
        "eval",
        "read",
        "readarray",
        "mapfile",
        "getopts",
        "let",
        "hash",
        "rehash",
        "enable",
        "shift",
        "bg",
        "fg",
        "disown",
        "suspend",
        "coproc",
        "break",
        "continue",
        "newgrp",
        "history",
        "fc",
        "bind",
        "complete",
        "compopt",
        "dirs",
    }
)
# POSIX special builtins: `X=1 :` keeps X=1 in the shell.
SPECIAL_BUILTINS = frozenset(
    {
        ":",
        "break",
        "continue",
        ".",
        "eval",
        "exec",
        "exit",
        "export",
        "readonly",
        "return",
        "set",
        "shift",
        "times",
        "trap",
        "unset",
    }
)
# Constructs whose commands run in a child process: their state dies with it.
_CHILD = frozenset({"subshell", "command_substitution", "process_substitution"})
_ARITH_ASSIGN = frozenset(
    {"=", "+=", "-=", "*=", "/=", "%=", "**=", "<<=", ">>=", "&=", "^=", "|=", "++", "--"}
)
_SEPARATORS = frozenset({";", "&", "\n", "comment"})

# Package managers that install executables onto PATH, with the
# subcommands that do (None: any), and the programs they may replace even
# without naming them (themselves, when the package list is not literal).
_INSTALLERS: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {
    "pip": (frozenset({"install", "uninstall"}), frozenset({"pip", "pip3"})),
    "pipx": (
        frozenset({"install", "upgrade", "upgrade-all", "reinstall", "reinstall-all", "uninstall"}),
        frozenset(),
    ),
    "easy_install": (None, frozenset({"pip", "pip3", "easy_install"})),
    "gem": (frozenset({"install", "update", "uninstall"}), frozenset({"gem", "bundle", "bundler"})),
    "bundle": (frozenset({"install", "update"}), frozenset({"bundle", "bundler"})),
    "cargo": (frozenset({"install", "uninstall"}), frozenset({"cargo"})),
    "go": (frozenset({"install"}), frozenset()),
    "conda": (
        frozenset({"install", "update", "upgrade", "remove", "uninstall"}),
        frozenset({"conda", "python", "python3", "pip", "pip3"}),
    ),
    "composer": (frozenset({"global"}), frozenset({"composer"})),
}
_INSTALLERS["pip3"] = _INSTALLERS["pip"]
_INSTALLERS["mamba"] = _INSTALLERS["micromamba"] = _INSTALLERS["conda"]
# Node package managers install onto PATH only globally.
_NODE_PMS = frozenset({"npm", "yarn", "pnpm", "bun"})
# Tool managers that replace the tools they manage.
_TOOL_MANAGERS = {
    "corepack": frozenset({"yarn", "yarnpkg", "pnpm", "pnpx", "npm", "npx"}),
    "rustup": frozenset({"rustc", "cargo", "rustup", "rustfmt", "clippy-driver", "cargo-clippy"}),
    "nvm": frozenset({"node", "nodejs", "npm", "npx", "corepack"}),
    "n": frozenset({"node", "nodejs", "npm", "npx", "corepack"}),
    "poetry": frozenset({"poetry"}),
    "pyenv": None,
    "asdf": None,
    "sdk": None,
    "mise": None,
    "rbenv": None,
    "nodenv": None,
    "goenv": None,
}
_FILE_PLACERS = frozenset(
    {"cp", "mv", "ln", "install", "rsync", "curl", "wget", "update-alternatives", "alternatives"}
)
_ARCHIVERS = frozenset({"tar", "unzip", "bsdtar", "7z"})
_PRAGMA = re.compile(r"^\s*#\s*(hadolint\b|dockfix\s*:)", re.I)
_HADOLINT_IGNORE = re.compile(r"^\s*#\s*hadolint\s+ignore\s*=\s*([A-Za-z0-9,\s]+)", re.I)
_HADOLINT_GLOBAL = re.compile(r"^\s*#\s*hadolint\s+global\s+ignore\s*=\s*([A-Za-z0-9,\s]+)", re.I)
_SHELL_OPTION = re.compile(r"^-[eEuxvfhBCHP]+$|^-o$|^\+o$|^-eo$|^-[eux]*o$")
_SHELL_OPTION_NAMES = frozenset(
    {"pipefail", "errexit", "nounset", "xtrace", "verbose", "noglob", "errtrace", "posix"}
)


# ---------------------------------------------------------------------------
# What hadolint's DL3059 reports (so report-only findings sit where it does).


def hadolint_commands(ins: Instruction) -> int:
    """How many commands hadolint counts in a RUN for DL3059: simple
    commands with a name (declarations such as `export` too), anywhere in the
    script; `[ ]`, `[[ ]]`, `(( ))` and bare assignments do not count.
    hadolint lets two consecutive RUNs be when either has more than one."""
    if ins.json:
        text = " ".join(ins.arguments)
        root = _parser().parse(text.encode("utf-8")).root_node
    else:
        script = script_of(ins)
        if script is None or script.has_error:
            return 0  # ShellCheck does not parse it: no command
        root = script.tree.root_node
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("declaration_command", "unset_command"):
            count += 1
        elif node.type == "command" and node.child_by_field_name("name") is not None:
            count += 1
            name = node.child_by_field_name("name")
            if name.text == b"time" and node.named_child_count > 1:
                count += 1  # ShellCheck counts `time x` as two
        stack.extend(node.children)
    return count


_MountKey = tuple[str, frozenset[tuple[str, "str | None"]]]


def _mount_key(value: str | None) -> _MountKey | str | None:
    """A --mount value as hadolint compares it: (type, options) when it can
    be read, else the raw value."""
    if value is None or '"' in value:
        return value
    synonyms = {"dst": "target", "destination": "target", "src": "source", "ro": "readonly"}
    parts: set[tuple[str, str | None]] = set()
    kind = "bind"
    for part in value.split(","):
        k, sep, v = part.partition("=")
        k = synonyms.get(k.strip().lower(), k.strip().lower())
        if k == "type":
            kind = v.strip().lower()
            continue
        parts.add((k, v.strip() if sep else None))
    return (kind, frozenset(parts))


def hadolint_flags(ins: Instruction) -> tuple:
    """RUN flags as hadolint compares them: the set of mounts, network and
    security (other flags are ignored)."""
    mounts = frozenset(_mount_key(f.value) for f in ins.flags if f.name.lower() == "mount")
    network = next((f.value for f in ins.flags if f.name.lower() == "network"), None)
    security = next((f.value for f in ins.flags if f.name.lower() == "security"), None)
    return (mounts, network, security)


def merge_flags(ins: Instruction) -> tuple:
    """Every flag, normalised: two RUNs merge only with equal keys."""
    out = []
    for f in ins.flags:
        name = f.name.lower()
        out.append((name, _mount_key(f.value) if name == "mount" else f.value))
    return tuple(sorted(out, key=repr))


def _global_ignores(tree: Dockerfile) -> set[str]:
    codes: set[str] = set()
    for c in tree.children:
        if isinstance(c, Trivia) and c.kind == "comment":
            m = _HADOLINT_GLOBAL.match(str(c))
            if m:
                codes.update(x.strip().upper() for x in m.group(1).split(","))
    return codes


def _ignored_by_pragma(between: list, code: str) -> bool:
    """hadolint's `# hadolint ignore=…` on the line right before."""
    lines = [c for c in between if isinstance(c, Trivia) and c.kind != "blank"]
    if between and lines and between[-1] is lines[-1]:
        m = _HADOLINT_IGNORE.match(str(lines[-1]))
        if m and code in {x.strip().upper() for x in m.group(1).split(",")}:
            return True
    return False


def _hadolint_skips(text: str, first: Instruction) -> bool:
    """hadolint loses the instruction right after a heredoc unless a blank
    line follows the terminator (it reports nothing there)."""
    if not first.heredocs:
        return False
    nl = text.find("\n", first.end)
    line = text[first.end : nl if nl >= 0 else len(text)]
    return bool(line.strip())


# ---------------------------------------------------------------------------
# Shell state the first RUN could leave behind.


def _walk(root, child: bool = False, arith: bool = False):
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


def _in_child(cmd) -> bool:
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
    for node, child, arith in _walk(script.tree.root_node):
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
        if _in_child(cmd):
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


def _hashable(script: Script, only_parent: bool) -> set[str]:
    """Programs the shell looks up on PATH (and so remembers)."""
    return {
        c.program
        for c in script.commands
        if c.name and "/" not in c.name and c.program and not (only_parent and _in_child(c))
    }


def _names(cmd) -> set[str]:
    """Names an install command mentions: `pip==23` and `/usr/bin/pip` give
    `pip`."""
    out = set()
    for a in cmd.args:
        for word in re.split(r"[\s'\"]+", a.text):
            word = word.rstrip("/").rsplit("/", 1)[-1]
            word = re.split(r"[=<>!~\[@:;,]", word, maxsplit=1)[0]
            if word:
                out.add(word)
    return out


def _unknown_operands(cmd, skip: int) -> bool:
    """Packages not given literally: a variable, a requirements file, a
    local path (`.`, `-e .`)."""
    ops = cmd.operands()[skip:]
    if any(a.value is None for a in cmd.args):
        return True
    if cmd.has_option("-r", "--requirement", "-c", "--constraint", "-e", "--editable"):
        return True
    return any(
        v.value
        and (
            v.value.startswith((".", "/", "~"))
            or "://" not in v.value
            and v.value.endswith((".txt", ".whl", ".gz", ".zip"))
        )
        for v in ops
    )


def _may_replace(cmd, name: str) -> bool:
    """Could ``cmd`` put a new ``name`` on PATH (elsewhere than the one the
    shell found), or remove the one it found?"""
    prog = cmd.program or ""
    values = [v or "" for v in cmd.values]
    if prog.startswith("python") and values[:2] == ["-m", "pip"]:
        prog, values = "pip", values[2:]
    if prog in _INSTALLERS:
        subs, own = _INSTALLERS[prog]
        sub = next((v for v in values if not v.startswith("-")), "")
        if prog == "gem" and sub == "update" and "--system" in values:
            return name in own  # updates RubyGems itself
        if subs is not None and sub not in subs:
            return False
        return name in _names(cmd) or name in own and _unknown_operands(cmd, 1)
    if prog in _NODE_PMS:
        is_global = (
            cmd.has_option("-g", "--global", "--location")
            or "global" in values
            or prog == "pnpm"
            and "setup" in values
        )
        if not is_global:
            return False
        return name in _names(cmd) or name == prog or _unknown_operands(cmd, 1)
    if prog == "uv":
        sub = values[0] if values else ""
        if sub == "self":
            return name in ("uv", "uvx")
        if sub == "python" and "install" in values:
            return name.startswith("python")
        if sub in ("tool", "pip") and ("install" in values or "uninstall" in values):
            return (
                name in _names(cmd) or sub == "pip" and name in ("pip", "pip3") and _unknown_operands(cmd, 2)
            )
        return False
    if prog in _TOOL_MANAGERS:
        tools = _TOOL_MANAGERS[prog]
        return tools is None or name in tools or name in _names(cmd)
    if prog in _FILE_PLACERS:
        return (
            name in _names(cmd)
            or any("bin" in a.text for a in cmd.args)
            and any("*" in a.text for a in cmd.args)
        )
    if prog in _ARCHIVERS:
        return any("bin" in a.text for a in cmd.args) or name in _names(cmd)
    if prog == "make" and "install" in values:
        return name != "make"
    if prog in ("dpkg", "rpm", "apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper"):
        return name in _names(cmd)
    return False


def _stale_hash(first: Script, second: Script) -> str | None:
    """bash and dash remember where they found a program; the second RUN used
    to start with a fresh shell that looks it up again."""
    both = _hashable(first, only_parent=True) & _hashable(second, only_parent=False)
    for name in sorted(both):
        looked_up = min(
            c.index
            for c in first.commands
            if c.program == name and c.name and "/" not in c.name and not _in_child(c)
        )
        for cmd in first.commands[looked_up:]:
            if _may_replace(cmd, name):
                return (
                    f"both run `{name}` and the first may install another `{name}` "
                    f"(`{cmd.program}`), which the merged shell would not look up again"
                )
    return None


def _removes_workdir(script: Script, workdir: str | None) -> str | None:
    for c in script.commands:
        if c.program not in ("rm", "rmdir", "mv"):
            continue
        for a in c.operands():
            text = a.text.strip("'\"")
            if text in (".", "..") or text.startswith(("./", "../", "$PWD", "${PWD", "$(pwd", "`pwd")):
                return f"`{c.program}` may remove the working directory"
            if workdir and text.startswith("/"):
                parts = re.split(r"[$*?\[{]", text, maxsplit=1)
                prefix = parts[0]
                if len(parts) > 1:  # a pattern: any path starting with the prefix
                    hit = (workdir + "/").startswith(prefix)
                else:
                    prefix = prefix.rstrip("/")
                    hit = not prefix or workdir == prefix or workdir.startswith(prefix + "/")
                if hit:
                    return f"`{c.program}` may remove the working directory {workdir}"
    return None


# ---------------------------------------------------------------------------
# The shell that runs the RUNs.


def _shell_problem(ctx: Context, ins: Instruction) -> str | None:
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


def _shell_path(ctx: Context, ins: Instruction) -> str:
    argv = ctx.facts(ins).shell.argv
    return argv[0] if not isinstance(argv, Unknown) and argv else "/bin/sh"


# ---------------------------------------------------------------------------
# Layout of the merged RUN.


@dataclass
class _Style:
    leading: bool  # `\` newline indent `&& cmd` (else `cmd && \` newline indent)
    indent: str


def _line_head(src: str, at: int) -> tuple[int, str]:
    start = src.rfind("\n", 0, at) + 1
    return start, src[start:at]


def _chain_style(ins: Instruction, script: Script) -> _Style | None:
    """How a multi-line RUN chains its commands: the last `&&`/`||` of its
    last top-level chain, at the start of a line or at the end of one."""
    src = ins._text
    root = script.tree.root_node
    nodes = [n for n in root.children if n.type not in _SEPARATORS]
    if not nodes:
        return None
    node = nodes[-1]
    first_line = _line_head(src, ins.start)[0]
    while node.type in ("list", "redirected_statement") and node.children:
        kids = [k for k in node.children if k.type != "comment"]
        if node.type == "list" and len(kids) >= 3 and kids[-2].type in ("&&", "||"):
            op_at = script.source(script._c(kids[-2].start_byte))
            elem_at = script.source(script._c(kids[-1].start_byte))
            op_line, op_head = _line_head(src, op_at)
            elem_line, elem_head = _line_head(src, elem_at)
            if op_line != first_line and not op_head.strip(" \t"):
                return _Style(True, op_head)
            if elem_line != op_line and not elem_head.strip(" \t"):
                return _Style(False, elem_head)
            return None
        node = kids[0] if node.type == "redirected_statement" else kids[-1]
    return None


def _indent_unit(tree: Dockerfile) -> str:
    """A tab when the file indents continuation lines with tabs, else four
    spaces."""
    src = tree.text
    for ins in tree.instructions:
        nl = src.find("\n", ins.start, ins.content_end)
        if nl >= 0 and src[nl + 1 : nl + 2] == "\t":
            return "\t"
        if nl >= 0 and src[nl + 1 : nl + 2] == " ":
            return "    "
    return "    "


def _style(tree: Dockerfile, first: Instruction, second: Instruction) -> _Style:
    for ins in (first, second):
        style = _run_style(ins)
        if style is not None:
            return style
    # else the first RUN of the file that tells (the same for every merge)
    cached = tree.memo.get("merge_runs.style")
    if isinstance(cached, _Style):
        return cached
    found = next(
        (s for i in tree.instructions if i.keyword == "RUN" and (s := _run_style(i)) is not None), None
    )
    style = found or _Style(True, _indent_unit(tree))
    tree.memo["merge_runs.style"] = style
    return style


def _run_style(ins: Instruction) -> _Style | None:
    script = script_of(ins)
    if script is None or script.has_error or ins.heredocs:
        return None
    return _chain_style(ins, script)


# ---------------------------------------------------------------------------


def _and_list_problem(script: Script) -> str | None:
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


def _unquoted_assigned(script: Script) -> str | None:
    """A variable the second script assigns and then uses unquoted.  At the
    start of a script ShellCheck knows its value is safe; chained after the
    first RUN it no longer does, and hadolint would newly report SC2086."""
    assigned = set()
    for node, child, _arith in _walk(script.tree.root_node):
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


def _mount_problem(ins: Instruction) -> str | None:
    for f in ins.flags:
        if f.name.lower() != "mount":
            continue
        key = _mount_key(f.value) if f.value and '"' not in f.value else None
        if not isinstance(key, tuple):
            return "a --mount flag this rule cannot read"
        kind, opts = key
        if kind is None:
            return "a --mount flag this rule cannot read"
        if kind == "tmpfs":
            return "a tmpfs mount (each RUN gets an empty one)"
        keys = dict(opts)
        if "rw" in keys or "readwrite" in keys or keys.get("readonly") in ("false", "0"):
            return "a writable mount (each RUN sees it unchanged)"
    return None


class MergeConsecutiveRuns(Rule):
    """
    ## What it does
    Merges consecutive shell-form `RUN` instructions of a stage into one
    `RUN`, chaining the second script with `&&` on a new continuation line in
    the file's own style (`\\` then `&& cmd`, or `cmd && \\` then the next
    command), so the lines of both scripts keep their bytes. Comments between
    the two stay, as comment lines inside the continuation (BuildKit skips
    them); blank lines between are dropped.

    ## Why
    Each `RUN` makes a layer. Files deleted in a later layer still weigh in
    the earlier one, and separate layers cost pull time and storage
    (hadolint DL3059). One `RUN` also lets a later cleanup really shrink the
    image.

    ## Example
    ```dockerfile
    RUN apt-get update
    RUN apt-get install -y curl
    ```

    Use instead:
    ```dockerfile
    RUN apt-get update \\
        && apt-get install -y curl
    ```

    ## Fix safety
    Safe: the fix is made only when the merged `RUN` provably does what the
    two did, modulo layer boundaries and build cache. It is made when:

    - both are shell form without heredocs, have the same flags (`--mount`
      sets, `--network`, `--security`; no tmpfs or writable bind mount, whose
      content each `RUN` gets afresh), run under the same POSIX shell (no
      `SHELL` with `-l`, a non-POSIX program or a `BASH_ENV`/`ENV` startup
      file; not a Windows image), are in the same stage with only comments
      and blank lines between, and no `# hadolint`/`# dockfix:` pragma
      between (it belongs to the second instruction);
    - the first leaves no shell state behind: no `cd`, `pushd`/`popd`,
      `export`, `declare`/`local`/`readonly`, `unset`, `set`, `shopt`,
      `umask`, `ulimit`, `source`/`.`, `alias`, `trap`, `exec`, `eval`,
      `read`, `let`, `hash`, `exit` (except `exit 1` and other failing
      statuses: the build stops either way), function definitions, bare
      assignments (`X=1`), `${X:=…}` or arithmetic assignments, `for` loops
      (the loop variable stays set), background jobs (`&`), or commands named
      by a variable — except inside `( … )`, `$( … )` and `<( … )`, which
      run in a child process;
    - the first script does not end with a shell comment (`RUN a # note`:
      the appended command would be commented out) or `&`; a trailing `;` is
      dropped, since `a;` is `a`;
    - the second is one `&&` chain. `a || b` or `a; b` as the first script is
      fine: `a || b && c` is `(a || b) && c`, and `a; b && c` runs `c` after
      `b` exactly as before (a failing `a` did not stop the original build
      either); but a second script `b1; b2` or `b1 || b2` would run `b2` even
      when the first `RUN` failed, which used to stop the build;
    - the first does not touch the shell itself (`/bin/sh`, the `SHELL`
      program, `dpkg-reconfigure dash`: the second `RUN` used to start the new
      one) and does not `rm`/`mv` the working directory (the second `RUN`
      used to start in a fresh one; the base image's default directory is
      assumed not to be removed by absolute paths);
    - no program the first `RUN` looked up on `PATH` and the second runs
      again may have been installed anew by the first after that look-up
      (`pip install -U pip`, `npm i -g npm`, `corepack enable`, `gem update
      --system`, a copy into a `bin` directory naming it, `make install`…):
      bash and dash remember where they found a program and the merged shell
      could run the old one. A package install is assumed not to bring a
      program it does not name, other than the package manager itself when
      the package list is not literal (`-r requirements.txt`, `.`);
    - the second does not read `$_`.

    One more refusal keeps other linters quiet rather than behaviour: a
    second `RUN` that sets a variable and uses it unquoted (`V=1 && curl
    …/$V`) is left alone, because chained after other commands ShellCheck no
    longer sees that the value is safe and hadolint would report SC2086.

    Where hadolint reports DL3059 (it does when both `RUN`s run at most one
    command and have the same flags) but one of these conditions fails, the
    finding is reported without a fix and says why. Consecutive `RUN`s that
    hadolint does not report and that cannot be merged are not reported.
    """

    code = "DF201"
    name = "merge-consecutive-runs"
    summary = "Consecutive `RUN` instructions → one `RUN` chained with `&&` (when provably equivalent)"
    safety = Safety.SAFE
    covers = ("DL3059",)

    def check(self, ctx: Context):
        tree = ctx.tree
        ignored_globally = "DL3059" in _global_ignores(tree)
        children = tree.children
        position = {id(c): k for k, c in enumerate(children)}
        for stage in tree.stages:
            ins_list = stage.instructions
            for first, second in zip(ins_list, ins_list[1:], strict=False):
                if first.keyword != "RUN" or second.keyword != "RUN":
                    continue
                between = children[position[id(first)] + 1 : position[id(second)]]
                reason, edits = self._merge(ctx, first, second, between)
                at = second.keyword_word or second
                if edits is not None:
                    yield ctx.finding(at, "consecutive RUN instructions: merged into the previous RUN", edits)
                elif (
                    not ignored_globally
                    and not _ignored_by_pragma(between, "DL3059")
                    and not _hadolint_skips(ctx.text, first)
                    and hadolint_flags(first) == hadolint_flags(second)
                    and hadolint_commands(first) <= 1
                    and hadolint_commands(second) <= 1
                ):
                    yield ctx.finding(at, f"consecutive RUN instructions not merged: {reason}")

    def _merge(
        self, ctx: Context, first: Instruction, second: Instruction, between: list[Node]
    ) -> tuple[str | None, list[Edit] | None]:
        """(reason, None) when the two cannot be merged, else (None, edits)."""
        tree = ctx.tree
        src = ctx.text
        if first.json or second.json:
            return "exec (JSON) form", None
        if first.heredocs or second.heredocs:
            return "heredoc", None
        if merge_flags(first) != merge_flags(second):
            return "different flags", None
        problem = _mount_problem(first)
        if problem:
            return problem, None
        if any(isinstance(c, Trivia) and c.kind == "comment" and _PRAGMA.match(str(c)) for c in between):
            return "a hadolint/dockfix pragma comment between them", None
        problem = _shell_problem(ctx, first)
        if problem:
            return problem, None
        s1, s2 = script_of(first), script_of(second)
        if s1 is None or s2 is None or second.rest is None:
            return "no shell script", None
        if s1.has_error or s2.has_error:
            return "a shell syntax this rule cannot analyse", None
        problem = leaked_state(s1)
        if problem:
            return f"the first RUN may leave shell state behind: {problem}", None
        problem = _and_list_problem(s2)
        if problem:
            return problem, None
        name = _unquoted_assigned(s2)
        if name:
            return (
                f"the second RUN sets `{name}` and uses it unquoted: chained after the first, "
                "ShellCheck (hadolint SC2086) could no longer tell it is safe"
            ), None
        if re.search(r"\$\{?_\b", s2.text):
            return "the second RUN reads `$_`", None
        shell_path = _shell_path(ctx, first)
        touched = [r"bin/sh\b", r"dpkg-reconfigure", r"\bchsh\b"]
        if shell_path != "/bin/sh":
            touched.append(re.escape(shell_path.lstrip("/").split("/", 1)[-1]) + r"\b")
        if any(re.search(p, s1.text) for p in touched):
            return "the first RUN may change the shell that runs the second", None
        workdir = ctx.facts(first).workdir.path
        problem = _removes_workdir(s1, workdir if isinstance(workdir, str) else None)
        if problem:
            return problem, None
        problem = _stale_hash(s1, s2)
        if problem:
            return problem, None

        # Where the first script ends; only blanks (or a `;`) may follow.
        end = s1.source_end(last_node_end(s1))
        if last_node_end(s1) == 0 and not s1.tree.root_node.children:
            return "the first RUN runs nothing", None
        tail = src[end : first.content_end]
        if "#" in tail:
            return "the first RUN ends with a shell comment", None
        if tail.strip(" \t") not in ("", ";"):
            return "the first RUN does not end with a command", None
        # The region replaced in the second RUN: indentation, keyword, flags.
        head = src[second.start : second.rest.start]
        if "#" in head:
            return "a comment inside the second RUN's flags", None

        esc = tree.escape
        style = _style(tree, first, second)
        joiner = f" {esc}" if style.leading else f" && {esc}"
        start = end if tail.strip(" \t") == ";" else first.content_end
        # One edit from the end of the first script to the second script:
        # the line break stays, comment lines between are kept as they are
        # (BuildKit skips comment lines inside a continuation), blank lines
        # go, and `RUN` with its flags becomes the chaining operator.
        comments = "".join(str(c) for c in between if isinstance(c, Trivia) and c.kind == "comment")
        text = joiner + first.line_break + comments + style.indent + ("&& " if style.leading else "")
        # Another rule's insertion at either end (a flag before the second
        # script, a command appended to the first) overlaps this edit for the
        # engine and waits for the next pass.
        edits = [Edit(start, second.rest.start, text)]
        return None, edits
