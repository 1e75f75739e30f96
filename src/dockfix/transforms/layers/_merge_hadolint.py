"""DF201 (merge consecutive RUNs): what hadolint's DL3059 reports, so that
the rule's report-only findings sit where hadolint's do.  The rule itself is
:mod:`.merge_consecutive_runs`."""

from __future__ import annotations

from ...mounts import mount_key
from ...shell import _parser, script_of
from ...tree import Instruction

# `# hadolint ignore=DL3059` (and `global ignore`) are honoured by the
# engine's suppression (dockfix.suppress) for every rule covering DL3059.


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


def hadolint_flags(ins: Instruction) -> tuple:
    """RUN flags as hadolint compares them: the set of mounts, network and
    security (other flags are ignored)."""
    mounts = frozenset(mount_key(f.value) for f in ins.flags if f.name.lower() == "mount")
    network = next((f.value for f in ins.flags if f.name.lower() == "network"), None)
    security = next((f.value for f in ins.flags if f.name.lower() == "security"), None)
    return (mounts, network, security)


def hadolint_skips(text: str, first: Instruction) -> bool:
    """hadolint loses the instruction right after a heredoc unless a blank
    line follows the terminator (it reports nothing there)."""
    if not first.heredocs:
        return False
    nl = text.find("\n", first.end)
    line = text[first.end : nl if nl >= 0 else len(text)]
    return bool(line.strip())
