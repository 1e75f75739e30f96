"""The pre-commit hooks (``.pre-commit-hooks.yaml``), run by the real
``pre-commit`` in a temporary git repository whose hook repository is a
snapshot of this checkout (its files as they are now, committed in a
temporary repository, so the test does not need the working tree to be
committed).  pre-commit installs the hook repository with pip: dockfix from
the snapshot, its dependencies from the package index."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dockfix.discovery import is_dockerfile_name

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"
FIXABLE = "FROM alpine:3.20\nMAINTAINER Jane <j@example.com>\n"

NAMES = [
    "Dockerfile", "Containerfile", "Dockerfile.dev", "api.Dockerfile", "a.b.Dockerfile.c", "x.dockerfile",
    "Containerfile.layer", "sub/dir/Dockerfile", "dockerfile", "Dockerfile.dockerignore", ".Dockerfile.swp",
    "Dockerfile~", "Dockerfile.orig", "x.dockerfile.bak", "my-Dockerfile", "DockerfileX", "README.md",
    "Dockerfile.tmp", "docker/Containerfile.rej",
]  # fmt: skip


def hooks() -> dict[str, dict]:
    return {h["id"]: h for h in yaml.safe_load(HOOKS.read_text())}


def test_hooks_declared():
    h = hooks()
    assert set(h) == {"dockfix", "dockfix-check"}
    assert h["dockfix"]["entry"] == "dockfix"
    assert h["dockfix-check"]["entry"] == "dockfix --check"
    for hook in h.values():
        assert hook["language"] == "python"
        assert hook["types"] == ["text"]


@pytest.mark.parametrize("name", NAMES)
def test_files_pattern_is_dockfix_naming(name):
    """The hooks' ``files`` pattern selects exactly what dockfix's own
    naming rule (:func:`dockfix.discovery.is_dockerfile_name`) does."""
    for hook in hooks().values():
        matched = re.search(hook["files"], name) is not None
        assert matched == is_dockerfile_name(name.rsplit("/", 1)[-1]), name


def test_why_not_identify_dockerfile_type():
    """identify's ``dockerfile`` type and dockfix's naming differ both ways
    (so the hooks select by ``files``): identify misses ``*.dockerfile`` and
    tags Docker's per-Dockerfile ignore files and backups, which dockfix
    must not rewrite; on every other name they agree."""
    from identify import identify

    pattern = hooks()["dockfix"]["files"]
    tagged = {n for n in NAMES if "dockerfile" in identify.tags_from_filename(n.rsplit("/", 1)[-1])}
    taken = {n for n in NAMES if re.search(pattern, n)}
    assert taken - tagged == {"x.dockerfile"}
    assert tagged - taken >= {"Dockerfile.dockerignore", "Dockerfile.orig"}
    assert all(not is_dockerfile_name(n.rsplit("/", 1)[-1]) for n in tagged - taken)


def git(*args: str, cwd: Path, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=check, env=env, timeout=900
    )


def snapshot(dest: Path, env: dict) -> str:
    """This checkout's files (tracked and new, minus ignored ones) that
    make the package, committed in a new repository at ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    wanted = ("src/", "pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
    for rel in listed:
        if rel and rel.startswith(wanted) and (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    git("init", "-q", cwd=dest, env=env)
    git("add", "-A", cwd=dest, env=env)
    git("commit", "-q", "-m", "snapshot", cwd=dest, env=env)
    return git("rev-parse", "HEAD", cwd=dest, env=env).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_fixes_then_passes(tmp_path):
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable)) or shutil.which(
        "pre-commit"
    )
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (it is in the test extra)")
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com", GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com", GIT_CONFIG_NOSYSTEM="1", HOME=str(tmp_path / "home"),
        PRE_COMMIT_HOME=str(tmp_path / "cache"), PIP_DISABLE_PIP_VERSION_CHECK="1",
    )  # fmt: skip
    env.pop("PYTHONPATH", None)
    (tmp_path / "home").mkdir()
    hook_repo = tmp_path / "hooks"
    hook_repo.mkdir()
    rev = snapshot(hook_repo, env)

    work = tmp_path / "work"
    work.mkdir()
    git("init", "-q", cwd=work, env=env)
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hook_repo}\n  rev: {rev}\n  hooks:\n  - id: dockfix-check\n  - id: dockfix\n"
    )
    (work / "Dockerfile").write_text(FIXABLE)
    (work / "notes.txt").write_text("MAINTAINER is not a Dockerfile here\n")
    subprocess.run([pre_commit, "install"], cwd=work, env=env, check=True, capture_output=True, timeout=120)
    git("add", "-A", cwd=work, env=env)

    first = git("commit", "-m", "add Dockerfile", cwd=work, env=env, check=False)
    log = first.stdout + first.stderr
    assert first.returncode != 0, log
    assert re.search(r"dockfix \(check\)\.+Failed", log), log
    assert re.search(r"dockfix\.+Failed", log) and "files were modified by this hook" in log, log
    assert "Dockerfile:2:1: DF501" in log  # the check hook lists the finding
    fixed = (work / "Dockerfile").read_text()
    assert 'LABEL maintainer="Jane <j@example.com>"' in fixed and "MAINTAINER" not in fixed
    assert (work / "notes.txt").read_text().startswith("MAINTAINER")  # not a Dockerfile: untouched
    assert git("rev-list", "--all", cwd=work, env=env).stdout == ""  # nothing committed

    git("add", "-A", cwd=work, env=env)
    second = git("commit", "-m", "add Dockerfile", cwd=work, env=env, check=False)
    log = second.stdout + second.stderr
    assert second.returncode == 0, log
    assert re.search(r"dockfix \(check\)\.+Passed", log) and re.search(r"dockfix\.+Passed", log), log
    assert git("show", "HEAD:Dockerfile", cwd=work, env=env).stdout == fixed
