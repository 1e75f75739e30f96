from __future__ import annotations

import json

from msgspec import Struct

from ... import tools
from ...model import Family, SemanticModel, StageInfo, Unknown
from ...rules import Context, Edit, Rule, Safety
from ...shell import Command, Script, script_of, set_errexit
from ...tree import Instruction
from .._util import keyword_like
from ._shell_rules import (
    HADOLINT_PIPEFAIL_SHELLS,
    exec_form_script,
    indentation,
    insertion_point,
    is_non_posix,
    merged_edit,
    shell_program,
)
from ._shellcheck import dialect, new_findings

_SUBSTITUTIONS = ("command_substitution", "process_substitution")
_SHELL_FOR = {
    Family.DEBIAN: "/bin/bash",
    Family.UBUNTU: "/bin/bash",
    Family.RHEL: "/bin/bash",
    Family.PHOTON: "/bin/bash",
    Family.ALPINE: "/bin/ash",
}
# The family a package manager tells, for an image the table does not know
# (every family here ships bash: Debian and Ubuntu mark it Essential).
_MANAGER_FAMILY = {
    **dict.fromkeys(tools.apt.APT, Family.DEBIAN),
    "yum": Family.RHEL,
    "dnf": Family.RHEL,
    "microdnf": Family.RHEL,
}


def pipes(script: Script) -> tuple[list[int], list[int]]:
    """Script offsets of the pipelines: (outside any `$(...)`/`<(...)`,
    only inside one)."""
    real: list[int] = []
    nested: list[int] = []

    stack = [(script.tree.root_node, False)]  # iterative: long chains nest deeply
    while stack:
        node, in_subst = stack.pop()
        if node.type == "heredoc_body":
            continue
        if node.type == "pipeline":
            (nested if in_subst else real).append(script._c(node.start_byte))
        inner = in_subst or node.type in _SUBSTITUTIONS
        stack.extend((child, inner) for child in reversed(node.children))
    return real, nested


def sets_pipefail(script: Script, before: int) -> bool:
    """A top-level `set -o pipefail` (or `set -euo pipefail`) runs before
    script offset ``before``."""
    for cmd in script.find("set"):
        if cmd.start >= before or any(a in _SUBSTITUTIONS or a == "subshell" for a in cmd.ancestors):
            continue
        vals = [v or "" for v in cmd.values]
        if "pipefail" in vals and any(
            v.startswith("-") and not v.startswith("--") and "o" in v[1:] for v in vals
        ):
            return True
    return False


def heredoc_shebang(ins) -> str | None:
    """The `#!` line of a `RUN <<EOF` script that runs its own interpreter."""
    if len(ins.heredocs) != 1 or ins.rest is None:
        return None
    h = ins.heredocs[0]
    if ins.rest.value.strip() != str(h).strip():
        return None
    body = h.content
    return body.split("\n", 1)[0].rstrip("\r") if body.startswith("#!") else None


