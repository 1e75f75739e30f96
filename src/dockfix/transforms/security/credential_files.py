from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from msgspec import Struct

from ...frontend import MOUNT_SECRET
from ...model import SemanticModel, StageInfo
from ...rules import Context, Edit, Finding, Rule, Safety
from ...shell import Arg, Command, Script, walk
from ...shell_edits import add_flags, cut_arg, remove_command
from ...tree import Instruction, Word
from .._util import syntax_directive_edit
from ._secrets import CREDENTIAL_FILES, holds_credentials, is_secret_name, secret_id

_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_URL_PASSWORD = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@'\"$]+:(?!\$)[^/\s@'\"]+@")
_LITERAL_TOKEN = re.compile(r"(?i)_authToken=(?![\"']?\$)[^\s\"'\\]+")
_GLOB = re.compile(r"[*?\[]")
#: commands that write what they are given into a config file of the user
#: (``git config --global url."https://$TOKEN@…".insteadOf``): the file
_CONFIG_WRITERS = {
    ("git", "config"): ".gitconfig",
    ("npm", "config"): ".npmrc",
    ("yarn", "config"): ".yarnrc",
    ("pnpm", "config"): ".npmrc",
    ("pip", "config"): "pip.conf",
    ("pip3", "config"): "pip.conf",
    ("composer", "config"): "auth.json",
    ("docker", "login"): "config.json",
}


class _Copied(Struct):
    """A credential file a COPY puts at ``path`` (absolute)."""

    ins: Instruction
    source: Word
    sources: list[Word]
    path: str


def _secret_vars(text: str) -> list[str]:
    return [n for n in dict.fromkeys(_VAR.findall(text)) if is_secret_name(n)]


