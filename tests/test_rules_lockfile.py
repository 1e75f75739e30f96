"""DF220 lockfile-first-copy: helpers and behaviour beyond the golden cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import assert_valid_buildkit

import dockfix
from dockfix import tools
from dockfix.context import BuildContext
from dockfix.model import SemanticModel
from dockfix.shell import script_of
from dockfix.transforms.layers import _lockfile as lf
from dockfix.transforms.layers import _lockfile_python as lf_py
from dockfix.transforms.layers._lockfile_analyse import ANALYSERS
from dockfix.transforms.layers._lockfile_independent import Where, independent
from dockfix.transforms.layers._lockfile_recipe import Recipe
from dockfix.transforms.layers._lockfile_runs import _removes


def _context(tmp_path: Path, files: dict[str, str]) -> BuildContext:
    for name, content in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    return BuildContext(tmp_path)


def _fix(tmp_path: Path, dockerfile: str, files: dict[str, str], **kw):
    _context(tmp_path, files)
    path = tmp_path / "Dockerfile"
    path.write_text(dockerfile)
    return dockfix.fix(dockerfile, path=str(path), **kw)


def _commands(run: str):
    tree = dockfix.parse(f"FROM x\nRUN {run}\n")
    script = script_of(tree.instructions[1])
    assert script is not None
    return script.commands


# -- paths -------------------------------------------------------------------


def test_paths_based_on_the_unknown_workdir_compare_only_with_each_other() -> None:
    base = lf.ImagePath(".", under_image=True)  # the base image's WORKDIR, not known
    app = lf.join_path(base, "app")
    assert app == lf.ImagePath("app", under_image=True)
    assert lf.relation(lf.join_path(app, "requirements.txt"), app) == "requirements.txt"
    assert lf.relation(lf.join_path(base, "x"), app) == ".."
    assert lf.relation(app, base) == "app"
    assert lf.relation(lf.ImagePath("/app/requirements.txt"), app) is None  # unknown vs known
    assert lf.relation(lf.ImagePath("/srv/x"), lf.ImagePath("/app")) == ".."
    assert lf.relation(lf.ImagePath("/app"), lf.ImagePath("/app")) == ""
    assert lf.join_path(base, "../x") is None
    assert lf.join_path(app, "../..") is None
    assert lf.join_path(app, "/abs") == lf.ImagePath("/abs")
    assert lf.join_path(None, "/abs") == lf.ImagePath("/abs")
    assert lf.join_path(None, "rel") is None
    assert app.overlaps(lf.ImagePath("/app")) and not lf.ImagePath("/srv").overlaps(lf.ImagePath("/app"))


def test_workdirs_follow_workdir_env_and_parent_stages() -> None:
    tree = dockfix.parse(
        "ARG BASE=/opt\nFROM x AS a\nARG BASE\nENV APP=$BASE/app\nWORKDIR $APP\nRUN a\n"
        "FROM a\nWORKDIR sub\nRUN b\nFROM y\nWORKDIR app/src\nRUN c\nWORKDIR $UNSET\nRUN d\n"
    )
    model = SemanticModel.of(tree)
    runs = [i for i in tree.instructions if i.keyword == "RUN"]
    assert lf.workdir_at(model, runs[0]) == lf.ImagePath("/opt/app")
    assert lf.workdir_at(model, runs[1]) == lf.ImagePath("/opt/app/sub")
    # relative to the unknown WORKDIR of image y: comparable with paths on it
    assert lf.workdir_at(model, runs[2]) == lf.ImagePath("app/src", under_image=True)
    assert lf.workdir_at(model, runs[3]) is None


def test_copy_destination_is_expanded_as_buildkit_does(tmp_path: Path) -> None:
    """The COPY destination is expanded by the semantic model: `${APP:-/app}`
    (the old expander of DF220 gave up on modifiers) and an ARG after an ENV
    of the same name (builders disagree: not guessed)."""
    files = {"requirements.txt": "flask\n", "app.py": "x\n"}
    text = 'FROM python:3.12\nENV APP=""\nCOPY . ${APP:-/app}\nRUN pip install -r /app/requirements.txt\n'
    result = _fix(tmp_path, text, files, unsafe=True, select=["DF220"])
    assert "COPY requirements.txt ${APP:-/app}/\nRUN pip install" in result.output
    text = (
        "FROM python:3.12\nENV APP=/app\nARG APP=/srv\nCOPY . $APP\n"
        "RUN pip install -r /app/requirements.txt\n"
    )
    result = _fix(tmp_path, text, files, unsafe=True, select=["DF220"])
    assert result.output == text


# -- option parsing ------------------------------------------------------------


def test_pip_options_are_read_with_the_grammar() -> None:
    (cmd,) = _commands("pip install -rreq.txt --constraint=c.txt -q --index-url https://x flask")
    p = tools.parse(cmd)
    assert p is not None and lf_py.pip_install(p)
    assert p.values(*tools.pip.PIP_REQUIREMENT_OPTIONS) == ("req.txt", "c.txt")
    assert p.value("--index-url") == "https://x"
    assert p.operand_values == ("flask",)


@pytest.mark.parametrize(
    "run, tool",
    [
        ("pip install -r r.txt", "pip install"),
        ("pip3.12 install -r r.txt", "pip3.12 install"),
        ("python3 -m pip install -r r.txt", "python3 -m pip install"),
        ("python -u -m pip install -r r.txt", "python -m pip install"),
        (
            "python3 -X dev -m pip install -r r.txt",
            "python3 -m pip install",
        ),  # the old reader stopped at `dev`
        ("uv pip install -r r.txt", "uv pip install"),
        ("uv --native-tls pip sync r.txt", "uv pip sync"),  # a global option before `pip`
        ("pip download -r r.txt", None),
        ("uv sync", None),
        ("python -c 'import pip'", None),
        ("pipx install black", None),
    ],
)
def test_pip_installs(run: str, tool: str | None) -> None:
    p = tools.parse(_commands(run)[0])
    assert (p.label if p is not None and lf_py.pip_install(p) else None) == tool


# -- requirements files ----------------------------------------------------------


def test_requirements_follow_includes_relative_to_the_file(tmp_path: Path) -> None:
    bc = _context(
        tmp_path,
        {
            "requirements/prod.txt": "-r base.txt\n--constraint ../constraints.txt\nflask==3.0 --hash=sha256:abc\n",
            "requirements/base.txt": "# comment\nrequests>=2 ; python_version > '3.8'\n"
            "-e git+https://github.com/x/y.git#egg=y\n--index-url https://pypi.org/simple\n",
            "constraints.txt": "urllib3<3\n",
        },
    )
    inst = lf.Install("python", "x")
    lf_py.read_requirements(inst, bc, "requirements/prod.txt", set())
    assert inst.reason is None
    assert inst.files == ["requirements/prod.txt", "requirements/base.txt", "constraints.txt"]


@pytest.mark.parametrize(
    "line",
    [
        "-e .",
        ".",
        "./libs/a",
        "mypkg @ file:///src/mypkg",
        "dist/app-1.0-py3-none-any.whl",
        "-f ./wheels",
        "libs/a",
    ],
)
def test_requirements_with_local_paths_need_the_sources(tmp_path: Path, line: str) -> None:
    bc = _context(tmp_path, {"requirements.txt": f"flask\n{line}\n"})
    inst = lf.Install("python", "x")
    lf_py.read_requirements(inst, bc, "requirements.txt", set())
    assert inst.reason and "local path" in inst.reason
    assert inst.project


@pytest.mark.parametrize(
    "line",
    ["requests[socks]>=2.31", "pkg @ https://example.com/pkg-1.0.tar.gz", "-i https://x/simple", "--pre"],
)
def test_requirements_without_local_paths(tmp_path: Path, line: str) -> None:
    bc = _context(tmp_path, {"requirements.txt": f"{line}\n"})
    inst = lf.Install("python", "x")
    lf_py.read_requirements(inst, bc, "requirements.txt", set())
    assert inst.reason is None


def test_requirements_include_cycle_and_missing(tmp_path: Path) -> None:
    bc = _context(tmp_path, {"a.txt": "-r b.txt\n", "b.txt": "-r a.txt\n-c missing.txt\n"})
    inst = lf.Install("python", "x")
    lf_py.read_requirements(inst, bc, "a.txt", set())
    assert inst.reason == "missing.txt is not in the build context"


# -- independence -----------------------------------------------------------------


@pytest.mark.parametrize(
    "run, expected",
    [
        ("apt-get install -y --no-install-recommends gcc $EXTRA", True),
        ("apt-get install -y ./local.deb", False),
        ("useradd -ms /bin/bash app", True),
        ("useradd -d /app app", False),
        ("rm -rf /var/lib/apt/lists/*", True),
        ("rm -rf /app/build", False),
        ("rm -rf build", False),
        ("chown -R app:app /app", False),
        ("chown -R app:app /data", True),
        ("pip install --upgrade pip setuptools", True),
        ("pip install -r /tmp/r.txt", False),
        ("pip install ./lib", False),
        ("npm install -g pnpm@9", True),
        ("npm install express", False),
        ("python -m venv /opt/venv", True),
        ("poetry config virtualenvs.create false", True),
        ("poetry config --local virtualenvs.in-project true", False),
        ("echo hi > /app/x", False),
        ("make", False),
        ("for p in a; do apt-get install -y $p; done", False),
        ("curl -sSL https://x | sh", False),
        # read with the tools' grammars: options anywhere, aliases, attached values
        ("python3 -I -m venv /opt/venv", True),
        ("python -m venv .venv", False),
        ("uv --no-cache venv /opt/venv", True),
        ("uv venv --python 3.12 /opt/venv", False),
        ("npm --silent cache clean --force", True),
        ("npm c set registry https://r/", True),
        ("npm config set --userconfig=/app/.npmrc registry https://r/", False),
        ("npm install --global=true pnpm", True),
        ("pip install -Ur /tmp/r.txt", False),
        ("python -m pip install --upgrade pip", True),
        ("uv pip install --system ruff", True),
        ("uv pip install -e .", False),
        ("go install -tags netgo golang.org/x/tools/cmd/goimports@latest", True),
        ("go install -C /app golang.org/x/tools/cmd/goimports@latest", False),
        ("go install ./cmd/x", False),
        ("gem install --install-dir=/app bundler", False),
        ("bundle config set --global jobs 4", True),
        ("composer clearcache", True),
        ("dnf5 install -y gcc", True),
    ],
)
def test_independent(run: str, expected: bool) -> None:
    app = lf.ImagePath("/app")
    cmds = _commands(run)
    assert all(independent(c, Where(app), app) for c in cmds) is expected


@pytest.mark.parametrize(
    "run, expected",
    [
        ("python -m pip uninstall -y x", True),
        ("pip3.12 uninstall -y x", True),
        ("uv pip uninstall x", True),
        ("./mvnw clean", True),
        ("npm prune --omit=dev", True),
        ("npm run build", False),
        ("rm -f x", True),
        ("make", False),
        # R1: the tools package's tables (tools.REMOVES)
        # aliases resolved by the grammars (the old table only knew `rm`, `remove`, `uninstall`)
        ("npm un left-pad", True),
        ("npm r left-pad", True),
        ("apt-get auto-remove -y", True),
        ("zypper cc -a", True),
        # loose on purpose: a deleting word anywhere in the tool's arguments
        ("yarn workspace a remove b", True),
        ("mvn -q clean package", True),
        ("apt-get install -y x", False),
        ("yarn build", False),
        ("gem install bundler", False),
    ],
)
def test_commands_that_remove_files(run: str, expected: bool) -> None:
    (cmd,) = _commands(run)
    assert _removes(cmd) is expected


def test_every_install_of_the_tools_package_is_read() -> None:
    """DF220 reads the installs of every tool the tools package describes
    (one generic analyser over tools.INSTALLS), and pip's through uv too."""
    assert set(tools.INSTALLS) <= set(ANALYSERS)
    recipes = [fn for fns in ANALYSERS.values() for fn in fns if isinstance(fn, Recipe)]
    assert {r.spec.tool for r in recipes} == set(tools.INSTALLS) - {"pip", "cargo"}
    assert all(tools.INSTALLS[r.spec.tool] is r.spec for r in recipes)


