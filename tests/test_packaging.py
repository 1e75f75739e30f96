"""`pip install .` works: the wheel holds every module and template, and an
installed dockfix (outside the source tree) finds every rule.

Builds the wheel with `python -m build`, installs it into a fresh venv and
asks that venv's interpreter for the rule registry.  Dependencies come from
the package index; without one (offline CI) the fresh venv borrows the
running interpreter's packages instead, and dockfix itself still comes from
the wheel.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "dockfix"

PROBE = (
    "import json, dockfix, dockfix.rules as r; "
    "print(json.dumps({'file': dockfix.__file__, 'rules': sorted(r.registry().rules)}))"
)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env


def _run(cmd: list[str], timeout: float, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_clean_env(), **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if importlib.util.find_spec("build") is None:
        pytest.skip("the `build` package is not installed (pip install build)")
    out = tmp_path_factory.mktemp("dist")
    proc = _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)], timeout=300)
    if proc.returncode != 0 and "Could not find a version that satisfies" in proc.stdout + proc.stderr:
        pytest.skip("cannot fetch the build backend (offline?)")
    assert proc.returncode == 0, f"python -m build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    wheels = list(out.glob("dockfix-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_contains_every_module_and_template(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    transforms = sorted(p.name for p in (PKG / "transforms").glob("*.py"))
    assert "__init__.py" in transforms and len(transforms) > 1
    missing = [t for t in transforms if f"dockfix/transforms/{t}" not in names]
    assert not missing, f"transform modules missing from the wheel: {missing}"
    templates = sorted(p.relative_to(PKG).as_posix() for p in (PKG / "templates").rglob("*") if p.is_file())
    assert templates, "src/dockfix/templates is empty"
    missing = [t for t in templates if f"dockfix/{t}" not in names]
    assert not missing, f"templates missing from the wheel: {missing}"
    modules = sorted(p.name for p in PKG.glob("*.py"))
    missing = [m for m in modules if f"dockfix/{m}" not in names]
    assert not missing, f"modules missing from the wheel: {missing}"
    # Nothing from outside the package (tests, fixtures, corpus) in the wheel.
    assert all(n.startswith(("dockfix/", "dockfix-")) for n in names), sorted(names)
    metadata = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "dockfix = dockfix._entry:main" in zipfile.ZipFile(wheel).read(metadata).decode()


def _source_rules() -> list[str]:
    env = _clean_env()
    env["PYTHONPATH"] = str(ROOT / "src")
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["rules"]


def test_installed_wheel_finds_every_rule(wheel: Path, tmp_path: Path):
    venv = tmp_path / "venv"
    proc = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=60)
    assert proc.returncode == 0, proc.stderr
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / ("python.exe" if os.name == "nt" else "python")
    pip = [sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet"]

    # First choice: a real install, dependencies from the package index.
    try:
        proc = _run([*pip, str(wheel)], timeout=45)
        installed = proc.returncode == 0
    except subprocess.TimeoutExpired:
        installed = False
    if not installed:
        # Offline or too slow: dockfix from the wheel, its dependencies from
        # the running interpreter (appended to the venv's sys.path, after the
        # venv's own site-packages, so the wheel's dockfix wins).
        proc = _run([*pip, "--no-deps", "--force-reinstall", str(wheel)], timeout=60)
        assert proc.returncode == 0, f"pip install --no-deps failed:\n{proc.stderr[-3000:]}"
        site = Path(
            _run(
                [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], 30
            ).stdout.strip()
        )
        borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        (site / "_borrowed_deps.pth").write_text("\n".join(sorted(borrowed)) + "\n")

    # Run outside the source tree so nothing but the installed copy is found.
    proc = subprocess.run(
        [str(py), "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, env=_clean_env(), timeout=60
    )
    assert proc.returncode == 0, f"installed dockfix fails to import or list rules:\n{proc.stderr}"
    got = json.loads(proc.stdout)
    assert Path(got["file"]).resolve().is_relative_to(venv.resolve()), got["file"]
    assert got["rules"] == _source_rules()
    assert got["rules"], "no rules registered at all"
    assert (bindir / ("dockfix.exe" if os.name == "nt" else "dockfix")).exists(), (
        "console script not installed"
    )
