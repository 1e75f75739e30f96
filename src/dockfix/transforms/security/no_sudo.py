from __future__ import annotations

from ...model import SemanticModel, Unknown
from ...rules import Context, Edit, Rule, Safety
from ...shell import _parser, script_of
from ...tree import Dockerfile, Instruction

# Shell builtins: `sudo echo` runs /bin/echo, plain `echo` the builtin, and
# `sudo cd` does not change the shell's directory while `cd` does.
_BUILTINS = frozenset(
    {
        ".",
        ":",
        "[",
        "alias",
        "bg",
        "break",
        "builtin",
        "cd",
        "command",
        "continue",
        "declare",
        "echo",
        "eval",
        "exec",
        "exit",
        "export",
        "false",
        "fg",
        "getopts",
        "hash",
        "jobs",
        "kill",
        "let",
        "local",
        "printf",
        "pushd",
        "popd",
        "pwd",
        "read",
        "readonly",
        "return",
        "set",
        "shift",
        "shopt",
        "source",
        "test",
        "time",
        "times",
        "trap",
        "true",
        "type",
        "typeset",
        "ulimit",
        "umask",
        "unalias",
        "unset",
        "wait",
    }
)

ROOT, OTHER, UNKNOWN = "root", "other", "unknown"


def user_kind(tree: Dockerfile, ins: Instruction) -> tuple[str, str | None]:
    """(ROOT / OTHER / UNKNOWN, the USER value as written) of who the RUN
    ``ins`` runs as: a USER of this file (``root``, ``0``, ``root:staff``
    are root; one whose value cannot be known, or comes from an ARG that
    ``--build-arg`` may override, is UNKNOWN), else the base image's user:
    root for ``scratch`` and the Docker Official Images of the image table,
    UNKNOWN for any other image."""
    user = SemanticModel.of(tree, assume_defaults=False).at(ins).user
    if not user.explicit:
        facts = SemanticModel.of(tree).at(ins)
        ref = facts.stage.ref
        official = ref is not None and ref.official and facts.image.known
        return (ROOT if official and facts.image.default_user == "root" else UNKNOWN), None
    value = user.ins.args[0].value if user.ins is not None and user.ins.args else None
    if user.root is True:
        return ROOT, value
    if isinstance(user.name, Unknown):
        return UNKNOWN, value
    return OTHER, value


