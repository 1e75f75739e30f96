from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

from ...analysis import word_value
from ...model import SemanticModel
from ...rules import Context, Edit, Rule, Safety
from ...shell import Command, Script, insert_after, script_of
from ...tree import Instruction
from .._util import keyword_like
from . import _lockfile as lf

# Programs that only touch the system (packages, users, global tools) and
# never the files COPY . brought, whatever their (literal) arguments.
_SYSTEM = {
    "apt-get",
    "apt",
    "apk",
    "yum",
    "dnf",
    "microdnf",
    "tdnf",
    "zypper",
    "useradd",
    "adduser",
    "groupadd",
    "addgroup",
    "usermod",
    "update-ca-certificates",
    "ldconfig",
    "locale-gen",
    "true",
    ":",
    "set",
    "export",
    "corepack",
    "add-apt-repository",
    "apt-mark",
    "dpkg-reconfigure",
    "update-alternatives",
}
# Commands whose path arguments must all be outside the copied tree.
_PATHS = {"rm", "mkdir", "chown", "chmod", "chgrp", "ln", "touch"}
_SYSTEM_DIRS = {
    "bin",
    "boot",
    "etc",
    "home",
    "lib",
    "lib64",
    "opt",
    "root",
    "run",
    "sbin",
    "srv",
    "tmp",
    "usr",
    "var",
}
_SAFE_SOURCE = re.compile(r"^[A-Za-z0-9._+@%=,:/-]+$")
# RUN --mount types that cannot see the copied files
_SAFE_MOUNTS = {"cache", "secret", "ssh", "tmpfs"}


@dataclass
class Where:
    """Where `COPY .` put the context, and what that brought."""

    dest: str  # absolute (maybe based on the unknown base WORKDIR)
    bc: object | None = None  # the build context

    @property
    def roots(self) -> list[str] | None:
        """The copied top-level entries (None: not known)."""
        if self.bc is None:
            return None
        if not hasattr(self, "_roots"):
            self._roots = lf.top_level_entries(self.bc)
        return self._roots

    def touches(self, path: str) -> bool:
        """May ``path`` be (in, or a parent of) a file the COPY brought?"""
        if lf.is_unknown_based(self.dest) or lf.is_unknown_based(path):
            return True
        if self.dest == "/" and self.roots is not None:
            return path == "/" or any(lf.overlaps(path, "/" + r) for r in self.roots)
        return lf.overlaps(path, self.dest)


def _paths_outside(cmd: Command, where: Where, cwd: str | None) -> bool:
    for a in cmd.args:
        v = a.value
        if v is None:
            return False
        if v.startswith("-"):
            continue
        if cmd.program in ("chown", "chgrp") and a is cmd.operands()[0]:
            continue  # the owner
        if cmd.program == "chmod" and a is cmd.operands()[0]:
            continue  # the mode
        path = lf.join_path(cwd, v)
        if path is None or where.touches(path):
            return False
    return True


def _names_only(args) -> bool:
    return all(
        a.value is not None and not lf.looks_local(a.value)
        for a in args
        if not (a.value or "").startswith("-")
    )