def test_independent_paths_with_whole_context_at_root(tmp_path: Path) -> None:
    bc = _context(tmp_path, {"app.py": "", "conf/a.ini": ""})
    root = lf.ImagePath("/")
    where = Where(root, bc)
    (rm_tmp,) = _commands("rm -rf /tmp/x")
    (rm_conf,) = _commands("rm -rf /conf/a.ini")
    assert independent(rm_tmp, where, root)
    assert not independent(rm_conf, where, root)


# -- the rule ---------------------------------------------------------------------

PIP = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["python", "app.py"]\n'


def test_without_a_build_context_it_is_reported_only() -> None:
    result = dockfix.fix(PIP, path="not-on-disk/Dockerfile", select=["DF220"], unsafe=True)
    assert result.output == PIP
    (finding,) = result.findings
    assert finding.fix is None and "build context is not known" in finding.message


def test_safe_mode_offers_the_unsafe_fix(tmp_path: Path) -> None:
    result = _fix(tmp_path, PIP, {"requirements.txt": "flask\n"}, select=["DF220"])
    assert result.output == PIP and result.unsafe_available == 1


def test_explicit_context_is_used(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "requirements.txt").write_text("flask\n")
    result = dockfix.fix(PIP, path="x/Dockerfile", select=["DF220"], unsafe=True, context=str(ctx))
    assert "COPY requirements.txt ./\n" in result.output


