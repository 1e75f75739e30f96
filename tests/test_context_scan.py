"""The scan of a build context for its other Dockerfiles (DF601's
neighbours) and BuildContext.glob: regular files only, ignore files
honoured, bounded, never following a symlink out, never stale."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import dockfix
from dockfix import context as context_mod
from dockfix.context import BuildContext, reset_run_caches, scan_dockerfiles
from dockfix.transforms.context import dockerignore as df601

ROOT = Path(__file__).resolve().parent.parent

NODE = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"


@pytest.fixture(autouse=True)
def _fresh_caches():
    reset_run_caches()
    yield
    reset_run_caches()


def _write(root: Path, rel: str, content: str | bytes = "") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def _node_project(root: Path) -> Path:
    _write(root, "package.json", "{}")
    return _write(root, "Dockerfile", NODE)


def _df601(dockerfile: Path):
    return dockfix.fix(dockerfile.read_text(), path=str(dockerfile), select=["DF601"], unsafe=True)


def _proposed(result) -> str:
    return result.side_files.get(".dockerignore", (None, ""))[1]


def _count_parses(monkeypatch) -> list[str]:
    seen: list[str] = []
    real = df601.parse

    def counting(text, *a, **kw):
        seen.append(text)
        return real(text, *a, **kw)

    monkeypatch.setattr(df601, "parse", counting)
    return seen


# -- FIFOs, devices, symlinks -------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_sibling_does_not_hang_the_cli(tmp_path: Path) -> None:
    _node_project(tmp_path)
    os.mkfifo(tmp_path / "Dockerfile.x")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    try:
        r = subprocess.run(
            [sys.executable, "-m", "dockfix", "--check", "--unsafe-fixes", "--select", "DF601", str(tmp_path)],
            capture_output=True, env=env, timeout=60, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail("a FIFO named like a Dockerfile made --check hang")
    assert r.returncode == 1, r.stderr
    assert b".dockerignore" in r.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_no_neighbour(tmp_path: Path) -> None:
    df = _node_project(tmp_path)
    os.mkfifo(tmp_path / "api.Dockerfile")
    box: dict = {}
    t = threading.Thread(
        target=lambda: box.update(scan=scan_dockerfiles(tmp_path), fix=_df601(df)), daemon=True
    )
    t.start()
    t.join(60)
    if t.is_alive():  # unblock the thread: open the FIFO for writing once
        with open(tmp_path / "api.Dockerfile", "w"):
            pass
        pytest.fail("the scan opened a FIFO")
    assert [f.rel for f in box["scan"].files] == ["Dockerfile"]
    assert "node_modules" in _proposed(box["fix"])


def test_symlinks_followed_only_to_regular_files_inside(tmp_path: Path) -> None:
    ctx, outside = tmp_path / "ctx", tmp_path / "outside"
    df = _node_project(ctx)
    _write(outside, "Dockerfile", "FROM scratch\nCOPY node_modules /x\n")
    _write(outside, "sub/Dockerfile", "FROM scratch\nCOPY node_modules /x\n")
    _write(ctx, "docker/real.Dockerfile", "FROM scratch\nCOPY .vscode /x\n")
    os.symlink(outside / "Dockerfile", ctx / "out.Dockerfile")  # a file outside
    os.symlink(outside, ctx / "linked")  # a folder outside
    os.symlink(ctx / "docker", ctx / "alias")  # a folder inside: not entered twice
    os.symlink(ctx / "docker" / "real.Dockerfile", ctx / "in.Dockerfile")  # a file inside
    os.symlink(ctx / "nowhere", ctx / "dangling.Dockerfile")
    scan = scan_dockerfiles(ctx)
    assert sorted(f.rel for f in scan.files) == ["Dockerfile", "docker/real.Dockerfile", "in.Dockerfile"]
    assert {f.path for f in scan.files if f.rel == "in.Dockerfile"} == {
        str((ctx / "docker/real.Dockerfile").resolve())
    }
    proposed = _proposed(_df601(df))
    assert "node_modules" in proposed, "a Dockerfile outside the context constrains nothing"
    assert ".vscode" not in proposed, "a Dockerfile inside the context needs it"


# -- ignore files ---------------------------------------------------------------


def test_gitignored_and_big_files_are_not_parsed(tmp_path: Path, monkeypatch) -> None:
    df = _node_project(tmp_path)
    _write(tmp_path, ".gitignore", "build/\n*.gen.Dockerfile\n")
    big = "FROM scratch\n" + "RUN echo x\n" * 100_000  # ~1.1 MB
    _write(tmp_path, "build/Dockerfile", big)
    _write(tmp_path, "build/sub/Dockerfile", "FROM scratch\n")
    _write(tmp_path, "x.gen.Dockerfile", big)
    _write(tmp_path, "worker.Dockerfile", "FROM scratch\nCOPY app /app\n")
    parsed = _count_parses(monkeypatch)
    result = _df601(df)
    assert parsed == ["FROM scratch\nCOPY app /app\n"], "only the one neighbour that counts is parsed"
    assert "node_modules" in _proposed(result)


def test_big_neighbour_is_not_read_and_nothing_is_proposed(tmp_path: Path, monkeypatch) -> None:
    df = _node_project(tmp_path)
    _write(tmp_path, "Dockerfile.big", "FROM scratch\n" + "RUN echo x\n" * 100_000)
    parsed = _count_parses(monkeypatch)
    result = _df601(df)
    assert parsed == []
    assert not result.side_files
    [finding] = [f for f in result.findings if f.code == "DF601"]
    assert finding.fix is None and "Dockerfile.big is too large" in finding.message


def test_dockerignored_folder_holds_no_neighbour(tmp_path: Path, monkeypatch) -> None:
    df = _node_project(tmp_path)
    _write(tmp_path, ".dockerignore", "third_party\n")
    # a vendored Dockerfile the build never sees, needing node_modules
    _write(tmp_path, "third_party/lib/Dockerfile", "FROM node\nCOPY node_modules /x\n")
    parsed = _count_parses(monkeypatch)
    result = _df601(df)
    assert parsed == []
    assert "node_modules" in _proposed(result)


def test_dockerfile_excluded_by_name_still_counts(tmp_path: Path) -> None:
    """Docker reads the Dockerfile of a build even when the .dockerignore
    excludes it (``docker init`` writes ``**/Dockerfile*``): it still needs
    what it copies."""
    df = _node_project(tmp_path)
    _write(tmp_path, ".dockerignore", "**/Dockerfile*\n")
    _write(tmp_path, "Dockerfile.dev", "FROM node\nCOPY node_modules /x\n")
    proposed = _proposed(_df601(df))
    assert "node_modules" not in proposed.split("\n")
    assert ".git" in proposed.split("\n")


def test_unreadable_neighbour_makes_df601_report_only(tmp_path: Path) -> None:
    df = _node_project(tmp_path)
    _write(tmp_path, "Dockerfile.legacy", b"FROM scratch\nCOPY caf\xe9 /x\n")
    result = _df601(df)
    assert not result.side_files
    [finding] = [f for f in result.findings if f.code == "DF601"]
    assert finding.fix is None and "Dockerfile.legacy is not UTF-8" in finding.message


# -- bounds ---------------------------------------------------------------------------


def test_truncated_walk_makes_df601_report_only(tmp_path: Path, monkeypatch) -> None:
    df = _node_project(tmp_path)
    for i in range(30):
        _write(tmp_path, f"pkg{i:02}/index.js")
    # a neighbour beyond the bound, which needs node_modules
    _write(tmp_path, "zz/Dockerfile", "FROM node\nCOPY node_modules /x\n")
    monkeypatch.setattr(context_mod, "SCAN_MAX_ENTRIES", 20)
    scan = scan_dockerfiles(tmp_path)
    assert scan.truncated
    result = _df601(df)
    assert not result.side_files, "what the Dockerfiles beyond the bound need is unknown"
    [finding] = [f for f in result.findings if f.code == "DF601"]
    assert finding.fix is None and "too large to scan" in finding.message
    # with room enough, the neighbour is found and node_modules kept
    monkeypatch.setattr(context_mod, "SCAN_MAX_ENTRIES", 20_000)
    reset_run_caches()
    proposed = _proposed(_df601(df))
    assert ".git" in proposed and "node_modules" not in proposed.split("\n")


class _Budget:
    """os.scandir, counting the entries read from it; fails the test past a
    budget (an unbounded walk of / would read millions)."""

    def __init__(self, monkeypatch, budget: int):
        self.entries = 0
        self.budget = budget
        real = os.scandir

        def scandir(path="."):
            return _Listing(self, real(path))

        monkeypatch.setattr(os, "scandir", scandir)


class _Listing:
    def __init__(self, budget: _Budget, it):
        self.budget, self.it = budget, it

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.it.close()
        return False

    def close(self):
        self.it.close()

    def __iter__(self):
        for entry in self.it:
            self.budget.entries += 1
            if self.budget.entries > self.budget.budget:
                raise AssertionError(f"the walk read more than {self.budget.budget} entries")
            yield entry


def test_compose_context_root_does_not_walk_the_filesystem(tmp_path: Path, monkeypatch) -> None:
    df = _node_project(tmp_path / "app")
    _write(
        tmp_path,
        "compose.yaml",
        f"services:\n  app:\n    build:\n      context: /\n      dockerfile: {str(df).lstrip('/')}\n",
    )
    monkeypatch.setattr(context_mod, "SCAN_MAX_ENTRIES", 2_000)
    budget = _Budget(monkeypatch, 50_000)
    from dockfix import cli
    from dockfix.runner import Options

    monkeypatch.chdir(tmp_path)
    code = cli.run(["."], Options(mode="check", select=("DF601",), unsafe=True))
    assert code in (0, 1)
    # the scan of / itself stops at its bound
    reset_run_caches()
    budget.entries = 0
    assert scan_dockerfiles("/").truncated
    assert budget.entries <= 2_001


def test_glob_is_bounded_and_does_not_follow_symlinked_folders(tmp_path: Path) -> None:
    ctx = tmp_path / "ctx"
    outside = tmp_path / "outside"
    _write(outside, "deep/a.tar", "x")
    _write(ctx, "src/a.tar", "x")
    os.symlink(outside, ctx / "link")
    for i in range(50):
        _write(ctx, f"many/f{i}.txt", "x")
    bc = BuildContext(ctx)
    assert bc.glob("*/a.tar") == ["src/a.tar"]
    assert bc.glob("*/*/a.tar") == [], "a symlinked folder is not entered"
    found = bc.glob("many/*.txt", limit=10)
    assert found.truncated and len(found) <= 10
    assert not bc.glob("many/*.txt").truncated and len(bc.glob("many/*.txt")) == 50


def test_glob_lists_only_folders_the_pattern_can_reach(tmp_path: Path, monkeypatch) -> None:
    for i in range(40):
        _write(tmp_path, f"d{i}/sub/file.txt", "x")
    _write(tmp_path, "src/x.json", "x")
    bc = BuildContext(tmp_path)
    budget = _Budget(monkeypatch, 10**6)
    assert bc.glob("src/*.json") == ["src/x.json"]
    assert budget.entries <= 45, "only the root and src/ are listed"


# -- caches -------------------------------------------------------------------


def test_a_changed_neighbour_is_read_again(tmp_path: Path) -> None:
    df = _node_project(tmp_path)
    other = _write(tmp_path, "worker.Dockerfile", "FROM node\nCOPY node_modules /x\n")
    assert "node_modules" not in _proposed(_df601(df)).split("\n")
    other.write_text("FROM node\nCOPY src /x\n")
    os.utime(other, ns=(1, 1))  # a different mtime even on coarse clocks
    assert "node_modules" in _proposed(_df601(df)).split("\n")


def test_reset_run_caches_forgets_the_scan(tmp_path: Path) -> None:
    df = _node_project(tmp_path)
    assert "node_modules" in _proposed(_df601(df))
    _write(tmp_path, "worker.Dockerfile", "FROM node\nCOPY node_modules /x\n")
    reset_run_caches()
    assert "node_modules" not in _proposed(_df601(df)).split("\n")


def test_cli_run_resets_the_caches(tmp_path: Path, monkeypatch) -> None:
    from dockfix import cli
    from dockfix.runner import Options

    _node_project(tmp_path)
    _write(tmp_path, "api.Dockerfile", NODE)
    monkeypatch.chdir(tmp_path)
    opts = Options(mode="check", select=("DF601",), unsafe=True)
    calls: list[str] = []
    real = context_mod._scan

    def counting(root, limit=None):
        calls.append(root)
        return real(root, limit)

    monkeypatch.setattr(context_mod, "_scan", counting)
    cli.run(["."], opts)
    assert len(calls) == 1, "two Dockerfiles of one context: one scan per run"
    cli.run(["."], opts)
    assert len(calls) == 2, "the second run scanned the context again"
