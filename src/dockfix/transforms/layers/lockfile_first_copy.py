from __future__ import annotations

import json
import posixpath
import re

from ...analysis import word_value
from ...model import SemanticModel
from ...rules import Context, Edit, Rule, Safety
from ...shell import Script, insert_after
from ...tree import Instruction
from .._util import keyword_like
from . import _lockfile as lf
from ._lockfile_runs import (
    _SAFE_SOURCE,
    _SHELL_STATE,
    _SYSTEM_DIRS,
    RunView,
    Where,
    _earlier_installs,
    _quote_dest,
    _run_mounts_ok,
    _split_point,
    _whole_source,
    view_run,
)


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

        why, run_split = self._refusal(ctx, copy, target, view, between, dest, where)
        if why is not None:
            return report(why)
        splits = [(cmd, inst) for cmd, inst in installs if inst.split_flag]

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
        how = self._how(splits, run_split)
        return ctx.finding(at, f"{what}: copy {names} first, {how}, then copy the rest", edits)

    def _refusal(
        self,
        ctx: Context,
        copy: Instruction,
        target: Instruction,
        view: RunView,
        between: list[tuple[Instruction, str]],
        dest: str,
        where: Where,
    ) -> tuple[str | None, object]:
        """(why the install cannot be moved before ``copy``, None when it
        can; where its RUN is split when other commands must stay after)."""
        script = view.script
        assert script is not None
        installs = view.installs
        reason = next((inst.reason for _, inst in installs if inst.reason), None)
        if reason:
            return reason, None
        if ctx.model.at(copy).windows:
            return "Windows image", None
        if between:
            ins, why = between[0]
            return f"the {ins.keyword} at line {ins.start_line} {why}", None
        if view.opaque:
            opaque = " ".join(view.opaque[0][1].split())[:40]
            return f"the same RUN also runs `{opaque}`, which may use the sources", None
        run_split = None
        if view.blockers:
            run_split = _split_point(script, view, target)
            if isinstance(run_split, str):
                return run_split, None
        if not _run_mounts_ok(target):
            return "the RUN mounts files that may be the sources", None
        bad_flag = next((f for f in copy.flags if f.name not in ("chown", "chmod", "link")), None)
        if bad_flag is not None:
            return f"`--{bad_flag.name}` on the COPY", None
        if (dest == "/" or lf.is_unknown_based(dest)) and set(where.roots or ()) & _SYSTEM_DIRS:
            return "the build context has system folders that `COPY .` puts over the image's own", None
        splits = [inst for _, inst in installs if inst.split_flag]
        if splits and run_split is not None:
            blocker = lf.short(view.blockers[0], script, 40)
            return f"the same RUN also runs `{blocker}`, which may use the sources", None
        if splits and len(installs) > 1:
            return "the RUN has several installs and one of them must run again after the copy", None
        if splits and (
            target.heredocs or view.state or any(c.program in _SHELL_STATE for c in script.commands)
        ):
            return (
                "the install must run again after the copy, and its RUN sets shell state or uses a heredoc",
                None,
            )
        if self._pragma_above(ctx.tree, copy):
            return "a comment directive above the COPY applies to it", None
        return None, run_split

    @staticmethod
    def _how(splits: list, run_split: object) -> str:
        """How the install is done in the fix (for its message)."""
        if splits:
            inst = splits[0][1]
            if inst.family == "php":
                return "install with `--no-autoloader`, `composer dump-autoload` after the copy"
            return f"install with `{inst.split_flag}` (and the original install after the copy)"
        if run_split is not None:
            return "install (the RUN is split after the install)"
        return "install"

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
