"""The stage split: what a build stage does, what its runtime needs, and
the text of the runtime stage.

:func:`analyse` reads the final stage of a file built on a language image
(``python``, ``golang``…): which instructions build (the ecosystem says, see
:class:`Ecosystem`), which only configure (ENV, LABEL, EXPOSE…), which
packages the build installs, and which instructions have effects the
runtime might need and dockfix cannot judge (then: no split, a reason).
The ecosystem then says what to copy from the builder and on which image
to run (:class:`Artifacts`); :func:`render` writes the runtime stage from
``templates/runtime_stage.j2``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from msgspec import Struct, field

from ... import tools
from ...images import ImageRef, Unknown
from ...model import StageInfo
from ...rules import Context, Edit
from ...runtimes import Refusal, RuntimeBase, is_build_package, runtime_package
from ...shell import Command, Script
from ...tree import Instruction
from ..instructions._shell_rules import insertion_point
from ._ecosystems import final_stage_on

#: instructions that only describe the image: moved to the runtime stage
MOVED = ("LABEL", "EXPOSE", "HEALTHCHECK", "STOPSIGNAL", "VOLUME", "CMD", "ENTRYPOINT")
#: instructions both stages need (the build reads them, so does the runtime)
CARRIED = ("ARG", "ENV", "WORKDIR", "SHELL", "USER")
#: commands with no effect the runtime could need
_HARMLESS = frozenset({"true", ":", "echo", "printf", "set", "cd", "ls", "pwd", "env", "export", "sleep"})


class Packages(Struct):
    """What the build's package installs leave: the run-time libraries the
    ``-dev`` packages stand for, and the other (non-build) packages."""

    manager: str | None = None
    #: what builds in this ecosystem besides compilers and headers (node-gyp's python3)
    tools: tuple[str, ...] = ()
    runtime: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # -dev packages without a known library
    build_only: list[str] = field(default_factory=list)  # what the runtime does without
    pinned: bool = False  # the build pins a package version (``libpq-dev=15.*``)
    mapped: list[str] = field(default_factory=list)  # run-time libraries, whose versions are not known

    def add(self, name: str) -> None:
        assert self.manager is not None
        self.pinned = self.pinned or "=" in name
        build = is_build_package(name, self.manager) or name.split("=", 1)[0] in self.tools
        if build:
            self.build_only.append(name)
        lib = (
            None
            if name.split("=", 1)[0] in self.tools
            else runtime_package(name, self.manager)
            if build
            else name
        )
        if isinstance(lib, Unknown):
            if name not in self.unknown:
                self.unknown.append(name)
        elif lib is not None and lib not in self.runtime:
            self.runtime.append(lib)
            if lib != name:
                self.mapped.append(lib)


class Analysis(Struct):
    """The final stage, read for a split."""

    stage: StageInfo
    ref: ImageRef
    builds: list[Instruction]  # the instructions that build, in order
    last_build: Instruction  # the split goes after it
    before: list[Instruction]  # the stage's instructions up to last_build
    after: list[Instruction]  # and after it
    packages: Packages
    copies_in: list[Instruction]  # COPY/ADD before the split

    @property
    def moved(self) -> list[Instruction]:
        return [i for i in self.before if i.keyword in MOVED]

    @property
    def carried(self) -> list[Instruction]:
        return [i for i in self.before if i.keyword in CARRIED]

    def instructions(self) -> Iterator[Instruction]:
        yield from self.before
        yield from self.after


class Artifacts(Struct):
    """What the runtime stage copies from the builder and runs on."""

    base: RuntimeBase
    copies: list[tuple[str, str]]  # (path in the builder, path in the runtime)
    env: list[str] = field(default_factory=list)  # ENV lines the runtime needs first (``PATH=…``)
    #: edits of the builder (a venv before the first install…)
    builder_edits: list[Edit] = field(default_factory=list)
    #: lines the builder ends with (``RUN npm prune --omit=dev``)
    builder_tail: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)  # more run-time packages (``libssl3``)
    #: the runtime is worth it even on the same image (devDependencies pruned)
    always_pays: bool = False


class Ecosystem:
    """One language's view of a build (subclassed per ecosystem)."""

    name = ""
    images: tuple[str, ...] = ()  # official image names built on
    build_tools: tuple[str, ...] = ()  # packages only this ecosystem's builds use

    def builds(self, ctx: Context, p: tools.Parsed) -> bool:  # pragma: no cover - abstract
        """Does the command build (compile, install dependencies)?"""
        raise NotImplementedError

    def builds_command(self, cmd: Command) -> bool:
        """Does a command no tool grammar reads build (``javac``)?"""
        return False

    def runtime_needs_tools(self, words: list[str]) -> str | None:
        """Why a container command needs the build tools (``go run``), or None."""
        return None

    def artifacts(self, ctx: Context, an: Analysis) -> Artifacts | Refusal:  # pragma: no cover - abstract
        raise NotImplementedError


