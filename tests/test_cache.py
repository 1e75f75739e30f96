"""The content cache (dockfix.cache): a warm run gives exactly what a cold
run gives, without analysing the files again; anything a result depends on
invalidates it; the cache folder is safe to share, to corrupt and to lose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import corpus_tree_files, make_corpus_tree

import dockfix
from dockfix import _cli_run, cache, cli, runner

N_FILES = 40


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch):
    """The cache as a user has it, whatever the test session's environment."""
    monkeypatch.delenv(cache.ENV_VAR, raising=False)
    monkeypatch.delenv(cache.NO_CACHE_VAR, raising=False)


def _corpus_files() -> list[Path]:
    return corpus_tree_files(N_FILES)


_make_tree = make_corpus_tree


def _state(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``root``: bytes and mtime."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _contents(root: Path) -> dict[str, bytes]:
    return {rel: data for rel, (data, _) in _state(root).items()}


def _restore(root: Path, state: dict[str, tuple[bytes, int]]) -> None:
    """Put ``root`` back as :func:`_state` saw it (bytes and mtimes)."""
    for p in sorted(root.rglob("*"), reverse=True):
        if p.is_file() and str(p.relative_to(root)) not in state:
            p.unlink()
    for rel, (data, mtime) in state.items():
        p = root / rel
        p.write_bytes(data)
        os.utime(p, ns=(mtime, mtime))


class Spy:
    """Counts the files analysed in this process."""

    def __init__(self, monkeypatch) -> None:
        self.paths: list[str] = []
        real = runner.process_source

        def counting(data, path, *a, **kw):
            self.paths.append(path)
            return real(data, path, *a, **kw)

        monkeypatch.setattr(runner, "process_source", counting)

    def take(self) -> list[str]:
        out, self.paths = self.paths, []
        return out


def _run(where: Path, args: list[str], capsys) -> tuple[int, str, str]:
    """The command line in-process, in the folder ``where``."""
    cwd = os.getcwd()
    os.chdir(where)
    try:
        capsys.readouterr()
        kw = cli.fast_parse(args)
        assert kw is not None, args
        code = cli.execute(**kw)
        captured = capsys.readouterr()
    finally:
        os.chdir(cwd)
    return code, captured.out, captured.err


MODES = {"check": ["--check"], "diff": ["--diff"], "fix": []}


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("mode", ["check", "diff", "fix"])
def test_warm_run_gives_what_the_cold_run_gives(tmp_path, capsys, monkeypatch, mode, jobs):
    corpus = _corpus_files()
    tree, store = tmp_path / "tree", tmp_path / "store"
    _make_tree(tree, corpus)
    pristine = _state(tree)
    args = [*MODES[mode], "--isolated", "--jobs", str(jobs), "--cache-dir", str(store), "."]
    spy = Spy(monkeypatch)

    cold = _run(tree, args, capsys)
    cold_files = _contents(tree)
    assert list((store / dockfix.__version__).glob("*.json")), "the cold run stored its results"
    if mode == "fix":
        assert cold_files != {rel: data for rel, (data, _) in pristine.items()}, "something to fix"
        _restore(tree, pristine)
    spy.take()

    warm = _run(tree, args, capsys)
    assert warm == cold
    assert _contents(tree) == cold_files
    analysed = spy.take()
    if mode != "fix":
        assert analysed == [], "a warm run without writes analyses nothing"
    else:  # a write changes its folder: only the one-folder-per-file part is sure to hit
        assert len(analysed) < len(corpus) / 2

    # and the cache changes nothing: an uncached run gives the same
    if mode == "fix":
        _restore(tree, pristine)
    uncached = _run(
        tree, [a for a in args if a != str(store) and a != "--cache-dir"] + ["--no-cache"], capsys
    )
    assert uncached == cold
    assert _contents(tree) == cold_files


def test_warm_pool_run_starts_no_pool(tmp_path, capsys, monkeypatch):
    corpus = _corpus_files()
    tree = tmp_path / "tree"
    _make_tree(tree, corpus)
    args = ["--check", "--isolated", "--jobs", "2", "--cache-dir", str(tmp_path / "store"), "."]
    cold = _run(tree, args, capsys)
    from dockfix import parallel

    def no_pool(*a, **kw):
        raise AssertionError("a pool was started although every file was in the cache")

    monkeypatch.setattr(parallel, "computed", no_pool)
    assert _run(tree, args, capsys) == cold


@pytest.mark.parametrize("jobs", [1, 2])
def test_side_files_proposed_in_a_shared_context_hit_too(tmp_path, capsys, monkeypatch, jobs):
    """Without writing, a .dockerignore the first Dockerfile proposes is what
    the next ones of the folder see: their entries are keyed by it, and a
    warm run (with a pool) finds them all."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "package.json").write_text("{}\n")
    for i in range(_cli_run.MIN_POOL_FILES + 4):
        (shared / f"s{i:02d}.Dockerfile").write_text(f"FROM node:20\nCOPY . /app{i}\nRUN npm ci\n")
    args = ["--diff", "--unsafe-fixes", "--isolated", "--jobs", str(jobs), "--cache-dir", "../store", "."]
    cold = _run(shared, args, capsys)
    assert "+++ b/.dockerignore" in cold[1]
    from dockfix import parallel

    def no_pool(*a, **kw):
        raise AssertionError("a pool was started although every file was in the cache")

    monkeypatch.setattr(parallel, "computed", no_pool)
    spy = Spy(monkeypatch)
    assert _run(shared, args, capsys) == cold
    assert spy.take() == []


# -- invalidation ----------------------------------------------------------

DOCKERFILE = (
    "FROM debian:12\n"
    "WORKDIR /app\n"
    "COPY . .\n"
    "RUN apt-get update && apt-get install -y curl\n"
    "RUN npm ci\n"
    'CMD ["node", "server.js"]\n'
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a configuration file above one build context."""
    (tmp_path / "pyproject.toml").write_text("[tool.dockfix]\n")
    app = tmp_path / "app"
    app.mkdir()
    (app / "Dockerfile").write_text(DOCKERFILE)
    (app / "server.js").write_text("console.log(1)\n")
    return tmp_path


def _analysed(project: Path, capsys, spy: Spy, *args: str) -> list[str]:
    _run(project, ["--check", *args, "app/Dockerfile"], capsys)
    return spy.take()


def test_an_unchanged_file_is_not_analysed_again(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    assert _analysed(project, capsys, spy) == ["app/Dockerfile"]
    assert _analysed(project, capsys, spy) == []
    assert (project / ".dockfix_cache" / "CACHEDIR.TAG").is_file(), "in the project root by default"


def test_changed_bytes_are_analysed_again(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    _analysed(project, capsys, spy)
    df = project / "app" / "Dockerfile"
    st = df.stat()
    df.write_text(DOCKERFILE.replace("curl", "wget"))  # same size
    os.utime(df, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: the bytes tell
    assert _analysed(project, capsys, spy) == ["app/Dockerfile"]
    assert _analysed(project, capsys, spy) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--select", "DF1"],
        ["--unsafe-fixes"],
        ["--ignore", "DF104"],
        ["--select", "DF1", "--extend-select", "DF5"],
    ],
)
def test_other_settings_are_analysed_again(project, capsys, monkeypatch, args):
    spy = Spy(monkeypatch)
    _analysed(project, capsys, spy)
    assert _analysed(project, capsys, spy, *args) == ["app/Dockerfile"]
    assert _analysed(project, capsys, spy, *args) == []
    assert _analysed(project, capsys, spy) == [], "one entry per settings: the first is still there"


def test_the_mode_is_not_part_of_the_key(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    _run(project, ["--check", "app/Dockerfile"], capsys)
    assert spy.take() == ["app/Dockerfile"]
    _run(project, ["--diff", "app/Dockerfile"], capsys)
    assert spy.take() == []


def test_a_rule_option_in_the_configuration_is_part_of_the_key(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    args = ["--unsafe-fixes"]
    _analysed(project, capsys, spy, *args)
    (project / "pyproject.toml").write_text("[tool.dockfix.lint.non-root-user]\nuid = 12345\n")
    assert _analysed(project, capsys, spy, *args) == ["app/Dockerfile"]
    out = _run(project, ["--diff", *args, "app/Dockerfile"], capsys)[1]
    assert "12345" in out
    (project / "pyproject.toml").write_text("[tool.dockfix.lint.non-root-user]\nuid = 23456\n")
    assert _analysed(project, capsys, spy, *args) == ["app/Dockerfile"]


def test_another_dockfix_version_is_a_miss(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    _analysed(project, capsys, spy)
    monkeypatch.setattr(dockfix, "__version__", "99.0.0")
    cache.version_id.cache_clear()
    try:
        assert _analysed(project, capsys, spy) == ["app/Dockerfile"]
        assert (project / ".dockfix_cache" / "99.0.0").is_dir()
    finally:
        monkeypatch.undo()
        cache.version_id.cache_clear()


def test_another_code_fingerprint_is_a_miss(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    _analysed(project, capsys, spy)
    monkeypatch.setattr(cache, "version_id", lambda: "edited code")
    assert _analysed(project, capsys, spy) == ["app/Dockerfile"]


@pytest.mark.parametrize("name", ["package.json", "sub/dir/file.txt", ".dockerignore", "Dockerfile.dev"])
def test_a_context_file_appearing_or_disappearing_is_a_miss(project, capsys, monkeypatch, name):
    spy = Spy(monkeypatch)
    _analysed(project, capsys, spy)
    extra = project / "app" / name
    extra.parent.mkdir(parents=True, exist_ok=True)
    extra.write_text("{}\n" if name.endswith(".json") else "FROM scratch\n")
    assert _analysed(project, capsys, spy) == ["app/Dockerfile"]
    assert _analysed(project, capsys, spy) == []
    extra.unlink()
    assert _analysed(project, capsys, spy) == ["app/Dockerfile"]


def test_a_dockerignore_change_is_a_miss(project, capsys, monkeypatch):
    ignore = project / "app" / ".dockerignore"
    ignore.write_text("node_modules\n")
    spy = Spy(monkeypatch)
    _analysed(project, capsys, spy)
    ignore.write_text("node_modules\n.git\n")
    assert _analysed(project, capsys, spy) == ["app/Dockerfile"]


def test_a_file_outside_the_context_is_not_part_of_the_key(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    _analysed(project, capsys, spy)
    (project / "README.md").write_text("hello\n")
    assert _analysed(project, capsys, spy) == []


def test_fix_mode_keeps_the_fingerprint_up_to_date(tmp_path, capsys, monkeypatch):
    """A fix written by the run changes the context of the Dockerfiles
    after it: they must not be read from entries made before."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "a.Dockerfile").write_text("FROM alpine\nMAINTAINER me\n")
    (shared / "b.Dockerfile").write_text("FROM alpine\nRUN true\n")
    store = ["--isolated", "--cache-dir", str(tmp_path / "store")]
    _run(tmp_path, ["--check", *store, "shared"], capsys)  # entries for the unfixed context
    spy = Spy(monkeypatch)
    _run(tmp_path, [*store, "shared"], capsys)  # fixes a.Dockerfile
    assert spy.take() == ["shared/b.Dockerfile"], "a: from the cache; b: its context changed"
    assert "LABEL" in (shared / "a.Dockerfile").read_text()


def test_contexts_are_walked_once_per_run(tmp_path, capsys, monkeypatch):
    corpus = _corpus_files()
    _make_tree(tmp_path / "tree", corpus)
    walks: list[str] = []
    real = cache.Cache._walk

    def counting(self, root):
        walks.append(root)
        return real(self, root)

    monkeypatch.setattr(cache.Cache, "_walk", counting)
    _run(tmp_path / "tree", ["--check", "--isolated", "--jobs", "1", "."], capsys)
    assert len(walks) == len(set(walks))
    assert len(walks) == len(list((tmp_path / "tree" / "apps").iterdir())) + 1


# -- the folder ------------------------------------------------------------


def test_the_folder_is_tagged_and_ignored(project, capsys):
    _run(project, ["--check", "--cache-dir", "c", "app/Dockerfile"], capsys)
    folder = project / "c"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    lines = [x for x in (folder / ".gitignore").read_text().splitlines() if not x.startswith("#")]
    assert lines == ["*"]


def test_the_environment_names_the_folder(project, capsys, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(project / "elsewhere"))
    _run(project, ["--check", "app/Dockerfile"], capsys)
    assert (project / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert not (project / ".dockfix_cache").exists()


def test_the_configuration_names_the_folder(project, capsys):
    (project / "pyproject.toml").write_text('[tool.dockfix]\ncache-dir = "build/cache"\n')
    sub = project / "app"
    _run(sub, ["--check", "Dockerfile"], capsys)  # the project's configuration, found from app/
    assert (project / "build" / "cache" / "CACHEDIR.TAG").is_file()
    assert not (project / ".dockfix_cache").exists()
    code, _, err = _run(sub, ["--check", "--cache-dir", "here", "Dockerfile"], capsys)
    assert (sub / "here" / "CACHEDIR.TAG").is_file(), "--cache-dir wins"


def test_a_bad_cache_dir_setting_is_an_error(project, capsys):
    (project / "pyproject.toml").write_text("[tool.dockfix]\ncache-dir = 3\n")
    code, _, err = _run(project, ["--check", "app/Dockerfile"], capsys)
    assert code == 2
    assert (
        err
        == f"dockfix: error: {project / 'pyproject.toml'}: tool.dockfix.cache-dir: expected a folder name, got an integer\n"
    )


def test_no_cache_neither_reads_nor_writes(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    _run(project, ["--check", "--no-cache", "app/Dockerfile"], capsys)
    assert not (project / ".dockfix_cache").exists()
    _analysed(project, capsys, spy)  # fills the cache
    spy.take()
    _run(project, ["--check", "--no-cache", "app/Dockerfile"], capsys)
    assert spy.take() == ["app/Dockerfile"]


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_the_environment_turns_the_cache_off(project, capsys, monkeypatch, value):
    monkeypatch.setenv(cache.NO_CACHE_VAR, value)
    _run(project, ["--check", "app/Dockerfile"], capsys)
    assert not (project / ".dockfix_cache").exists()
    monkeypatch.setenv(cache.NO_CACHE_VAR, "0")
    _run(project, ["--check", "app/Dockerfile"], capsys)
    assert (project / ".dockfix_cache").exists()


def test_stdin_is_not_cached(project, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(DOCKERFILE.encode())))
    _run(project, ["--check", "--stdin-filename", "app/Dockerfile", "-"], capsys)
    assert not (project / ".dockfix_cache").exists()


def _entries(project: Path) -> list[Path]:
    return sorted((project / ".dockfix_cache" / dockfix.__version__).glob("*.json"))


def _edit(entry: Path, header: dict | None = None, result: object = None) -> None:
    """Change an entry's header fields or its result."""
    head, rest = entry.read_text().split("\n", 1)
    if header is not None:
        head = json.dumps({**json.loads(head), **header})
    if result is not None:
        rest = json.dumps(result)
    entry.write_text(f"{head}\n{rest}")


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),  # truncated in the result
        lambda p: p.write_bytes(p.read_bytes()[:20]),  # truncated in the header
        lambda p: p.write_bytes(b"\x00\xff garbage"),
        lambda p: p.write_text("[]"),
        lambda p: _edit(p, header={"format": 0}),
        lambda p: _edit(p, header={"key": "0" * 32}),
        lambda p: _edit(p, header={"side": 3}),
        lambda p: _edit(p, result={"status": "x"}),
        lambda p: _edit(p, result=[]),
        lambda p: p.unlink(),
    ],
)
def test_a_damaged_entry_is_a_miss(project, capsys, monkeypatch, damage):
    spy = Spy(monkeypatch)
    args = ["--check", "app/Dockerfile"]
    cold = _run(project, args, capsys)
    spy.take()
    (entry,) = _entries(project)
    damage(entry)
    assert _run(project, args, capsys) == cold
    assert spy.take() == ["app/Dockerfile"]
    assert _run(project, args, capsys) == cold
    assert spy.take() == [], "the entry was written again"


def test_an_unusable_folder_runs_uncached_with_one_warning(project, capsys, monkeypatch):
    (project / "a-file").write_text("")
    spy = Spy(monkeypatch)
    args = ["--check", "--cache-dir", "a-file/cache", "app/Dockerfile"]
    code, out, err = _run(project, args, capsys)
    expected = _run(project, ["--check", "--no-cache", "app/Dockerfile"], capsys)
    assert (code, out) == expected[:2]
    warning, rest = err.split("\n", 1)
    assert warning.startswith("dockfix: warning: cannot write the cache in a-file/cache")
    assert rest == expected[2]
    assert spy.take() == ["app/Dockerfile"] * 2


def test_a_read_only_folder_is_still_read(project, capsys, monkeypatch):
    spy = Spy(monkeypatch)
    cold = _analysed(project, capsys, spy)
    monkeypatch.setattr(cache.files, "replace_file", _fail_write)
    monkeypatch.setattr(cache.Cache, "_create", lambda self: _fail_write(self.path, b""))
    code, out, err = _run(project, ["--check", "app/Dockerfile"], capsys)
    assert err.startswith("dockfix: warning: cannot write the cache")
    assert spy.take() == [] and cold == ["app/Dockerfile"]


def _fail_write(target, data):
    raise PermissionError(13, "Permission denied", target)


def test_old_entries_and_versions_are_pruned(project, capsys, monkeypatch):
    _run(project, ["--check", "app/Dockerfile"], capsys)
    folder = project / ".dockfix_cache"
    old = time.time() - cache.MAX_AGE - 10
    stale = folder / dockfix.__version__ / ("0" * 32 + ".json")
    stale.write_text("{}")
    os.utime(stale, (old, old))
    other = folder / "0.0.1"
    other.mkdir()
    (other / "x.json").write_text("{}")
    os.utime(other, (old, old))
    recent = folder / "0.0.2"
    recent.mkdir()
    os.utime(folder / dockfix.__version__ / "last-pruned", (old, old))
    (project / "app" / "Dockerfile").write_text(DOCKERFILE + "USER 1000\n")  # something to store
    _run(project, ["--check", "app/Dockerfile"], capsys)
    assert not stale.exists()
    assert not other.exists()
    assert recent.exists()
    assert len(_entries(project)) == 1, "one entry per file and settings: the new result replaced the old"


def test_two_runs_sharing_the_cache(tmp_path):
    corpus = _corpus_files()
    tree = tmp_path / "tree"
    _make_tree(tree, corpus)
    store = str(tmp_path / "store")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    base = [sys.executable, "-m", "dockfix", "--check", "--isolated", "--jobs", "1", "."]

    def start(*extra):
        return subprocess.Popen(
            [*base, *extra], cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    expected = start("--no-cache").communicate(timeout=300)
    runs = [start("--cache-dir", store) for _ in range(2)]
    for p in runs:
        assert (p.communicate(timeout=300), p.returncode) == (expected, 1)
    warm = start("--cache-dir", store)
    assert warm.communicate(timeout=300) == expected
    assert not list(Path(store).rglob("*.tmp")), "no temporary file left"


def test_a_full_hit_imports_no_rule_and_no_tree_sitter(project, capsys):
    args = ["--check", "app/Dockerfile"]
    _run(project, args, capsys)  # fills the cache
    code = (
        "import sys\n"
        "from dockfix import cli\n"
        f"rc = cli.execute(**cli.fast_parse({args!r}))\n"
        "loaded = [m for m in sys.modules if m.startswith(('dockfix.transforms', 'tree_sitter', 'dockfix.engine'))]\n"
        "print('LOADED', loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120
    ).stdout
    assert "LOADED []" in out


def test_shellcheck_is_part_of_the_key_of_df7_rules(tmp_path, monkeypatch):
    from dockfix.rules import registry
    from dockfix.runner import Options

    if not any(c.startswith("DF7") for c in registry().rules):
        pytest.skip("no DF7xx rule yet")
    binary = tmp_path / "shellcheck"
    binary.write_text("v1")
    import types

    fake = types.ModuleType("dockfix.shellcheck")
    fake.binary = lambda: str(binary)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dockfix.shellcheck", fake)
    monkeypatch.setattr(dockfix, "shellcheck", fake, raising=False)
    c = cache.Cache(str(tmp_path / "store"))
    df7, df5 = Options(select=("DF7",)), Options(select=("DF5",))
    before = (c._settings_of(df7), c._settings_of(df5))
    binary.write_text("version 2")
    c = cache.Cache(str(tmp_path / "store"))
    after = (c._settings_of(df7), c._settings_of(df5))
    assert before[0] != after[0] and before[1] == after[1]