def test_with_every_rule_the_fixes_reach_a_fixpoint(tmp_path: Path) -> None:
    files = {
        "package.json": json.dumps({"name": "x", "scripts": {"build": "tsc"}}),
        "package-lock.json": "{}",
        "node_modules/x/index.js": "",  # excluded by the .dockerignore DF601 proposes
        "requirements.txt": "flask\n",
    }
    df = (
        "FROM nikolaik/python-nodejs:latest\nWORKDIR /app\nCOPY . .\n"
        'RUN pip install -r requirements.txt\nRUN npm install && npm run build\nCMD ["python", "app.py"]\n'
    )
    result = _fix(tmp_path, df, files, unsafe=True)
    assert_valid_buildkit(result.output)
    out = result.output
    assert out.index("COPY requirements.txt ./") < out.index("RUN ") < out.index("COPY package.json")
    assert (
        out.index("COPY package.json")
        < out.index("npm install")
        < out.index("COPY . .")
        < out.index("npm run build")
    )
    for name, (_old, new) in result.side_files.items():  # what the runner writes
        (tmp_path / name).write_text(new)
    assert "node_modules" in (tmp_path / ".dockerignore").read_text()
    again = dockfix.fix(out, path=str(tmp_path / "Dockerfile"), unsafe=True)
    assert again.output == out and not again.fixes
    assert not [f for f in again.findings if f.code == "DF220"]


