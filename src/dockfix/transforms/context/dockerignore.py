from __future__ import annotations

import os
import re

from msgspec import Struct

from ... import tools as tool_tables
from ...context import (
    NEIGHBOUR_MAX_BYTES,
    BuildContext,
    ContextDockerfile,
    file_key,
    is_excluded,
    on_reset,
    parse_dockerignore,
    scan_dockerfiles,
)
from ...parser import parse
from ...rules import Context, Rule, Safety, SideEdit
from ...shell import script_of


class Ecosystem(Struct, frozen=True):
    title: str
    markers: tuple[str, ...]  # context-root files that reveal it (globs): the tool module's MARKERS
    tools: tuple[
        str, ...
    ]  # programs whose use in a RUN means dependencies are installed in the image: its PROGRAMS
    always: tuple[str, ...]  # caches, editor and VCS files: never needed in an image
    installed: tuple[str, ...]  # dependency / build output folders: only when the image builds them itself


COMMON = Ecosystem(
    "Version control, editors, OS files and local secrets",
    (),
    (),
    (".git", ".hg", ".svn", ".idea", ".vscode", "**/.DS_Store", "**/*.swp", ".env", "**/.env"),
    (),
)
ECOSYSTEMS = (
    Ecosystem(
        "Python",
        tool_tables.pip.MARKERS,
        tool_tables.pip.PROGRAMS,
        (
            "**/__pycache__",
            "**/*.py[co]",
            ".pytest_cache",
            ".mypy_cache",
            ".ruff_cache",
            ".tox",
            ".nox",
            ".coverage",
            "htmlcov",
        ),
        (".venv", "venv", "**/*.egg-info"),
    ),
    Ecosystem(
        "Node.js",
        tool_tables.node.MARKERS,
        tool_tables.node.PROGRAMS,
        ("npm-debug.log*", "yarn-error.log*", ".npm", ".eslintcache"),
        ("node_modules", "**/node_modules", "coverage"),
    ),
    Ecosystem("Go", tool_tables.go.MARKERS, tool_tables.go.PROGRAMS, ("**/*.test", "coverage.out"), ()),
    Ecosystem("Rust", tool_tables.cargo.MARKERS, tool_tables.cargo.PROGRAMS, (), ("target",)),
    Ecosystem("Java", tool_tables.jvm.MARKERS, tool_tables.jvm.PROGRAMS, (".gradle",), ("target", "build")),
    Ecosystem(
        "Ruby",
        tool_tables.bundler.MARKERS,
        tool_tables.bundler.PROGRAMS,
        (".bundle",),
        ("vendor/bundle", "log", "tmp"),
    ),
    Ecosystem("PHP", tool_tables.composer.MARKERS, tool_tables.composer.PROGRAMS, (), ("vendor",)),
)


def _sample(pattern: str) -> str:
    """A path the pattern is meant to exclude (to test existing files)."""
    s = pattern.replace("**/", "")
    s = re.sub(r"\[([^\]])[^\]]*\]", r"\1", s)
    return s.replace("*", "x").replace("?", "x")


def whole_context_copies(tree) -> list:
    """COPY/ADD instructions that send the whole context (`COPY . dest`)."""
    out = []
    for ins in tree.instructions:
        if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None and len(ins.args) >= 2:
            if any(a.value in (".", "./", "/") for a in ins.args[:-1]):
                out.append(ins)
    return out


def needed_paths(trees) -> list[str]:
    """Context paths the Dockerfiles name explicitly: COPY/ADD sources and
    RUN bind mounts (`.` itself excluded)."""
    paths: list[str] = []
    for tree in trees:
        for ins in tree.instructions:
            if ins.keyword in ("COPY", "ADD") and ins.flag("from") is None:
                paths.extend(a.value for a in ins.args[:-1] if not a.value.startswith("<<"))
            for f in ins.flags:
                if f.name == "mount" and f.value and "type=bind" in f.value and "from=" not in f.value:
                    m = re.search(r"(?:^|,)(?:source|src)=([^,]+)", f.value)
                    paths.append(m.group(1) if m else ".")
    out = []
    for p in paths:
        p = p.strip("'\"")
        if "$" in p or "://" in p:
            continue
        clean = os.path.normpath("/" + p).lstrip("/")
        if clean not in ("", "."):
            out.append(clean)
    return out


