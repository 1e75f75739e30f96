"""``dockfix verify``: build the original and the rewritten Dockerfile and
compare them.

The rewrite is what a normal run would write (same rule options).  Both
Dockerfiles are built in temporary copies of the build context with the
first builder found (``docker buildx``, ``podman``, ``buildah``; or the one
``--builder`` names), cold (``--no-cache``); then a source file the
Dockerfile copies is touched in both copies and both are built again with
the layer cache, which shows whether the dependency install stays cached.
The final image config (Cmd, Entrypoint, Env, User, WorkingDir,
ExposedPorts), the image size and the build times go into a before/after
table (:func:`render_table`).  With ``--write`` the file (and the side files
the fixes change, e.g. a new ``.dockerignore``) is rewritten, atomically
through :mod:`dockfix.files`, only when the rewritten Dockerfile built.

Exit codes: 0 both built (or there was nothing to rewrite); 1 a build
failed (the table says which side, with the end of its log); 2 no builder,
bad options, a file dockfix cannot read or parse, an internal error.

Imported only for ``dockfix verify`` (a plain run never loads it); the
builders (:class:`Builder`, :func:`detect`) are in
:mod:`dockfix._verify_builders`.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from msgspec import Struct, field

from . import files
from ._verify_builders import CONFIG_KEYS, Builder, NoBuilder, detect
from .cli import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, UsageProblem, err, out, split_codes

EXIT_BUILD_FAILED = EXIT_CHANGES  # 1

LOG_TAIL = 15  # lines of a failed build's log shown


# ---------------------------------------------------------------------------
# one side's builds


class Side(Struct):
    """What the builds of one Dockerfile (the original or the rewrite) gave."""

    label: str
    ok: bool = False
    returncode: int | None = None
    log: str = ""
    seconds: float | None = None
    size: int | None = None
    config: dict = field(default_factory=dict)
    rebuild_ok: bool | None = None  # None: no rebuild (nothing to touch, or the build failed)
    rebuild_seconds: float | None = None
    rebuild_steps: tuple[int, int] | None = None

    def tail(self, n: int = LOG_TAIL) -> list[str]:
        return [line for line in self.log.rstrip("\n").split("\n") if line.strip()][-n:]


def _run(argv: list[str], cwd: str | None = None) -> tuple[int, str, float]:
    start = time.monotonic()
    try:
        proc = subprocess.run(
            argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, errors="replace",
        )  # fmt: skip
    except OSError as e:
        return 127, f"cannot run {argv[0]}: {e.strerror or e}\n", time.monotonic() - start
    return proc.returncode, proc.stdout, time.monotonic() - start


def build_side(builder: Builder, side: Side, dockerfile: str, context: str, tag: str) -> None:
    """The cold build of one side, then its image config and size."""
    code, log, took = _run(builder.build_argv(dockerfile, context, tag, cold=True))
    side.returncode, side.log, side.seconds = code, log, took
    side.ok = code == 0
    if not side.ok:
        return
    code, inspected, _ = _run(builder.inspect_argv(tag))
    if code != 0:
        side.ok = False
        side.log += f"\n{builder.label}: cannot inspect the built image {tag}:\n{inspected}"
        return
    try:
        side.config, side.size = builder.image_facts(inspected)
    except (ValueError, TypeError, AttributeError, IndexError) as e:
        side.ok = False
        side.log += f"\n{builder.label}: unreadable inspect output for {tag}: {e}\n"


def rebuild_side(builder: Builder, side: Side, dockerfile: str, context: str, tag: str) -> None:
    """The build after a source change, with the layer cache."""
    code, log, took = _run(builder.build_argv(dockerfile, context, tag, cold=False))
    side.rebuild_ok = code == 0
    side.rebuild_seconds = took
    side.rebuild_steps = builder.steps(log) if code == 0 else None
    if code != 0:
        side.log += "\n--- rebuild after the source change ---\n" + log


# ---------------------------------------------------------------------------
# the source file to touch

#: line comments by file extension, so the touched file stays valid
_COMMENT_EXTS = {
    "#": ("py", "sh", "bash", "zsh", "rb", "pl", "r", "yaml", "yml", "toml", "cfg", "conf", "ini", "txt", "mk",
          "cmake", "ex", "exs", "nim", "tf", "makefile", "dockerfile"),
    "//": ("js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "java", "kt", "kts", "scala", "c", "h", "cc", "cpp",
           "hpp", "rs", "php", "swift", "cs", "dart"),
    "--": ("sql", "lua", "hs", "elm"),
}  # fmt: skip
_COMMENTS = {ext: mark for mark, exts in _COMMENT_EXTS.items() for ext in exts}
_SCAN_LIMIT = 20_000  # entries looked at when a COPY names a folder


def _copy_sources(text: str) -> list[list[str]]:
    """The build-context sources of each COPY/ADD of the file (none from
    another stage or image, no URLs, no variables), in order."""
    from .parser import parse

    found = []
    for ins in parse(text).instructions:
        if ins.keyword not in ("COPY", "ADD") or ins.flag("from") is not None:
            continue
        srcs = [s for s in ins.arguments[:-1] if "$" not in s and "://" not in s and not s.startswith("git@")]
        found.append(srcs)
    return found


def pick_source(dockerfile_text: str, context: str, dockerfile_path: str | None = None) -> str | None:
    """A file the Dockerfile copies from the build context that is not a
    dependency manifest or lock file (those are what the install reads; a
    source change is what happens every day), as a path relative to
    ``context``; None when there is none.  The last COPY's files come
    first (sources are usually copied after the manifests)."""
    from .context import BuildContext
    from .transforms.stages._split import is_manifest

    root = Path(context)
    bc = BuildContext(str(root), dockerfile_path)
    skip = {os.path.realpath(dockerfile_path)} if dockerfile_path else set()

    def usable(rel: str) -> bool:
        full = root / rel
        return (
            full.is_file()
            and not full.is_symlink()
            and not is_manifest(rel)
            and not bc.excluded(rel)
            and os.path.realpath(full) not in skip
            and not any(part.startswith(".") for part in Path(rel).parts)
        )

    for srcs in reversed(_copy_sources(dockerfile_text)):
        for src in srcs:
            rel = os.path.normpath(src.lstrip("/")) if src not in ("/", ".", "./") else "."
            if rel.startswith(".."):
                continue
            if any(c in rel for c in "*?["):
                matches = sorted(str(p.relative_to(root)) for p in root.glob(rel))
            elif (root / rel).is_dir():
                matches = []
                for dirpath, dirnames, filenames in os.walk(root / rel):
                    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                    matches += [os.path.relpath(os.path.join(dirpath, f), root) for f in sorted(filenames)]
                    if len(matches) > _SCAN_LIMIT:
                        break
            else:
                matches = [rel]
            candidates = [m for m in matches if usable(m)]
            if candidates:
                # a file with a known comment syntax stays valid when touched
                commented = [m for m in candidates if _comment_for(m) is not None]
                return (commented or candidates)[0]
    return None


def _comment_for(rel: str) -> str | None:
    name = os.path.basename(rel).lower()
    ext = name.rsplit(".", 1)[-1] if "." in name else name
    return _COMMENTS.get(ext)


def touch_source(path: str, token: str) -> None:
    """Change a source file's content (its mtime alone does not change
    a build's cache key): a comment line with a unique token where the
    file type's comment syntax is known, else one more newline."""
    mark = _comment_for(path)
    with open(path, "rb") as fh:
        data = fh.read()
    sep = b"" if not data or data.endswith(b"\n") else b"\n"
    extra = f"{mark} dockfix verify: a source change {token}\n".encode() if mark else b"\n"
    with open(path, "wb") as fh:
        fh.write(data + sep + extra)