class Pipefail(Rule):
    """
    ## What it does
    Finds `RUN` instructions whose script pipes one command into another
    (`a | b`, also inside a command substitution: `x=$(a | b)`) while no
    `pipefail` option is in effect, and inserts a `SHELL` instruction with
    `-o pipefail` before the first such `RUN` of the stage:

    - `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` for Debian and Ubuntu
      based images (`debian`, `ubuntu`, `buildpack-deps`, and the official
      language images such as `python`, `node`, `ruby`, `golang`, `rust`,
      `php` in their default and `-slim` variants) and for the RHEL family
      (`ubi*`, `fedora`, `centos`, `rockylinux`, `almalinux`,
      `amazonlinux`, Azure Linux), which all ship bash;
    - `SHELL ["/bin/ash", "-o", "pipefail", "-c"]` for Alpine based images
      (any image reference that says `alpine`, and the official `bash`
      image, which is Alpine), whose `/bin/sh` is busybox ash.

    When a `SHELL` without pipefail is already in effect (for example
    `SHELL ["/bin/bash", "-c"]`), `-o pipefail` is added after its program:
    in that `SHELL` itself when it belongs to the stage and nothing has used
    it yet, otherwise in a new `SHELL` that repeats it. A `/bin/sh` program
    becomes bash or ash as above; a bash, zsh or ash at a path hadolint does
    not recognise (the official `bash` image's `/usr/local/bin/bash`) is
    named by its bare name (`bash`, found through `PATH`). The image is
    recognised from the `FROM` of the stage (following stages of this file
    back to their external base, and global `ARG` defaults); this is a
    heuristic on names, not a look into the image: an unresolved variable in
    the tag of a language image counts only with a literal `-slim`, as
    `python:${V}` might name an Alpine variant. For an image the table does
    not know (`myorg/base`, `mcr.microsoft.com/devcontainers/dotnet`), the
    package manager the stage runs tells the family: `apt-get` or `apt`
    (Debian and Ubuntu, where bash is an Essential package), `dnf`, `yum` or
    `microdnf` (the RHEL family), run by a `RUN` up to the one with the pipe
    (or by a stage it builds on) whenever that `RUN` succeeds: in the last
    statement of its script, joined to the rest by `&&` only, outside any
    pipeline, subshell, `if` or loop. `apk` does not tell (Alpine and Wolfi
    both use it; only Alpine gets `/bin/ash` here).

    The `SHELL` is inserted once per stage and applies to every later
    shell-form `RUN`, `CMD` and `ENTRYPOINT` of the stage (and of stages built
    on it), not only to the `RUN` with the pipe. It goes above the comment
    lines attached to that `RUN`.

    ## Why
    A pipeline's exit status is the status of its last command: in
    `RUN curl -fsSL https://example.com/install.sh | sh`, a failed download
    still gives a successful build step when `sh` succeeds on empty input.
    With `pipefail` the step fails as it should (hadolint DL4006).

    Which shells support `pipefail`: bash, zsh, ksh and busybox ash (Alpine's
    `/bin/sh`, built with bash compatibility) do. dash, the `/bin/sh` of
    Debian and Ubuntu (0.5.12 in bookworm and trixie), does not:
    `set -o pipefail` fails there with "Illegal option -o pipefail", so
    Debian-based images need bash. `set -o pipefail &&` at the start of a
    script would work on Alpine, but hadolint only accepts a `SHELL`
    instruction, and a `SHELL` also covers the later `RUN`s; so both families
    get a `SHELL`.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm-slim
    SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    RUN curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg
    ```

    ## Fix safety
    Unsafe. A build that used to pass can now fail (that is the point: a
    command before a `|` failed). On Debian and Ubuntu the later shell-form
    `RUN`s of the stage run with bash instead of dash, which differs in
    places (dash's `echo` interprets backslash escapes, bash's does not;
    bash-only syntax starts to work); and the `SHELL` is part of the image
    config, so a shell-form `CMD`, `ENTRYPOINT` or `HEALTHCHECK` of the image
    and images built on it use the new shell too.

    A pipe only inside a command substitution changes the outcome of its
    `RUN` only where the substitution's status is the command's: a plain
    assignment (`sum=$(sha256sum f | cut -d' ' -f1) && …` now fails when
    `sha256sum` does). In `echo $(a | b)`, `export X=$(a | b)`,
    `for f in $(a | b)` or an argument, the status is dropped and the `RUN`
    behaves as before; the `SHELL` is still set (hadolint reports these
    pipes too) and applies to the later `RUN`s as for any pipe.

    Reported without a fix:
    - stages whose base image is not recognised and whose `RUN`s run no
      package manager that tells it (no way to tell whether bash or ash
      exists), images without a shell (distroless, `scratch`), Windows
      images, and a `SHELL` in effect whose program is neither `sh`, bash,
      zsh nor ash;
    - `RUN <<EOF` scripts that start with their own `#!` interpreter (the
      `SHELL` does not apply to them: add `set -o pipefail` to the script)
      and exec-form `RUN ["sh", "-c", "a | b"]` (hadolint reads the joined
      words as a script; `SHELL` does not apply to exec form);
    - stages where the new `SHELL` would make hadolint newly report a
      ShellCheck rule: hadolint lints the `RUN`s after a bash `SHELL` as
      bash and after an ash one as dash, where a few checks exist that sh
      does not have (SC2001 `echo "$x" | sed 's/a/b/'`, SC2051 `{1..$n}`,
      SC2025 `PS1`; SC2071/SC2073/SC2122 comparisons in `[ ]`; SC3036
      `echo -e` under dash). A static test on the later `RUN`s of the stage
      and of stages built on it, conservative (it does not run ShellCheck).

    Not reported, although hadolint reports them: a script that runs
    `set -o pipefail` (or `set -euo pipefail`) before its first pipe
    (hadolint only looks at `SHELL`), a stage that inherits a pipefail
    `SHELL` from an earlier stage of this file (Docker keeps it; hadolint
    starts every stage afresh), and a pipefail `SHELL` whose program is at a
    path hadolint does not list (`/usr/local/bin/bash`). Also not reported:
    pipes hidden in `sh -c '…'` strings (a string to hadolint, and a
    `SHELL` option would not reach the inner shell), `||`, `ONBUILD RUN`,
    and stages whose `SHELL` is PowerShell or cmd (hadolint ignores those
    too). A stage whose parent stage gets its pipefail `SHELL` in the same
    run gets its own copy.
    """

    code = "DF512"
    looks_at = ("RUN",)
    name = "pipefail"
    summary = 'Pipe in `RUN` without pipefail → `SHELL [..., "-o", "pipefail", "-c"]`'
    safety = Safety.UNSAFE
    covers = ("DL4006",)

    def check(self, ctx: Context):
        managers: dict[int, _Manager | None] = {}  # per stage index, worked out once
        for info in ctx.model.stages:
            yield from self._stage(ctx, info, managers)

    def _stage(self, ctx: Context, info: StageInfo, managers: dict[int, _Manager | None]):
        fix: list[Edit] | None = None  # the SHELL this stage gets, once decided
        fix_line = 0
        for ins in info.stage.instructions:
            if ins.keyword == "SHELL":
                fix = None
                continue
            if ins.keyword != "RUN":
                continue
            shell = ctx.facts(ins).shell
            if isinstance(shell.argv, Unknown):
                continue  # a SHELL not in JSON form: BuildKit rejects it
            args = list(shell.argv) if not shell.default and shell.argv else None
            if args is not None and (is_non_posix(args) or shell.pipefail):
                continue
            if ins.json:
                script = exec_form_script(ins)
                if script is not None and any(pipes(script)):
                    yield ctx.finding(
                        ins.keyword_word or ins,
                        "Pipe in an exec-form RUN: SHELL does not apply to it; add `set -o pipefail` to its script",
                    )
                continue
            real = _pipes_without_pipefail(ins)
            if real is None:
                continue
            at = ins.keyword_word or ins
            what = "Pipe in RUN" if real else "Pipe inside a command substitution in RUN"
            if fix is not None:
                yield ctx.finding(at, f"{what} without pipefail (fixed by the SHELL on line {fix_line})", fix)
                continue
            why = _not_fixable(info, ins)
            if why:
                yield ctx.finding(at, why)
                continue
            family, seen = _family(ctx.model, info, ins, managers)
            new_args, why = self._new_shell(info, args, family)
            if new_args is not None:
                why = _shellcheck_change(ctx.model, info, ins, args, new_args)
            if new_args is None or why:
                yield ctx.finding(at, f"{what} without pipefail ({why})")
                continue
            fix, fix_line, where = self._shell_fix(
                ctx, info, ins, shell.ins if args is not None else None, new_args
            )
            if real:
                message = (
                    f"{what} without pipefail: a failure before `|` is ignored; set SHELL with -o pipefail"
                )
            else:
                message = f"{what} without pipefail: set SHELL with -o pipefail (hadolint DL4006)"
            yield ctx.finding(at, message + where + seen, fix)

    def _shell_fix(
        self,
        ctx: Context,
        info: StageInfo,
        ins: Instruction,
        current: Instruction | None,
        new_args: list[str],
    ) -> tuple[list[Edit], int, str]:
        """(the edits that make ``new_args`` the SHELL of ``ins``, the line of
        that SHELL, a note for the message): the option goes into
        ``current``, the SHELL in effect, when it is of this stage and
        nothing used it yet, rather than stacking a new SHELL."""
        tree = ctx.tree
        if current is not None and self._unused_since(info.stage, current, ins):
            prog = current.args[0]
            new_prog = json.dumps(new_args[0], ensure_ascii=False)
            added = ', "-o", "pipefail"'
            if prog.value == new_args[0]:
                fix = [merged_edit(tree.text, [Edit(prog.end, prog.end, added)])]
            else:
                fix = [merged_edit(tree.text, [Edit(prog.start, prog.end, new_prog + added)])]
            return fix, current.start_line, f" (added to the SHELL on line {current.start_line})"
        keyword = keyword_like(ins, "SHELL")
        text = f"{indentation(ins)}{keyword} {json.dumps(new_args, ensure_ascii=False)}{tree.newline}"
        pos = insertion_point(tree, ins)
        return [merged_edit(tree.text, [Edit(pos, pos, text)])], tree.position(pos)[0], ""

    @staticmethod
    def _unused_since(stage, shell_ins, ins) -> bool:
        """Is ``shell_ins`` an instruction of ``stage`` before ``ins`` with
        nothing in between that runs the shell (shell-form RUN, CMD,
        ENTRYPOINT, HEALTHCHECK, or ONBUILD)?"""
        if shell_ins not in stage.instructions:
            return False
        between = stage.instructions[stage.instructions.index(shell_ins) + 1 : stage.instructions.index(ins)]
        for other in between:
            if other.keyword in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK") and not other.json:
                return False
            if other.keyword == "ONBUILD":
                return False
        return True

    @staticmethod
    def _new_shell(info: StageInfo, args: list[str] | None, family: Family) -> tuple[list[str] | None, str]:
        prog = shell_program(args) if args is not None else "sh"
        if args is not None and prog in ("bash", "zsh", "ash"):
            # hadolint only recognises these programs as written: a shell at
            # another path (the `bash` image's /usr/local/bin/bash) is named
            # by its bare name and found through PATH.
            program = args[0] if args[0] in HADOLINT_PIPEFAIL_SHELLS else prog
            return [program, "-o", "pipefail", *args[1:]], ""
        if args is not None and prog != "sh":
            return None, f"the SHELL program {args[0]!r} is not bash, ash or sh"
        new = _SHELL_FOR.get(family)
        if new is None:
            if info.image.has_shell is False:
                return None, f"the {family.value} base image has no shell"
            return None, "base image not recognised: cannot tell whether bash or ash is there"
        return [new, "-o", "pipefail", *(args[1:] if args is not None else ["-c"])], ""