class Neighbours(Struct, frozen=True):
    """What the other Dockerfiles of a context need: the paths they name and
    the tools they run.  ``unknown`` says why that is not fully known (a
    Dockerfile too large or unreadable, a context too large to scan); then
    nothing may be excluded."""

    needed: tuple[str, ...]
    tools: frozenset[str]
    unknown: str | None = None


# What each Dockerfile read needs, by (real path, stat key): a file changed
# on disk is read again.  Emptied with the scans by reset_run_caches().
_READ: dict[tuple, tuple[tuple[str, ...], frozenset[str]] | str] = {}
on_reset(_READ.clear)


def _needs_of(f: ContextDockerfile) -> tuple[tuple[str, ...], frozenset[str]] | str:
    """(needed paths, tools) of one Dockerfile of the context, or why it
    cannot be known."""
    from ...files import read_bytes

    try:
        key = file_key(os.stat(f.path))
    except OSError as e:
        return f"{f.rel} cannot be read ({e.strerror or e})"
    hit = _READ.get((f.path, key))
    if hit is not None:
        return hit
    result: tuple[tuple[str, ...], frozenset[str]] | str
    try:
        tree = parse(read_bytes(f.path, NEIGHBOUR_MAX_BYTES).decode("utf-8"))
        result = (tuple(needed_paths([tree])), frozenset(_tools_used(tree)))
    except UnicodeDecodeError:
        result = f"{f.rel} is not UTF-8"
    except OSError as e:
        result = f"{f.rel} cannot be read ({e.strerror or e})"
    except Exception:  # noqa: BLE001 - not a Dockerfile the parser accepts
        result = f"{f.rel} is not a valid Dockerfile"
    _READ[(f.path, key)] = result
    return result


def _neighbours(bc: BuildContext) -> Neighbours:
    """Needed paths and tools of the other Dockerfiles inside the context
    (the scan is made once per context and run: in a monorepo many
    Dockerfiles share one; each file is read once while it is unchanged)."""
    scan = scan_dockerfiles(bc.root)
    if scan.truncated:
        return Neighbours((), frozenset(), "the build context is too large to scan for its other Dockerfiles")
    if scan.too_large:
        return Neighbours((), frozenset(), f"{scan.too_large[0]} is too large to read")
    own = os.path.realpath(bc.dockerfile) if bc.dockerfile is not None else None
    needed: list[str] = []
    tools: set[str] = set()
    for f in scan.files:
        if f.path == own:
            continue  # the Dockerfile being fixed: its current text counts
        needs = _needs_of(f)
        if isinstance(needs, str):
            return Neighbours((), frozenset(), needs)
        needed.extend(needs[0])
        tools |= needs[1]
    return Neighbours(tuple(needed), frozenset(tools))


def _tools_used(tree) -> set[str]:
    used: set[str] = set()
    for ins in tree.instructions:
        script = script_of(ins)
        if script is not None:
            used.update(c.program for c in script.commands if c.program)
            used.update(c.name for c in script.commands if c.name)
    return used


def proposal(bc: BuildContext, tree, others: Neighbours | None = None) -> tuple[list[dict], list[str]]:
    """(blocks of entries to add, the ecosystems detected).  ``others``:
    what the other Dockerfiles of the context need (default: scanned)."""
    existing = bc.patterns
    if others is None:
        others = _neighbours(bc)
    needed = needed_paths([tree]) + list(others.needed)
    tools = _tools_used(tree) | others.tools
    blocks = []
    for eco in (COMMON,) + ECOSYSTEMS:
        # (a marker beyond a truncated listing counts as absent: fewer entries)
        if eco.markers and not any(bc.glob(m) for m in eco.markers):
            continue
        candidates = list(eco.always)
        if eco.installed and tools & set(eco.tools):
            candidates += list(eco.installed)
        entries: list[str] = []
        for pattern in candidates:
            compiled = parse_dockerignore(pattern)
            if not compiled:
                continue
            if any(is_excluded(compiled, n) for n in needed):
                continue  # a Dockerfile needs it
            if any(p.pattern == compiled[0].pattern for p in existing) or is_excluded(
                existing, _sample(pattern)
            ):
                continue  # already there
            entries.append(pattern)
        if entries:
            blocks.append({"title": eco.title, "entries": entries})
    return blocks, [str(b["title"]) for b in blocks]


