from __future__ import annotations

import json
import posixpath
import re

from ... import tools
from ...images import TINI_PATHS, Family, Unknown, tini_package
from ...model import SemanticModel, StageInfo
from ...rules import Context, Edit, Finding, Rule, Safety
from ...shell import Script
from ...tree import Instruction
from .._util import keyword_like
from ..instructions._shell_rules import indentation, insertion_point

#: programs that, as PID 1, are an interpreter or an application server:
#: they do not reap orphaned processes, and ignore SIGTERM unless the
#: program handles it
INTERPRETER = re.compile(
    r"^(?:node(?:js)?|npm|npx|yarn|pnpm|bun|deno|python[0-9.]*|pypy[0-9.]*|java|ruby[0-9.]*|bundle|rails"
    r"|rake|rackup|puma|unicorn|perl|php[0-9.]*|gunicorn|uvicorn|hypercorn|daphne|celery|flask|dotnet)$"
)
#: init systems and process supervisors made to be PID 1 (s6-overlay's
#: ``/init`` and systemd's ``/sbin/init`` are "init")
INITS = frozenset(
    {"tini", "tini-static", "dumb-init", "docker-init", "catatonit", "init", "s6-svscan", "supervisord",
     "runsvdir", "my_init", "pm2-runtime", "systemd"}
)  # fmt: skip
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})

# -- what runs as PID 1 -----------------------------------------------------------


class Programs:
    """The programs a CMD or ENTRYPOINT starts (base names), and whether
    some could not be read (a variable, a syntax the parser rejects).
    (The small classes of this module are plain classes: a dataclass costs
    its module about half a millisecond of start-up each.)"""

    __slots__ = ("names", "unknown", "script")

    def __init__(self, names: tuple[str, ...] = (), unknown: bool = False, script: bool = False) -> None:
        self.names = names
        self.unknown = unknown
        self.script = script  # it runs a script (an entrypoint script that ends in `exec "$@"`)

    def __repr__(self) -> str:
        return f"Programs(names={self.names!r}, unknown={self.unknown!r}, script={self.script!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Programs):
            return NotImplemented
        return (self.names, self.unknown, self.script) == (other.names, other.unknown, other.script)

    def __hash__(self) -> int:
        return hash((self.names, self.unknown, self.script))


def _base(word: str) -> str:
    return posixpath.basename(word)


def argv_programs(argv: list[str]) -> Programs:
    """The programs ``argv`` starts: the program, through wrappers (``env``,
    ``exec``, ``gosu``…), and the commands of ``sh -c '…'``."""
    if not argv:
        return Programs()
    if "$" in argv[0]:
        return Programs(unknown=True)
    prog = _base(argv[0])
    names = [prog]
    rest = argv[1:]
    if prog in tools.posix.WRAPPERS:
        inner = tools.posix.unwrap(prog, tools.tokens(rest), 0)
        if inner is None:
            return Programs(tuple(names), unknown=True)
        prog = inner.program
        names.append(prog)
        rest = rest[inner.start :]
    script = prog.endswith(".sh") or "entrypoint" in prog
    if prog in SHELLS:
        for i, a in enumerate(rest):
            if a.startswith("-") and not a.startswith("--") and "c" in a[1:]:
                if i + 1 < len(rest):
                    inner_progs = shell_programs(rest[i + 1])
                    return Programs(tuple(names) + inner_progs.names, inner_progs.unknown, inner_progs.script)
                break
            if not a.startswith("-"):
                script = True  # `sh entrypoint.sh`
                break
    return Programs(tuple(names), script=script)


def shell_programs(text: str) -> Programs:
    """The programs a shell command line starts."""
    script = Script(text, lambda i: i, lambda i: i)
    if script.has_error:
        return Programs(unknown=True)
    names: list[str] = []
    unknown = is_script = False
    for cmd in script.commands:
        if cmd.name is None:
            unknown = True
            continue
        words = [cmd.name] + [a.value if a.value is not None else "$" for a in cmd.args]
        got = argv_programs(words)
        names.extend(got.names)
        unknown = unknown or got.unknown
        is_script = is_script or got.script
    return Programs(tuple(names), unknown, is_script)