# -- reading the stage --------------------------------------------------------------


def _commands(script: Script) -> list[Command]:
    return list(script.commands)


def _package_command(p: tools.Parsed, packages: Packages) -> bool:
    """Is it a package-manager command? Records the installed packages."""
    if p.tool in tools.apt.APT:
        if p.is_sub("install"):
            packages.manager = "apt"
            for op in p.operands:
                if op.value is None or op.value.startswith("-"):
                    return False
                packages.add(op.value)
        return p.is_sub("install", "update", "clean", "autoclean", "upgrade", "dist-upgrade", "autoremove")
    if p.tool == "apk":
        if p.is_sub("add") and p.value("--virtual") is None:
            packages.manager = "apk"
            for tok in tools.apk.packages(p):
                if tok.value is None:
                    return False
                packages.add(tok.value)
        return p.is_sub("add", "update", "del", "cache clean", "cache purge", "upgrade")
    return False


def _cleanup(cmd: Command) -> bool:
    """``rm -rf /var/lib/apt/lists/*`` and other removals of caches."""
    if cmd.name != "rm":
        return False
    paths = [v for v in cmd.values if v is not None and not v.startswith("-")]
    return bool(paths) and all(
        v.startswith(("/var/lib/apt/lists", "/var/cache/", "/tmp/", "/root/.cache")) for v in paths
    )


class _Other(Exception):
    """A RUN does something the runtime might need."""

    def __init__(self, cmd: str):
        self.cmd = cmd


def _read_run(ctx: Context, eco: Ecosystem, ins: Instruction, packages: Packages) -> bool:
    """Does the RUN build?  Raises :class:`_Other` when one of its commands
    is neither a build, nor a package install, nor harmless."""
    script = ctx.model.script(ins)
    facts = ctx.facts(ins)
    if ins.json or script is None or script.has_error or not facts.shell.posix or ins.heredocs:
        raise _Other(ins.original.strip().splitlines()[0][:60])
    builds = False
    for cmd in _commands(script):
        p = tools.parse(cmd, unwrap=True)
        if (p is not None and eco.builds(ctx, p)) or (p is None and eco.builds_command(cmd)):
            builds = True
            continue
        if p is not None and _package_command(p, packages):
            continue
        if cmd.name in _HARMLESS or _cleanup(cmd):
            continue
        raise _Other(script.text[cmd.start : cmd.end].strip()[:60])
    return builds


