from __future__ import annotations

import posixpath
from typing import NamedTuple

from ...analysis import is_absolute, word_value
from ...model import StageInfo
from ...rules import Context, Edit, Rule, Safety
from ...shell import Script, script_of
from ...tree import Dockerfile
from .._util import keyword_like
from ._shell_rules import (
    exec_form_script,
    indentation,
    insertion_point,
    known_workdir,
    merged_edit,
    shell_word,
)

_WHERE = {
    "subshell": "a subshell",
    "command_substitution": "a command substitution",
    "process_substitution": "a process substitution",
    "for_statement": "a loop",
    "c_style_for_statement": "a loop",
    "while_statement": "a loop",
    "if_statement": "an `if`",
    "case_statement": "a `case`",
    "compound_statement": "a `{ … }` group",
    "function_definition": "a function",
    "negated_command": "a negated command",
    "pipeline": "a pipeline",
}


def _mount_targets(ins) -> list[str]:
    out = []
    for f in ins.flags:
        if f.name != "mount" or not f.value:
            continue
        for part in f.value.split(","):
            key, _, value = part.partition("=")
            if key.strip().lower() in ("target", "dst", "destination"):
                out.append(value.strip().strip("\"'"))
    return out


def _chain_head(script: Script):
    """If the whole script is ``cd DIR && rest`` (the `&&` binding `cd` to
    everything after it), the tree-sitter node that starts ``rest``.
    Returns (node or None, why not)."""
    root = script.tree.root_node
    stmts = [c for c in root.children if c.type not in ("comment", ";", "&", "\n")]
    if len(stmts) != 1 or any(c.type == "&" for c in root.children):
        return None, "the cd is followed by `;`, `&` or a new line, not `&&`"
    node = stmts[0]
    right = None
    while node.type == "list":
        kids = [k for k in node.children if k.type != "comment"]
        if len(kids) != 3 or kids[1].type != "&&":
            return None, "the rest of the RUN also runs when the cd fails (`||`)"
        right = kids[2]
        node = kids[0]
    if node.type != "command":
        return None, "the cd has a redirection or is not a plain command"
    if right is None:
        return None, "a RUN with only `cd` changes nothing for later instructions"
    return right, ""