def programs(model: SemanticModel, ins: Instruction) -> Programs:
    """The programs a CMD or ENTRYPOINT instruction starts."""
    if ins.json:
        return argv_programs([w.value for w in ins.args])
    if ins.rest is None:
        return Programs()
    if not model.at(ins).shell.posix:
        return Programs(unknown=True)
    return shell_programs(ins.rest.value)


# -- the final image's ENTRYPOINT and CMD -------------------------------------------

#: the value comes from the base image
BASE = "base"


class Launch:
    """The ENTRYPOINT and CMD in effect at the end of the final stage: an
    instruction of this file, :data:`BASE` (the base image's), or None (an
    ENTRYPOINT of the file cleared the base image's CMD)."""

    __slots__ = ("entrypoint", "cmd")

    def __init__(self, entrypoint: Instruction | str, cmd: Instruction | str | None) -> None:
        self.entrypoint = entrypoint
        self.cmd = cmd

    def __repr__(self) -> str:
        return f"Launch(entrypoint={self.entrypoint!r}, cmd={self.cmd!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Launch):
            return NotImplemented
        return (self.entrypoint, self.cmd) == (other.entrypoint, other.cmd)

    def __hash__(self) -> int:
        return hash((self.entrypoint, self.cmd))


def launch(chain: tuple[StageInfo, ...]) -> Launch:
    """BuildKit's dispatch: CMD sets the command; ENTRYPOINT sets the
    entrypoint and, unless a CMD came earlier in the same stage, clears the
    command."""
    entry: Instruction | str = BASE
    cmd: Instruction | str | None = BASE
    for st in chain:
        cmd_set = False
        for ins in st.stage.instructions:
            if ins.keyword == "CMD":
                cmd, cmd_set = ins, True
            elif ins.keyword == "ENTRYPOINT":
                entry = ins
                if not cmd_set:
                    cmd = None
    return Launch(entry, cmd)


# -- the rule ---------------------------------------------------------------------------


class _Install:
    """How tini gets into the image: an edit adding it to an install
    command of the stage, nothing (``edit`` None: already installed), or
    not at all (``why_not``)."""

    __slots__ = ("edit", "why_not")

    def __init__(self, edit: Edit | None = None, why_not: str = "") -> None:
        self.edit = edit
        self.why_not = why_not


