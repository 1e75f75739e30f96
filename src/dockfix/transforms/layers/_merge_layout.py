"""DF201 (merge consecutive RUNs): the layout of the merged RUN, in the
file's own style (where `&&` goes, how continuation lines are indented).
The rule itself is :mod:`.merge_consecutive_runs`."""

from __future__ import annotations

from msgspec import Struct

from ...shell import Script, script_of
from ...tree import Dockerfile, Instruction

_SEPARATORS = frozenset({";", "&", "\n", "comment"})


class _Style(Struct):
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


def merge_style(tree: Dockerfile, first: Instruction, second: Instruction) -> _Style:
    """How to chain the second RUN onto the first: as the first or the second
    already chains its commands, else as the first RUN of the file that
    shows it, else a leading `&&` indented as the file indents."""
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