def independent(cmd: Command, where: Where, cwd: str | None) -> bool:
    """Provably does not read or write the files `COPY .` brought."""
    if cmd.name is None or cmd.redirected or cmd.conditional or "pipeline" in cmd.ancestors:
        return False
    if any("$(" in a or "`" in a for a in cmd.assignments):
        return False
    prog = cmd.program
    if prog in _SYSTEM:
        for a in cmd.args:
            v = a.value
            if v is None:
                continue  # package lists in variables
            v = v.split("=", 1)[1] if v.startswith("-") and "=" in v else v
            if v.startswith("/"):
                if where.touches(posixpath.normpath(v)):
                    return False
            elif not v.startswith("-") and lf.looks_local(v):
                return False
        return True
    if prog in ("echo", "printf"):
        return True
    if prog == "cd":
        return True
    if prog in _PATHS:
        return _paths_outside(cmd, where, cwd)
    vals = [a.value for a in cmd.args]
    if prog in ("pip", "pip3") or lf.pip_invocation(cmd) is not None:
        inv = lf.pip_invocation(cmd)
        if inv is None:
            return False
        _tool, args = inv
        sub = next((a.value for a in args if a.value and not a.value.startswith("-")), None)
        if sub == "install":
            parsed = lf.parse_args(args, lf._PIP_INSTALL_VALUE)
            if parsed.unknown or any(
                n in lf._PIP_REQ_OPTS or n in lf._PIP_PATH_OPTS or n in ("-e", "--editable")
                for n, _, _ in parsed.options
            ):
                return False
            return _names_only(parsed.operands[1:])
        return sub in ("cache", "config", "--version", "list", "freeze", "check")
    if (
        lf._PY_PROG.match(prog or "")
        and len(vals) >= 3
        and vals[0] == "-m"
        and vals[1] in ("venv", "virtualenv")
    ):
        return all(
            v is not None and (v.startswith("-") or (v.startswith("/") and not where.touches(v)))
            for v in vals[2:]
        )
    if prog in ("npm", "pnpm", "yarn"):
        if "-g" in vals or "--global" in vals or (prog == "yarn" and vals[:1] == ["global"]):
            return _names_only(cmd.args)
        if vals[:2] in (["cache", "clean"], ["cache", "verify"], ["store", "prune"]) or vals[:1] == [
            "--version"
        ]:
            return True
        if (
            prog == "npm"
            and vals[:2] == ["config", "set"]
            and not any(v and (v.startswith("--location") or v in ("-L", "--userconfig")) for v in vals)
        ):
            return True
        return False
    if prog == "gem":
        return (
            vals[:1] == ["install"]
            and _names_only(cmd.args[1:])
            and not any(v and v.startswith(("-i", "--install-dir", "-g", "--file")) for v in vals)
        )
    if prog == "poetry":
        if vals[:1] == ["config"]:
            return "--local" not in vals
        return vals[:1] in (["--version"], ["self"])
    if prog == "uv":
        if vals[:1] == ["venv"]:
            return all(
                v is not None and (v.startswith("-") or (v.startswith("/") and not where.touches(v)))
                for v in vals[1:]
            )
        if vals[:2] in (["python", "install"], ["tool", "install"], ["cache", "clean"], ["cache", "prune"]):
            return _names_only(cmd.args[2:])
        return False
    if prog == "pipx":
        return vals[:1] == ["install"] and _names_only(cmd.args[1:])
    if prog == "go":
        if vals[:2] == ["env", "-w"]:
            return True
        if vals[:1] == ["install"]:
            ops = [v for v in vals[1:] if v is not None and not v.startswith("-")]
            return bool(ops) and all(
                v is not None and "@" in v and not lf.looks_local(v.split("@")[0]) for v in ops
            )
        return False
    if prog == "git":
        return vals[:2] == ["config", "--global"] or vals[:2] == ["config", "--system"]
    if prog == "composer":
        return (
            vals[:1] == ["global"]
            or (vals[:1] == ["config"] and ("--global" in vals or "-g" in vals))
            or vals[:1] in (["clear-cache"], ["clearcache"], ["--version"], ["self-update"])
        )
    if prog == "bundle":
        return vals[:2] == ["config", "--global"] or vals[:1] == ["--version"]
    return False


def _run_mounts_ok(ins: Instruction) -> bool:
    for f in ins.flags:
        if f.name != "mount":
            continue
        kinds = [p.split("=", 1)[1] for p in (f.value or "").split(",") if p.startswith("type=")]
        kind = kinds[0] if kinds else "bind"
        if kind not in _SAFE_MOUNTS:
            return False
    return True


@dataclass
class RunView:
    """A RUN split into dependency installs from the copied tree and the
    other commands."""

    script: Script | None
    installs: list[tuple[Command, lf.Install]]
    blockers: list[Command]  # commands that may need the sources
    cwd_known: bool
    state: list[tuple[int, str]] = field(default_factory=list)  # `export X=1`, `X=1`, `unset X`, functions
    opaque: list[tuple[int, str]] = field(
        default_factory=list
    )  # statements that are not commands: `[[ -f x ]]`