def _affected_runs(info: StageInfo, ins: Instruction) -> list[Instruction]:
    """The shell-form RUNs hadolint lints with a SHELL put before ``ins``:
    the later ones of the stage up to its next SHELL, and (when there is
    none) those of the stages built on it, up to their own SHELL (hadolint
    carries a stage's SHELL to ``FROM stage`` as Docker does)."""
    out: list[Instruction] = []
    todo: list[tuple[StageInfo, int]] = [(info, info.stage.instructions.index(ins))]
    while todo:
        st, first = todo.pop()
        for other in st.stage.instructions[first:]:
            if other.keyword == "SHELL":
                break
            if other.keyword == "RUN" and not other.json:
                out.append(other)
        else:
            todo.extend((child, 0) for child in st.children)
    return out


def _shellcheck_change(
    model: SemanticModel, info: StageInfo, ins: Instruction, args: list[str] | None, new_args: list[str]
) -> str:
    """Why the new SHELL must not be set: hadolint's ShellCheck would read
    the RUNs after it in another dialect and newly report a finding there
    ('' when it would not)."""
    before, after = dialect(args), dialect(new_args)
    if before == after:
        return ""
    for run in _affected_runs(info, ins):
        script = model.script(run)
        if script is None:
            continue
        code = new_findings(script, before, after)
        if code:
            return (
                f"not fixed: with SHELL {new_args[0]} hadolint's ShellCheck would newly report {code} "
                f"on line {run.start_line}"
            )
    return ""