class DockerIgnore(Rule):
    """
    ## What it does
    When a Dockerfile sends the whole build context (`COPY . <dir>`) and the
    context has no `.dockerignore`, or one that lacks the usual entries,
    proposes the missing entries for the ecosystems found in the context
    (Python, Node.js, Go, Rust, Java, Ruby, PHP): version-control and editor
    folders, local `.env` secrets, caches, and — only when the image installs
    or builds them itself — dependency and build-output folders such as
    `node_modules`, `.venv` or `target`. A new `.dockerignore` is created, or
    the entries are appended to the existing one (or to the Dockerfile's own
    `<Dockerfile>.dockerignore`); `--diff` shows it like any other file. It is
    rendered from the `dockerignore.j2` template.

    ## Why
    Everything in the context is sent to the builder on every build, and
    `COPY . .` puts it in the image: a `.git` folder, a local `node_modules`
    built for another platform, `__pycache__` files that change on every run
    (and so break the layer cache), or a `.env` file with secrets. No
    hadolint rule or Docker build check covers this.

    ## Example
    A Node.js project whose Dockerfile runs `npm ci` and then `COPY . .`, with
    no `.dockerignore`. dockfix creates:
    ```dockerfile
    # Version control, editors, OS files and local secrets
    .git
    .env
    # Node.js
    node_modules
    **/node_modules
    ```

    ## Fix safety
    Unsafe: excluding files changes what `COPY . .` puts in the image, and
    an application may read a file that looks like a cache or a secret. The
    rule never excludes a path that a `COPY`/`ADD` source or a `RUN
    --mount=type=bind` of any Dockerfile in the context names explicitly, and
    proposes dependency and build folders only when the Dockerfile installs
    or builds them itself. Review the proposal before committing it. When
    another Dockerfile of the context cannot be read (too large, not UTF-8,
    invalid) or the context is too large to search for them all (more than
    20,000 entries outside ignored folders), what they need is unknown: the
    finding is reported without a fix.
    """

    code = "DF601"
    looks_at = ("COPY", "ADD")
    name = "dockerignore"
    summary = "Create or complete `.dockerignore` when the whole context is copied"
    safety = Safety.UNSAFE
    covers = ()  # no hadolint rule or Docker build check covers this

    def check(self, ctx: Context):
        bc = ctx.build_context
        if bc is None:
            return
        copies = whole_context_copies(ctx.tree)
        if not copies:
            return
        others = _neighbours(bc)
        blocks, _ = proposal(bc, ctx.tree, others)
        if not blocks:
            return
        from ...templating import render

        target = bc.ignore_file or ".dockerignore"
        old = bc.read_text(target)
        addition = render("dockerignore.j2", blocks=blocks, header=old is None)
        if old is None:
            new = addition
        else:
            sep = "" if old.endswith("\n") or not old else "\n"
            new = old + sep + "\n" + addition
        names = ", ".join(e for b in blocks for e in b["entries"])
        what = f"there is no {target}" if old is None else f"{target} lacks {names}"
        if others.unknown is not None:
            # what the other Dockerfiles need is not known: any entry might
            # exclude a file one of them copies
            yield ctx.finding(
                copies[0].keyword_word or copies[0],
                f"COPY sends the whole build context and {what} (not fixed: {others.unknown}, "
                "so what the other Dockerfiles of the context need is unknown)",
            )
            return
        yield ctx.finding(
            copies[0].keyword_word or copies[0],
            f"COPY sends the whole build context and {what}",
            side=[SideEdit(target, new)],
        )
