from __future__ import annotations

from ...model import SemanticModel
from ...rules import Context, Rule, Safety
from ...tree import Instruction
from . import _lockfile as lf
from ._lockfile_copy import SAFE_SOURCE, SYSTEM_DIRS, copy_lines, edits, how, pragma_above, whole_source
from ._lockfile_copy import between as _between
from ._lockfile_independent import Where
from ._lockfile_runs import SHELL_STATE, RunView, earlier_installs, run_mounts_ok, split_point, view_run


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
    looks_at = ("COPY", "ADD")
    name = "lockfile-first-copy"
    summary = "Copy manifest and lock files before `COPY .` so the dependency install stays cached"
    safety = Safety.UNSAFE
    covers = ()  # no hadolint rule or Docker build check covers this

    def check(self, ctx: Context):
        tree = ctx.tree
        if not any(whole_source(ins) for ins in tree.instructions):
            return
        bc = ctx.build_context
        for stage in tree.stages:
            body = stage.instructions
            for i, copy in enumerate(body):
                if whole_source(copy):
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
                v = view_run(ins, lf.workdir_at(model, ins), where, where.bc)
                if not v.cwd_known:
                    between.append((ins, "may use the sources"))
                elif v.installs:
                    return ins, v, between
                elif v.blockers or v.opaque or not run_mounts_ok(model, ins):
                    between.append((ins, "may use the sources"))
                continue
            why = _between(ins, copy, where)
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
        dest = lf.join_path(lf.workdir_at(model, copy), dest_value)
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
        earlier = earlier_installs(model, copy)
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
        bad = next((p for p in files + dirs if not SAFE_SOURCE.match(p) or p.startswith("-")), None)
        if bad is not None:
            return report(f"the file name {bad} would need quoting")
        lines = copy_lines(copy, raw_dest, dest_value, files, dirs)
        if lines is None:
            return report("the COPY destination would need quoting")
        fix = edits(ctx, copy, target, lines, script, splits, run_split)
        names = ", ".join(files + [d + "/" for d in dirs])
        done = how(splits, run_split)
        return ctx.finding(at, f"{what}: copy {names} first, {done}, then copy the rest", fix)

    def _refusal(
        self,
        ctx: Context,
        copy: Instruction,
        target: Instruction,
        view: RunView,
        between: list[tuple[Instruction, str]],
        dest: lf.ImagePath,
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
            run_split = split_point(script, view, target)
            if isinstance(run_split, str):
                return run_split, None
        if not run_mounts_ok(ctx.model, target):
            return "the RUN mounts files that may be the sources", None
        bad_flag = next((f for f in copy.flags if f.name not in ("chown", "chmod", "link")), None)
        if bad_flag is not None:
            return f"`--{bad_flag.name}` on the COPY", None
        if (dest.under_image or dest.path == "/") and set(where.roots or ()) & SYSTEM_DIRS:
            return "the build context has system folders that `COPY .` puts over the image's own", None
        splits = [inst for _, inst in installs if inst.split_flag]
        if splits and run_split is not None:
            blocker = lf.short(view.blockers[0], script, 40)
            return f"the same RUN also runs `{blocker}`, which may use the sources", None
        if splits and len(installs) > 1:
            return "the RUN has several installs and one of them must run again after the copy", None
        if splits and (
            target.heredocs or view.state or any(c.program in SHELL_STATE for c in script.commands)
        ):
            return (
                "the install must run again after the copy, and its RUN sets shell state or uses a heredoc",
                None,
            )
        if pragma_above(ctx.tree, copy):
            return "a comment directive above the COPY applies to it", None
        return None, run_split
