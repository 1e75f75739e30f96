"""`--jobs N`: a run on a pool of workers gives exactly what an in-process
run gives (stdout, stderr, exit code, the files written), and `--quiet`."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import corpus_tree_files, make_corpus_tree

from dockfix import _cli_run
from dockfix.config import Resolver
from dockfix.parallel import Touched
from dockfix.runner import FileResult, Options, compute_file

N_FILES = 60


def _corpus_files() -> list[Path]:
    return corpus_tree_files(N_FILES)


_make_tree = make_corpus_tree


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _run(root: Path, mode: str, jobs: int, capsys, quiet: bool = False) -> tuple[int, str, str]:
    cwd = os.getcwd()
    os.chdir(root)
    try:
        capsys.readouterr()
        code = _cli_run.run(["."], Options(mode=mode), resolver=Resolver(None, True), jobs=jobs, quiet=quiet)
        captured = capsys.readouterr()
    finally:
        os.chdir(cwd)
    return code, captured.out, captured.err


@pytest.mark.parametrize("mode", ["check", "diff", "fix"])
def test_jobs_2_gives_what_jobs_1_gives(tmp_path, capsys, mode):
    corpus = _corpus_files()
    one, two = tmp_path / "one", tmp_path / "two"
    _make_tree(one, corpus)
    _make_tree(two, corpus)
    first = _run(one, mode, 1, capsys)
    second = _run(two, mode, 2, capsys)
    assert second == first
    assert _snapshot(two) == _snapshot(one)
    if mode == "fix":
        changed = _snapshot(one) != _snapshot_of_corpus(corpus, tmp_path / "orig")
        assert changed, "the corpus files gave no fix at all: the test would prove nothing"
    else:
        assert first[1], "nothing printed: the test would prove nothing"


def _snapshot_of_corpus(corpus: list[Path], root: Path) -> dict[str, bytes]:
    _make_tree(root, corpus)
    return _snapshot(root)


def test_quiet_prints_only_errors_and_diffs(tmp_path, capsys):
    corpus = _corpus_files()[:5]
    _make_tree(tmp_path, corpus)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "Dockerfile").write_bytes(b"FROM alpine\nRUN echo \xff\n")
    code, out, err = _run(tmp_path, "check", 1, capsys, quiet=True)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "bad/Dockerfile" in err  # the error, no summary
    code, out, err = _run(tmp_path, "check", 1, capsys)
    assert out and "file" in err.splitlines()[-1]  # not quiet: the listing and the summary
    _, diff_out, _ = _run(tmp_path, "diff", 1, capsys)
    _, quiet_diff, _ = _run(tmp_path, "diff", 1, capsys, quiet=True)
    assert quiet_diff == diff_out and diff_out.startswith("---")


def test_results_pickle(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text("FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y curl\n")
    result, data = compute_file(str(df), Options(mode="fix"))
    assert data == df.read_bytes()
    again = pickle.loads(pickle.dumps((result, Options(mode="fix"))))[0]
    assert isinstance(again, FileResult)
    assert again == result


def test_touched_tells_which_contexts_are_stale(tmp_path):
    touched = Touched()
    assert not touched.inside(str(tmp_path))
    touched.add(str(tmp_path / "a" / "b" / "Dockerfile"))
    assert touched.inside(str(tmp_path / "a" / "b"))
    assert touched.inside(str(tmp_path / "a"))
    assert not touched.inside(str(tmp_path / "a" / "c"))
    assert not touched.inside(str(tmp_path / "a" / "b" / "d"))


@pytest.mark.parametrize("mode", ["check", "diff", "fix"])
def test_files_sharing_a_context_see_each_others_side_files(tmp_path, capsys, mode):
    """Every Dockerfile of one build context asks for the same .dockerignore
    (DF601): in-process, the first creates it and the next ones see it; a
    worker's result computed before that is stale and must be redone."""
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "DF601" / "node-new-file"
    results = []
    for jobs in (1, 2):
        root = tmp_path / str(jobs)
        root.mkdir()
        shutil.copyfile(fixture / "package.json", root / "package.json")
        for i in range(_cli_run.MIN_POOL_FILES + 4):
            shutil.copyfile(fixture / "input.Dockerfile", root / f"s{i:03}.Dockerfile")
        cwd = os.getcwd()
        os.chdir(root)
        try:
            capsys.readouterr()
            code = _cli_run.run(
                ["."], Options(mode=mode, unsafe=True), resolver=Resolver(None, True), jobs=jobs
            )
            captured = capsys.readouterr()
        finally:
            os.chdir(cwd)
        results.append((code, captured.out, captured.err, _snapshot(root)))
    assert results[1] == results[0]
    assert ".dockerignore" in results[0][1] + results[0][2] + "".join(results[0][3])


def test_parse_jobs():
    assert _cli_run.parse_jobs(None) is None
    assert _cli_run.parse_jobs("3") == 3
    for bad in ("0", "-1", "x"):
        with pytest.raises(_cli_run.UsageProblem):
            _cli_run.parse_jobs(bad)