def _pipes_without_pipefail(ins: Instruction) -> list[int] | None:
    """The script offsets of the pipes of a shell-form RUN outside any
    `$(...)`/`<(...)` when it has pipes that no `set -o pipefail` of its
    own covers (an empty list when they are all inside one); None when
    there is nothing to report."""
    script = script_of(ins)
    if script is None or script.has_error:
        return None
    real, nested = pipes(script)
    if not real and not nested:
        return None
    if sets_pipefail(script, min(real + nested)):
        return None
    return real


def _not_fixable(info: StageInfo, ins: Instruction) -> str:
    """Why a pipe of ``ins`` is reported without a fix whatever the shell
    ("" when it may be fixed)."""
    if info.windows:
        return "Pipe in RUN without pipefail (Windows image: not fixed)"
    shebang = heredoc_shebang(ins)
    if shebang is not None:
        return (
            f"Pipe in a `{shebang}` heredoc script without pipefail: SHELL does not apply to it; "
            "add `set -o pipefail` to the script"
        )
    return ""


class _Manager(Struct, frozen=True):
    """The first package manager of ``_MANAGER_FAMILY`` a stage's own RUNs
    are certain to run."""

    tool: str
    run: Instruction


def _family(
    model: SemanticModel, info: StageInfo, ins: Instruction, managers: dict[int, _Manager | None]
) -> tuple[Family, str]:
    """The family of the stage's image, and a note for the message when it
    comes from what the stage runs rather than from the image table: for an
    image the table does not know, a package manager (apt-get, dnf...) that
    a RUN up to ``ins`` (this one included, or one of a stage it builds on)
    runs whenever the build succeeds tells it.  ``managers``: what each
    stage runs, filled in as the stages are asked about (each is read once)."""
    family = info.image.family
    if family is not Family.UNKNOWN or info.windows:
        return family, ""
    for st in info.chain:
        if st.index not in managers:
            managers[st.index] = _first_manager(model, st)
        found = managers[st.index]
        if found is not None and (st is not info or found.run.start <= ins.start):
            note = f" (the stage runs {found.tool} on line {found.run.start_line}: its image ships bash)"
            return _MANAGER_FAMILY[found.tool], note
    return family, ""