class InitAsPid1(Rule):
    """
    ## What it does
    Finds a final stage whose `CMD` or `ENTRYPOINT` starts an interpreter
    or an application server directly as PID 1 — `node`, `npm start`,
    `python`, `gunicorn`, `uvicorn`, `java`, `ruby`, `bundle exec`,
    `rails`, `puma`, `php`, `perl`, `dotnet`…, in exec form or shell form,
    also behind an entrypoint script (`docker-entrypoint.sh` ending in
    `exec "$@"` leaves the program as PID 1) — with no init in front of it
    (`tini`, `dumb-init`, s6-overlay's `/init`, `supervisord`,
    `docker-init`, `catatonit`, `pm2-runtime`…). With `--unsafe-fixes` it
    installs `tini` from the distribution's packages and makes it the
    `ENTRYPOINT`, keeping the command:

    * `tini` is added to the last `apt-get install` (Debian, Ubuntu:
      `/usr/bin/tini`) or `apk add` (Alpine: `/sbin/tini`) of the final
      stage that runs as root, installs unpinned packages and is kept in
      the image (not an `apk add --virtual`, not undone by `apt-mark auto`
      and `autoremove`);
    * an exec-form `ENTRYPOINT ["app", …]` of the stage becomes
      `ENTRYPOINT ["/usr/bin/tini", "--", "app", …]`; a shell-form one
      becomes `ENTRYPOINT ["/usr/bin/tini", "--", "/bin/sh", "-c", "…"]`
      (with the `SHELL` in effect: what it ran before);
    * with no `ENTRYPOINT` in the file, `ENTRYPOINT ["/usr/bin/tini",
      "--"]` goes right before the stage's `CMD` (for `node` images
      `["/usr/bin/tini", "--", "docker-entrypoint.sh"]`: the image's own
      entrypoint stays, behind tini), and the `CMD` stays as it is, so
      `docker run image other-command` still replaces it.

    Only the final stage is looked at.

    ## Why
    The kernel treats PID 1 specially: a signal the program has no
    handler for is ignored, so `docker stop` waits its 10 seconds and then
    kills the container (no graceful shutdown), and orphaned child
    processes (what `npm start`, `sh -c`, a crashed worker or a headless
    browser leave behind) are never reaped and pile up as zombies.
    Interpreters and servers are not written to be init. tini is a tiny
    init: it forwards signals to the program and reaps zombies — what
    `docker run --init` does, without relying on every `docker run`
    remembering the flag. No hadolint rule or Docker build check covers
    this.

    ## Example
    ```dockerfile
    FROM node:20-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
    COPY . /app
    CMD ["npm", "start"]
    ```

    Use instead:
    ```dockerfile
    FROM node:20-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl tini && rm -rf /var/lib/apt/lists/*
    COPY . /app
    ENTRYPOINT ["/usr/bin/tini", "--", "docker-entrypoint.sh"]
    CMD ["npm", "start"]
    ```

    ## Fix safety
    Unsafe: the image gains the tini package and its `Entrypoint`
    changes. The program now runs as PID 2 under tini: signals reach it
    through tini (the same signals; a program that relied on PID 1
    ignoring `SIGTERM` now gets it) and its exit code is passed on.
    `docker run --entrypoint …` now replaces tini and what follows it;
    arguments of `docker run image args` still replace the `CMD`.

    Reported without a fix, with what to do by hand:

    * a final stage with no install to add tini to (every package pinned,
      or none installed): a new unpinned `RUN apt-get install tini` would
      be a new hadolint DL3008/DL3018 finding, and tini's version cannot
      be known offline;
    * distroless, `scratch` and Windows images (no package manager: use an
      image that ships tini, or `docker run --init`), RHEL-like images
      (tini is only in EPEL), other families, and releases without a tini
      package (Debian before buster, Ubuntu before 18.10);
    * a base image whose own `ENTRYPOINT` dockfix does not know, when the
      file sets none (tini in front of the `CMD` would drop it);
    * an `ENTRYPOINT`, or the only `CMD`, set in an earlier stage the
      final one is built on (a new `ENTRYPOINT` in the final stage would
      clear the inherited `CMD`);
    * a shell-form `ENTRYPOINT` whose continuation lines hold comment
      lines (they would be lost) or whose `SHELL` is not known.
    """

    code = "DF407"
    looks_at = ("CMD", "ENTRYPOINT")
    name = "init-as-pid1"
    summary = "Interpreter or server as PID 1 with no init → install tini and make it the ENTRYPOINT"
    safety = Safety.UNSAFE
    covers = ()  # no hadolint rule or Docker build check covers this

    def check(self, ctx: Context):
        model = ctx.model
        final = model.final_stage
        if final is None:
            return
        got = self._finding(ctx, model, final)
        if got is not None:
            yield got

    def _finding(self, ctx: Context, model: SemanticModel, final: StageInfo) -> Finding | None:
        chain = final.chain
        now = launch(chain)
        image_entry = final.root.image.entrypoint
        base_entry = None if isinstance(image_entry, Unknown) else image_entry
        # what starts, and whether an init is already there
        entry_progs = Programs()
        passes_on = True  # the CMD's programs run too (no ENTRYPOINT, or one that execs "$@")
        if isinstance(now.entrypoint, Instruction):
            entry_progs = programs(model, now.entrypoint)
            passes_on = entry_progs.script
        elif base_entry:
            entry_progs = argv_programs(list(base_entry))
        cmd_progs = programs(model, now.cmd) if isinstance(now.cmd, Instruction) and passes_on else Programs()
        names = entry_progs.names + cmd_progs.names
        if any(n in INITS for n in names):
            return None
        starter = next((n for n in names if INTERPRETER.match(n)), None)
        if starter is None:
            return None
        anchor = now.entrypoint if isinstance(now.entrypoint, Instruction) else now.cmd
        assert isinstance(anchor, Instruction)
        head = f"`{starter}` runs as PID 1 with no init (signals are not forwarded, zombies are not reaped)"
        if final.windows or final.image.family is Family.WINDOWS:
            return ctx.finding(anchor, f"{head}: not fixed, Windows images are not handled")
        manager, why = tini_package(final.image.family, final.root.ref)
        if manager is None:
            return ctx.finding(anchor, f"{head}: not fixed, {why}")
        if isinstance(now.entrypoint, str) and base_entry is None:
            ref = final.root.ref.text if final.root.ref is not None else "the base image"
            return ctx.finding(
                anchor,
                f"{head}: not fixed, `{ref}` may set an ENTRYPOINT dockfix does not know "
                "(tini in front of the CMD would drop it)",
            )
        stage_of = model.stage_of(anchor)
        if stage_of is not final:
            what = "ENTRYPOINT" if anchor.keyword == "ENTRYPOINT" else "CMD"
            return ctx.finding(
                anchor,
                f"{head}: not fixed, the {what} is set in an earlier stage the final one is built on",
            )
        tini = TINI_PATHS[manager]
        entry_edit, new_entry, why = self._entrypoint(ctx, model, now, anchor, tini, base_entry or ())
        if why:
            return ctx.finding(anchor, f"{head}: not fixed, {why}")
        shown = new_entry or "tini in front of the ENTRYPOINT"
        install = self._install(ctx, model, final, manager)
        if install.why_not:
            todo = f"install tini ({manager}) and use {shown}"
            return ctx.finding(anchor, f"{head}: not fixed, {install.why_not}; {todo}")
        edits = [e for e in (install.edit, entry_edit) if e is not None]
        if new_entry:
            assert isinstance(now.cmd, Instruction)
            edits.append(self._new_entrypoint(ctx, now.cmd, new_entry))
        what = "add tini to the stage's install" if install.edit is not None else "tini is installed"
        return ctx.finding(anchor, f"{head}: {what} and make it the ENTRYPOINT ({shown})", edits)

    # -- the ENTRYPOINT ------------------------------------------------------------

    def _entrypoint(
        self,
        ctx: Context,
        model: SemanticModel,
        now: Launch,
        anchor: Instruction,
        tini: str,
        base_entry: tuple[str, ...],
    ) -> tuple[Edit | None, str, str]:
        """(edit of the file's ENTRYPOINT, or the JSON of a new one, why not)."""
        entry = now.entrypoint
        if isinstance(entry, Instruction):
            rest = entry.rest
            if rest is None:
                return None, "", "the ENTRYPOINT has no command"
            if entry.json:
                text = str(rest)
                bracket = text.find("[")
                if bracket < 0 or not entry.args:
                    return None, "", "the ENTRYPOINT is empty"
                at = rest.start + bracket + 1
                return Edit(at, at, f"{json.dumps(tini)}, {json.dumps('--')}, "), "", ""
            facts = model.at(entry)
            argv = facts.shell.argv
            if not facts.shell.posix or not isinstance(argv, tuple):
                return None, "", "the SHELL of the shell-form ENTRYPOINT is not known"
            if any(line.lstrip(" \t").startswith("#") for line in str(rest).splitlines()[1:]):
                return None, "", "the ENTRYPOINT's continuation lines hold comment lines (they would be lost)"
            words = [tini, "--", *argv, rest.value]
            return Edit(rest.start, rest.end, json.dumps(words, ensure_ascii=False)), "", ""
        assert isinstance(now.cmd, Instruction)
        return None, json.dumps([tini, "--", *base_entry], ensure_ascii=False), ""

    # -- the package --------------------------------------------------------------------

    def _install(self, ctx: Context, model: SemanticModel, final: StageInfo, manager: str) -> _Install:
        """Add tini to the last install command of the final stage that runs
        as root, installs unpinned packages and is not undone later (a new
        RUN would be a new unpinned install: hadolint DL3008 / DL3018)."""
        pinned_only = False
        best: tuple[int, Edit] | None = None
        undone = -1  # offset of the last `apt-mark auto` (what autoremove then purges)
        for st in final.chain:
            for ins in st.stage.instructions:
                if ins.keyword != "RUN" or ins.json:
                    continue
                script = model.script(ins)
                if script is None or script.has_error:
                    continue
                for cmd in script.commands:
                    if cmd.program == "apt-mark":
                        if "auto" in [a.value for a in cmd.args if not (a.value or "-").startswith("-")][:1]:
                            undone = script.source(cmd.start)
                        continue
                    p = tools.parse(cmd, unwrap=True)
                    if p is None or not self._installs(p, manager):
                        continue
                    ops = list(p.operands)
                    if any(t.value == "tini" for t in ops):
                        return _Install()  # already installed
                    if st is not final or cmd.conditional or not ops:
                        continue
                    if model.at(ins).user.root is not True:
                        continue
                    if all(self._pinned(t.value or t.text) for t in ops):
                        pinned_only = True
                        continue
                    before = next((t for t in reversed(p.args) if t.end <= ops[-1].start), None)
                    best = (script.source(cmd.start), self._append_package(ctx, script, ops[-1], before))
        if best is not None and best[0] > undone:
            return _Install(edit=best[1])
        if pinned_only:
            return _Install(
                why_not="the stage pins the versions of the packages it installs, tini's is not known offline"
            )
        command = "`apt-get install`" if manager == "apt" else "`apk add`"
        return _Install(
            why_not=f"the final stage has no {command} of unpinned packages (run as root, kept in the image) "
            "to add tini to, and a new unpinned install would be a new hadolint DL3008/DL3018 finding"
        )

    @staticmethod
    def _installs(p: tools.Parsed, manager: str) -> bool:
        if manager == "apt":
            return p.tool in tools.apt.APT and p.sub == "install"
        return p.tool == "apk" and p.is_sub("add") and not p.has("--virtual")

    @staticmethod
    def _pinned(word: str) -> bool:
        return any(c in word for c in "=<>~")

    @staticmethod
    def _append_package(ctx: Context, script: Script, last: tools.Token, before: tools.Token | None) -> Edit:
        """`` tini`` after the last package, on a line of its own when the
        last package starts a line of its own."""
        text = ctx.text
        at = script.source_end(last.end)
        if before is not None:
            a, b = script.source(before.start), script.source(last.start)
            if "\n" in text[a:b]:
                line_start = text.rfind("\n", 0, b) + 1
                indent = text[line_start:b]
                if not indent.strip(" \t"):
                    return Edit(at, at, f" {ctx.tree.escape}{ctx.newline}{indent}tini")
        return Edit(at, at, " tini")

    @staticmethod
    def _new_entrypoint(ctx: Context, cmd: Instruction, entry: str) -> Edit:
        """``ENTRYPOINT [...]`` on a line of its own right before the CMD
        (above the comments attached to it), indented like it."""
        at = insertion_point(ctx.tree, cmd)
        line = f"{indentation(cmd)}{keyword_like(cmd, 'ENTRYPOINT')} {entry}{ctx.newline}"
        return Edit(at, at, line)