def analyse(ctx: Context, eco: Ecosystem) -> Analysis | Refusal | None:
    """Read the final stage for a split; None when it is not this
    ecosystem's or builds nothing (nothing to say)."""
    stage = final_stage_on(ctx, eco.images)
    if stage is None or stage.ref is None or not isinstance(stage.ref.path, str):
        return None
    ref = stage.ref
    word = stage.stage.from_.args[0]
    if "$" in ctx.text[word.start : word.end]:
        return Refusal("the base image comes from a build argument: the runtime image cannot follow it")
    instructions = stage.stage.instructions
    packages = Packages(tools=eco.build_tools)
    builds: list[Instruction] = []
    for ins in instructions:
        if ins.keyword == "RUN":
            try:
                if _read_run(ctx, eco, ins, packages):
                    builds.append(ins)
            except _Other:
                continue  # judged below, once the split point is known
    if not builds:
        return None
    last = builds[-1]
    k = instructions.index(last)
    before, after = instructions[: k + 1], instructions[k + 1 :]
    check = Packages(tools=eco.build_tools)
    for ins in before:
        if ins.keyword == "RUN":
            try:
                _read_run(ctx, eco, ins, check)
            except _Other as e:
                return Refusal(f"`{e.cmd}` (line {ins.start_line}) may set up something the runtime needs")
        elif ins.keyword == "ONBUILD":
            return Refusal(f"the build has `ONBUILD` (line {ins.start_line})")
        elif ins.keyword == "USER":
            user = ctx.model.after(ins).user
            shipped = isinstance(user.name, str) and (
                user.name.isdigit() or ctx.facts(ins).image.user(user.name)
            )
            if not shipped:
                return Refusal(
                    f"the build switches to a user the runtime image may not have (line {ins.start_line})"
                )
    for ins in after:
        for_words = _container_words(ctx, ins)
        why = eco.runtime_needs_tools(for_words) if for_words else None
        if why:
            return Refusal(f"the container needs the build tools: {why} (line {ins.start_line})")
    if packages.unknown:
        return Refusal("no run-time library is known for " + ", ".join(f"`{n}`" for n in packages.unknown))
    if packages.pinned and packages.mapped:  # an unpinned install would newly fail hadolint DL3008/DL3018
        return Refusal(
            "the build pins its package versions and the version of the run-time library "
            + ", ".join(f"`{n}`" for n in packages.mapped)
            + " is not known: pin it in a runtime stage yourself"
        )
    return Analysis(
        stage=stage,
        ref=ref,
        builds=builds,
        last_build=last,
        before=before,
        after=after,
        packages=packages,
        copies_in=[i for i in before if i.keyword in ("COPY", "ADD")],
    )


def _container_words(ctx: Context, ins: Instruction) -> list[str]:
    """The words of what CMD/ENTRYPOINT (or a RUN after the split) runs."""
    if ins.keyword in ("CMD", "ENTRYPOINT"):
        if ins.json:
            return [a.value for a in ins.args]
        return ins.rest.value.split() if ins.rest is not None else []
    if ins.keyword == "RUN" and not ins.json and ins.rest is not None:
        return ins.rest.value.split()
    return []


_PLAIN = re.compile(r"[A-Za-z0-9_./:=@%+,-]+")


def command_words(ins: Instruction) -> list[str] | None:
    """The words CMD/ENTRYPOINT run: exec form, or a shell form that is one
    plain command (no quotes, expansions, operators); None otherwise."""
    if ins.json:
        return [a.value for a in ins.args]
    words = ins.rest.value.split() if ins.rest is not None else []
    if words and all(_PLAIN.fullmatch(w) for w in words):
        return words
    return None


def container_command(an: Analysis) -> tuple[Instruction | None, Instruction | None]:
    """The ENTRYPOINT and CMD in effect at the end of the stage."""
    ep = cmd = None
    for ins in an.instructions():
        if ins.keyword == "ENTRYPOINT":
            ep, cmd = ins, None  # an ENTRYPOINT resets an inherited CMD only from the image
        elif ins.keyword == "CMD":
            cmd = ins
    return ep, cmd


# -- manifests ------------------------------------------------------------------------

_MANIFESTS = frozenset(
    name for inst in tools.INSTALLS.values() for name in inst.files.manifests + inst.files.optional
) | {"requirements.txt", "setup.cfg", "setup.py", "MANIFEST.in", "README.md", "README.rst", "LICENSE"}
_REQ = re.compile(r"^requirements[\w.-]*\.(txt|in)$")


def is_manifest(source: str) -> bool:
    """A file an install reads before the sources (``requirements.txt``,
    ``package.json``, ``go.sum``…)."""
    base = posixpath.basename(source.rstrip("/"))
    return base in _MANIFESTS or bool(_REQ.match(base))