class CredentialFiles(Rule):
    """
    ## What it does
    Finds credentials that end up in an image layer through a file, and
    fixes the common pattern where a credential file is copied in, used,
    and deleted again:

    ```dockerfile
    COPY .npmrc ./
    RUN npm ci && rm .npmrc
    ```

    becomes a secret mount of the file at the same path for the `RUN`s
    between the `COPY` and the `rm` (the `COPY`, or its `.npmrc` source,
    and the `rm` go), built with `--secret id=npmrc,src=.npmrc`. Files
    looked at: `.npmrc`, `.yarnrc.yml`, `.pypirc`, `pip.conf`, `.netrc`,
    `.git-credentials`, Composer's `auth.json`, `.pgpass`, `.dockercfg`
    and SSH private keys (`id_rsa`, `id_ecdsa`, `id_ed25519`).

    Reported without a fix:

    * a `RUN` that writes a secret variable (`$NPM_TOKEN`, any name DF405
      calls a secret) into a file — `echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > .npmrc`,
      `git config --global url."https://$TOKEN@github.com/".insteadOf …`,
      `npm config set …`, `pip config set …`, `docker login` — and does
      not delete that file in the same `RUN`;
    * a password or token written in the Dockerfile itself: a URL with
      `user:password@`, an `_authToken=` with a literal value;
    * a credential file copied into the image and never deleted, when
      the build context shows it holds a credential (not only
      `${VARIABLE}` placeholders).

    ## Why
    Deleting a file in a later layer does not remove it from the image:
    every layer is shipped, and `docker save` or any registry client
    reads the file back. A secret mount is only there while the `RUN`
    runs and is never written to a layer; writing and deleting a file in
    the same `RUN` at least keeps it out of the layers. No hadolint rule
    or Docker build check looks at files (DF405 handles `ARG`/`ENV`).

    ## Example
    ```dockerfile
    FROM node:20-slim
    WORKDIR /app
    COPY package.json package-lock.json .npmrc ./
    RUN npm ci && rm -f .npmrc
    ```

    Use instead (and build with `--secret id=npmrc,src=.npmrc`):
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM node:20-slim
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN --mount=type=secret,id=npmrc,target=/app/.npmrc npm ci
    ```

    ## Fix safety
    Unsafe: the build must now be given the file with `--secret
    id=ID,src=PATH` (`docker build`, or `secrets:` in Compose); without it
    the `RUN`s do not find the file. With it, they read the same content
    at the same path; the mount is read-only (a `RUN` that writes to the
    file is reported instead) and owned by the `RUN`'s user (`uid`/`gid`
    are set for a non-root `USER` with known ids). Nothing else changes:
    the file was deleted before the image was done. `# syntax=
    docker/dockerfile:1` is added when the file has none (secret mounts
    need BuildKit; buildah and podman support `target=` too).

    Not fixed (reported): a destination whose path cannot be told (a
    variable, an unknown `WORKDIR`, a single-file `COPY` to a path that may
    be a folder), a `COPY --chmod`, a JSON-form `COPY`, an `rm` that also
    removes a folder holding the file or cannot be cut cleanly, a later
    `COPY`/`ADD` into the same folder before the `rm`, a `RUN` that writes
    to the file, a non-root `RUN` whose uid is not known.
    """

    code = "DF406"
    looks_at = ("COPY", "ADD", "RUN")
    name = "credential-files"
    summary = "Credential file copied then deleted → secret mount; secrets written to files or the Dockerfile → report"
    safety = Safety.UNSAFE
    covers = ()  # no hadolint rule or Docker build check covers this

    def check(self, ctx: Context) -> Iterator[Finding]:
        model = ctx.model
        for st in model.stages:
            for ins in st.stage.instructions:
                if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                    yield from self._copies(ctx, model, st, ins)
                elif ins.keyword == "RUN":
                    yield from _writes(ctx, model, ins)
                if ins.keyword in ("RUN", "ADD"):
                    yield from _literals(ctx, ins)

    # -- COPY of a credential file ----------------------------------------------------

    def _copies(
        self, ctx: Context, model: SemanticModel, st: StageInfo, ins: Instruction
    ) -> Iterator[Finding]:
        if len(ins.args) < 2 or ins.heredocs:
            return
        sources, dest = ins.args[:-1], ins.args[-1]
        for src in sources:
            base = posixpath.basename(src.value.rstrip("/"))
            if base not in CREDENTIAL_FILES or _GLOB.search(src.value) or "$" in src.value:
                continue
            if "://" in src.value:
                continue
            yield from self._copy(ctx, model, st, ins, src, sources, dest, base)

    def _copy(
        self,
        ctx: Context,
        model: SemanticModel,
        st: StageInfo,
        ins: Instruction,
        src: Word,
        sources: list[Word],
        dest: Word,
        base: str,
    ) -> Iterator[Finding]:
        at = (src.start, src.end)
        sid = secret_id(base)
        flag = f"--secret id={sid},src={src.value}"
        content = ctx.build_context.read_text(src.value) if ctx.build_context is not None else None
        path = self._destination(model, ins, dest.value, base, len(sources))
        rm = self._rm(model, st, ins, path) if path is not None else None
        if rm is None:
            if content is not None and holds_credentials(content):
                yield ctx.finding(
                    at,
                    f"`{src.value}` holds a credential and is copied into the image, where it stays: "
                    f"mount it as a secret in the RUNs that need it (`--mount=type=secret,id={sid},target=…`, "
                    f"built with `{flag}`)",
                )
            return
        if content is not None and not holds_credentials(content):
            return  # only placeholders (`${NPM_TOKEN}`): nothing secret is in the file
        head = (
            f"`{src.value}` is copied into a layer and deleted later, which leaves it in the image's layers: "
            f"mount it as a secret where it is used"
        )
        assert path is not None
        run_rm, cmd, arg = rm
        why, plan = self._plan(ctx, model, st, ins, run_rm, cmd, arg, path, sid)
        if not why and ins.flag("chmod") is not None:
            why = "the COPY sets a mode (`--chmod`)"
        if not why and ins.json:
            why = "the COPY is in JSON form"
        if not why and not ctx.frontend.supports(MOUNT_SECRET):
            why = ctx.frontend.why_not(MOUNT_SECRET)
        if why:
            yield ctx.finding(at, f"{head} (not fixed: {why})")
            return
        edits = list(plan)
        edits.append(_drop_source(ins, src, sources))
        syntax = syntax_directive_edit(ctx.tree)
        if syntax is not None:
            edits.append(syntax)
        yield ctx.finding(
            at, f"{head}: `--mount=type=secret,id={sid},target={path}`, built with `{flag}`", edits
        )

    @staticmethod
    def _destination(
        model: SemanticModel, ins: Instruction, dest: str, base: str, n_sources: int
    ) -> str | None:
        """The absolute path the file is copied to, None when unknown."""
        value = model.at(ins).expand(dest)
        if not isinstance(value, str) or not value:
            return None
        if value.endswith("/") or value in (".", "./") or n_sources > 1:
            target = posixpath.join(value, base)
        elif posixpath.basename(value) == base:
            target = value
        else:
            return None  # `COPY .npmrc /app`: a file named /app, or /app/.npmrc if it is a folder
        if not target.startswith("/"):
            wd = model.at(ins).workdir.path
            if not isinstance(wd, str):
                return None
            target = posixpath.join(wd, target)
        return posixpath.normpath(target)

    @staticmethod
    def _rm(
        model: SemanticModel, st: StageInfo, copy: Instruction, path: str
    ) -> tuple[Instruction, Command, Arg] | None:
        """The first later ``rm`` of the stage that deletes ``path``: (RUN,
        command, the operand)."""
        after = False
        for ins in st.stage.instructions:
            if ins is copy:
                after = True
                continue
            if not after or ins.keyword != "RUN" or ins.json:
                continue
            script = model.script(ins)
            if script is None or script.has_error:
                continue
            facts = model.at(ins)
            wd, home = facts.workdir.path, facts.home
            cd_seen = False
            for cmd in script.commands:
                if cmd.program in ("cd", "pushd", "popd"):
                    cd_seen = True
                if cmd.program != "rm":
                    continue
                for a in cmd.args:
                    v = a.value
                    if v is None or v.startswith("-"):
                        continue
                    if v.startswith("~/"):
                        if not isinstance(home, str):
                            continue
                        v = posixpath.join(home, v[2:])
                    if not v.startswith("/"):
                        if cd_seen or not isinstance(wd, str):
                            continue
                        v = posixpath.join(wd, v)
                    if posixpath.normpath(v) == path:
                        return ins, cmd, a
        return None

    def _plan(
        self,
        ctx: Context,
        model: SemanticModel,
        st: StageInfo,
        copy: Instruction,
        run_rm: Instruction,
        cmd: Command,
        arg: Arg,
        path: str,
        sid: str,
    ) -> tuple[str, list[Edit]]:
        """(why not, edits): the mount on every RUN from the COPY to the
        rm, and the rm cut."""
        edits: list[Edit] = []
        inside = False
        base = posixpath.basename(path)
        for ins in st.stage.instructions:
            if ins is copy:
                inside = True
                continue
            if not inside:
                continue
            if ins.keyword in ("COPY", "ADD") and _may_write(ctx, model, ins, path):
                return f"the {ins.keyword} on line {ins.start_line} may write the same path", []
            if ins.keyword != "RUN":
                if ins is run_rm:
                    break
                continue
            facts = model.at(ins)
            if facts.windows:
                return "Windows stages are not handled", []
            script = model.script(ins) if not ins.json else None
            if script is not None and _writes_to(script, base):
                return (
                    f"the RUN on line {ins.start_line} writes to the file (a secret mount is read-only)",
                    [],
                )
            if ins is run_rm and script is not None and _only(script, cmd):
                edits.append(Edit(ins.start, ins.end))  # `RUN rm .npmrc` has nothing left to do
                return "", edits
            mount = f"--mount=type=secret,id={sid},target={path}"
            user = facts.user
            if user.root is not True:
                if not isinstance(user.uid, int):
                    return f"the RUN on line {ins.start_line} runs as a user whose uid is not known", []
                mount += f",uid={user.uid}" + (f",gid={user.gid}" if isinstance(user.gid, int) else "")
            if any(m.type == "secret" and m.target == path for m in model.mounts(ins)):
                return f"the RUN on line {ins.start_line} already mounts a secret there", []
            edits.append(add_flags(ins, [mount]))
            if ins is run_rm:
                break
        script = model.script(run_rm)
        assert script is not None
        operands = [a for a in cmd.args if not (a.value or a.text).startswith("-")]
        if len(operands) > 1:
            edits.append(cut_arg(script, cmd, arg))
        else:
            cut = remove_command(script, cmd, ctx.text)
            if cut is None:
                return f"the `rm` on line {run_rm.start_line} cannot be cut out cleanly", []
            edits.append(cut)
        return "", edits


