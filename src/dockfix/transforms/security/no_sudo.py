from __future__ import annotations

from ...analysis import is_scratch, stage_parent
from ...rules import Context, Edit, Rule, Safety
from ...shell import _parser, script_of
from ...tree import Dockerfile, Instruction, Stage

# Docker Official Images whose default user is root (none of them sets USER).
OFFICIAL_ROOT_IMAGES = frozenset(
    {
        "alpine",
        "debian",
        "ubuntu",
        "centos",
        "fedora",
        "rockylinux",
        "almalinux",
        "amazonlinux",
        "oraclelinux",
        "archlinux",
        "busybox",
        "buildpack-deps",
        "photon",
        "clearlinux",
        "mageia",
        "python",
        "pypy",
        "node",
        "golang",
        "ruby",
        "php",
        "perl",
        "rust",
        "openjdk",
        "eclipse-temurin",
        "amazoncorretto",
        "ibm-semeru-runtimes",
        "maven",
        "erlang",
        "elixir",
        "haskell",
        "swift",
        "julia",
        "r-base",
        "gcc",
        "clojure",
        "nginx",
        "httpd",
        "postgres",
        "mysql",
        "mariadb",
        "redis",
        "mongo",
        "memcached",
        "rabbitmq",
        "wordpress",
        "composer",
        "docker",
        "bash",
    }
)
_REGISTRY_PREFIXES = (
    "docker.io/",
    "index.docker.io/",
    "registry-1.docker.io/",
    "mirror.gcr.io/",
    "public.ecr.aws/docker/",
)
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


def official_image(base: str) -> str | None:
    """`docker.io/library/python:3.12@sha256:…` → `python` (None when the
    image is not a Docker Official Image or its name has a variable; a
    variable in the tag is fine: `node:${VARIANT}` is `node`)."""
    name = base.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.find(":", slash + 1)
    if colon >= 0:
        name = name[:colon]
    if "$" in name:
        return None
    name = name.lower()
    for prefix in _REGISTRY_PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    if name.startswith("library/"):
        name = name[len("library/") :]
    return name if name and "/" not in name else None


def user_kind(value: str) -> str:
    """`root`, `0`, `root:staff` → ROOT; a variable → UNKNOWN; else OTHER."""
    if "$" in value:
        return UNKNOWN
    user = value.split(":", 1)[0].strip()
    return ROOT if user in ("root", "0") else OTHER


def user_at(tree: Dockerfile, stage: Stage, before: Instruction | None) -> tuple[str, str | None]:
    """(kind, USER value) in effect when ``before`` runs (``before=None``:
    at the end of the stage)."""
    if stage.index < len(tree.stages) and tree.stages[stage.index] is stage:
        # from facts worked out once per tree: asking for every RUN of a
        # long stage (or of a long chain of stages) stays linear
        before_user, last_user, ends = _users(tree)
        found = last_user[stage.index]
        if before is not None and tree.stage_of(before) is stage and before is not stage.from_:
            found = before_user[id(before)]
        if found is not None:
            return user_kind(found), found
        parent = stage_parent(tree, stage)
        if parent is None:
            return _base_user(stage)
        todo = []
        st: Stage | None = parent
        while st is not None and st.index not in ends:
            todo.append(st)
            value = last_user[st.index]
            if value is not None:
                ends[st.index] = (user_kind(value), value)
                break
            nxt = stage_parent(tree, st)
            if nxt is None:
                ends[st.index] = _base_user(st)
                break
            st = nxt
        for st in reversed(todo):
            if st.index not in ends:
                ends[st.index] = ends[stage_parent(tree, st).index]  # type: ignore[union-attr]
        return ends[parent.index]
    seen: set[int] = set()
    st: Stage | None = stage
    limit = before
    while st is not None and st.index not in seen:
        seen.add(st.index)
        found = None
        for ins in st.instructions:
            if ins is limit:
                break
            if ins.keyword == "USER" and ins.args:
                found = ins.args[0].value
        if found is not None:
            return user_kind(found), found
        parent = stage_parent(tree, st)
        if parent is None:
            if is_scratch(st):
                return ROOT, None
            base = st.base.value if st.base else ""
            return (ROOT if official_image(base) in OFFICIAL_ROOT_IMAGES else UNKNOWN), None
        st, limit = parent, None
    return UNKNOWN, None


def _base_user(st: Stage) -> tuple[str, str | None]:
    """The user of a stage's base image (no USER in this file)."""
    if is_scratch(st):
        return ROOT, None
    base = st.base.value if st.base else ""
    return (ROOT if official_image(base) in OFFICIAL_ROOT_IMAGES else UNKNOWN), None


def _users(tree: Dockerfile):
    """(USER value before each instruction within its stage, by id; the
    last USER value of each stage; the user at the end of each stage, filled
    in as asked), worked out once per tree."""
    memo = tree.memo.get("no_sudo.users")
    if memo is None:
        before: dict[int, str | None] = {}
        last: list[str | None] = []
        for st in tree.stages:
            current = None
            for ins in st.instructions:
                before[id(ins)] = current
                if ins.keyword == "USER" and ins.args:
                    current = ins.args[0].value
            last.append(current)
        memo = tree.memo["no_sudo.users"] = (before, last, {})
    return memo


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
        for stage in tree.stages:
            for ins in stage.instructions:
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
                kind, value = user_at(tree, stage, ins)
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