class CdToWorkdir(Rule):
    """
    ## What it does
    Turns a `cd DIR &&` at the start of a `RUN` into a `WORKDIR` before the
    `RUN`:

    `RUN cd /src && make` → `WORKDIR /src` + `RUN make`.

    `DIR` must be a literal path, absolute or relative to a working directory
    known from this file (an earlier `WORKDIR`), and the `cd` must be the
    first command with `&&` binding it to everything after it. The `RUN`
    keeps its flags and mounts, and the rest of the script keeps its layout;
    comment lines between the `cd` and the next command move above the new
    `WORKDIR`.

    The new `WORKDIR` stays in effect after the `RUN`, so the old one is
    restored right after it (`WORKDIR /old`) when anything later depends on
    the working directory: a `RUN`, a `COPY`/`ADD` with a relative
    destination, a relative `WORKDIR`, `CMD`, `ENTRYPOINT`, `HEALTHCHECK`,
    `ONBUILD`, a relative `VOLUME`; or when the stage is the final image (its
    config's working directory would change) or the base of a later stage of
    this file. When a later absolute `WORKDIR` comes first, nothing is
    restored. A `cd` to the directory that already is the working directory
    is simply dropped. When the `RUN` directly follows a `WORKDIR` and the
    `cd` goes below it (`WORKDIR /app` + `RUN cd server && …`), that
    `WORKDIR` is changed instead of adding a second one, so consecutive
    `RUN cd server && …` share one `WORKDIR /app/server` and one restore.

    ## Why
    `cd` in a `RUN` only lasts for that `RUN`; `WORKDIR` says where the
    commands run in a way that every later reader (and tool) can see, and is
    what the Dockerfile reference recommends (hadolint DL3003).

    ## Example
    ```dockerfile
    WORKDIR /usr/src
    COPY . .
    RUN cd server && make install
    CMD ["./run.sh"]
    ```

    Use instead:
    ```dockerfile
    WORKDIR /usr/src
    COPY . .
    WORKDIR /usr/src/server
    RUN make install
    WORKDIR /usr/src
    CMD ["./run.sh"]
    ```

    ## Fix safety
    Unsafe. `WORKDIR` creates a missing directory where `cd` would have
    failed the build, and it changes the working directory of the image config
    when nothing restores it: the fix restores it whenever a later
    instruction, the final image or a later stage of this file depends on it,
    but a stage built alone with `--target` (and not otherwise used as a base
    here) keeps the new directory.

    Reported without a fix (hadolint DL3003 reports every `cd` in a `RUN`):
    a `cd` that is not the first command (`git clone … && cd repo`,
    `set -e; cd /x`), a `cd` inside a subshell, loop, `if`, function or
    command substitution (it only changes the directory for that part of the
    script), a `cd` joined with `||` or `;` (when it fails the rest would run
    in the old directory), a `RUN` with more than one `cd`, a target with
    variables, options or `~`, a relative target when the working directory
    is not known from this file, a working directory that must be restored
    but is not known (it comes from the base image), a `RUN` with a relative
    `--mount` target (it is resolved against the working directory), Windows
    images, and exec-form `RUN`s (hadolint reads their joined words as a
    script).
    """

    code = "DF511"
    looks_at = ("RUN",)
    name = "cd-to-workdir"
    summary = "`RUN cd DIR && …` → `WORKDIR DIR` + `RUN …` (restoring the old `WORKDIR` if needed)"
    safety = Safety.UNSAFE
    covers = ("DL3003",)

    def check(self, ctx: Context):
        for info in ctx.model.stages:
            stage, windows = info.stage, info.windows
            fixed: set[int] = set()  # instructions this pass rewrites
            for idx, ins in enumerate(stage.instructions):
                if ins.keyword != "RUN":
                    continue
                at = ins.keyword_word or ins
                if ins.json:
                    script = exec_form_script(ins)
                    if script is not None and any(c.program == "cd" for c in script.commands):
                        yield ctx.finding(at, "`cd` in an exec-form RUN: use WORKDIR (not rewritten)")
                    continue
                script = script_of(ins)
                if script is None:
                    continue
                cds = [c for c in script.commands if c.program == "cd"]
                if not cds:
                    continue
                head = "Use WORKDIR instead of `cd` in RUN"
                if script.has_error:
                    yield ctx.finding(at, f"{head} (the script could not be fully parsed: not rewritten)")
                    continue
                if windows:
                    yield ctx.finding(at, f"{head} (Windows image: not rewritten)")
                    continue
                edits, message = self._fix(ctx, info, idx, ins, script, cds)
                if edits:
                    prev = stage.instructions[idx - 1] if idx > 0 else None
                    if prev is not None and id(prev) in fixed:
                        # Right after another rewritten RUN: wait for the
                        # next pass (an unchanged edit over that RUN makes
                        # the engine defer this fix), when its restored
                        # WORKDIR can be reused instead of stacked.
                        edits = [*edits, Edit(prev.start, prev.end, str(prev))]
                    fixed.add(id(ins))
                yield ctx.finding(at, message if edits else f"{head} ({message}: not rewritten)", edits)

    def _fix(self, ctx: Context, info: StageInfo, idx: int, ins, script: Script, cds):
        """(the edits, the message) of the rewrite, or (None, why not)."""
        why = _cd_problem(script, cds)
        if why:
            return None, why
        cd = cds[0]
        right, why = _chain_head(script)
        if right is None:
            return None, why
        move = _move(ctx, ins, cd)
        if isinstance(move, str):
            return None, move
        restore, guard, why = self._restore(info, idx, move)
        if why:
            return None, why
        text = ins._text
        front, pos, lines = _cut_cd(ctx.tree, ins, script, cd, right)
        if move.new == move.old:
            if lines:
                front.append(Edit(pos, pos, lines))
            message = f"`cd {move.target}` goes to the current working directory: drop it"
            return [merged_edit(text, front), *guard], message
        front += _workdir_edits(ctx, info, idx, ins, move, pos, lines)
        # One edit from the new WORKDIR to the start of the remaining script:
        # a diff may pair the new path with the removed `cd` argument.
        edits = [merged_edit(text, front), *guard]
        message = f"Use WORKDIR {move.new} instead of `cd` at the start of the RUN"
        tail = None
        if restore is not None:
            tail = _restore_edit(ctx.tree, ins, restore)
            edits.append(merged_edit(text, [tail]))
            message += f", then restore WORKDIR {restore}"
        if any(x.end > y.start for x, y in zip(sorted(edits), sorted(edits)[1:], strict=False)):
            edits = [merged_edit(text, [*front, *([tail] if tail is not None else [])])]
        return edits, message

    def _restore(self, info: StageInfo, idx: int, move: _Move) -> tuple[str | None, list[Edit], str]:
        """(the working directory to restore after the RUN or None, the
        guard edits the fix relies on, why the fix cannot be made or "")."""
        restore = None
        guard: list[Edit] = []
        if move.new != move.old:
            need, stop = self._depends(info, idx)
            if stop is not None:
                # The fix relies on this later absolute WORKDIR: an unchanged
                # edit over it makes a fix that would remove it wait a pass.
                guard.append(Edit(stop.start, stop.end, str(stop)))
            if need is not None:
                if move.old is None:
                    why = f"{need} depends on the working directory, and the one to restore is not known here"
                    return None, guard, why
                restore = move.old
        return restore, guard, ""

    @staticmethod
    def _depends(info: StageInfo, idx: int):
        """(what after instruction ``idx`` of ``stage`` depends on the
        working directory, or None; the word of the later absolute WORKDIR
        that makes the rest independent of it, if any)."""
        for later in info.stage.instructions[idx + 1 :]:
            kw = later.keyword
            if kw == "WORKDIR":
                value = word_value(later.args[0].value) if later.args else None
                if value is not None and is_absolute(value):
                    return None, later.args[0]
                return f"the relative WORKDIR on line {later.start_line}", None
            if kw in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "ONBUILD"):
                return f"the {kw} on line {later.start_line}", None
            if kw in ("COPY", "ADD") and later.args:
                dest = later.args[-1]
                value = dest.value if later.json else word_value(dest.value)
                if value is None or not is_absolute(value):
                    return f"the {kw} on line {later.start_line}", None
            if kw == "VOLUME":
                values = [a.value for a in later.args]
                if any(not v.startswith("/") for v in values):
                    return f"the VOLUME on line {later.start_line}", None
        if info.is_final:
            return "the final image", None
        if info.children:
            return "a later stage built on this one", None
        return None, None


