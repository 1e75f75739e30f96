"""Helpers of the lockfile-first rule (DF220).

What a dependency install reads, per ecosystem (which manifest and lock
files, whether it also needs the project's sources), read from the build
context; where a RUN works (WORKDIR and ``cd``, variables from ENV/ARG);
and whether a command is provably independent of the files ``COPY .``
brings.  Everything here is conservative: when something cannot be known
the answer is "may need the sources" or a reason not to fix.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ...model import SemanticModel
from ...shell import Arg, Command, Script
from ...tree import Instruction

try:  # Python 3.11+
    import tomllib as _toml
except ImportError:  # pragma: no cover - Python 3.10
    try:
        import tomli as _toml  # type: ignore[no-redef]
    except ImportError:
        _toml = None  # type: ignore[assignment]


# -- paths ------------------------------------------------------------------
# Working directories are absolute POSIX paths.  The base image's WORKDIR is
# not known: it is written as the root ``/\0`` (fixed for the whole file, so
# two paths built on it can still be compared with each other, never with a
# known absolute path).

UNKNOWN_ROOT = "/\x00"


def is_unknown_based(path: str) -> bool:
    return path == UNKNOWN_ROOT or path.startswith(UNKNOWN_ROOT + "/")


def join_path(base: str | None, value: str) -> str | None:
    """``value`` (a literal path) resolved against ``base`` the way Docker
    resolves WORKDIR and relative COPY destinations."""
    if value.startswith("/"):
        return posixpath.normpath(value) if value != "/" else "/"
    if base is None:
        return None
    joined = posixpath.normpath(posixpath.join(base, value))
    if is_unknown_based(base) and not is_unknown_based(joined):
        return None  # `..` out of the unknown directory
    return joined


def relation(path: str | None, dest: str | None) -> str | None:
    """``path`` relative to ``dest`` ('' when equal), ``'..'`` when it is
    outside, None when that cannot be known."""
    if path is None or dest is None or is_unknown_based(path) != is_unknown_based(dest):
        return None
    if path == dest:
        return ""
    prefix = dest.rstrip("/") + "/"
    if path.startswith(prefix):
        return path[len(prefix) :]
    return ".."


def overlaps(path: str, dest: str) -> bool:
    """Is ``path`` the destination, inside it, or one of its parents?"""
    if is_unknown_based(dest) or is_unknown_based(path):
        return True
    a, b = path.rstrip("/") + "/", dest.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


@dataclass(frozen=True)
class StageState:
    """Where an instruction works: its WORKDIR from the semantic model,
    absolute, based on :data:`UNKNOWN_ROOT` when only the image's WORKDIR
    is not known, None when it cannot be known (a variable)."""

    workdir: str | None


def state_at(model: SemanticModel, ins: Instruction) -> StageState:
    """The :class:`StageState` before ``ins`` (``model.at(ins).workdir``)."""
    wd = model.at(ins).workdir
    if isinstance(wd.path, str):
        return StageState(wd.path)
    if wd.under_image is not None:
        return StageState(join_path(UNKNOWN_ROOT, wd.under_image))
    return StageState(None)


# -- the build context --------------------------------------------------------


class Project:
    """A project folder inside the build context (``sub`` is its path
    relative to the context root, '' for the root)."""

    def __init__(self, bc, sub: str):
        self.bc = bc
        self.sub = sub

    def path(self, name: str) -> str:
        return posixpath.normpath(posixpath.join(self.sub, name)) if self.sub else posixpath.normpath(name)

    def status(self, name: str) -> str:
        """'ok', 'missing', 'excluded' (by .dockerignore) or 'dir'."""
        rel = self.path(name)
        if self.bc.excluded(rel):
            return "excluded"
        if not self.bc.exists(rel):
            return "missing"
        return "ok" if self.bc.is_file(rel) else "dir"

    def has(self, name: str) -> bool:
        return self.bc.exists(self.path(name))

    def has_file(self, name: str) -> bool:
        return self.bc.is_file(self.path(name))

    def has_dir(self, name: str) -> bool:
        return self.status(name) == "dir"

    def read(self, name: str) -> str | None:
        rel = self.path(name)
        if not self.bc.is_file(rel):
            return None
        reader = getattr(self.bc, "read_text", None)
        if reader is not None:
            return reader(rel)
        try:
            return (self.bc.root / rel).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    def toml(self, name: str) -> dict | None:
        text = self.read(name)
        if text is None or _toml is None:
            return None
        try:
            return _toml.loads(text)
        except Exception:
            return None

    def json(self, name: str):
        text = self.read(name)
        if text is None:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None


def top_level_entries(bc) -> list[str]:
    """The names ``COPY .`` brings at the top of the destination."""
    try:
        names = os.listdir(bc.root)
    except OSError:
        return []
    return sorted(n for n in names if bc.exists(n))


# -- installs ---------------------------------------------------------------


@dataclass
class Install:
    """A command that installs dependencies from manifests in the project
    folder (``Project``) that ``COPY .`` brought."""

    family: str  # python, node, go, rust, java, ruby, php
    label: str  # the command, short, for messages
    tool: str = ""  # pip, poetry, npm, ...
    files: list[str] = field(default_factory=list)  # context paths, copied first
    dirs: list[str] = field(default_factory=list)  # context folders, copied first
    reason: str | None = None  # why it cannot be moved (report-only)
    deps_only: bool = False  # installs third-party dependencies only
    project: bool = False  # installs or builds the project itself too
    split_flag: str | None = None  # the flag making it dependencies-only
    split_at: int | None = None  # script offset to insert that flag after
    second: str | None = None  # the command to run after the full COPY
    aux: bool = False  # a setting for the install (``bundle config``), not an install

    def fail(self, reason: str) -> Install:
        if self.reason is None:
            self.reason = reason
        return self

    def needs_sources(self, reason: str) -> Install:
        """It installs or builds the project itself."""
        self.project = True
        return self.fail(reason)


# Reasons that are not reasons: the command works outside what COPY .
# brought (it is independent of it), or where it works is not known.
OUTSIDE = "\x00outside"
UNKNOWN = "\x00unknown"


def _missing(project: Project, name: str) -> str:
    st = project.status(name)
    rel = project.path(name)
    if st == "excluded":
        return f"{rel} is excluded by .dockerignore"
    if st == "dir":
        return f"{rel} is a folder in the build context"
    return f"{rel} is not in the build context"


def need(inst: Install, project: Project, name: str) -> bool:
    """Add a required manifest; a reason when it is not in the context."""
    if project.status(name) != "ok":
        inst.fail(_missing(project, name))
        return False
    inst.files.append(project.path(name))
    return True


def optional(inst: Install, project: Project, *names: str) -> None:
    for name in names:
        if project.status(name) == "ok":
            inst.files.append(project.path(name))


def optional_dir(inst: Install, project: Project, name: str) -> None:
    if project.has_dir(name):
        inst.dirs.append(project.path(name))


def forbid(inst: Install, project: Project, *names: str, why: str) -> None:
    """Files the install writes in the project folder: if the context has
    them, the later ``COPY .`` would copy them over what was installed."""
    for name in names:
        if project.has(name):
            inst.fail(f"the build context has {project.path(name)}, which `COPY .` would copy over {why}")
            return


# -- option parsing -----------------------------------------------------------


@dataclass
class Parsed:
    options: list[tuple[str, str | None, Arg]]  # (name, value, arg of the value or the option)
    operands: list[Arg]
    unknown: bool  # an argument is an expansion


def parse_args(args: list[Arg], value_opts: set[str], stop_at_operand: bool = False) -> Parsed:
    """Split options (``--x=v``, ``--x v``, ``-xv`` for short options taking
    a value) from operands."""
    options: list[tuple[str, str | None, Arg]] = []
    operands: list[Arg] = []
    unknown = False
    i = 0
    while i < len(args):
        a = args[i]
        v = a.value
        if v is None:
            unknown = True
            operands.append(a)
            i += 1
            continue
        if v == "--":
            operands.extend(args[i + 1 :])
            unknown = unknown or any(x.value is None for x in args[i + 1 :])
            break
        if v.startswith("--") and len(v) > 2:
            name, eq, val = v.partition("=")
            if eq:
                options.append((name, val, a))
            elif name in value_opts and i + 1 < len(args):
                nxt = args[i + 1]
                unknown = unknown or nxt.value is None
                options.append((name, nxt.value, nxt))
                i += 1
            else:
                options.append((name, None, a))
        elif v.startswith("-") and len(v) > 1:
            name = v[:2]
            if name in value_opts:
                if len(v) > 2:
                    options.append((name, v[2:].lstrip("=") if v[2:3] == "=" else v[2:], a))
                elif i + 1 < len(args):
                    nxt = args[i + 1]
                    unknown = unknown or nxt.value is None
                    options.append((name, nxt.value, nxt))
                    i += 1
                else:
                    options.append((name, None, a))
            else:
                # grouped short flags: -yq
                for ch in v[1:]:
                    options.append(("-" + ch, None, a))
        else:
            operands.append(a)
            if stop_at_operand:
                rest = args[i + 1 :]
                unknown = unknown or any(x.value is None for x in rest)
                return Parsed(options, operands + rest, unknown)
        i += 1
    return Parsed(options, operands, unknown)


def has(parsed: Parsed, *names: str) -> bool:
    return any(n in names for n, _, _ in parsed.options)


def values(parsed: Parsed, *names: str) -> list[str | None]:
    return [v for n, v, _ in parsed.options if n in names]


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://|^git@")


def looks_local(value: str) -> bool:
    """A path (not a package name or URL)."""
    if _URL.match(value) or value.startswith(("git+", "hg+", "svn+", "bzr+")):
        return False
    return value.startswith((".", "/", "~", "file:")) or "/" in value or "\\" in value


def short(cmd: Command, script: Script, limit: int = 60) -> str:
    text = " ".join(script.text[cmd.start : cmd.end].split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- Python -------------------------------------------------------------------

_PIP_GLOBAL_VALUE = {
    "--log",
    "--proxy",
    "--retries",
    "--timeout",
    "--cache-dir",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--python",
    "--use-feature",
    "--use-deprecated",
    "--keyring-provider",
    "--progress-bar",
    "--root-user-action",
}
_PIP_INSTALL_VALUE = _PIP_GLOBAL_VALUE | {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-t",
    "--target",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--root",
    "--prefix",
    "--src",
    "--upgrade-strategy",
    "-C",
    "--config-settings",
    "--config-setting",
    "--global-option",
    "--install-option",
    "--no-binary",
    "--only-binary",
    "--report",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--group",
    # uv pip
    "--override",
    "-b",
    "--build-constraint",
    "--build-constraints",
    "--index",
    "--default-index",
    "-p",
    "--index-strategy",
    "--resolution",
    "--prerelease",
    "--exclude-newer",
    "--link-mode",
    "--config-file",
    "--python-platform",
    "--torch-backend",
    "--extra",
    "--overrides",
    "--constraints",
    "--requirements",
}
# options whose value is a path the install reads or writes
_PIP_PATH_OPTS = {"-t", "--target", "--root", "--prefix", "--src", "-f", "--find-links", "--report", "--log"}
_PIP_REQ_OPTS = {
    "-r",
    "--requirement",
    "--requirements",
    "-c",
    "--constraint",
    "--constraints",
    "--override",
    "--overrides",
    "-b",
    "--build-constraint",
    "--build-constraints",
}
_PIP_PROG = re.compile(r"^pip(\d+(\.\d+)*)?$")
_PY_PROG = re.compile(r"^python(\d+(\.\d+)*)?$")


def pip_invocation(cmd: Command) -> tuple[str, list[Arg]] | None:
    """('pip' or 'uv pip', the arguments after it) for pip-like commands."""
    prog = cmd.program or ""
    args = cmd.args
    if _PIP_PROG.match(prog):
        return "pip", args
    if _PY_PROG.match(prog):
        vals = [a.value for a in args]
        for k in range(len(vals) - 1):
            if vals[k] == "-m" and vals[k + 1] == "pip":
                if any(v is None or not v.startswith("-") for v in vals[:k]):
                    return None
                return "pip", args[k + 2 :]
            if vals[k] is None or not (vals[k] or "").startswith("-"):
                return None
        return None
    if prog == "uv" and args and args[0].value == "pip":
        return "uv pip", args[1:]
    return None


def _subcommand(args: list[Arg], value_opts: set[str]) -> tuple[Arg | None, list[Arg], bool]:
    """The first operand (the subcommand) and the arguments after it."""
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None:
            return None, [], True
        if v.startswith("-"):
            if v in value_opts:
                i += 2
                continue
            i += 1
            continue
        return args[i], args[i + 1 :], False
    return None, [], False


@dataclass
class Env:
    """What an analyser needs besides the command."""

    script: Script
    cwd: str | None  # the command's working directory
    dest: str  # where COPY . put the context
    bc: object | None  # the build context (None: unknown)
    probe: bool = False  # only tell what kind of install it is


def project_for(env: Env, inst: Install, cwd: str | None = None) -> Project | None:
    """The context folder of the project the command works in, or None
    (with a reason set) when there is none."""
    if env.probe:
        return None
    rel = relation(cwd if cwd is not None else env.cwd, env.dest)
    if rel is None:
        inst.reason = UNKNOWN
        return None
    if rel == "..":
        inst.reason = OUTSIDE
        return None
    if env.bc is None:
        inst.fail("the build context is not known, so which manifest files exist cannot be checked")
        return None
    return Project(env.bc, rel)


def context_path(env: Env, path: str) -> tuple[str | None, str | None]:
    """(context path, reason) of a file the command names, relative to its
    working directory."""
    if _URL.match(path):
        return None, None
    absolute = join_path(env.cwd, path)
    rel = relation(absolute, env.dest)
    if rel is None:
        return None, f"where {path} is read from is not known"
    if rel == ".." or rel.startswith("../"):
        return None, None  # outside what COPY . brought
    return rel or ".", None


def _requirement_line_local(line: str) -> bool:
    spec = line.split(";", 1)[0].strip()
    spec = re.split(r"\s--hash[= ]", spec)[0].strip()
    if " @ " in spec or re.match(r"^[A-Za-z0-9._-]+(\[[^\]]*\])?\s*@", spec):
        url = spec.split("@", 1)[1].strip()
        return url.startswith("file:") or looks_local(url)
    if spec.startswith((".", "/", "~", "file:")):
        return True
    if "://" in spec:
        return False
    if "/" in spec or "\\" in spec:
        return True
    return bool(re.search(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar)$", spec))


def read_requirements(inst: Install, bc, rel: str, seen: set[str], depth: int = 0) -> None:
    """Add a requirements file and the files it includes; a reason when one
    is missing or names local paths (those need the sources)."""
    if rel in seen:
        return
    seen.add(rel)
    project = Project(bc, "")
    if project.status(rel) != "ok":
        inst.fail(_missing(project, rel))
        return
    inst.files.append(rel)
    if rel.endswith(".toml"):
        _pyproject_requirements(inst, project, rel)
        return
    if rel.endswith((".py", ".cfg")):
        inst.fail(f"{rel} needs the project's sources to be read")
        return
    text = project.read(rel) or ""
    logical = re.sub(r"\\\r?\n", "", text)
    base = posixpath.dirname(rel)
    for raw in logical.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line:
            continue
        m = re.match(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?<=^-r)|(?<=^-c))(\S+)", line)
        if m:
            target = m.group(2)
            if _URL.match(target):
                continue
            if target.startswith("/") or depth > 8:
                inst.fail(f"{rel} includes {target}, which is not a file of the build context")
                return
            nested = posixpath.normpath(posixpath.join(base, target))
            if nested.startswith("../"):
                inst.fail(f"{rel} includes {target}, which is outside the build context")
                return
            read_requirements(inst, bc, nested, seen, depth + 1)
            if inst.reason:
                return
            continue
        m = re.match(r"^(-e|--editable|-f|--find-links)(?:\s*=\s*|\s+|(?<=^-e)|(?<=^-f))(\S+)", line)
        if m:
            if looks_local(m.group(2)) or not _URL.match(m.group(2)) and not m.group(2).startswith("git+"):
                inst.needs_sources(f"{rel} installs from a local path ({line}), which needs the sources")
                return
            continue
        if line.startswith("-"):
            continue
        if _requirement_line_local(line):
            inst.needs_sources(f"{rel} installs from a local path ({line}), which needs the sources")
            return


def _pep508_local(dep: str) -> bool:
    return "@" in dep and _requirement_line_local(dep)


def _pyproject_requirements(inst: Install, project: Project, rel: str) -> None:
    data = project.toml(rel)
    if data is None:
        inst.fail(f"{rel} could not be read as TOML")
        return
    proj = data.get("project")
    if not isinstance(proj, dict) or "dependencies" in (proj.get("dynamic") or []):
        inst.fail(f"the dependencies in {rel} are not static: reading them builds the project")
        return
    deps = list(proj.get("dependencies") or [])
    for group in (proj.get("optional-dependencies") or {}).values():
        deps.extend(group or [])
    if any(isinstance(d, str) and _pep508_local(d) for d in deps):
        inst.fail(f"{rel} depends on a local path, which needs the sources")


def analyse_pip(cmd: Command, env: Env) -> Install | None:
    inv = pip_invocation(cmd)
    if inv is None:
        return None
    tool, args = inv
    sub, rest, unknown = _subcommand(args, _PIP_GLOBAL_VALUE)
    if sub is None or sub.value not in ("install", "sync"):
        return None
    sync = sub.value == "sync"
    if sync and tool != "uv pip":
        return None
    inst = Install("python", short(cmd, env.script), tool="pip")
    parsed = parse_args(rest, _PIP_INSTALL_VALUE)
    req_files = [v for n, v, _ in parsed.options if n in _PIP_REQ_OPTS]
    if sync:
        req_files += [a.value for a in parsed.operands]
    _archive = re.compile(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2)$")
    local = (
        []
        if sync
        else [
            a.value
            for a in parsed.operands
            if a.value is None or looks_local(a.value) or _archive.search(a.value)
        ]
    )
    local += [
        v
        for n, v, _ in parsed.options
        if n in ("-e", "--editable") and (v is None or not (_URL.match(v) or v.startswith("git+")))
    ]
    if not req_files and not local:
        return None  # packages by name: not an install from manifests
    if env.probe:
        inst.deps_only = bool(req_files)
        inst.project = bool(local)
        return inst
    inside: list[str] = []
    unsure = False
    for value in req_files:
        if value is None:
            unsure = True
            continue
        rel, why = context_path(env, value)
        unsure = unsure or why is not None
        if rel is not None:
            inside.append(rel)
    local_inside = None
    editables = {v for n, v, _ in parsed.options if n in ("-e", "--editable")}
    for value in local:
        if value is None:
            unsure = True
            continue
        rel, why = context_path(env, value)
        unsure = unsure or why is not None
        if rel is not None and local_inside is None:
            local_inside = f"-e {value}" if value in editables else value
    if not inside and local_inside is None:
        inst.reason = UNKNOWN if unsure else OUTSIDE
        return inst
    inst.deps_only = bool(inside)
    if local_inside is not None:
        what = (
            "installs the project from its sources"
            if local_inside.rsplit(" ", 1)[-1] in (".", "./")
            else "installs from a path in the copied sources"
        )
        return inst.needs_sources(f"`{tool} install {local_inside}` {what}")
    if unsure or unknown or parsed.unknown:
        return inst.fail("an argument is a variable")
    for name, value, _ in parsed.options:
        if name in _PIP_PATH_OPTS and value is not None and looks_local(value):
            rel, why = context_path(env, value)
            if rel is not None or why is not None:
                return inst.fail(f"`{name} {value}` is a path in the copied folder")
    if env.bc is None:
        return inst.fail("the build context is not known, so which manifest files exist cannot be checked")
    seen: set[str] = set()
    for rel in inside:
        read_requirements(inst, env.bc, rel, seen)
        if inst.reason:
            return inst
    return inst


_POETRY_VALUE = {
    "-C",
    "--directory",
    "-P",
    "--project",
    "-E",
    "--extras",
    "--with",
    "--without",
    "--only",
    "-G",
    "--group",
}


def _readme_and_license(inst: Install, project: Project, data: dict) -> None:
    """Files the build backend reads from pyproject metadata (older poetry
    reads the readme even with --no-root)."""
    names: list[str] = []
    for table in (data.get("project") or {}, (data.get("tool") or {}).get("poetry") or {}):
        if not isinstance(table, dict):
            continue
        readme = table.get("readme")
        if isinstance(readme, str):
            names.append(readme)
        elif isinstance(readme, list):
            names.extend(r for r in readme if isinstance(r, str))
        elif isinstance(readme, dict) and isinstance(readme.get("file"), str):
            names.append(readme["file"])
    for name in names:
        if not name.startswith(("/", "..")):
            if project.status(name) == "ok" and project.path(name) not in inst.files:
                inst.files.append(project.path(name))


def _poetry_path_deps(data: dict) -> bool:
    poetry = (data.get("tool") or {}).get("poetry") or {}
    tables = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    for group in (poetry.get("group") or {}).values():
        if isinstance(group, dict):
            tables.append(group.get("dependencies") or {})
    for table in tables:
        if not isinstance(table, dict):
            continue
        for spec in table.values():
            specs = spec if isinstance(spec, list) else [spec]
            if any(isinstance(s, dict) and ("path" in s or "file" in s) for s in specs):
                return True
    proj = data.get("project") or {}
    deps = list(proj.get("dependencies") or []) if isinstance(proj, dict) else []
    return any(isinstance(d, str) and _pep508_local(d) for d in deps)


_UV_VALUE = {
    "--extra",
    "--group",
    "--only-group",
    "--no-group",
    "--package",
    "-p",
    "--python",
    "--project",
    "--directory",
    "--link-mode",
    "--index-url",
    "--extra-index-url",
    "-i",
    "--index",
    "--default-index",
    "--cache-dir",
    "--config-file",
    "-f",
    "--find-links",
    "--index-strategy",
    "--resolution",
    "--prerelease",
    "--exclude-newer",
    "-C",
    "--config-setting",
    "--python-platform",
    "--script",
    "--keyring-provider",
    "--refresh-package",
    "--reinstall-package",
    "-P",
    "--upgrade-package",
    "--no-build-package",
    "--no-binary-package",
    "--only-binary-package",
    "--allow-insecure-host",
    "--python-preference",
    "--color",
    "--extra-index",
    "--no-extra",
    "--no-install-package",
}


def _uv_sources(data: dict) -> str | None:
    uv = (data.get("tool") or {}).get("uv") or {}
    if isinstance(uv, dict):
        if "workspace" in uv:
            return "pyproject.toml declares a uv workspace, whose members need their own files"
        sources = uv.get("sources") or {}
        for spec in sources.values() if isinstance(sources, dict) else ():
            specs = spec if isinstance(spec, list) else [spec]
            if any(isinstance(s, dict) and ("path" in s or s.get("workspace")) for s in specs):
                return "pyproject.toml has path or workspace sources, which need the sources"
    proj = data.get("project") or {}
    deps = list(proj.get("dependencies") or []) if isinstance(proj, dict) else []
    if any(isinstance(d, str) and _pep508_local(d) for d in deps):
        return "pyproject.toml depends on a local path, which needs the sources"
    return None


_PDM_VALUE = {"-G", "--group", "-p", "--project", "-L", "--lockfile", "-v", "--venv"}


def _pdm_local_deps(data: dict) -> str | None:
    proj = data.get("project") or {}
    deps = list(proj.get("dependencies") or []) if isinstance(proj, dict) else []
    if any(isinstance(d, str) and ("file:///${PROJECT_ROOT}" in d or _pep508_local(d)) for d in deps):
        return "pyproject.toml depends on a local path, which needs the sources"
    return None


def _poetry_check(inst: Install, project: Project, data: dict) -> str | None:
    _readme_and_license(inst, project, data)
    if _poetry_path_deps(data):
        return "pyproject.toml has path dependencies, which need the sources"
    return None


def _tool_flag(data: dict, tool: str, key: str):
    table = (data.get("tool") or {}).get(tool) or {}
    return table.get(key) if isinstance(table, dict) else None


@dataclass(frozen=True)
class _PyProjectTool:
    """How one pyproject.toml-based installer is read: poetry, uv, pdm."""

    program: str
    subcommands: tuple[str, ...]
    values: frozenset[str]  # options that take a value
    deps_flags: tuple[str, ...]  # options that already skip the project (the first one splits)
    other_project: tuple[str, ...]  # options naming another project
    other_why: str
    files: tuple[str, ...]  # optional files beside pyproject.toml
    venvs: tuple[str, ...]
    venv_why: str
    check: Callable[[Install, Project, dict], str | None]  # a reason to refuse, from the TOML
    installs_project: Callable[[dict], bool]
    only_root: bool = False  # poetry's --only-root installs just the project


_PY_TOOLS = (
    _PyProjectTool(
        "poetry",
        ("install", "sync"),
        frozenset(_POETRY_VALUE),
        ("--no-root",),
        ("-C", "--directory", "-P", "--project"),
        "it names another project folder",
        ("poetry.lock", "poetry.toml"),
        (".venv",),
        "the virtual environment poetry creates",
        _poetry_check,
        lambda data: _tool_flag(data, "poetry", "package-mode") is not False,
        only_root=True,
    ),
    _PyProjectTool(
        "uv",
        ("sync",),
        frozenset(_UV_VALUE),
        ("--no-install-project", "--no-install-workspace", "--only-group"),
        ("--project", "--directory", "--package", "--script", "--all-packages"),
        "it names another project or a workspace member",
        ("uv.lock", "uv.toml", ".python-version"),
        (".venv",),
        "the virtual environment uv creates",
        lambda inst, project, data: _uv_sources(data),
        lambda data: (
            _tool_flag(data, "uv", "package") is True
            or (_tool_flag(data, "uv", "package") is None and "build-system" in data)
        ),
    ),
    _PyProjectTool(
        "pdm",
        ("install", "sync"),
        frozenset(_PDM_VALUE),
        ("--no-self",),
        ("-p", "--project", "-L", "--lockfile"),
        "it names another project folder or lock file",
        ("pdm.lock", "pdm.toml", ".pdm-python"),
        (".venv", "__pypackages__"),
        "what pdm installs",
        lambda inst, project, data: _pdm_local_deps(data),
        lambda data: (
            _tool_flag(data, "pdm", "distribution") is True
            or (_tool_flag(data, "pdm", "distribution") is None and "build-system" in data)
        ),
    ),
)


def analyse_pyproject_tools(cmd: Command, env: Env) -> Install | None:
    """poetry / uv / pdm installs: dependencies first with the tool's
    dependencies-only flag, the project itself after the full COPY."""
    tool = next((t for t in _PY_TOOLS if t.program == cmd.program), None)
    if tool is None:
        return None
    sub, rest, unknown = _subcommand(cmd.args, tool.values)
    if sub is None or sub.value not in tool.subcommands:
        return None
    inst = Install("python", short(cmd, env.script), tool=tool.program)
    parsed = parse_args(cmd.args, tool.values)
    if unknown or parsed.unknown:
        inst.deps_only = has(parsed, tool.deps_flags[0])
        return inst.fail("an argument is a variable")
    if has(parsed, *tool.other_project):
        return inst.fail(tool.other_why)
    if tool.only_root and has(parsed, "--only-root"):
        inst.project = True
        return inst.fail("`--only-root` installs the project from its sources")
    deps_flag = has(parsed, *tool.deps_flags)
    inst.deps_only = True
    if env.probe:
        inst.project = not deps_flag
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if not need(inst, project, "pyproject.toml"):
        return inst
    optional(inst, project, *tool.files)
    data = project.toml("pyproject.toml")
    if data is None:
        return inst.fail(f"{project.path('pyproject.toml')} could not be read as TOML")
    why = tool.check(inst, project, data)
    if why:
        return inst.fail(why)
    forbid(inst, project, *tool.venvs, why=tool.venv_why)
    if not deps_flag and tool.installs_project(data):
        inst.project = True
        inst.split_flag = tool.deps_flags[0]
        inst.split_at = sub.end
        inst.second = env.script.text[cmd.start : cmd.end]
    return inst


def analyse_pipenv(cmd: Command, env: Env) -> Install | None:
    if cmd.program != "pipenv":
        return None
    value_opts = {"--python", "--pypi-mirror", "-r", "--requirements", "--categories", "--extra-pip-args"}
    sub, rest, unknown = _subcommand(cmd.args, value_opts)
    if sub is None or sub.value not in ("install", "sync"):
        return None
    inst = Install("python", short(cmd, env.script), tool="pipenv")
    parsed = parse_args(rest, value_opts)
    if unknown or parsed.unknown:
        return inst.fail("an argument is a variable")
    if parsed.operands or has(parsed, "-r", "--requirements", "-e", "--editable"):
        return None  # adds packages: changes Pipfile (needs it as it is in the sources)
    inst.deps_only = True
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if not need(inst, project, "Pipfile"):
        return inst
    optional(inst, project, "Pipfile.lock", ".python-version")
    data = project.toml("Pipfile")
    if data is None:
        return inst.fail(f"{project.path('Pipfile')} could not be read as TOML")
    for table in ("packages", "dev-packages"):
        for spec in (data.get(table) or {}).values():
            if isinstance(spec, dict) and ("path" in spec or "file" in spec):
                return inst.fail("Pipfile installs from a local path, which needs the sources")
    forbid(inst, project, ".venv", why="the virtual environment pipenv creates")
    return inst


# -- Node ---------------------------------------------------------------------

_NODE_LIFECYCLE = (
    "preinstall",
    "install",
    "postinstall",
    "prepublish",
    "preprepare",
    "prepare",
    "postprepare",
    "dependencies",
)
_NODE_LOCAL_DEP = re.compile(r"^(file:|link:|portal:|workspace:|patch:|\.{1,2}/|/|~/)")
# the files each tool reads besides package.json (npm also reads yarn.lock)
_NODE_FILES = {
    "npm": ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", ".npmrc"),
    "yarn": ("yarn.lock", ".yarnrc", ".yarnrc.yml", ".npmrc"),
    "pnpm": ("pnpm-lock.yaml", ".npmrc", ".pnpmfile.cjs", "pnpm-workspace.yaml"),
    "bun": ("bun.lockb", "bun.lock", "bunfig.toml", ".npmrc"),
}
_NPM_VALUE = {
    "--loglevel",
    "--omit",
    "--include",
    "--registry",
    "--cache",
    "--prefix",
    "-w",
    "--workspace",
    "--install-strategy",
    "--userconfig",
    "--network-timeout",
    "--cache-folder",
    "--modules-folder",
    "--store-dir",
    "--filter",
    "-F",
    "--virtual-store-dir",
    "--mutex",
    "--global-folder",
    "-C",
    "--dir",
    "--reporter",
    "--node-linker",
    "--lockfile-dir",
    "--mode",
    "--cwd",
    "--network-concurrency",
    "--child-concurrency",
    "--backend",
    "--cafile",
    "--ca",
    "--config",
}


def _node_install(cmd: Command) -> tuple[str, Arg | None, list[Arg]] | None:
    """(tool, subcommand arg, arguments after it) for dependency installs."""
    prog = cmd.program
    args = cmd.args
    if prog not in ("npm", "yarn", "pnpm", "bun"):
        return None
    sub, rest, _ = _subcommand(args, _NPM_VALUE)
    if prog == "yarn" and sub is None:
        return prog, None, args  # bare `yarn` installs
    if sub is None:
        return None
    names = {
        "npm": ("ci", "install", "i", "isntall", "clean-install", "install-clean", "ic", "add"),
        "yarn": ("install",),
        "pnpm": ("install", "i", "fetch"),
        "bun": ("install", "i"),
    }[prog]
    if sub.value not in names:
        return None
    return prog, sub, rest


def analyse_node(cmd: Command, env: Env) -> Install | None:
    found = _node_install(cmd)
    if found is None:
        return None
    tool, sub, rest = found
    parsed = parse_args(rest, _NPM_VALUE)
    if has(parsed, "-g", "--global", "--location"):
        return None  # global tools by name
    inst = Install("node", short(cmd, env.script), tool=tool)
    if parsed.unknown:
        return inst.fail("an argument is a variable")
    if parsed.operands:
        if tool == "npm" and all(not looks_local(a.value or "") for a in parsed.operands):
            return None  # `npm install pkg` changes package.json: not a lockfile install
        return None
    if has(
        parsed,
        "--prefix",
        "-w",
        "--workspace",
        "--workspaces",
        "-C",
        "--dir",
        "--cwd",
        "--filter",
        "-F",
        "-r",
        "--recursive",
        "--lockfile-dir",
        "--modules-folder",
    ):
        return inst.fail("it names another folder or workspaces")
    fetch = tool == "pnpm" and sub is not None and sub.value == "fetch"
    inst.deps_only = True
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if fetch:
        if not need(inst, project, "pnpm-lock.yaml"):
            return inst
        optional(inst, project, ".npmrc", "pnpm-workspace.yaml", ".pnpmfile.cjs")
        return inst
    if not need(inst, project, "package.json"):
        return inst
    optional(inst, project, *_NODE_FILES[tool])
    pkg = project.json("package.json")
    if not isinstance(pkg, dict):
        return inst.fail(f"{project.path('package.json')} could not be read as JSON")
    if pkg.get("workspaces"):
        return inst.fail("package.json declares workspaces, whose packages need their own files")
    ws = project.read("pnpm-workspace.yaml")
    if ws is not None and re.search(r"^packages\s*:", ws, re.M):
        return inst.fail("pnpm-workspace.yaml declares workspace packages, which need their own files")
    scripts = pkg.get("scripts") if isinstance(pkg.get("scripts"), dict) else {}
    ignore_scripts = has(parsed, "--ignore-scripts")
    lifecycle = [s for s in _NODE_LIFECYCLE if s in scripts]
    if lifecycle and not ignore_scripts:
        inst.project = True
        return inst.fail(
            f"package.json has a `{lifecycle[0]}` script, which the install runs and may need the sources"
        )
    for key in (
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
        "overrides",
        "resolutions",
    ):
        deps = pkg.get(key)
        if isinstance(deps, dict):
            for name, spec in deps.items():
                if isinstance(spec, str) and _NODE_LOCAL_DEP.match(spec):
                    return inst.fail(f"package.json installs {name} from `{spec}`, which needs the sources")
    if "patchedDependencies" in pkg or "patchedDependencies" in (pkg.get("pnpm") or {}):
        return inst.fail("package.json patches dependencies with files from the sources")
    if tool == "yarn":
        optional_dir(inst, project, ".yarn")
    forbid(inst, project, "node_modules", ".pnp.cjs", ".pnp.js", why="what the install creates")
    return inst


# -- Go, Rust -------------------------------------------------------------------


def analyse_go(cmd: Command, env: Env) -> Install | None:
    if cmd.program != "go" or len(cmd.args) < 2:
        return None
    if cmd.args[0].value != "mod" or cmd.args[1].value != "download":
        return None
    inst = Install("go", short(cmd, env.script), tool="go")
    parsed = parse_args(cmd.args[2:], {"-reuse", "-modfile"})
    if parsed.unknown:
        return inst.fail("an argument is a variable")
    if has(parsed, "-reuse", "-modfile"):
        return inst.fail("it reads another file of the sources")
    inst.deps_only = True
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if not need(inst, project, "go.mod"):
        return inst
    optional(inst, project, "go.sum")
    if project.has("go.work"):
        return inst.fail("go.work makes it a workspace, whose modules need their own files")
    gomod = project.read("go.mod") or ""
    for m in re.finditer(r"=>\s*(\S+)", gomod):
        target = m.group(1)
        if target.startswith((".", "/")):
            return inst.fail(
                f"go.mod replaces a module with the local path {target}, which needs the sources"
            )
    return inst


def analyse_cargo(cmd: Command, env: Env) -> Install | None:
    if cmd.program != "cargo" or not cmd.args:
        return None
    sub = cmd.args[0].value
    if env.probe:
        # Before the whole-source COPY, any cargo build, fetch or
        # `cargo chef cook` can only have compiled the dependencies.
        if sub in ("build", "b", "fetch") or (
            sub == "chef" and len(cmd.args) > 1 and cmd.args[1].value == "cook"
        ):
            return Install("rust", short(cmd, env.script), tool="cargo", deps_only=True)
        return None
    if sub == "install":
        vals = [a.value for a in cmd.args[1:]]
        if "--path" not in vals and not any(v and v.startswith("--path=") for v in vals):
            return None
    elif sub not in ("build", "fetch", "b"):
        return None
    inst = Install(
        "rust", short(cmd, env.script), tool="cargo", deps_only=sub == "fetch", project=sub != "fetch"
    )
    project_for(env, inst)
    if inst.reason in (OUTSIDE, UNKNOWN):
        return inst
    inst.reason = None
    return inst.fail(
        "cargo needs the crate's targets to fetch or build dependencies, and stub targets depend on the crate "
        "layout; use cargo-chef, or copy Cargo.toml and Cargo.lock with stub targets first"
    )


# -- Java -----------------------------------------------------------------------

_MVN_VALUE = {
    "-f",
    "--file",
    "-s",
    "--settings",
    "-gs",
    "--global-settings",
    "-P",
    "--activate-profiles",
    "-T",
    "--threads",
    "-pl",
    "--projects",
    "-D",
    "--define",
    "-t",
    "--toolchains",
    "-l",
    "--log-file",
    "-rf",
    "--resume-from",
    "-b",
    "--builder",
    "-gt",
    "--global-toolchains",
    "-e",
    "--color",
}
_MVN_GOAL = re.compile(
    r"^(dependency:(go-offline|resolve|resolve-plugins|resolve-sources)"
    r"|([\w.-]+:)?go-offline-maven-plugin(:[\w.-]+)?:resolve-dependencies)$"
)


def _wrapper(cmd: Command, names: tuple[str, ...]) -> tuple[str | None, bool]:
    """(program, is the project's wrapper script)"""
    name = cmd.name or ""
    prog = cmd.program or ""
    if prog in names:
        return prog, False
    if prog.endswith("w") and prog[:-1] in names and ("/" in name or name == prog):
        return prog[:-1], True
    if (
        prog in ("sh", "bash")
        and cmd.args
        and (cmd.args[0].value or "").rsplit("/", 1)[-1] in {n + "w" for n in names}
    ):
        return (cmd.args[0].value or "").rsplit("/", 1)[-1][:-1], True
    return None, False


def analyse_maven(cmd: Command, env: Env) -> Install | None:
    prog, wrapper = _wrapper(cmd, ("mvn",))
    if prog != "mvn":
        return None
    args = cmd.args[1:] if cmd.program in ("sh", "bash") else cmd.args
    parsed = parse_args(args, _MVN_VALUE)
    goals = [a.value for a in parsed.operands]
    if not goals or not all(g and _MVN_GOAL.match(g) for g in goals):
        return None
    inst = Install("java", short(cmd, env.script), tool="mvn")
    if parsed.unknown:
        return inst.fail("an argument is a variable")
    if has(parsed, "-f", "--file", "-pl", "--projects", "-rf", "--resume-from"):
        return inst.fail("it names another project file or modules")
    inst.deps_only = True
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if not need(inst, project, "pom.xml"):
        return inst
    for value in values(parsed, "-s", "--settings", "-gs", "--global-settings", "-t", "--toolchains"):
        if value and not value.startswith("/"):
            if not need(inst, project, value):
                return inst
    if wrapper:
        if not need(inst, project, "mvnw"):
            return inst
    optional_dir(inst, project, ".mvn")
    pom = project.read("pom.xml") or ""
    if re.search(r"<modules>\s*<module>", pom):
        return inst.fail("pom.xml has modules, whose pom.xml files are needed too")
    if re.search(r"<relativePath>\s*[^<\s]", pom):
        return inst.fail("pom.xml has a parent found by relativePath in the sources")
    return inst


_GRADLE_VALUE = {
    "-p",
    "--project-dir",
    "-b",
    "--build-file",
    "-c",
    "--settings-file",
    "-I",
    "--init-script",
    "-g",
    "--gradle-user-home",
    "-x",
    "--exclude-task",
    "-P",
    "--project-prop",
    "-D",
    "--system-prop",
    "--console",
    "--warning-mode",
    "--include-build",
    "--priority",
    "-M",
    "--write-verification-metadata",
    "--max-workers",
    "--project-cache-dir",
    "-F",
    "--dependency-verification",
}
_GRADLE_TASKS = {
    "dependencies",
    "resolveDependencies",
    "downloadDependencies",
    "androidDependencies",
    "resolveAllDependencies",
    "buildEnvironment",
}


def analyse_gradle(cmd: Command, env: Env) -> Install | None:
    prog, wrapper = _wrapper(cmd, ("gradle",))
    if prog != "gradle":
        return None
    args = cmd.args[1:] if cmd.program in ("sh", "bash") else cmd.args
    parsed = parse_args(args, _GRADLE_VALUE)
    tasks = [a.value for a in parsed.operands]
    if not tasks or not all(t in _GRADLE_TASKS for t in tasks):
        return None
    inst = Install("java", short(cmd, env.script), tool="gradle")
    if parsed.unknown:
        return inst.fail("an argument is a variable")
    if has(
        parsed,
        "-p",
        "--project-dir",
        "-b",
        "--build-file",
        "-c",
        "--settings-file",
        "-I",
        "--init-script",
        "--include-build",
        "--write-locks",
        "--update-locks",
        "-M",
        "--write-verification-metadata",
        "--project-cache-dir",
    ):
        return inst.fail("it names other files of the sources or writes lock files")
    inst.deps_only = True
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    builds = [n for n in ("build.gradle", "build.gradle.kts") if project.status(n) == "ok"]
    if not builds:
        return inst.fail(_missing(project, "build.gradle"))
    inst.files.extend(project.path(n) for n in builds)
    optional(inst, project, "settings.gradle", "settings.gradle.kts", "gradle.properties")
    if wrapper and not need(inst, project, "gradlew"):
        return inst
    optional_dir(inst, project, "gradle")
    if project.has("buildSrc"):
        return inst.fail("buildSrc holds build logic from the sources")
    for name in ("settings.gradle", "settings.gradle.kts"):
        text = project.read(name) or ""
        if re.search(r"^\s*(include|includeBuild|includeFlat)\b", text, re.M):
            return inst.fail(f"{name} includes other projects or builds, whose files are needed too")
    for name in builds:
        text = project.read(name) or ""
        if re.search(r"\bapply\s*\(?\s*from\b|\bfiles?\s*\(|\bfileTree\s*\(", text):
            return inst.fail(f"{name} reads other files of the sources")
    forbid(inst, project, ".gradle", why="the project cache gradle writes")
    return inst


# -- Ruby, PHP --------------------------------------------------------------------

_BUNDLE_VALUE = {
    "--jobs",
    "-j",
    "--retry",
    "--without",
    "--with",
    "--path",
    "--gemfile",
    "--binstubs",
    "--standalone",
    "--shebang",
    "--trust-policy",
    "--target-rbconfig",
}


def analyse_bundler(cmd: Command, env: Env) -> Install | None:
    if cmd.program != "bundle":
        return None
    sub, rest, unknown = _subcommand(cmd.args, _BUNDLE_VALUE)
    if sub is not None and sub.value != "install":
        return None
    if sub is None and cmd.args:
        return None
    inst = Install("ruby", short(cmd, env.script), tool="bundle")
    parsed = parse_args(rest if sub is not None else cmd.args, _BUNDLE_VALUE)
    if unknown or parsed.unknown:
        return inst.fail("an argument is a variable")
    if has(parsed, "--gemfile", "--binstubs", "--standalone", "--local", "--prefer-local"):
        return inst.fail("it reads or writes other files of the project")
    inst.deps_only = True
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    gemfile = (
        "Gemfile" if project.status("Gemfile") == "ok" or project.status("gems.rb") != "ok" else "gems.rb"
    )
    if not need(inst, project, gemfile):
        return inst
    optional(inst, project, "Gemfile.lock" if gemfile == "Gemfile" else "gems.locked")
    text = project.read(gemfile) or ""
    code = "\n".join(re.sub(r"#.*$", "", ln) for ln in text.splitlines())
    if re.search(r"^\s*gemspec\b", code, re.M):
        return inst.fail(f"{gemfile} uses `gemspec`, which reads the gem's sources")
    if re.search(r"\bpath\s*:|:path\s*=>|\bpath\s*\(", code):
        return inst.fail(f"{gemfile} installs gems from local paths, which need the sources")
    for dotfile in (".ruby-version", ".tool-versions"):
        if dotfile in code:
            if not need(inst, project, dotfile):
                return inst
            code = code.replace(dotfile, "")
    if re.search(
        r"\b(eval_gemfile|instance_eval|require_relative|load|File|Dir|IO)\b|\brequire\s*\(?\s*['\"]", code
    ):
        return inst.fail(f"{gemfile} reads other files of the sources")
    if project.has(".bundle"):
        return inst.fail(
            "the build context has a .bundle folder (bundler settings), which `COPY .` would copy over the settings used"
        )
    forbid(inst, project, "vendor/bundle", "vendor/cache", why="the gems bundler installs or caches there")
    return inst


def analyse_bundle_config(cmd: Command, env: Env) -> Install | None:
    """`bundle config` writes ./.bundle/config unless --global: part of the
    install as long as the context has no .bundle of its own."""
    if cmd.program != "bundle" or not cmd.args or cmd.args[0].value != "config":
        return None
    if any(a.value == "--global" for a in cmd.args):
        return None
    inst = Install("ruby", short(cmd, env.script), tool="bundle", aux=True)
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if project.has(".bundle"):
        inst.fail("the build context has a .bundle folder, which `COPY .` would copy over the settings")
    return inst


_COMPOSER_VALUE = {"-d", "--working-dir", "--ignore-platform-req", "--apcu-autoloader-prefix"}
_COMPOSER_INSTALL_EVENTS = (
    "pre-install-cmd",
    "post-install-cmd",
    "pre-package-install",
    "post-package-install",
    "pre-operations-exec",
    "pre-dependencies-solving",
    "post-dependencies-solving",
    "pre-package-update",
    "post-package-update",
    "pre-pool-create",
)
_COMPOSER_DUMP_EVENTS = ("pre-autoload-dump", "post-autoload-dump")
# plugins known to write only inside vendor/ (or nothing) during an install
_COMPOSER_SAFE_PLUGINS = {
    "php-http/discovery",
    "pestphp/pest-plugin",
    "composer/package-versions-deprecated",
    "dealerdirect/phpcodesniffer-composer-installer",
    "phpstan/extension-installer",
    "symfony/runtime",
    "ergebnis/composer-normalize",
    "bamarni/composer-bin-plugin",
    "infection/extension-installer",
}
# install option -> dump-autoload option (None: not passed on)
_COMPOSER_DUMP_FLAGS = {
    "--optimize-autoloader": "--optimize",
    "-o": "--optimize",
    "--classmap-authoritative": "--classmap-authoritative",
    "-a": "--classmap-authoritative",
    "--apcu-autoloader": "--apcu",
    "--apcu-autoloader-prefix": "--apcu-prefix",
    "--no-dev": "--no-dev",
    "--dev": "--dev",
    "--no-scripts": "--no-scripts",
    "--no-plugins": "--no-plugins",
    "--ignore-platform-reqs": "--ignore-platform-reqs",
    "--ignore-platform-req": "--ignore-platform-req",
    "--no-interaction": "--no-interaction",
    "-n": "--no-interaction",
    "--quiet": "--quiet",
    "-q": "--quiet",
    "--no-ansi": "--no-ansi",
    "--ansi": "--ansi",
    "-v": "-v",
    "--verbose": "-v",
    "--strict-psr": None,
    "--no-progress": None,
    "--prefer-dist": None,
    "--prefer-source": None,
    "--prefer-install": None,
    "--no-suggest": None,
    "--audit": None,
    "--no-audit": None,
    "--audit-format": None,
    "--dry-run": None,
    "--download-only": None,
    "--no-cache": None,
}


def analyse_composer(cmd: Command, env: Env) -> Install | None:
    prog = cmd.program or ""
    if prog not in ("composer", "composer.phar"):
        return None
    sub, rest, unknown = _subcommand(cmd.args, _COMPOSER_VALUE)
    if sub is None or sub.value not in ("install", "i"):
        return None
    inst = Install("php", short(cmd, env.script), tool="composer")
    parsed = parse_args(cmd.args, _COMPOSER_VALUE | {"--audit-format", "--prefer-install"})
    if unknown or parsed.unknown:
        return inst.fail("an argument is a variable")
    if has(parsed, "-d", "--working-dir"):
        return inst.fail("it names another project folder")
    no_autoloader = has(parsed, "--no-autoloader")
    no_scripts = has(parsed, "--no-scripts")
    inst.deps_only = True
    if env.probe:
        inst.project = not no_autoloader
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if not need(inst, project, "composer.json"):
        return inst
    optional(inst, project, "composer.lock", "auth.json")
    data = project.json("composer.json")
    if not isinstance(data, dict):
        return inst.fail(f"{project.path('composer.json')} could not be read as JSON")
    scripts = data.get("scripts") if isinstance(data.get("scripts"), dict) else {}
    if not no_scripts:
        events = [e for e in _COMPOSER_INSTALL_EVENTS if e in scripts]
        if events:
            inst.project = True
            return inst.fail(f"composer.json runs `{events[0]}` scripts, which may need the sources")
    repos = data.get("repositories")
    repo_list = repos.values() if isinstance(repos, dict) else repos if isinstance(repos, list) else []
    if any(isinstance(r, dict) and r.get("type") in ("path", "artifact") for r in repo_list):
        return inst.fail("composer.json has path or artifact repositories in the sources")
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    if "installer-paths" in extra:
        return inst.fail("composer.json installs packages into folders of the project (installer-paths)")
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    vendor_dir = (
        config.get("vendor-dir", "vendor") if isinstance(config.get("vendor-dir", "vendor"), str) else None
    )
    if vendor_dir is None:
        return inst.fail("composer.json sets an unusual vendor-dir")
    plugins = config.get("allow-plugins")
    if not has(parsed, "--no-plugins"):
        allowed = []
        if plugins is True:
            allowed = ["*"]
        elif isinstance(plugins, dict):
            allowed = [k for k, v in plugins.items() if v is not False]
        unknown_plugins = [p for p in allowed if p not in _COMPOSER_SAFE_PLUGINS]
        if unknown_plugins:
            return inst.fail(
                f"composer.json allows the plugin {unknown_plugins[0]}, which may write into the project"
            )
    forbid(inst, project, vendor_dir, why="the packages composer installs")
    if no_autoloader:
        return inst
    # Does generating the autoloader read the sources?  A classmap, an
    # optimised or authoritative autoloader, or autoload-dump scripts do.
    autoload_tables = [data.get("autoload")]
    if not has(parsed, "--no-dev"):
        autoload_tables.append(data.get("autoload-dev"))
    reads_sources = any(isinstance(t, dict) and "classmap" in t for t in autoload_tables)
    reads_sources = reads_sources or has(
        parsed, "-o", "--optimize-autoloader", "-a", "--classmap-authoritative", "--apcu-autoloader"
    )
    dump_scripts = not no_scripts and any(e in scripts for e in _COMPOSER_DUMP_EVENTS)
    if not reads_sources and not dump_scripts:
        return inst
    second = [cmd.name or "composer", "dump-autoload"]
    for name, value, _arg in parsed.options:
        if name not in _COMPOSER_DUMP_FLAGS:
            return inst.fail(
                f"the autoloader needs the sources and `{name}` has no `dump-autoload` counterpart"
            )
        mapped = _COMPOSER_DUMP_FLAGS[name]
        if mapped is None or mapped in second:
            continue
        second.append(f"{mapped}={value}" if value is not None and name in _COMPOSER_VALUE else mapped)
    prefix = " ".join(cmd.assignments)
    inst.project = True
    inst.split_flag = "--no-autoloader"
    inst.split_at = sub.end
    inst.second = (prefix + " " if prefix else "") + " ".join(second)
    return inst


ANALYSERS: tuple[Callable[[Command, Env], Install | None], ...] = (
    analyse_pip,
    analyse_pyproject_tools,
    analyse_pipenv,
    analyse_node,
    analyse_go,
    analyse_cargo,
    analyse_maven,
    analyse_gradle,
    analyse_bundler,
    analyse_bundle_config,
    analyse_composer,
)


def analyse(cmd: Command, env: Env) -> Install | None:
    for fn in ANALYSERS:
        inst = fn(cmd, env)
        if inst is not None:
            return inst
    return None