_STATE_NODES = {
    "declaration_command",
    "variable_assignment",
    "variable_assignments",
    "unset_command",
    "function_definition",
}
_OPAQUE_NODES = {"test_command", "arithmetic_expansion", "c_style_for_statement"}


def _statements(script: Script) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Statements ``script.commands`` does not show: shell state changes
    and tests or bare redirections (which may read or write files)."""
    state: list[tuple[int, str]] = []
    opaque: list[tuple[int, str]] = []

    stack = [script.tree.root_node]  # iterative: long chains nest deeply
    while stack:
        node = stack.pop()
        t = node.type
        if t in ("command", "heredoc_body", "comment"):
            continue
        if t in _STATE_NODES:
            state.append((script._c(node.start_byte), script.node_text(node)))
        elif (
            t in _OPAQUE_NODES
            or t == "redirected_statement"
            and not any(
                c.type
                in (
                    "command",
                    "pipeline",
                    "list",
                    "compound_statement",
                    "subshell",
                    "if_statement",
                    "for_statement",
                    "while_statement",
                    "case_statement",
                    "declaration_command",
                )
                for c in node.children
            )
        ):
            opaque.append((script._c(node.start_byte), script.node_text(node)))
        stack.extend(reversed(node.children))
    return state, opaque


def view_run(ins: Instruction, at: lf.StageState, where: Where, bc, probe: bool = False) -> RunView:
    script = script_of(ins)
    if script is None or script.has_error:
        return RunView(script, [], [], False)
    cwd: str | None = at.workdir
    installs: list[tuple[Command, lf.Install]] = []
    blockers: list[Command] = []
    for cmd in script.commands:
        env = lf.Env(script, cwd, where.dest, bc, probe)
        inst = lf.analyse(cmd, env)
        if inst is not None and inst.reason == lf.OUTSIDE:
            inst = None  # works in another folder
            if cmd.conditional or cmd.redirected or "pipeline" in cmd.ancestors:
                blockers.append(cmd)
        elif inst is not None and inst.reason == lf.UNKNOWN:
            blockers.append(cmd)
        elif inst is not None and inst.aux:
            if inst.reason or cmd.conditional or cmd.redirected or "pipeline" in cmd.ancestors:
                blockers.append(cmd)
        elif inst is not None:
            installs.append((cmd, inst))
            if cmd.conditional or "pipeline" in cmd.ancestors or cmd.redirected:
                inst.fail("the install runs inside a compound command, a pipeline or a redirection")
        elif not independent(cmd, where, cwd):
            blockers.append(cmd)
        if cmd.program == "cd":
            ops = [a for a in cmd.args if not (a.value or "").startswith("-")]
            if len(ops) == 1 and ops[0].value is not None and not cmd.conditional:
                cwd = lf.join_path(cwd, ops[0].value)
            else:
                cwd = None
        elif cmd.program in ("pushd", "popd"):
            cwd = None
    state, opaque = _statements(script)
    return RunView(script, installs, blockers, True, state, opaque)


def _earlier_installs(model: SemanticModel, before: Instruction) -> set[str]:
    """Families and tools of the dependencies-only installs that already ran
    before ``before`` in this stage or the stages it builds on."""
    families: set[str] = set()
    where = Where(lf.UNKNOWN_ROOT)
    for st in model.at(before).stage.chain:
        for ins in st.stage.instructions:
            if ins is before:
                return families
            if ins.keyword != "RUN":
                continue
            view = view_run(ins, lf.state_at(model, ins), where, None, probe=True)
            for _cmd, inst in view.installs:
                if inst.deps_only and not inst.project:
                    families.update((inst.family, inst.tool))
    return families


_SHELL_STATE = {
    "cd",
    "pushd",
    "popd",
    "export",
    "set",
    "source",
    ".",
    "umask",
    "alias",
    "unset",
    "shopt",
    "trap",
    "ulimit",
    "exec",
    "eval",
    "declare",
    "typeset",
    "local",
    "readonly",
    "shift",
    "hash",
}


_REMOVES = {
    "apt-get": {"remove", "purge", "autoremove", "clean", "autoclean"},
    "apt": {"remove", "purge", "autoremove", "clean"},
    "apk": {"del"},
    "yum": {"remove", "erase", "autoremove", "clean"},
    "dnf": {"remove", "autoremove", "clean"},
    "microdnf": {"remove", "clean"},
    "zypper": {"remove", "rm", "clean"},
    "pip": {"uninstall", "cache"},
    "pip3": {"uninstall", "cache"},
    "npm": {"prune", "uninstall", "rm", "remove", "cache", "dedupe"},
    "yarn": {"cache", "autoclean", "remove"},
    "pnpm": {"prune", "remove", "rm", "store"},
    "go": {"clean"},
    "cargo": {"clean"},
    "composer": {"clear-cache", "clearcache", "remove"},
    "bundle": {"clean"},
    "gem": {"cleanup", "uninstall"},
    "poetry": {"cache", "remove"},
    "uv": {"cache"},
    "mvn": {"clean"},
}


def _removes(cmd: Command) -> bool:
    """Does the command delete files (which a split would leave in the
    install's layer)?"""
    prog = cmd.program
    vals = [a.value for a in cmd.args]
    if prog in ("rm", "rmdir", "shred", "unlink"):
        return True
    if prog == "find":
        return "-delete" in vals or "-exec" in vals or "-execdir" in vals
    inv = lf.pip_invocation(cmd)
    if inv is not None:
        vals = [a.value for a in inv[1]]
        prog = "pip"
    words = {v for v in vals if v}
    return bool(words & _REMOVES.get(prog or "", set()))


def _split_point(script: Script, view: RunView, run: Instruction):
    """Where to cut ``RUN install && build`` in two: (start, end) source
    offsets of the ``&&`` glue between the last install and the first
    command that may need the sources, or a reason why it cannot be cut."""
    no = f"the same RUN also runs `{lf.short(view.blockers[0], script, 40)}`, which may use the sources"
    root = script.tree.root_node
    top = [n for n in root.children if n.type not in ("comment", ";")]
    if len(top) != 1 or script.has_error or run.heredocs:
        return no
    chain: list = []

    def flatten(node) -> bool:
        if node.type == "list":
            kids = [k for k in node.children if k.type != "comment"]
            if len(kids) != 3 or kids[1].type != "&&":
                return False
            return flatten(kids[0]) and flatten(kids[2])
        chain.append(node)
        return True

    if not flatten(top[0]) or len(chain) < 2:
        return no
    spans = [(script._c(n.start_byte), script._c(n.end_byte)) for n in chain]

    def element(cmd: Command) -> int:
        return next((i for i, (a, b) in enumerate(spans) if a <= cmd.start < b), len(spans))

    last_install = max(element(c) for c, _ in view.installs)
    first_blocker = min(element(c) for c in view.blockers)
    if first_blocker <= last_install or last_install >= len(spans) - 1:
        return no
    for cmd in script.commands:
        if element(cmd) <= last_install and cmd.program in _SHELL_STATE:
            return f"{no}, and the RUN cannot be split after the install because `{lf.short(cmd, script, 30)}` changes the shell's state"
    for at, text in view.state:
        if at < spans[last_install][1]:
            return f"{no}, and the RUN cannot be split after the install because `{' '.join(text.split())[:30]}` changes the shell's state"
    for i in range(last_install + 1):
        if chain[i].type != "command":
            return no
    for cmd in script.commands:
        if element(cmd) > last_install and _removes(cmd):
            return (
                f"{no}, and the RUN cannot be split after the install because `{lf.short(cmd, script, 30)}` "
                "removes files, which would stay in the install's layer"
            )
    a = script.source_end(spans[last_install][1])
    b = script.source(spans[last_install + 1][0])
    if a >= b or "#" in run._text[a:b]:
        return no  # a comment line inside the continuation
    return a, b


def _whole_source(ins: Instruction) -> bool:
    """`COPY . <dir>` / `ADD ./ <dir>`: the whole build context."""
    if ins.keyword not in ("COPY", "ADD") or len(ins.args) != 2 or ins.heredocs:
        return False
    if any(f.name == "from" for f in ins.flags):
        return False
    src = ins.args[0].value if ins.json else word_value(ins.args[0].value)
    if src is None:
        return False
    return posixpath.normpath("/" + src) == "/"


def _quote_dest(text: str) -> str | None:
    return text if _SAFE_SOURCE.match(text) or re.match(r"^[A-Za-z0-9._+@%=,:/${}-]+$", text) else None


class LockfileFirst(Rule):
    """
    ## What it does
    When a stage copies the whole build context (`COPY . <dir>`, `COPY ./ ./`,
    `ADD . /app`) and a later `RUN` of the same stage installs dependencies
    from manifests it brought, copies only the manifest and lock files
    first, runs the install, and copies the rest after it. The files come
    from the build context (the Dockerfile's folder, `--context`, or the
    compose file's `build.context`); only files that exist there and are not
    excluded by `.dockerignore` are copied:

    - pip / uv pip: the `-r`/`-c` files and the files they include;
      poetry: `pyproject.toml`, `poetry.lock`, `poetry.toml` and the readme;
      uv: `pyproject.toml`, `uv.lock`, `uv.toml`, `.python-version`;
      pdm: `pyproject.toml`, `pdm.lock`, `pdm.toml`; pipenv: `Pipfile`,
      `Pipfile.lock`;
    - npm, yarn, pnpm, bun: `package.json`, the tool's lock file(s),
      `.npmrc`, `.yarnrc`/`.yarnrc.yml` and the `.yarn/` folder (yarn),
      `.pnpmfile.cjs` (pnpm); `pnpm fetch`: the lock file;
    - `go mod download`: `go.mod`, `go.sum`;
    - `mvn dependency:go-offline` (or `./mvnw`): `pom.xml`, `.mvn/`, `mvnw`;
    - `gradle dependencies` (or `./gradlew`): the build and settings
      scripts, `gradle.properties`, `gradlew` and `gradle/`;
    - `bundle install`: `Gemfile`, `Gemfile.lock` (and `.ruby-version`
      when the Gemfile reads it);
    - `composer install`: `composer.json`, `composer.lock`, `auth.json`.

    The new `COPY` takes the place of `COPY .` (same flags, same
    destination, so relative destinations resolve the same), and `COPY .`
    moves right after the install. When the install's `RUN` goes on with
    commands that need the sources (`RUN npm ci && npm run build`), the RUN
    is cut after the install and the copy goes between the two halves.
    Installs that also install the project itself are split where the tool
    has a dependencies-only mode: `poetry install` runs first with
    `--no-root`, `uv sync` with `--no-install-project`, `pdm install` with
    `--no-self`, and the original command runs again after the full copy;
    `composer install` runs with `--no-autoloader` and `composer
    dump-autoload` (with the matching options) runs after the copy when the
    autoloader needs the sources (classmap, `-o`, `-a`, dump scripts).

    ## Why
    Docker reuses a layer only while everything it depends on is unchanged.
    After `COPY . .` any edit to any source file invalidates the copy and
    every later layer — the dependency install included, usually the
    slowest step of the build. Copying the manifests first keeps the install
    cached until the dependencies really change. No hadolint rule or Docker
    build check covers this.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    RUN pip install --no-cache-dir -r requirements.txt
    CMD ["python", "app.py"]
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt ./
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    CMD ["python", "app.py"]
    ```

    ## Fix safety
    Unsafe: the install no longer sees the other files of the project, and
    whatever it writes into the project folder (a lock file `npm install`
    updates, for example) is replaced by the context's copy afterwards; a
    split RUN becomes two layers. The fix is only offered when dockfix can
    show the install needs nothing else: the manifests exist in the build
    context, the install runs in the copied folder, and every instruction
    between the copy and the install — and every other command of the
    install's RUN before the cut — is independent of the copied files: ENV,
    ARG (when the COPY uses no variable), LABEL, EXPOSE, USER, an absolute
    WORKDIR (when the COPY destination is absolute), COPY/ADD into other
    folders, and commands that only install system packages, create users,
    install tools by name or touch paths outside the copied tree. A RUN is
    only cut at a top-level `&&`, when nothing before the cut changes the
    shell's state (`cd`, `export`, `set`…), nothing after it deletes files
    (they would stay in the install's layer) and no comment sits in the
    cut. `--chown`, `--chmod` and `--link` are carried over to the new COPY.

    Reported without a fix, the message saying why: the build context is not
    known (stdin) or lacks a manifest, or `.dockerignore` excludes it; the
    install builds or installs the project with no dependencies-only mode
    (`pip install .`, `pip install -e .`, a requirements file with `-e .` or
    local paths, path dependencies); npm, yarn, pnpm or bun with a
    `preinstall`/`install`/`postinstall`/`prepare` script (they may need the
    sources), workspaces or `file:` dependencies; composer with install
    scripts, path repositories or plugins that may write into the project;
    Go workspaces and local `replace` directives; Maven modules; Gradle
    multi-projects, `buildSrc` and `apply from`; Gemfiles with `gemspec`,
    `path:` gems or that read other files; a context holding what the install
    creates (`node_modules`, `.venv`, `vendor/`), which the later copy would
    put back over it; an instruction or command between the copy and the
    install that may use the sources; `COPY --exclude`/`--parents`; a comment
    directive (`# hadolint ignore=…`) above the COPY; Windows images. Cargo
    is always report-only: fetching or building dependencies needs the
    crate's targets, and the stub-`main.rs` technique depends on the crate
    layout (bins, libraries, build scripts, workspaces) and on file times,
    so no rewrite is attempted — the message suggests cargo-chef. An install
    after a dependencies-only install of the same tool (the project's own
    install, as in `COPY requirements.txt` … `COPY . .` / `pip install -e .`)
    is not reported. Without `WORKDIR`, the new `COPY` has the same
    relative destination as `COPY .` (hadolint DL3045 reports both; DF505
    makes them absolute).
    """

    code = "DF220"
    name = "lockfile-first-copy"
    summary = "Copy manifest and lock files before `COPY .` so the dependency install stays cached"
    safety = Safety.UNSAFE
    covers = ()  # no hadolint rule or Docker build check covers this

    def check(self, ctx: Context):
        tree = ctx.tree
        if not any(_whole_source(ins) for ins in tree.instructions):
            return
        bc = ctx.build_context
        for stage in tree.stages:
            body = stage.instructions
            for i, copy in enumerate(body):
                if _whole_source(copy):
                    finding = self._check_copy(ctx, stage, i, bc)
                    if finding is not None:
                        yield finding

    # -- one COPY . -----------------------------------------------------------
    def _first_install(
        self, model: SemanticModel, body: list[Instruction], i: int, where: Where
    ) -> tuple[Instruction | None, RunView | None, list[tuple[Instruction, str]]]:
        """The first RUN after the COPY ``body[i]`` that installs from the
        copied tree, its view, and what stands in between (with why)."""
        copy = body[i]
        between: list[tuple[Instruction, str]] = []
        for ins in body[i + 1 :]:
            if ins.keyword == "RUN":
                v = view_run(ins, lf.state_at(model, ins), where, where.bc)
                if not v.cwd_known:
                    between.append((ins, "may use the sources"))
                elif v.installs:
                    return ins, v, between
                elif v.blockers or v.opaque or not _run_mounts_ok(ins):
                    between.append((ins, "may use the sources"))
                continue
            why = self._between(ins, copy, where)
            if why == "stop":
                break
            if why:
                between.append((ins, why))
        return None, None, between

    def _check_copy(self, ctx: Context, stage, i: int, bc):
        tree = ctx.tree
        model = ctx.model
        body = stage.instructions
        copy: Instruction = body[i]
        facts = model.at(copy)
        raw_dest = copy.args[-1].value
        dest_value = raw_dest if copy.json else facts.expand(raw_dest)
        if not isinstance(dest_value, str):
            return None  # where the files go is not known
        dest = lf.join_path(lf.state_at(model, copy).workdir, dest_value)
        if dest is None:
            return None
        where = Where(dest, bc)
        target, view, between = self._first_install(model, body, i, where)
        if target is None or view is None or not model.at(target).shell.posix:
            return None
        script = view.script
        assert script is not None
        installs = view.installs
        # An install of the project after a dependencies-only install of the
        # same kind (before the COPY), or the same tool installing again with
        # the sources: that layout is already right.
        earlier = _earlier_installs(model, copy)
        if all(
            (inst.family in earlier and inst.project) or (inst.tool in earlier and inst.tool != "pip")
            for _, inst in installs
        ):
            return None
        first = installs[0][1]
        copied = f"{copy.keyword} {str(copy.args[0]) if not copy.json else copy.args[0].value}"
        what = (
            f"dependencies are installed after `{copied}` (line {target.start_line}: `{first.label}`), "
            "so any source change reinstalls them"
        )
        at = (copy.keyword_word.start if copy.keyword_word else copy.start, copy.content_end)

        def report(reason: str):
            return ctx.finding(at, f"{what}; not fixed: {reason}")

        reason = next((inst.reason for _, inst in installs if inst.reason), None)
        if reason:
            return report(reason)
        if facts.windows:
            return report("Windows image")
        if between:
            ins, why = between[0]
            return report(f"the {ins.keyword} at line {ins.start_line} {why}")
        if view.opaque:
            return report(
                f"the same RUN also runs `{' '.join(view.opaque[0][1].split())[:40]}`, which may use the sources"
            )
        run_split = None
        if view.blockers:
            run_split = _split_point(script, view, target)
            if isinstance(run_split, str):
                return report(run_split)
        if not _run_mounts_ok(target):
            return report("the RUN mounts files that may be the sources")
        bad_flag = next((f for f in copy.flags if f.name not in ("chown", "chmod", "link")), None)
        if bad_flag is not None:
            return report(f"`--{bad_flag.name}` on the COPY")
        if (dest == "/" or lf.is_unknown_based(dest)) and set(where.roots or ()) & _SYSTEM_DIRS:
            return report("the build context has system folders that `COPY .` puts over the image's own")
        splits = [(cmd, inst) for cmd, inst in installs if inst.split_flag]
        if splits and run_split is not None:
            return report(
                f"the same RUN also runs `{lf.short(view.blockers[0], script, 40)}`, which may use the sources"
            )
        if splits and len(installs) > 1:
            return report("the RUN has several installs and one of them must run again after the copy")
        if splits and (
            target.heredocs or view.state or any(c.program in _SHELL_STATE for c in script.commands)
        ):
            return report(
                "the install must run again after the copy, and its RUN sets shell state or uses a heredoc"
            )
        if self._pragma_above(tree, copy):
            return report("a comment directive above the COPY applies to it")

        files: list[str] = []
        dirs: list[str] = []
        for _, inst in installs:
            files += [f for f in inst.files if f not in files]
            dirs += [d for d in inst.dirs if d not in dirs]
        bad = next((p for p in files + dirs if not _SAFE_SOURCE.match(p) or p.startswith("-")), None)
        if bad is not None:
            return report(f"the file name {bad} would need quoting")
        lines = self._copy_lines(copy, raw_dest, dest_value, files, dirs)
        if lines is None:
            return report("the COPY destination would need quoting")
        edits = self._edits(ctx, copy, target, lines, script, splits, run_split)
        names = ", ".join(files + [d + "/" for d in dirs])
        how = "install"
        if splits:
            inst = splits[0][1]
            if inst.family == "php":
                how = "install with `--no-autoloader`, `composer dump-autoload` after the copy"
            else:
                how = f"install with `{inst.split_flag}` (and the original install after the copy)"
        elif run_split is not None:
            how = "install (the RUN is split after the install)"
        return ctx.finding(at, f"{what}: copy {names} first, {how}, then copy the rest", edits)

    def _between(self, ins: Instruction, copy: Instruction, where: Where) -> str:
        """Why an instruction between the copy and the install stops the
        reorder ('' when it is independent, 'stop' when the search ends)."""
        kw = ins.keyword
        if kw in (
            "LABEL",
            "EXPOSE",
            "USER",
            "STOPSIGNAL",
            "HEALTHCHECK",
            "CMD",
            "ENTRYPOINT",
            "MAINTAINER",
            "ONBUILD",
        ):
            return ""
        if kw in ("ENV", "ARG"):
            return "changes variables the COPY uses" if "$" in str(copy) else ""
        if kw == "WORKDIR":
            value = word_value(ins.args[0].value) if ins.args else None
            raw = copy.args[-1].value if copy.json else word_value(copy.args[-1].value)
            if value is None or not value.startswith("/") or raw is None or not raw.startswith("/"):
                return "changes the working directory the COPY destination is relative to"
            return ""
        if kw in ("COPY", "ADD"):
            if _whole_source(ins):
                return "stop"
            other = None
            if not ins.heredocs and len(ins.args) >= 2:
                other = ins.args[-1].value if ins.json else word_value(ins.args[-1].value)
            if other is None or not other.startswith("/") or where.touches(posixpath.normpath(other)):
                return "may write into the copied folder"
            return ""
        return "may depend on the copied files"

    @staticmethod
    def _pragma_above(tree, copy: Instruction) -> bool:
        idx = tree.children.index(copy)
        for node in reversed(tree.children[:idx]):
            text = str(node)
            if not text.strip():
                return False
            if not text.lstrip().startswith("#"):
                return False
            if re.search(r"hadolint|dockfix:|check=", text):
                return True
        return False

    def _copy_lines(
        self, copy: Instruction, raw_dest: str, dest_value: str | None, files, dirs
    ) -> list[str] | None:
        """The new COPY instructions (without indentation or line break)."""
        kw = keyword_like(copy, "COPY")
        flags = "".join(str(f) + " " for f in copy.flags)
        if copy.json:
            base = dest_value
        else:
            if word_value(raw_dest) is not None:
                base = word_value(raw_dest)
            elif _quote_dest(raw_dest) is not None:
                base = raw_dest  # variables: same text, same expansion
            else:
                return None
        assert base is not None

        def target(sub: str) -> str:
            if base in (".", "./"):
                head = "./"
            else:
                head = base.rstrip("/") + "/"
            return head + (sub + "/" if sub else "")

        groups: dict[str, list[str]] = {}
        for f in files:
            groups.setdefault(posixpath.dirname(f), []).append(f)
        out = []
        items = [(groups[sub], target(sub)) for sub in sorted(groups, key=lambda g: (g != "", g))]
        items += [([d], target(d)) for d in dirs]
        for sources, dst in items:
            if copy.json or (_quote_dest(dst) is None and "$" not in dst):
                out.append(f"{kw} {flags}{json.dumps(sources + [dst], ensure_ascii=False)}")
            elif _quote_dest(dst) is None:
                return None
            else:
                out.append(f"{kw} {flags}{' '.join(sources)} {dst}")
        return out

    def _edits(
        self, ctx, copy: Instruction, run: Instruction, lines: list[str], script: Script, splits, run_split
    ):
        text = ctx.text
        nl = ctx.newline
        indent = text[copy.start : copy.keyword_word.start] if copy.keyword_word else ""
        run_indent = text[run.start : run.keyword_word.start] if run.keyword_word else ""
        brk = copy.line_break or nl
        new_copy = "".join(indent + ln + brk for ln in lines)
        moved = text[copy.start : copy.content_end]
        extra = []
        edits = [Edit(copy.start, copy.end, new_copy)]
        if run_split is not None:
            # RUN install && build  ->  RUN install / COPY . . / RUN build
            a, b = run_split
            flags = "".join(str(f) + " " for f in run.flags)
            edits.append(Edit(a, b, f"{nl}{moved}{nl}{run_indent}{keyword_like(run, 'RUN')} {flags}"))
            return edits
        if splits:
            cmd, inst = splits[0]
            edits.append(insert_after(script, inst.split_at, " " + inst.split_flag))
            flags = "".join(str(f) + " " for f in run.flags)
            second = inst.second or ""
            if not re.search(r"[\"'\\]", second):
                second = " ".join(second.split())
            extra.append(f"{run_indent}{keyword_like(run, 'RUN')} {flags}{second}")
        if run.line_break:
            insert = moved + brk + "".join(e + nl for e in extra)
        else:
            insert = nl + moved + "".join(nl + e for e in extra)
        edits.append(Edit(run.end, run.end, insert))
        return edits