def _cd_problem(script: Script, cds) -> str:
    """Why where the first `cd` stands keeps it from becoming a WORKDIR
    ("" when nothing does)."""
    cd = cds[0]
    if cd.ancestors:
        return f"the cd is inside {_WHERE.get(cd.ancestors[-1], 'a compound command')}"
    if cd is not script.commands[0]:
        return "the cd is not the first command of the RUN"
    if len(cds) > 1:
        return "the RUN uses `cd` more than once"
    if cd.assignments:
        return "the cd has variable assignments"
    return ""


class _Move(NamedTuple):
    target: str  # the cd's argument
    new: str  # the working directory it goes to
    old: str | None  # the working directory before the RUN, when this file tells it


def _move(ctx: Context, ins, cd) -> _Move | str:
    """Where the `cd` goes, or why that cannot be a WORKDIR."""
    if len(cd.args) != 1 or cd.args[0].value is None:
        return "the cd target is not one literal path"
    target = cd.args[0].value
    if not target or target.startswith(("-", "~")):
        return "the cd target is not a plain path"
    wd_path = known_workdir(ctx, ins)
    if target.startswith("/"):
        new = posixpath.normpath(target)
        new = "/" if new == "//" else new
    elif wd_path is None or not wd_path.startswith("/"):
        return "the cd target is relative and the working directory is not known here"
    else:
        new = posixpath.normpath(posixpath.join(wd_path, target))
    if any(not t.startswith("/") for t in _mount_targets(ins)):
        return "a --mount target is relative to the working directory"
    return _Move(target, new, wd_path)


