"""DF220 (lockfile first): what pip, uv pip, poetry, uv, pdm, pipenv installs read.  Shared helpers: :mod:`._lockfile`."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Set
from dataclasses import dataclass

from ... import tools
from ...shell import Arg, Command
from ._lockfile import (
    _URL,
    OUTSIDE,
    UNKNOWN,
    Env,
    Install,
    Project,
    _missing,
    context_path,
    deps_project,
    forbid,
    looks_local,
    optional,
    parse_args,
    short,
)

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


def _subcommand(args: list[Arg], value_opts: Set[str]) -> tuple[Arg | None, list[Arg], bool]:
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
    """How one pyproject.toml-based installer is read: poetry, uv, pdm (its
    grammar, flags and files: ``tools.INSTALLS[program]``)."""

    program: str
    other_why: str
    venv_why: str
    check: Callable[[Install, Project, dict], str | None]  # a reason to refuse, from the TOML
    installs_project: Callable[[dict], bool]
    only_root: bool = False  # poetry's --only-root installs just the project


_PY_TOOLS = (
    _PyProjectTool(
        "poetry",
        "it names another project folder",
        "the virtual environment poetry creates",
        _poetry_check,
        lambda data: _tool_flag(data, "poetry", "package-mode") is not False,
        only_root=True,
    ),
    _PyProjectTool(
        "uv",
        "it names another project or a workspace member",
        "the virtual environment uv creates",
        lambda inst, project, data: _uv_sources(data),
        lambda data: (
            _tool_flag(data, "uv", "package") is True
            or (_tool_flag(data, "uv", "package") is None and "build-system" in data)
        ),
    ),
    _PyProjectTool(
        "pdm",
        "it names another project folder or lock file",
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
    table = tools.INSTALLS[tool.program]
    p = tools.parse(cmd, tool=tool.program)
    if p is None or not p.is_sub(*table.subcommands):
        return None
    inst = Install("python", short(cmd, env.script), tool=tool.program)
    if p.expands:
        inst.deps_only = p.has(table.deps_only[0])
        return inst.fail("an argument is a variable")
    if p.has(*table.other_project):
        return inst.fail(tool.other_why)
    if tool.only_root and p.has("--only-root"):
        inst.project = True
        return inst.fail("`--only-root` installs the project from its sources")
    deps_flag = p.has(*table.deps_only)
    if env.probe:
        inst.project = not deps_flag
    project = deps_project(inst, env, "pyproject.toml")
    if project is None:
        return inst
    optional(inst, project, *table.files.optional)
    data = project.toml("pyproject.toml")
    if data is None:
        return inst.fail(f"{project.path('pyproject.toml')} could not be read as TOML")
    why = tool.check(inst, project, data)
    if why:
        return inst.fail(why)
    forbid(inst, project, *table.files.creates, why=tool.venv_why)
    if not deps_flag and tool.installs_project(data):
        inst.project = True
        inst.split_flag = table.deps_only[0]
        inst.split_at = p.sub_tokens[-1].end
        inst.second = env.script.text[cmd.start : cmd.end]
    return inst


def analyse_pipenv(cmd: Command, env: Env) -> Install | None:
    table = tools.INSTALLS["pipenv"]
    p = tools.parse(cmd, tool="pipenv") if cmd.program == "pipenv" else None
    if p is None or not p.is_sub(*table.subcommands):
        return None
    inst = Install("python", short(cmd, env.script), tool="pipenv")
    if p.expands:
        return inst.fail("an argument is a variable")
    if p.operands or p.has("--requirements", "-e", "--editable"):
        return None  # adds packages: changes Pipfile (needs it as it is in the sources)
    project = deps_project(inst, env, table.files.manifests[0])
    if project is None:
        return inst
    optional(inst, project, *table.files.optional)
    data = project.toml("Pipfile")
    if data is None:
        return inst.fail(f"{project.path('Pipfile')} could not be read as TOML")
    for section in ("packages", "dev-packages"):
        for spec in (data.get(section) or {}).values():
            if isinstance(spec, dict) and ("path" in spec or "file" in spec):
                return inst.fail("Pipfile installs from a local path, which needs the sources")
    forbid(inst, project, *table.files.creates, why="the virtual environment pipenv creates")
    return inst