def copied_paths(ctx: Context, an: Analysis, needed: Callable[[str], bool]) -> list[str] | Refusal:
    """Where the COPY/ADDs before the split put what the runtime needs
    (``needed(source)``: a context path, or ``--from`` content, the runtime
    may read), as absolute paths in the builder, without repeats (a path
    under another one is left out)."""
    out: list[str] = []
    for ins in an.copies_in:
        words = [a.value for a in ins.args]
        sources, dest = words[:-1], (words[-1] if words else "")
        keep = [src for src in sources if ins.flag("from") is not None or needed(src)]
        if not keep:
            continue
        wd = ctx.facts(ins).workdir.path
        if "$" in dest or (not dest.startswith("/") and not isinstance(wd, str)):
            return Refusal(
                f"the destination of `{ins.keyword} … {dest}` (line {ins.start_line}) is not known"
            )
        base = posixpath.normpath(posixpath.join(wd if isinstance(wd, str) else "/", dest))
        into_dir = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
        for src in keep:
            whole = src.rstrip("/") in (".", "") or src.endswith("/") or any(c in src for c in "*?[")
            out.append(base if whole or not into_dir else posixpath.join(base, posixpath.basename(src)))
    out = sorted(set(out))
    return [p for p in out if not any(p != q and p.startswith(q.rstrip("/") + "/") for q in out)]


# -- writing ---------------------------------------------------------------------------


def builder_name(ctx: Context) -> str:
    names = {s.name for s in ctx.model.stages if s.name}
    name, n = "builder", 2
    while name in names:
        name, n = f"builder{n}", n + 1
    return name


def line_text(ctx: Context, ins: Instruction) -> tuple[int, int]:
    """The span of an instruction's lines with the comments right above it
    and its line break."""
    start = insertion_point(ctx.tree, ins)
    end = ins.end
    return start, end


def _owner(ctx: Context, an: Analysis) -> str | None:
    """``--chown`` for the copies: the non-root USER the build ends as (COPY
    makes files root's otherwise, and the app could no longer write them)."""
    user = ctx.model.after(an.last_build).user
    if not user.explicit or user.root is True or not isinstance(user.name, str):
        return None
    group = user.group if isinstance(user.group, str) else None
    return f"{user.name}:{group}" if group else user.name


def render(ctx: Context, an: Analysis, art: Artifacts, name: str) -> tuple[list[Edit], str]:
    """The edits of the split: ``FROM … AS builder``, the builder's own
    edits, the moved instructions cut, and the runtime stage after the last
    build."""
    from ...templating import render as render_template

    nl = ctx.newline
    text = ctx.text
    edits: list[Edit] = list(art.builder_edits)
    frm = an.stage.stage.from_
    if an.stage.stage.name is None:
        base = frm.args[0]
        edits.append(Edit(base.end, base.end, f" AS {name}"))
    moved_text: list[str] = []
    for ins in an.moved:
        start, end = line_text(ctx, ins)
        moved_text.append(text[start:end].rstrip("\r\n"))
        edits.append(Edit(start, end))
    carried = [text[slice(*line_text(ctx, i))].rstrip("\r\n") for i in an.carried]
    wd = ctx.model.after(an.last_build).workdir
    if not any(i.keyword == "WORKDIR" for i in an.carried) and isinstance(wd.path, str) and wd.path != "/":
        carried.append(f"WORKDIR {wd.path}")  # the builder's image set it; the runtime's may not
    extra = art.packages + list(art.base.packages)
    if not art.base.same:  # the language image has curl and wget, a slim one does not
        extra += [t for t in health_tools(an) if t != "sh"]
    packages = list(dict.fromkeys(an.packages.runtime + extra))
    block = render_template(
        "runtime_stage.j2",
        base=art.base.text,
        manager=art.base.manager,
        packages=packages,
        env=art.env,
        carried=carried,
        builder=name,
        copies=art.copies,
        chown=_owner(ctx, an),
        moved=moved_text,
    )
    block = block.replace("\n", nl)
    at = an.last_build.end
    prefix = "" if text[:at].endswith(("\n", "\r")) else nl
    tail = "".join(line + nl for line in art.builder_tail)
    edits.append(Edit(at, at, prefix + tail + nl + block))
    return edits, art.base.note