def _cut_cd(tree: Dockerfile, ins, script: Script, cd, right) -> tuple[list[Edit], int, str]:
    """([the edit removing `cd DIR &&` up to ``right``, the command after
    it], where a new line goes before the RUN, the comment lines between
    the cd and that command as lines to put there)."""
    text = ins._text
    a = script.source(cd.start)
    b = script.source(script._c(right.start_byte))
    region = text[a:b]
    moved = [line.strip(" \t\r\n") for line in region.splitlines()[1:] if line.lstrip(" \t").startswith("#")]
    indent = indentation(ins)
    lines = "".join(f"{indent}{c}{tree.newline}" for c in moved)
    return [Edit(a, b, "")], insertion_point(tree, ins), lines


def _workdir_edits(
    ctx: Context, info: StageInfo, idx: int, ins, move: _Move, pos: int, lines: str
) -> list[Edit]:
    """The edits that make ``move.new`` the working directory of the RUN
    (``lines``: the comment lines to put at ``pos``, above it)."""
    tree, stage, wd_path, new = ctx.tree, info.stage, move.old, move.new
    prev = stage.instructions[idx - 1] if idx > 0 else None
    inside = wd_path is not None and new.startswith(wd_path.rstrip("/") + "/")
    # A WORKDIR right before the RUN can be changed instead of stacking a
    # second one when nothing relied on it creating its directory: the
    # cd went below it, or it only restores a directory the stage was
    # already in (a WORKDIR this rule put back after an earlier RUN).
    existed = (
        prev is not None
        and prev.keyword == "WORKDIR"
        and wd_path is not None
        and any(known_workdir(ctx, i) == wd_path for i in stage.instructions[: idx - 1])
    )
    if (
        (inside or existed)
        and prev is not None
        and prev.keyword == "WORKDIR"
        and prev.args
        and word_value(prev.args[0].value)
    ):
        # `WORKDIR /app` right before `RUN cd server && …`: change it (or
        # drop it when it only left that same directory) rather than
        # stacking a second WORKDIR.  /app exists (the cd into a
        # directory below it worked), so nothing relied on the WORKDIR
        # creating it.
        if known_workdir(ctx, prev) == new:
            edits = [Edit(prev.start, prev.end, "")]
        else:
            word = prev.args[0]
            edits = [Edit(word.start, word.end, shell_word(new, tree.escape))]
        if lines:
            edits.append(Edit(pos, pos, lines))
        return edits
    workdir = keyword_like(ins, "WORKDIR")
    return [
        Edit(pos, pos, f"{lines}{indentation(ins)}{workdir} {shell_word(new, tree.escape)}{tree.newline}")
    ]


def _restore_edit(tree: Dockerfile, ins, restore: str) -> Edit:
    """The edit putting `WORKDIR restore` right after the RUN."""
    indent, nl = indentation(ins), tree.newline
    back = f"{keyword_like(ins, 'WORKDIR')} {shell_word(restore, tree.escape)}"
    if ins.line_break:
        return Edit(ins.end, ins.end, f"{indent}{back}{nl}")
    return Edit(ins.end, ins.end, f"{nl}{indent}{back}")
