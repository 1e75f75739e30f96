from __future__ import annotations

from collections.abc import Iterator

from msgspec import Struct, field

from ...frontend import MOUNT_SECRET, MOUNT_SECRET_ENV
from ...model import SemanticModel, StageInfo
from ...rules import Context, Edit, Finding, Rule, Safety
from ...shell_edits import add_flags
from ...tree import Instruction, Word
from .._util import syntax_directive_edit
from ._secrets import (
    hadolint_flags,
    instruction_references,
    is_secret_name,
    mentions,
)

_EMPTY = ("", '""', "''")


class Definition(Struct, eq=False):
    """One ``ARG NAME[=default]`` word or one ``ENV NAME=value`` pair.
    ``raw`` is the default or value as written (None: an ARG without
    one); ``stage`` None for an ARG before the first FROM; ``words`` the
    tree words it spans (the ARG word, or the ENV key and value)."""

    ins: Instruction
    name: str
    kind: str  # "ARG" or "ENV"
    raw: str | None
    stage: StageInfo | None
    words: tuple[Word, ...]

    @property
    def span(self) -> tuple[int, int]:
        return self.words[0].start, self.words[-1].end


class Group(Struct):
    """Definitions that carry one secret and go together: an ARG, the bare
    ``ARG NAME`` redeclarations of a global one, the ``ENV X=$NAME`` that
    pass it on.  ``mounts``: RUN → the variable names it must get;
    ``problems``: why it cannot be moved (empty: it can)."""

    id: str
    members: list[Definition]
    mounts: dict[int, tuple[Instruction, list[str]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def mount(self, run: Instruction, env: str) -> None:
        entry = self.mounts.setdefault(id(run), (run, []))
        if env not in entry[1]:
            entry[1].append(env)

    def problem(self, text: str) -> None:
        if text not in self.problems:
            self.problems.append(text)


def definitions(model: SemanticModel) -> list[Definition]:
    """Every ARG word and ENV pair of the file, in file order (ONBUILD
    ones excluded: they belong to a later build)."""
    out: list[Definition] = []
    for ins in model.tree.preamble:
        if ins.keyword == "ARG":
            out.extend(_arg_defs(ins, None))
    for st in model.stages:
        for ins in st.stage.instructions:
            if ins.keyword == "ARG":
                out.extend(_arg_defs(ins, st))
            elif ins.keyword == "ENV":
                for key, value in ins.pairs():
                    out.append(Definition(ins, key.value, "ENV", value.value, st, (key, value)))
    return out


def _arg_defs(ins: Instruction, st: StageInfo | None) -> Iterator[Definition]:
    for w in ins.args:
        name, eq, raw = w.value.partition("=")
        yield Definition(ins, name, "ARG", raw if eq else None, st, (w,))


def _passes_on(raw: str, name: str) -> bool:
    """Is the ENV value exactly the variable (``$NAME``, ``"${NAME}"``)?"""
    return raw.strip('"') in (f"${name}", f"${{{name}}}") and raw.count('"') in (0, 2)


class SecretsInArgEnv(Rule):
    """
    ## What it does
    Finds `ARG` and `ENV` instructions whose variable name says it holds a
    secret — BuildKit's *SecretsUsedInArgOrEnv* pattern (a `_`-separated
    word `key`, `token`, `secret`, `password`, `passwd`, `pword`, `auth`,
    `apikey`, `credential(s)`, and none of `public`, `file`, `version`)
    and names with a word ending in `token`, `secret`, `password` (what
    hadolint's DL3064 finds, `CLIENTSECRET`) — and, when the value is
    only used by `RUN` instructions, moves it to a build secret: the
    `ARG`/`ENV` goes, and every `RUN` that sees the variable (in its stage,
    and in the stages built on it) gets
    `--mount=type=secret,id=NAME,env=NAME`, so the commands find the same
    variable with the same value. An `ENV X=$NAME` that only passes the
    argument on goes with it (the `RUN`s after it get `env=X`). `# syntax=
    docker/dockerfile:1` is added when the file has no syntax directive.
    The message names the build flag to use from now on:
    `docker build --secret id=NAME,env=NAME` (it reads the value from the
    variable `NAME` of the shell that runs the build).

    ## Why
    A build argument's value is recorded in the image history of every
    `RUN` that sees it (`docker history` prints `|1 NPM_TOKEN=… /bin/sh
    -c …`), and an `ENV` value is in the image configuration, visible to
    anyone who can pull the image and to every process of the container.
    A secret mount is only there while the `RUN` runs and is never
    written to the image, its history or the build cache key (hadolint
    DL3064, Docker's build check *SecretsUsedInArgOrEnv*).

    ## Example
    ```dockerfile
    FROM node:20-slim
    ARG NPM_TOKEN
    COPY package.json package-lock.json .npmrc ./
    RUN npm ci
    ```

    Use instead (and build with `--secret id=NPM_TOKEN,env=NPM_TOKEN`):
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM node:20-slim
    COPY package.json package-lock.json .npmrc ./
    RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN npm ci
    ```

    ## Fix safety
    Unsafe: the build must now be given the secret with `--secret
    id=NAME,env=NAME` instead of `--build-arg NAME=…` (without it the
    variable is unset in the `RUN`s; BuildKit warns about a `--build-arg`
    nothing declares). With the secret given, every `RUN` sees the same
    variable it saw before, so the files it writes are the same — a `RUN`
    that copies the value into a file still leaves it there (DF406 reports
    that). A secret does not invalidate the layer cache when it changes,
    as an `ARG` did. `env=` needs docker/dockerfile 1.10 or later (the
    rule adds `# syntax=docker/dockerfile:1`; a file pinned to an older
    frontend is reported); buildah and podman (up to 1.28 at least) do not
    support `env=` on secret mounts. An `ARG` declared but used by nothing
    is removed.

    Reported without a fix: a value used by anything else than `RUN` —
    another `ARG`/`ENV` that builds a new value from it, `COPY`, `ADD`,
    `FROM`, `LABEL`, `USER`, `WORKDIR`…, `RUN` flags, or `CMD`,
    `ENTRYPOINT`, `HEALTHCHECK` and `ONBUILD` (used at run time or in a
    later build); an `ENV` in a stage that ends up in an image that may be
    run (the final stage, or a stage no other stage uses, so likely built
    with `--target`): the program may read it at run time; a secret whose
    value is written in the Dockerfile (`ARG TOKEN=abc`, `ENV KEY=abc`):
    move it out of the file first; Windows stages. Names hadolint's DL3064
    flags that do not name a secret (`USERNAME`, `GOPRIVATE`) are reported
    as such and left alone.
    """

    code = "DF405"
    looks_at = ("ARG", "ENV")
    name = "secrets-in-arg-env"
    summary = "Secret in `ARG`/`ENV` used only by `RUN` → `RUN --mount=type=secret,id=NAME,env=NAME`"
    safety = Safety.UNSAFE
    covers = ("DL3064", "SecretsUsedInArgOrEnv")

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        defs = definitions(model)
        claimed: set[tuple[int, int]] = set()  # (instruction, word) of the definitions already looked at
        outputs: set[int] | None = None
        for d in defs:
            if (id(d.ins), id(d.words[0])) in claimed:
                continue
            if not is_secret_name(d.name):
                if hadolint_flags(d.name):
                    yield ctx.finding(
                        d.span,
                        f"`{d.kind} {d.name}`: hadolint DL3064 flags the name, but it does not name a secret "
                        "(nor does BuildKit's SecretsUsedInArgOrEnv): left as is",
                    )
                continue
            if outputs is None:
                outputs = {st.index for st in model.output_stages()}
            group = self._group(ctx, model, d, defs, outputs)
            claimed.update((id(m.ins), id(m.words[0])) for m in group.members)
            yield from self._findings(ctx, group)

    # -- analysis -----------------------------------------------------------------

    def _group(
        self, ctx: Context, model: SemanticModel, start: Definition, defs: list[Definition], outputs: set[int]
    ) -> Group:
        group = Group(start.name, [start])
        if start.kind == "ENV":
            line = start.ins.start_line
            if "$" in (start.raw or ""):
                group.problem(f"its value is built from other values (line {line})")
            elif start.raw in _EMPTY:
                group.problem(f"it sets the variable empty (line {line})")
            else:
                group.problem(
                    f"its value is written in the Dockerfile (line {line}): move it out of the file"
                )
        if start.stage is None:  # a global ARG: the stages' bare `ARG NAME` take its value
            for st in model.stages:
                if start.name in instruction_references(model, st.stage.from_):
                    group.problem(f"used by FROM (line {st.stage.from_.start_line})")
            group.members.extend(
                d
                for d in defs
                if d.stage is not None and d.kind == "ARG" and d.name == start.name and d.raw is None
            )
        queue = list(group.members)
        while queue:
            d = queue.pop(0)
            if d.kind == "ARG" and d.raw is not None and d.raw not in _EMPTY:
                group.problem(
                    f"its default value is written in the Dockerfile (line {d.ins.start_line}): move it out of the file"
                )
            if d.stage is None:
                continue
            if d.stage.windows:
                group.problem("Windows stages are not handled")
            if d.kind == "ENV":
                reached = self._reaches_output(model, d, outputs)
                if reached is not None:
                    group.problem(
                        f"the ENV is in the configuration of an image that may be run (stage {reached}), "
                        "where the program may read it"
                    )
            for later in self._later_words(d):
                if d.name in model.at(d.ins).word_references(str(later)):
                    group.problem(f"used by the same {d.kind} (line {d.ins.start_line})")
            queue.extend(self._uses(model, d, group))
        return group

    @staticmethod
    def _later_words(d: Definition) -> list[Word]:
        """The words of an ARG after this one (read with it set)."""
        if d.kind != "ARG":
            return []
        words = d.ins.args
        k = next(i for i, w in enumerate(words) if w is d.words[0])
        return words[k + 1 :]

    @staticmethod
    def _reaches_output(model: SemanticModel, d: Definition, outputs: set[int]) -> str | None:
        """The name of an output stage whose image has this ENV, if any."""
        assert d.stage is not None
        for st in [d.stage, *d.stage.descendants]:
            if st.index not in outputs:
                continue
            var = model.end(st).variable(d.name)
            if var is not None and var.ins is d.ins:
                return st.name or str(st.index)
        return None

    def _uses(self, model: SemanticModel, d: Definition, group: Group) -> list[Definition]:
        """Look at every instruction that sees ``d``: RUNs get the mount,
        an ``ENV X=$NAME`` joins the group (returned), anything else is a
        problem."""
        assert d.stage is not None
        joined: list[Definition] = []
        stages = [d.stage, *d.stage.descendants]
        for st in stages:
            for ins in st.stage.instructions:
                if st is d.stage and ins.start <= d.ins.start:
                    continue
                kw = ins.keyword
                if kw == "ONBUILD":
                    if mentions(str(ins), d.name) or d.name in instruction_references(model, ins):
                        group.problem(f"used by ONBUILD (line {ins.start_line}) in a later build")
                    continue
                facts = model.at(ins)
                var = facts.variable(d.name)
                if var is None or var.ins is not d.ins:
                    continue
                where = f"line {ins.start_line}"
                if kw == "RUN":
                    if any(d.name in facts.word_references(str(f)) for f in ins.flags):
                        group.problem(f"used by a RUN flag ({where})")
                    group.mount(ins, d.name)
                elif kw == "ENV":
                    for key, value in ins.pairs():
                        if d.name not in facts.word_references(str(value)):
                            continue
                        if _passes_on(value.value, d.name):
                            joined.append(Definition(ins, key.value, "ENV", value.value, st, (key, value)))
                        else:
                            group.problem(f"used by ENV `{key.value}` ({where})")
                elif kw in ("CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL"):
                    if mentions(str(ins), d.name):
                        group.problem(f"used at run time by {kw} ({where})")
                elif d.name in instruction_references(model, ins):
                    group.problem(f"used by {kw} ({where})")
        group.members.extend(joined)
        return joined

    # -- findings -------------------------------------------------------------------

    def _findings(self, ctx: Context, group: Group) -> Iterator[Finding]:
        start = group.members[0]
        kinds = sorted({m.kind for m in group.members})
        kept = " and ".join({"ARG": "the image history", "ENV": "the image configuration"}[k] for k in kinds)
        head = f"`{start.kind} {start.name}` holds a secret that is kept in {kept}"
        missing = ctx.frontend.lacks(MOUNT_SECRET) or ctx.frontend.lacks(MOUNT_SECRET_ENV)
        if not group.problems and missing:
            group.problem(ctx.frontend.why_not(*missing))
        if group.problems:
            text = "; ".join(group.problems)
            for m in group.members:
                yield ctx.finding(m.span, f"{head}: not fixed, {text}")
            return
        edits = self._removals(group)
        runs = sorted(group.mounts.values(), key=lambda r: r[0].start)
        for run, envs in runs:
            have = {m.env for m in ctx.model.mounts(run) if m.type == "secret"}
            flags = [f"--mount=type=secret,id={group.id},env={env}" for env in envs if env not in have]
            if flags:
                edits.append(add_flags(run, flags))
        if not runs:
            yield ctx.finding(start.span, f"{head} and nothing uses it: remove it", edits)
            return
        syntax = syntax_directive_edit(ctx.tree)
        if syntax is not None:
            edits.append(syntax)
        lines = ", ".join(str(r.start_line) for r, _ in runs)
        yield ctx.finding(
            start.span,
            f"{head}: mount it as a secret in the RUNs that see it (line{'s' if len(runs) > 1 else ''} {lines}) "
            f"and build with `--secret id={group.id},env={group.id}`",
            edits,
        )

    @staticmethod
    def _removals(group: Group) -> list[Edit]:
        """Edits removing the members: whole instructions when nothing else
        is left in them, else their words and the blanks before (or after)."""
        by_ins: dict[int, tuple[Instruction, list[Definition]]] = {}
        for m in group.members:
            by_ins.setdefault(id(m.ins), (m.ins, []))[1].append(m)
        edits: list[Edit] = []
        for ins, members in by_ins.values():
            units = [(w,) for w in ins.args] if ins.keyword == "ARG" else list(ins.pairs())
            gone = {id(m.words[0]) for m in members}
            if all(id(u[0]) in gone for u in units):
                edits.append(Edit(ins.start, ins.end))
                continue
            first_kept = next(i for i, u in enumerate(units) if id(u[0]) not in gone)
            for i, u in enumerate(units):
                if id(u[0]) not in gone:
                    continue
                if i < first_kept:
                    edits.append(Edit(u[0].start, units[i + 1][0].start))
                else:
                    edits.append(Edit(units[i - 1][-1].end, u[-1].end))
        return edits