# -- helpers of the rule (module level: they keep no state) --------------------------------


def _only(script: Script, cmd: Command) -> bool:
    """Is ``cmd`` all the script does, with one operand?"""
    operands = [a for a in cmd.args if not (a.value or a.text).startswith("-")]
    return len(script.commands) == 1 and len(operands) == 1 and not cmd.redirected


def _may_write(ctx: Context, model: SemanticModel, ins: Instruction, path: str) -> bool:
    """May a COPY/ADD put a file at ``path``: a destination that is the
    path or a folder above it, with a source that may hold that file
    (the same name, ``.``, a folder, a glob, a variable, another stage)."""
    if len(ins.args) < 2 or ins.json:
        return True
    facts = model.at(ins)
    dest, wd = facts.expand(ins.args[-1].value), facts.workdir.path
    if not isinstance(dest, str) or (not dest.startswith("/") and not isinstance(wd, str)):
        return True
    full = posixpath.normpath(posixpath.join(wd if isinstance(wd, str) else "/", dest))
    if path != full and not path.startswith(full.rstrip("/") + "/"):
        return False
    if ins.flag("from") is not None:
        return True
    base = posixpath.basename(path)
    for w in ins.args[:-1]:
        v = w.value
        name = posixpath.basename(v.rstrip("/"))
        if name == base or "$" in v or _GLOB.search(v) or v.endswith("/") or v in (".", "./"):
            return True
        bc = ctx.build_context
        if bc is not None and bc.exists(v):
            if not bc.is_file(v):
                return True
        elif "." not in name:
            return True  # may be a folder
    return False