def _first_manager(model: SemanticModel, info: StageInfo) -> _Manager | None:
    for run in info.stage.instructions:
        script = model.script(run) if run.keyword == "RUN" and not run.json else None
        if script is None or script.has_error:
            continue
        for cmd in _must_run(script):
            parsed = tools.parse(cmd, unwrap=True)
            tool = parsed.tool if parsed is not None else cmd.program
            if tool in _MANAGER_FAMILY:
                return _Manager(tool, run)
    return None


def _must_run(script: Script) -> list[Command]:
    """The commands that run (and succeed) whenever the script succeeds,
    outside any pipeline, subshell, condition or loop: the simple commands
    of its last top-level statement joined by ``&&`` alone (``a && b``
    both; ``a || b`` neither: either one may have done the work), and after
    a ``set -e`` statement every statement that is one simple command."""
    kids = [n for n in script.tree.root_node.children if n.type not in ("comment", ";", "\n")]
    statements = [
        n for k, n in enumerate(kids) if n.type != "&" and (k + 1 == len(kids) or kids[k + 1].type != "&")
    ]
    if not statements:
        return []
    starts: set[int] = set()
    stack = [statements[-1]] if statements[-1] is kids[-1] else []
    alone = [n for n in statements[:-1] if n.type in ("command", "redirected_statement")]
    by_start = {c.start: c for c in script.commands if not c.ancestors}
    for k, node in enumerate(alone):
        cmd = by_start.get(script._c(node.start_byte))
        if cmd is not None and _sets_errexit(cmd):
            stack.extend(alone[k + 1 :])
            break
    while stack:
        node = stack.pop()
        parts = [k for k in node.children if k.type != "comment"]
        if node.type == "list":
            if any(k.type != "&&" for k in parts[1::2]):
                continue  # `||`: no side is certain to run
            stack.extend(parts[0::2])
        elif node.type == "redirected_statement" and parts:
            stack.append(parts[0])
        elif node.type == "command":
            starts.add(script._c(node.start_byte))
    return [c for c in script.commands if c.start in starts and not c.ancestors]


def _sets_errexit(cmd: Command) -> bool:
    """``set -e`` (``-eux``, ``-euo pipefail``, ``-o errexit``)."""
    return cmd.program == "set" and set_errexit(cmd.values) is True