def place_binaries(
    ctx: Context, an: Analysis, binaries: list[str], on_path: tuple[str, ...]
) -> list[tuple[str, str]] | Refusal:
    """Where the runtime gets the ``binaries`` the build wrote: at the same
    path, except the one the container command runs by name from a folder
    of the language image's PATH (``on_path``, e.g. ``/go/bin``), which goes
    to ``/usr/local/bin``.  A refusal when the command runs none of them."""
    ep, cmd = container_command(an)
    first = ep or cmd
    words = command_words(first) if first is not None else None
    if not words:
        return Refusal("the container command is not one plain command: which binary it runs is not known")
    program = words[0]
    if "/" in program:
        wd = ctx.model.after(an.last_build).workdir.path
        if not program.startswith("/") and not isinstance(wd, str):
            return Refusal("the working directory is not known")
        path = posixpath.normpath(posixpath.join(wd if isinstance(wd, str) else "/", program))
        if path not in binaries:
            return Refusal(f"the container runs `{program}`, not a binary the build wrote")
        return [(b, b) for b in binaries]
    match = [b for b in binaries if posixpath.basename(b) == program]
    if not match or posixpath.dirname(match[0]) not in (*on_path, "/usr/local/bin", "/usr/bin"):
        return Refusal(f"the container runs `{program}`, not a binary the build wrote")
    return [
        (b, posixpath.join("/usr/local/bin", program))
        if b == match[0] and posixpath.dirname(b) in on_path
        else (b, b)
        for b in binaries
    ]


#: programs a HEALTHCHECK calls that the language images have and slim ones lack
_HEALTH_TOOLS = ("curl", "wget")


def health_tools(an: Analysis) -> list[str]:
    """Packages the HEALTHCHECKs call (``curl``, ``wget``), and ``"sh"``
    when one is in shell form (it needs a shell; not a package)."""
    out: list[str] = []
    for ins in an.instructions():
        if ins.keyword != "HEALTHCHECK" or not ins.args or ins.args[0].value.upper() != "CMD":
            continue
        words = (
            [a.value for a in ins.args[1:]] if ins.json else " ".join(a.value for a in ins.args[1:]).split()
        )
        for tool in _HEALTH_TOOLS:
            if any(posixpath.basename(w) == tool for w in words) and tool not in out:
                out.append(tool)
        if not ins.json and "sh" not in out:
            out.append("sh")
    return out


#: files no program reads at run time (besides its own sources)
_NOT_READ = re.compile(
    r"(\.md|\.rst|(^|/)LICENSE[^/]*|(^|/)Makefile|(^|/)Dockerfile[^/]*|\.dockerignore|(^|/)\.git[^/]*(/.*)?|"
    r"(^|/)\.github/.*|\.gitignore|(^|/)\.editorconfig)$"
)


def has_assets(ctx: Context, source: str, sources: re.Pattern[str]) -> bool:
    """Might a compiled program read, at run time, files a COPY of
    ``source`` brings in (anything but its ``sources`` and docs)?  True when
    the build context cannot tell."""
    bc = ctx.build_context
    if bc is None:
        return True
    top = source.rstrip("/")
    glob = any(c in source for c in "*?[")
    if not glob and (sources.search(top) or _NOT_READ.search(top)):
        return False
    files = bc.glob("**/*" if top in ("", ".") else top if glob else f"{top}/**/*")
    if not glob and bc.is_file(top):
        files.append(top)
    return files.truncated or any(
        not (sources.search(f) or _NOT_READ.search(f)) for f in files if bc.is_file(f)
    )


def asset_paths(ctx: Context, an: Analysis, sources: re.Pattern[str]) -> list[str] | Refusal:
    """Where the build copied files a compiled program may read at run time
    (:func:`has_assets` with the ecosystem's ``sources``), for the runtime to
    copy; a refusal when that is the whole tree."""
    paths = copied_paths(ctx, an, lambda src: has_assets(ctx, src, sources))
    if not isinstance(paths, Refusal) and "/" in paths:
        return Refusal("files the program may read are copied to `/`: the runtime would need the whole tree")
    return paths
