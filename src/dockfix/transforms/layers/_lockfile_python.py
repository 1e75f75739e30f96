"""DF220 (lockfile first): what pip, uv pip, poetry, uv, pdm, pipenv installs read.

Commands are read with :mod:`dockfix.tools.pip`'s grammars; the manifests,
lock files and dependencies-only flags are its ``INSTALLS``.  Shared
helpers: :mod:`._lockfile`, the generic analyser: :mod:`._lockfile_recipe`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from ... import tools
from ...shell import Command
from ._lockfile import (
    _URL,
    OUTSIDE,
    UNKNOWN,
    Env,
    Install,
    Project,
    context_path,
    looks_local,
    missing,
    short,
)
from ._lockfile_recipe import Check, Recipe

# -- pip, uv pip --------------------------------------------------------------

#: pip's installs: ``pip install``, ``uv pip install``, ``uv pip sync``.
PIP_INSTALLS = {"pip": tools.INSTALLS["pip"], "uv": tools.pip.UV_PIP_INSTALL}
_ARCHIVE = re.compile(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2)$")


def pip_install(p: tools.Parsed) -> bool:
    """Is it ``pip install``, ``uv pip install`` or ``uv pip sync``?"""
    spec = PIP_INSTALLS.get(p.tool)
    return spec is not None and p.is_sub(*spec.subcommands)


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
        inst.fail(missing(project, rel))
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


def _vcs(value: str) -> bool:
    return bool(_URL.match(value)) or value.startswith("git+")


def _pip_arguments(p: tools.Parsed) -> tuple[list[str | None], list[str | None]]:
    """(the requirements files it reads, the local paths it installs:
    operands and ``-e`` paths); a value that expands is None."""
    sync = p.is_sub(*tools.pip.REQUIREMENTS_AS_OPERANDS)
    req_files = list(p.values(*tools.pip.PIP_REQUIREMENT_OPTIONS))
    local: list[str | None] = []
    if sync:
        req_files += p.operand_values
    else:
        local = [v for v in p.operand_values if v is None or looks_local(v) or _ARCHIVE.search(v)]
    local += [v for v in p.values(*tools.pip.PIP_EDITABLE_OPTIONS) if v is None or not _vcs(v)]
    return req_files, local


def _in_context(env: Env, values: list[str | None]) -> tuple[list[tuple[str, str]], bool]:
    """((value, context path) of the ``values`` in what ``COPY .``
    brought, whether one may be there without that being known)."""
    inside: list[tuple[str, str]] = []
    unsure = False
    for value in values:
        if value is None:
            unsure = True
            continue
        rel, why = context_path(env, value)
        unsure = unsure or why is not None
        if rel is not None:
            inside.append((value, rel))
    return inside, unsure


def analyse_pip(p: tools.Parsed, cmd: Command, env: Env) -> Install | None:
    """``pip install -r``, ``uv pip install``, ``uv pip sync``: the
    requirements files first; a local path or ``-e`` needs the sources."""
    if not pip_install(p):
        return None
    req_files, local = _pip_arguments(p)
    if not req_files and not local:
        return None  # packages by name: not an install from manifests
    inst = Install("python", short(cmd, env.script), tool="pip")
    if env.probe:
        inst.deps_only = bool(req_files)
        inst.project = bool(local)
        return inst
    inside, unsure_files = _in_context(env, req_files)
    local_paths, unsure_local = _in_context(env, local)
    unsure = unsure_files or unsure_local
    local_inside = None
    if local_paths:
        value = local_paths[0][0]
        local_inside = f"-e {value}" if value in p.values(*tools.pip.PIP_EDITABLE_OPTIONS) else value
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
        tool = "uv pip" if p.tool == "uv" else "pip"
        return inst.needs_sources(f"`{tool} install {local_inside}` {what}")
    if unsure or p.expands:
        return inst.fail("an argument is a variable")
    for opt in p.options_named(*tools.pip.PIP_PATH_OPTIONS):
        if opt.value is not None and looks_local(opt.value):
            rel, why = context_path(env, opt.value)
            if rel is not None or why is not None:
                return inst.fail(f"`{opt.name} {opt.value}` is a path in the copied folder")
    if env.bc is None:
        return inst.fail("the build context is not known, so which manifest files exist cannot be checked")
    seen: set[str] = set()
    for _value, rel in inside:
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


def _depends_on_a_path(data: dict, marker: str | None = None) -> bool:
    """Does [project] depend on a local path (``name @ file:...``, or
    ``marker`` in the requirement: pdm's ``${PROJECT_ROOT}``)?"""
    proj = data.get("project") or {}
    deps = list(proj.get("dependencies") or []) if isinstance(proj, dict) else []
    return any(
        isinstance(d, str) and ((marker is not None and marker in d) or _pep508_local(d)) for d in deps
    )


_LOCAL_DEPENDENCY = "pyproject.toml depends on a local path, which needs the sources"


def _poetry_check(inst: Install, project: Project, data: dict) -> str | None:
    _readme_and_license(inst, project, data)
    poetry = (data.get("tool") or {}).get("poetry") or {}
    tables = [poetry.get("dependencies") or {}, poetry.get("dev-dependencies") or {}]
    for group in (poetry.get("group") or {}).values():
        if isinstance(group, dict):
            tables.append(group.get("dependencies") or {})
    for table in tables:
        for spec in table.values() if isinstance(table, dict) else ():
            specs = spec if isinstance(spec, list) else [spec]
            if any(isinstance(s, dict) and ("path" in s or "file" in s) for s in specs):
                return "pyproject.toml has path dependencies, which need the sources"
    if _depends_on_a_path(data):
        return "pyproject.toml has path dependencies, which need the sources"
    return None


def _uv_check(inst: Install, project: Project, data: dict) -> str | None:
    uv = (data.get("tool") or {}).get("uv") or {}
    if isinstance(uv, dict):
        if "workspace" in uv:
            return "pyproject.toml declares a uv workspace, whose members need their own files"
        sources = uv.get("sources") or {}
        for spec in sources.values() if isinstance(sources, dict) else ():
            specs = spec if isinstance(spec, list) else [spec]
            if any(isinstance(s, dict) and ("path" in s or s.get("workspace")) for s in specs):
                return "pyproject.toml has path or workspace sources, which need the sources"
    return _LOCAL_DEPENDENCY if _depends_on_a_path(data) else None


def _pdm_check(inst: Install, project: Project, data: dict) -> str | None:
    return _LOCAL_DEPENDENCY if _depends_on_a_path(data, "file:///${PROJECT_ROOT}") else None


def _tool_flag(data: dict, tool: str, key: str):
    table = (data.get("tool") or {}).get(tool) or {}
    return table.get(key) if isinstance(table, dict) else None


def _is_package(tool: str, key: str) -> Callable[[dict], bool]:
    """``[tool.<tool>] <key> = true``, or no setting and a [build-system]:
    the install builds and installs the project itself."""

    def installs_project(data: dict) -> bool:
        flag = _tool_flag(data, tool, key)
        return flag is True or (flag is None and "build-system" in data)

    return installs_project


def _pyproject(
    read: Callable[[Install, Project, dict], str | None], installs_project: Callable[[dict], bool]
) -> Check:
    """The check of a pyproject.toml installer: ``read`` gives a reason to
    refuse from the TOML; when the install also installs the project
    (``installs_project``) it runs first with the tool's dependencies-only
    flag and again after the full COPY."""

    def check(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
        data = project.toml("pyproject.toml")
        if data is None:
            inst.fail(f"{project.path('pyproject.toml')} could not be read as TOML")
            return
        why = read(inst, project, data)
        if why:
            inst.fail(why)
            return
        deps_only = tools.INSTALLS[p.tool].deps_only
        if not p.has(*deps_only) and installs_project(data):
            inst.project = True
            inst.split_flag = deps_only[0]
            inst.split_at = p.sub_tokens[-1].end
            inst.second = env.script.text[cmd.start : cmd.end]

    return check


def _poetry_only_root(inst: Install, p: tools.Parsed) -> None:
    if p.has("--only-root"):  # installs just the project
        inst.project = True
        inst.fail("`--only-root` installs the project from its sources")


def _pipfile(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
    data = project.toml("Pipfile")
    if data is None:
        inst.fail(f"{project.path('Pipfile')} could not be read as TOML")
        return
    for section in ("packages", "dev-packages"):
        for spec in (data.get(section) or {}).values():
            if isinstance(spec, dict) and ("path" in spec or "file" in spec):
                inst.fail("Pipfile installs from a local path, which needs the sources")
                return


RECIPES = (
    Recipe(
        "python",
        tools.INSTALLS["poetry"],
        "it names another project folder",
        "the virtual environment poetry creates",
        before=_poetry_only_root,
        check=_pyproject(_poetry_check, lambda data: _tool_flag(data, "poetry", "package-mode") is not False),
    ),
    Recipe(
        "python",
        tools.INSTALLS["uv"],
        "it names another project or a workspace member",
        "the virtual environment uv creates",
        check=_pyproject(_uv_check, _is_package("uv", "package")),
    ),
    Recipe(
        "python",
        tools.INSTALLS["pdm"],
        "it names another project folder or lock file",
        "what pdm installs",
        check=_pyproject(_pdm_check, _is_package("pdm", "distribution")),
    ),
    Recipe(
        "python",
        tools.INSTALLS["pipenv"],
        "it names another project",
        "the virtual environment pipenv creates",
        # adding packages changes the Pipfile (it is needed as the sources have it)
        skip=lambda p: bool(p.operands) or p.has("--requirements", "--editable"),
        check=_pipfile,
    ),
)