# ---------------------------------------------------------------------------
# the table


def _size(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:.1f} MB"


def _secs(s: float | None) -> str:
    return "-" if s is None else f"{s:.1f} s"


def _change(before: float | None, after: float | None) -> str:
    if not before or after is None:
        return ""
    pct = (after - before) * 100 / before
    return f" ({pct:+.0f}%)"


CELL = 44  # a column's width before its values wrap


def _cell(v: object) -> list[str]:
    """A config value as the lines of a table cell: lists one item a line
    when they do not fit, long lines wrapped."""
    import textwrap

    if v is None:
        items = ["(unset)"]
    elif isinstance(v, dict):  # ExposedPorts
        items = [" ".join(sorted(v))]
    elif isinstance(v, list):
        whole = json.dumps(v, ensure_ascii=False)
        items = [whole] if len(whole) <= CELL else [json.dumps(x, ensure_ascii=False) for x in v]
    else:
        items = [json.dumps(v, ensure_ascii=False)]
    return [part for item in items for part in (textwrap.wrap(item, CELL, break_on_hyphens=False) or [""])]


def render_table(path: str, builder: str, before: Side, after: Side, source: str | None) -> str:
    """The before/after table (plain text; a config value that differs is
    marked ``changed``), then the end of the log of each side that failed."""
    rows: list[tuple[str, list[str], list[str], str]] = []

    def row(name: str, b: str, a: str, note: str = "") -> None:
        rows.append((name, [b], [a], note))

    def status(s: Side) -> str:
        return "ok" if s.ok else f"FAILED (exit {s.returncode})"

    row("build", status(before), status(after))
    if before.ok and after.ok:
        row("image size", _size(before.size), _size(after.size) + _change(before.size, after.size))
    if before.seconds is not None or after.seconds is not None:
        row("build time (cold)", _secs(before.seconds), _secs(after.seconds))
    if source is None:
        row("rebuild", "no source file to touch", "-")
    elif before.rebuild_ok is not None or after.rebuild_ok is not None:

        def rebuild(s: Side) -> str:
            if s.rebuild_ok is None:
                return "-"
            if not s.rebuild_ok:
                return "FAILED"
            ran = f", {s.rebuild_steps[0]}/{s.rebuild_steps[1]} steps ran" if s.rebuild_steps else ""
            return _secs(s.rebuild_seconds) + ran

        row(f"rebuild after touching {source}", rebuild(before), rebuild(after))
    if before.ok and after.ok:
        for key in CONFIG_KEYS:
            b, a = before.config.get(key), after.config.get(key)
            rows.append((key, _cell(b), _cell(a) if a != b else ["same"], "changed" if a != b else ""))
    head = ("", ["before"], ["after"], "")
    w0 = max(len(r[0]) for r in [head, *rows])
    w1 = max(len(x) for r in [head, *rows] for x in r[1])
    w2 = max(len(x) for r in [head, *rows] for x in r[2])
    lines = [f"dockfix verify: {path} (built with {builder})"]
    for name, b_lines, a_lines, note in [head, *rows]:
        for i in range(max(len(b_lines), len(a_lines))):
            cells = (
                name if i == 0 else "",
                b_lines[i] if i < len(b_lines) else "",
                a_lines[i] if i < len(a_lines) else "",
                note if i == 0 else "",
            )
            lines.append("  ".join(c.ljust(w) for c, w in zip(cells, (w0, w1, w2, 0), strict=True)).rstrip())
    for s in (before, after):
        if not s.ok or s.rebuild_ok is False:
            lines.append(f"last lines of the {s.label} build log:")
            lines += ["  " + line for line in s.tail()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# the command


class Target(Struct):
    """The Dockerfile to verify and its build context."""

    path: str  # as given / found
    context: str  # the build context directory


def find_target(path: str | None, context: str | None) -> Target:
    p = path or "."
    if os.path.isdir(p):
        for name in ("Dockerfile", "Containerfile", "dockerfile"):
            if os.path.isfile(os.path.join(p, name)):
                p = os.path.join(p, name)
                break
        else:
            raise UsageProblem(f"{files.display(p)}: no Dockerfile in this folder (give the file's path)")
    elif not os.path.exists(p):
        raise UsageProblem(f"{files.display(p)}: no such file")
    ctx = context if context is not None else (os.path.dirname(p) or ".")
    if not os.path.isdir(ctx):
        raise UsageProblem(f"--context {ctx}: not a directory")
    return Target(p, ctx)


def _place(tmp: str, side: str, target: Target, text: str, side_files: list[dict]) -> str:
    """Copy the build context to ``tmp/side/context`` and put ``text`` (and
    the side files) in it; returns the Dockerfile's path in the copy."""
    base = os.path.join(tmp, side)
    ctx_copy = os.path.join(base, "context")
    shutil.copytree(target.context, ctx_copy, symlinks=True)
    root = os.path.realpath(target.context)
    df_real = os.path.realpath(target.path)
    inside = os.path.commonpath([root, df_real]) == root
    dest = (
        os.path.join(ctx_copy, os.path.relpath(df_real, root)) if inside else os.path.join(base, "Dockerfile")
    )
    Path(dest).write_bytes(text.encode("utf-8", "surrogateescape"))
    for s in side_files:
        rel = os.path.relpath(os.path.realpath(s["abs"]), root)
        if not rel.startswith(".."):
            Path(ctx_copy, rel).write_bytes(s["new"].encode("utf-8", "surrogateescape"))
    return dest


def verify(
    path: str | None, builder_name: str | None = None, write: bool = False, unsafe_fixes: bool = False,
    select: list[str] | None = None, ignore: list[str] | None = None, extend_select: list[str] | None = None,
    context: str | None = None, keep_images: bool = False, config: str | None = None, isolated: bool = False,
) -> int:  # fmt: skip
    """Run ``dockfix verify``; returns the exit code (raises UsageProblem
    and NoBuilder for the one-line errors)."""
    from .runner import ERROR, SKIPPED, Options, process_source

    options = Options(
        mode="diff",
        select=split_codes(select, "--select") or None,
        ignore=split_codes(ignore, "--ignore"),
        extend_select=split_codes(extend_select, "--extend-select"),
        unsafe=unsafe_fixes,
        context=context,
    )
    target = find_target(path, context)
    if config is not None and isolated:
        raise UsageProblem("--config and --isolated cannot be used together")
    from .config import Resolver, effective

    # the same rules and options as a plain run on this file (its configuration file, then the command line)
    options = effective(
        options, Resolver(config, isolated).settings_for(target.path), target.path, bool(select)
    )
    builder = detect(builder_name)
    shown = files.display(target.path)
    try:
        data = files.read_bytes(target.path, options.max_file_size)
    except OSError as e:
        raise UsageProblem(f"{shown}: cannot read file: {e.strerror or e}") from None
    result = process_source(data, target.path, options, context=target.context)
    if result.status == ERROR:
        where = f":{result.line}:{result.col}" if result.line else ""
        raise UsageProblem(f"{shown}{where}: {result.error}")
    if result.status == SKIPPED or result.output is None or not result.changed:
        out(f"dockfix verify: {shown}: nothing to rewrite; no build needed\n")
        return EXIT_OK
    assert result.source is not None

    token = uuid.uuid4().hex[:12]
    tag = f"localhost/dockfix-verify-{token}"
    before, after = Side("original"), Side("rewritten")
    source = pick_source(result.source, target.context, target.path)
    tags: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dockfix-verify-") as tmp:
        try:
            df_before = _place(tmp, "before", target, result.source, [])
            df_after = _place(tmp, "after", target, result.output, result.side_files)
        except (OSError, shutil.Error) as e:
            raise UsageProblem(
                f"cannot copy the build context {files.display(target.context)}: {e}"
            ) from None
        sides = ((before, df_before, "before"), (after, df_after, "after"))
        try:
            for side, df, name in sides:
                err(f"dockfix verify: building the {side.label} Dockerfile with {builder.label}...\n")
                tags.append(f"{tag}:{name}")
                build_side(builder, side, df, os.path.join(tmp, name, "context"), f"{tag}:{name}")
            if source is not None:
                for side, df, name in sides:
                    if not side.ok:
                        continue
                    touch_source(os.path.join(tmp, name, "context", source), token)
                    err(
                        f"dockfix verify: rebuilding the {side.label} Dockerfile after touching {source}...\n"
                    )
                    rebuild_side(builder, side, df, os.path.join(tmp, name, "context"), f"{tag}:{name}")
        finally:
            if tags and not keep_images:
                _run(builder.remove_argv(tags))
    out(render_table(shown, builder.label, before, after, source))
    if write and after.ok:
        plan = [files.PlannedWrite(target.path, result.output, data)]
        plan += [files.PlannedWrite(s["abs"], s["new"], s["old"]) for s in result.side_files]
        try:
            files.write_files(plan)
        except OSError as e:
            raise UsageProblem(f"{shown}: cannot write: {e.strerror or e}; nothing written") from None
        names = ", ".join([shown] + [s["path"] for s in result.side_files])
        out(f"dockfix verify: the rewrite builds; wrote {names}\n")
    elif write:
        out(f"dockfix verify: the rewrite does not build; {shown} left unchanged\n")
    return EXIT_OK if before.ok and after.ok else EXIT_BUILD_FAILED


HELP = (
    "Build the Dockerfile before and after dockfix's fixes and compare them: the image config "
    "(Cmd, Entrypoint, Env, User, WorkingDir, ExposedPorts), the image size, the build time and a "
    "rebuild after touching a source file.  Builds run in temporary copies of the build context "
    "with docker buildx, podman or buildah (the first found).\n\n"
    "PATH: a Dockerfile, or a folder holding one; default: the current directory.\n\n"
    "Exit status: 0 both built (or nothing to rewrite); 1 a build failed; 2 no builder, bad options "
    "or a file dockfix cannot read."
)


def build_app():
    """The Typer application of ``dockfix verify``."""
    from typing import Annotated  # no `from __future__ import annotations` here: Typer reads them

    import typer

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)

    def opt(name: str, help: str, metavar: str | None = None):
        return typer.Option(name, metavar=metavar, help=help, show_default=False)

    codes = "CODES"

    @app.command(context_settings={"help_option_names": ["-h", "--help"]}, help=HELP)
    def command(
        path: Annotated[str | None, typer.Argument(metavar="PATH", show_default=False)] = None,
        builder: Annotated[
            str | None, opt("--builder", "docker (buildx), podman or buildah.", "NAME")
        ] = None,
        write: Annotated[
            bool, opt("--write", "Rewrite the file when the rewritten Dockerfile builds.")
        ] = False,
        unsafe_fixes: Annotated[
            bool, opt("--unsafe-fixes", "Also apply fixes that may change the image's behaviour.")
        ] = False,
        select: Annotated[
            list[str] | None, opt("--select", "Only these rule codes or prefixes.", codes)
        ] = None,
        ignore: Annotated[
            list[str] | None, opt("--ignore", "Skip these rule codes or prefixes.", codes)
        ] = None,
        extend_select: Annotated[
            list[str] | None, opt("--extend-select", "Add these rule codes or prefixes.", codes)
        ] = None,
        context: Annotated[
            str | None, opt("--context", "The build context; default: the Dockerfile's folder.", "DIR")
        ] = None,
        keep_images: Annotated[
            bool, opt("--keep-images", "Keep the built images (localhost/dockfix-verify-*:before/after).")
        ] = False,
        config: Annotated[
            str | None, opt("--config", "Read this configuration file instead of the nearest one.", "FILE")
        ] = None,
        isolated: Annotated[bool, opt("--isolated", "Ignore every configuration file.")] = False,
    ) -> None:
        raise typer.Exit(
            run(path, builder, write, unsafe_fixes, select, ignore, extend_select, context, keep_images,
                config, isolated)
        )  # fmt: skip

    return app


def run(*args, **kwargs) -> int:
    """:func:`verify` with the one-line errors and interrupts handled."""
    from .cli import _interrupted

    try:
        return verify(*args, **kwargs)
    except (UsageProblem, NoBuilder) as e:
        err(f"dockfix verify: error: {e}\n")
        return EXIT_ERROR
    except KeyboardInterrupt as e:
        return _interrupted(e)
    except Exception as e:  # an internal error: one line, like the main command
        err(f"dockfix verify: internal error: {type(e).__name__}: {e}\n")
        return EXIT_ERROR


def main(argv: list[str]) -> int:
    """``dockfix verify ARGS``: the exit code."""
    try:
        build_app()(args=argv, prog_name="dockfix verify", standalone_mode=True)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_ERROR)
    except Exception as e:  # outside run(): one line too
        err(f"dockfix verify: internal error: {type(e).__name__}: {e}\n")
        return EXIT_ERROR
    return EXIT_OK