def _writes_to(script: Script, base: str) -> bool:
    """Does the script redirect output into a file called ``base``?"""
    for node in walk(script.tree.root_node):
        if node.type == "file_redirect":
            text = script.node_text(node)
            if text.lstrip("0123456789&").startswith((">", ">>")) and text.rstrip("'\"").endswith(base):
                return True
    return False


def _drop_source(ins: Instruction, src: Word, sources: list[Word]) -> Edit:
    if len(sources) == 1:
        return Edit(ins.start, ins.end)
    k = sources.index(src)
    if k + 1 < len(sources):
        return Edit(src.start, sources[k + 1].start)
    return Edit(sources[k - 1].end, src.end)


# -- RUN writing a secret into a file --------------------------------------------------


def _writes(ctx: Context, model: SemanticModel, ins: Instruction) -> Iterator[Finding]:
    if ins.json or model.at(ins).windows or not model.at(ins).shell.posix:
        return
    script = model.script(ins)
    if script is None or script.has_error:
        return
    removed = [a.value or a.text for c in script.commands if c.program == "rm" for a in c.args]
    unset = any(
        c.program in ("git", "npm", "yarn", "pnpm")
        and any(a.value in ("--unset", "--unset-all", "delete") for a in c.args)
        for c in script.commands
    )
    for node in walk(script.tree.root_node):
        if node.type != "redirected_statement":
            continue
        targets = [
            script.node_text(r).lstrip("0123456789&>| \t").strip("'\"")
            for r in node.children
            if r.type == "file_redirect"
            and script.node_text(r).lstrip("0123456789&").startswith(">")
            and not script.node_text(r).lstrip("0123456789&>").startswith("&")
        ]
        body = node.children[0] if node.children else node
        names = _secret_vars(script.node_text(body))
        for target in targets:
            if not names or not target or target.startswith("/dev/") or _removed(target, removed):
                continue
            span = (
                script.source(script._c(node.start_byte)),
                script.source_end(script._c(node.end_byte)),
            )
            yield ctx.finding(
                span,
                f"the RUN writes `${names[0]}` into `{target}`, which stays in the layer: delete the file in "
                "the same RUN, or mount it as a secret (`--mount=type=secret,…,target=…`)",
            )
    for cmd in script.commands:
        sub = cmd.args[0].value if cmd.args else None
        config = _CONFIG_WRITERS.get((cmd.program or "", sub or ""))
        if config is None:
            continue
        names = _secret_vars(" ".join(a.text for a in cmd.args))
        if not names or unset or _removed(config, removed):
            continue
        yield ctx.finding(
            (script.source(cmd.start), script.source_end(cmd.end)),
            f"`{cmd.program} {sub}` writes `${names[0]}` into `{config}`, which stays in the layer: "
            "delete it (or unset the setting) in the same RUN",
        )


def _removed(target: str, removed: list[str]) -> bool:
    base = posixpath.basename(target)
    return any(r == target or posixpath.basename(r.rstrip("/")) == base for r in removed)


# -- credentials written in the Dockerfile -----------------------------------------------


def _literals(ctx: Context, ins: Instruction) -> Iterator[Finding]:
    text = str(ins)
    for rx, what in ((_URL_PASSWORD, "a password in a URL"), (_LITERAL_TOKEN, "an `_authToken`")):
        m = rx.search(text)
        if m is None:
            continue
        yield ctx.finding(
            (ins.start + m.start(), ins.start + m.end()),
            f"{what} is written in the Dockerfile, so it is in the image history and in the source: "
            "pass it as a build secret (`RUN --mount=type=secret,id=…,env=…`)",
        )
        return