class NoSudo(Rule):
    """
    ## What it does
    Removes `sudo` in front of a command in `RUN` when the build already runs
    as root there: no `USER` in the stage (or in the stages of this file it
    builds on) and a base image known to run as root (a Docker Official Image
    such as `debian`, `ubuntu`, `alpine`, `python`, `node`, or `scratch`), or
    a `USER root` / `USER 0` / `USER root:group` in effect.

    ## Why
    `RUN` runs as root unless a `USER` says otherwise, so `sudo` adds
    nothing but a package to install and behaviour that is hard to predict:
    it resets the environment (variables set with `ENV`, such as `PATH` or
    `DEBIAN_FRONTEND`, do not reach the command), may need a TTY or a
    password, and gets in the way of signals. Where a step must run as
    another user, use `USER` or `gosu` (hadolint DL3004).

    ## Example
    ```dockerfile
    FROM ubuntu:24.04
    RUN sudo apt-get update
    ```

    Use instead:
    ```dockerfile
    FROM ubuntu:24.04
    RUN apt-get update
    ```

    ## Fix safety
    Unsafe: without `sudo` the command sees the environment of the build
    (`ENV` variables, the `PATH` of the image) instead of the one `sudo`
    resets to, so it may find another program or behave differently; with
    `USER root:group` it also keeps that group instead of root's. Only the
    `sudo` word and the blanks after it are removed.

    Reported without a fix: `sudo` with options (`-u user`, `-E`, `-i`,
    `-s`, `--`) or variable assignments, whose meaning a plain command does
    not keep; `sudo` in front of a shell builtin (`sudo echo` runs
    `/bin/echo`, `sudo cd` does not change the directory) or of a command
    named by a variable; a stage whose user is not root or is unknown (a
    base image not known to run as root, a `USER` with a variable), where
    `sudo` may be what makes the command work; `ONBUILD RUN` (the user of
    the image built later is unknown); `command sudo …`; exec-form `RUN`;
    and scripts the shell parser cannot fully read.
    """

    code = "DF402"
    looks_at = ("RUN",)
    name = "no-sudo"
    summary = "`sudo` in `RUN` where the build already runs as root → remove it"
    safety = Safety.UNSAFE
    covers = ("DL3004",)

    def check(self, ctx: Context):
        tree = ctx.tree
        for ins in tree.instructions:
            if ins.keyword == "ONBUILD" and ins.inner is not None and ins.inner.keyword == "RUN":
                yield from self._report_all(
                    ctx, ins.inner, "in ONBUILD RUN the user of the later build is unknown"
                )
        for st in ctx.model.stages:
            for ins in st.stage.instructions:
                if ins.keyword != "RUN":
                    continue
                if ins.json:
                    yield from self._report_all(ctx, ins, "exec form")
                    continue
                script = script_of(ins)
                if script is None:
                    continue
                if script.has_error:
                    yield from self._report_all(ctx, ins, "a shell syntax this rule cannot analyse")
                    continue
                kind, value = user_kind(tree, ins)
                for cmd in script.commands:
                    if cmd.program == "command" and cmd.args and cmd.args[0].value == "sudo":
                        span = (script.source(cmd.start), script.source_end(cmd.end))
                        yield ctx.finding(span, "sudo in RUN (via `command sudo`): not removed")
                        continue
                    if cmd.program != "sudo":
                        continue
                    span = (script.source(cmd.name_start), script.source_end(cmd.name_end))
                    reason = self._why_not(cmd, kind, value)
                    if reason:
                        yield ctx.finding(span, f"sudo in RUN: not removed, {reason}")
                        continue
                    yield ctx.finding(
                        span,
                        "sudo in RUN: the build already runs as root here; run the command directly",
                        [self._edit(ctx.text, script, cmd)],
                    )

    def _why_not(self, cmd, kind: str, value: str | None) -> str | None:
        if kind == OTHER:
            return f"the stage runs as USER {value}"
        if kind == UNKNOWN:
            if value is not None:
                return f"USER {value} may not be root"
            return "the base image's user is not known to be root"
        if not cmd.args:
            return "no command after it"
        first = cmd.args[0]
        if first.value is None:
            return "the command is a variable"
        if first.value.startswith("-"):
            return f"it has the option {first.value}"
        if "=" in first.value.split("/", 1)[0]:
            return "it sets variables for the command"
        if first.value in _BUILTINS:
            return f"`{first.value}` is a shell builtin, `sudo {first.value}` runs another program"
        return None

    def _edit(self, text: str, script, cmd) -> Edit:
        """Remove `sudo` and the blanks after it (those on its line, when a
        line continuation follows it)."""
        start = script.source(cmd.name_start)
        after = script.source_end(cmd.name_end)
        nxt = script.source(cmd.args[0].start)
        if "\n" in text[after:nxt]:
            nxt = after
            while nxt < len(text) and text[nxt] in " \t":
                nxt += 1
        return Edit(start, nxt, "")

    def _report_all(self, ctx: Context, ins: Instruction, reason: str):
        if ins.json:
            text = " ".join(ins.arguments)
        else:
            script = script_of(ins)
            if script is None:
                return
            text = script.text
        root = _parser().parse(text.encode("utf-8")).root_node
        stack = [root]
        while stack:
            node = stack.pop()
            name = node.child_by_field_name("name") if node.type == "command" else None
            if name is not None and name.text.decode("utf-8", "replace").rsplit("/", 1)[-1] == "sudo":
                yield ctx.finding(ins.keyword_word or ins, f"sudo in RUN: not removed, {reason}")
                return
            stack.extend(node.children)
