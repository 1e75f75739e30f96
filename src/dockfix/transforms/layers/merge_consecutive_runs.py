"""DF201: merge consecutive RUNs.  The rule and its refusals; what the
scripts do to the shell is in :mod:`._merge_shell`, programs and the working
directory the first RUN may replace in :mod:`._merge_path`, the merged
layout in :mod:`._merge_layout`, what hadolint reports in
:mod:`._merge_hadolint`."""

from __future__ import annotations

import re
from types import MappingProxyType

from ...mounts import mount_key
from ...rules import Context, Edit, Rule, Safety
from ...shell import Script, last_node_end, script_of
from ...tree import Instruction, Node, Trivia
from ._merge_hadolint import (
    hadolint_commands,
    hadolint_flags,
    hadolint_skips,
)
from ._merge_layout import merge_style
from ._merge_path import removes_workdir, stale_hash
from ._merge_shell import and_list_problem, leaked_state, shell_path, shell_problem, unquoted_assigned

_PRAGMA = re.compile(r"^\s*#\s*(hadolint\b|dockfix\s*:)", re.I)


def merge_flags(ins: Instruction) -> tuple:
    """Every flag, normalised: two RUNs merge only with equal keys."""
    out = []
    for f in ins.flags:
        name = f.name.lower()
        out.append((name, mount_key(f.value) if name == "mount" else f.value))
    return tuple(sorted(out, key=repr))


def _mount_problem(ins: Instruction) -> str | None:
    """A mount whose content each RUN gets afresh (or one not read)."""
    for f in ins.flags:
        if f.name.lower() != "mount":
            continue
        key = mount_key(f.value) if f.value else None
        if not isinstance(key, tuple):
            return "a --mount flag this rule cannot read"
        kind, opts = key
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

    ## Options
    `merge` (boolean, default true): with `merge = false`
    (`[tool.dockfix.lint.merge-consecutive-runs]`) nothing is merged; the
    rule only reports, without a fix, the consecutive `RUN`s hadolint
    reports (DL3059), for teams that keep one step per `RUN` on purpose.
    """

    code = "DF201"
    looks_at = ("RUN",)
    name = "merge-consecutive-runs"
    summary = "Consecutive `RUN` instructions → one `RUN` chained with `&&` (when provably equivalent)"
    safety = Safety.SAFE
    covers = ("DL3059",)
    option_defaults = MappingProxyType({"merge": True})

    def check(self, ctx: Context):
        tree = ctx.tree
        merging = ctx.options["merge"] is not False
        children = tree.children
        position = {id(c): k for k, c in enumerate(children)}
        for stage in tree.stages:
            ins_list = stage.instructions
            for first, second in zip(ins_list, ins_list[1:], strict=False):
                if first.keyword != "RUN" or second.keyword != "RUN":
                    continue
                between = children[position[id(first)] + 1 : position[id(second)]]
                reason, edits = (
                    self._merge(ctx, first, second, between) if merging else ("merging is off", None)
                )
                at = second.keyword_word or second
                if edits is not None:
                    yield ctx.finding(at, "consecutive RUN instructions: merged into the previous RUN", edits)
                elif (
                    not hadolint_skips(ctx.text, first)
                    and hadolint_flags(first) == hadolint_flags(second)
                    and hadolint_commands(first) <= 1
                    and hadolint_commands(second) <= 1
                ):
                    yield ctx.finding(at, f"consecutive RUN instructions not merged: {reason}")

    def _merge(
        self, ctx: Context, first: Instruction, second: Instruction, between: list[Node]
    ) -> tuple[str | None, list[Edit] | None]:
        """(reason, None) when the two cannot be merged, else (None, edits)."""
        problem = _form_problem(ctx, first, second, between)
        if problem:
            return problem, None
        s1, s2 = script_of(first), script_of(second)
        if s1 is None or s2 is None or second.rest is None:
            return "no shell script", None
        problem = _script_problem(ctx, first, s1, s2)
        if problem:
            return problem, None
        return _join(ctx, first, second, between, s1)


def _form_problem(ctx: Context, first: Instruction, second: Instruction, between: list[Node]) -> str | None:
    """Why the two RUNs' forms, flags, the lines between them or the SHELL
    in effect forbid merging them; None when they do not."""
    if first.json or second.json:
        return "exec (JSON) form"
    if first.heredocs or second.heredocs:
        return "heredoc"
    if merge_flags(first) != merge_flags(second):
        return "different flags"
    problem = _mount_problem(first)
    if problem:
        return problem
    if any(isinstance(c, Trivia) and c.kind == "comment" and _PRAGMA.match(str(c)) for c in between):
        return "a hadolint/dockfix pragma comment between them"
    return shell_problem(ctx, first)


def _script_problem(ctx: Context, first: Instruction, s1: Script, s2: Script) -> str | None:
    """Why the two scripts, run in one shell, may not do what they did in two;
    None when they provably do."""
    if s1.has_error or s2.has_error:
        return "a shell syntax this rule cannot analyse"
    problem = leaked_state(s1)
    if problem:
        return f"the first RUN may leave shell state behind: {problem}"
    problem = and_list_problem(s2)
    if problem:
        return problem
    name = unquoted_assigned(s2)
    if name:
        return (
            f"the second RUN sets `{name}` and uses it unquoted: chained after the first, "
            "ShellCheck (hadolint SC2086) could no longer tell it is safe"
        )
    if re.search(r"\$\{?_\b", s2.text):
        return "the second RUN reads `$_`"
    program = shell_path(ctx, first)
    touched = [r"bin/sh\b", r"dpkg-reconfigure", r"\bchsh\b"]
    if program != "/bin/sh":
        touched.append(re.escape(program.lstrip("/").split("/", 1)[-1]) + r"\b")
    if any(re.search(p, s1.text) for p in touched):
        return "the first RUN may change the shell that runs the second"
    workdir = ctx.facts(first).workdir.path
    problem = removes_workdir(s1, workdir if isinstance(workdir, str) else None)
    if problem:
        return problem
    return stale_hash(s1, s2)


def _join(
    ctx: Context, first: Instruction, second: Instruction, between: list[Node], s1: Script
) -> tuple[str | None, list[Edit] | None]:
    """The edit that chains the second RUN's script onto the first's, or
    (reason, None) when the text around them does not allow it."""
    tree = ctx.tree
    src = ctx.text
    assert second.rest is not None  # _merge checked it
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
    style = merge_style(tree, first, second)
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