NPM = {"package.json": json.dumps({"name": "x", "scripts": {"build": "tsc"}}), "package-lock.json": "{}"}


@pytest.mark.parametrize(
    "run, why",
    [
        ("export NODE_ENV=production && npm ci && npm run build", "cannot be split"),
        ("NODE_ENV=production && npm ci && npm run build", "cannot be split"),
        ("set -e && npm ci && npm run build", "cannot be split"),
        ("[ -f .env ] && npm ci", "may use the sources"),
        ("npm ci && npm run build || echo failed", "may use the sources"),
        ("npm ci; npm run build", "may use the sources"),
    ],
)
def test_runs_that_are_not_cut(tmp_path: Path, run: str, why: str) -> None:
    df = f"FROM node:20\nWORKDIR /app\nCOPY . .\nRUN {run}\n"
    result = _fix(tmp_path, df, NPM, select=["DF220"], unsafe=True)
    assert result.output == df
    (finding,) = result.findings
    assert finding.fix is None and why in finding.message


def test_export_before_a_split_install_blocks_it(tmp_path: Path) -> None:
    files = {"pyproject.toml": "[tool.poetry]\nname = 'x'\n", "poetry.lock": ""}
    df = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN export POETRY_VIRTUALENVS_CREATE=false && poetry install\n"
    result = _fix(tmp_path, df, files, select=["DF220"], unsafe=True)
    assert result.output == df and "shell state" in result.findings[0].message
    ok = df.replace(
        "RUN export POETRY_VIRTUALENVS_CREATE=false && ", "ENV POETRY_VIRTUALENVS_CREATE=false\nRUN "
    )
    result = _fix(tmp_path, ok, files, select=["DF220"], unsafe=True)
    assert result.output.endswith("RUN poetry install --no-root\nCOPY . .\nRUN poetry install\n")


@pytest.mark.parametrize("run", ["go -C tools mod download", "go mod download -modfile=tools.mod"])
def test_go_install_of_another_folder_is_not_moved(tmp_path: Path, run: str) -> None:
    """`go -C DIR` works in another folder (the old option table only looked
    at `go mod download` as the first words)."""
    df = f"FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN {run}\n"
    result = _fix(tmp_path, df, {"go.mod": "module x\n", "go.sum": ""}, select=["DF220"], unsafe=True)
    assert result.output == df
    (finding,) = result.findings
    assert finding.fix is None and "another file" in finding.message


def test_go_mod_download_moves_before_copy(tmp_path: Path) -> None:
    df = "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\n"
    result = _fix(tmp_path, df, {"go.mod": "module x\n", "go.sum": ""}, select=["DF220"], unsafe=True)
    assert result.output.index("COPY go.mod go.sum ./") < result.output.index("RUN go mod download")


def test_maven_errors_flag_takes_no_value(tmp_path: Path) -> None:
    """`-e` is Maven's --errors flag: the old option table read the goal as
    its value, and the install was not recognised."""
    df = "FROM maven:3\nWORKDIR /src\nCOPY . .\nRUN mvn -e -B dependency:go-offline\n"
    result = _fix(tmp_path, df, {"pom.xml": "<project></project>\n"}, select=["DF220"], unsafe=True)
    assert result.output.index("COPY pom.xml ./") < result.output.index("RUN mvn -e")


def test_gradle_lock_writers_are_the_tools_constant() -> None:
    (gradle,) = [
        r for fns in ANALYSERS.values() for r in fns if isinstance(r, Recipe) and r.spec.tool == "gradle"
    ]
    assert gradle.refuse == tools.jvm.GRADLE_WRITES_LOCKS
    assert all(tools.jvm.GRADLE.options.known(o) for o in tools.jvm.GRADLE_WRITES_LOCKS)
