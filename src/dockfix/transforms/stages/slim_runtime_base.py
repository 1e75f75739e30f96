from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from ...rules import Context, Edit, Rule, Safety
from ._ecosystems import IMAGES, ecosystems, final_stage_on

if TYPE_CHECKING:
    from ...images import ImageRef
    from ...tree import Instruction

#: the images with a smaller runtime variant (``python`` → ``python:*-slim``,
#: a JDK image → the JRE)
_IMAGES = ("python", "node", "ruby", "perl", *IMAGES["java"])


class SlimRuntimeBase(Rule):
    """
    ## What it does
    Moves the final stage from a full language image to its small runtime
    variant when the stage only runs what is already built: `python:3.12` →
    `python:3.12-slim`, `node:20-bookworm` → `node:20-bookworm-slim`,
    `ruby:3.3` → `ruby:3.3-slim`, a JDK, Maven or Gradle image →
    `eclipse-temurin:<same major>-jre`. The version and the Debian release
    are kept; the table is dockfix's one table of runtime variants (the one
    DF301 uses).

    It does nothing when the stage builds (installs dependencies, compiles:
    DF301 splits those) or installs compilers or headers. It reports,
    without a fix, when the stage calls a program the small image lacks
    (`curl`, `git`, `wget`, `ps`, a compiler; `javac`, `jcmd`, `jar` of a
    JDK) and does not install it, or when the container starts a script
    dockfix cannot read.

    ## Why
    The full `python`, `node` and `ruby` images carry compilers, headers and
    version-control tools (about 1 GB); the `-slim` ones are 5 to 8 times
    smaller, pull faster and carry far fewer packages to patch. A JRE is
    about half the size of a JDK. A stage that only copies in an artifact
    and runs it uses none of what is dropped. No hadolint rule or Docker
    build check looks for it.

    ## Example
    ```dockerfile
    FROM python:3.12
    COPY --from=build /opt/venv /opt/venv
    CMD ["/opt/venv/bin/python", "-m", "app"]
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    COPY --from=build /opt/venv /opt/venv
    CMD ["/opt/venv/bin/python", "-m", "app"]
    ```

    ## Fix safety
    Unsafe: the image runs on a smaller base. What the stage's own
    instructions call is checked, but a program may still start a tool or
    load a library at run time that only the full image has, and a JRE
    lacks the JDK's diagnostic tools. A digest on the base image cannot be
    carried over offline: it is dropped, and the message says so. No build
    flag changes.
    """

    code = "DF302"
    name = "slim-runtime-base"
    summary = "final stage on a full language image that builds nothing → its slim / JRE variant"
    safety = Safety.UNSAFE

    def check(self, ctx: Context):
        stage = final_stage_on(ctx, _IMAGES)
        if stage is None or stage.ref is None:
            return
        ref = stage.ref
        from ...runtimes import Refusal, runtime_base

        base = runtime_base(ref)
        if isinstance(base, Refusal) or base.same:
            return
        instructions = stage.stage.instructions
        if self._builds(ctx, instructions):
            return
        why = self._needs_full(ctx, ref, instructions)
        family = stage.image.family
        if why is None and family is not base.family and not (family.debian_like and base.family.debian_like):
            if any(i.keyword == "RUN" for i in instructions):
                why = f"it is {family.value}-based and `{base.text}` is {base.family.value}-based: the RUNs may not work"
        frm = stage.stage.from_
        if why:
            yield ctx.finding(frm, f"`{ref.text}` could be `{base.text}`, but {why}")
            return
        word = frm.args[0]
        message = f"the stage builds nothing: run it on `{base.text}` instead of `{ref.text}`{base.note}"
        if (
            "$" in ctx.text[word.start : word.end]
        ):  # the variable stays the user's: say it, do not bake a value in
            yield ctx.finding(frm, message + " (the image comes from a build argument: change it yourself)")
            return
        yield ctx.finding(frm, message, [Edit(word.start, word.end, base.text)])

    def _builds(self, ctx: Context, instructions: list[Instruction]) -> bool:
        """Does a RUN build (for any ecosystem) or install build packages?"""
        from ... import tools
        from ...runtimes import FULL_ONLY, is_build_package

        for ins in instructions:
            if ins.keyword != "RUN":
                continue
            script = ctx.model.script(ins)
            if script is None:
                return True  # unreadable: it may build
            for cmd in script.commands:
                p = tools.parse(cmd, unwrap=True)
                if any(
                    (p is not None and e.builds(ctx, p)) or (p is None and e.builds_command(cmd))
                    for e in ecosystems()
                ):
                    return True
                if p is not None and p.tool in tools.apt.APT and p.is_sub("install"):
                    if any(t.value is None or is_build_package(t.value, "apt") for t in p.operands):
                        return True
                if cmd.program in FULL_ONLY and FULL_ONLY[cmd.program] in ("gcc", "g++", "make"):
                    return True
        return False

    def _needs_full(self, ctx: Context, ref: ImageRef, instructions: list[Instruction]) -> str | None:
        from ... import tools
        from ...runtimes import FULL_ONLY, JDK_ONLY
        from ._split import command_words

        installed: set[str] = set()
        java = ref.name in IMAGES["java"]
        for ins in instructions:
            words: list[str] = []
            if ins.keyword == "RUN":
                script = ctx.model.script(ins)
                for cmd in script.commands if script is not None else ():
                    p = tools.parse(cmd, unwrap=True)
                    if p is not None and p.tool in tools.apt.APT and p.is_sub("install"):
                        installed.update(t.value for t in p.operands if t.value)
                    if cmd.program:
                        words.append(cmd.program)
            elif ins.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
                args = ins.args[1:] if ins.keyword == "HEALTHCHECK" else ins.args
                if ins.keyword == "HEALTHCHECK" and (not ins.args or ins.args[0].value.upper() != "CMD"):
                    continue
                cw = command_words(ins) if ins.keyword != "HEALTHCHECK" else None
                words = cw if cw is not None else " ".join(a.value for a in args).split()
                first = posixpath.basename(words[0]) if words else ""
                if first.endswith(".sh") or (
                    ins.keyword != "HEALTHCHECK" and first in ("sh", "bash") and len(words) == 2
                ):
                    return f"the container starts the script `{words[-1]}`, which may call tools the small image lacks"
            for w in words:
                prog = posixpath.basename(w)
                package = FULL_ONLY.get(prog)
                if package is not None and package not in installed:
                    return f"`{prog}` (line {ins.start_line}) is not in it (install `{package}` first)"
                if java and prog in JDK_ONLY:
                    return f"`{prog}` (line {ins.start_line}) is a JDK tool a JRE lacks"
        return None
