"""Never lose a write, never hang on a file, one clear line for every
problem: the I/O half of the hardening issue (#12), driven for real.

* a Dockerfile and the side files its fixes write go all or nothing;
* in-place writes keep owner, group, hard links and extended attributes;
* a file changed since it was read is not overwritten;
* SIGTERM and an early Ctrl-C end with one line and no temporary file;
* no side file is written outside the trees given on the command line;
* closed or full stdout, broken pipes, file names with newlines, a BOM;
* files over ``--max-file-size``, FIFOs named explicitly, MemoryError.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dockfix import cli, files, runner
from dockfix.runner import Options

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src"))

AS_LOWER = "FROM alpine:3.20 as build\n"
AS_UPPER = "FROM alpine:3.20 AS build\n"
# DF601 (unsafe) proposes a .dockerignore next to a Node.js Dockerfile that copies everything
NODE = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD node index.js\n"


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def dockfix(*args: str, stdin=None, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dockfix", *args],
        capture_output=True, env=ENV, timeout=timeout, stdin=stdin, **kw,
    )  # fmt: skip


def node_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text('{"name": "x"}\n')
    df = folder / "Dockerfile"
    df.write_text(AS_LOWER + NODE.split("\n", 1)[1])
    return df


# --- all or nothing ----------------------------------------------------------


def test_side_file_failure_leaves_the_dockerfile_untouched(tmp_path):
    df = node_project(tmp_path)
    before = df.read_bytes()
    (tmp_path / ".dockerignore").mkdir()  # a directory where the side file must go
    r = dockfix("--unsafe-fixes", "Dockerfile")
    assert r.returncode == 2
    assert df.read_bytes() == before
    line = r.stderr.decode().splitlines()[0]
    assert line.startswith("Dockerfile:1:1: cannot write .dockerignore: ") and line.endswith(
        "nothing written"
    )
    assert sorted(os.listdir(tmp_path)) == [".dockerignore", "Dockerfile", "package.json"]


def test_side_file_in_unwritable_folder_leaves_the_dockerfile_untouched(tmp_path, monkeypatch):
    df = node_project(tmp_path)
    before = df.read_bytes()
    import tempfile  # files.py imports it when it writes

    real = tempfile.mkstemp

    def mkstemp(*a, **kw):
        if ".dockerignore" in kw.get("prefix", ""):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real(*a, **kw)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    res = runner.process_file("Dockerfile", Options(unsafe=True))
    assert res.status == "error" and "cannot write .dockerignore: Permission denied" in res.error
    assert df.read_bytes() == before
    assert not (tmp_path / ".dockerignore").exists()
    assert [n for n in os.listdir(tmp_path) if n.endswith(".dockfix-tmp")] == []


def test_a_failed_rename_rolls_back_the_files_already_replaced(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("old a\n")
    b.write_text("old b\n")
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(OSError) as exc:
        files.write_files([files.PlannedWrite(str(a), "new a\n"), files.PlannedWrite(str(b), "new b\n")])
    assert exc.value.filename == str(b)
    assert a.read_text() == "old a\n"  # put back
    assert b.read_text() == "old b\n"
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


# --- file identity -------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_owner_and_group_are_kept(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text(AS_LOWER)
    os.chown(df, 12345, 23456)
    df.chmod(0o640)
    assert dockfix("Dockerfile").returncode == 0
    st = df.stat()
    assert df.read_text() == AS_UPPER
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (12345, 23456, 0o640)


def test_hard_links_are_written_through(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text(AS_LOWER)
    other = tmp_path / "other-name"
    os.link(df, other)
    ino = df.stat().st_ino
    assert dockfix("Dockerfile").returncode == 0
    assert df.read_text() == AS_UPPER
    assert other.read_text() == AS_UPPER  # the other name sees the fix too
    assert df.stat().st_ino == ino and df.stat().st_nlink == 2


def test_extended_attributes_are_kept(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text(AS_LOWER)
    try:
        os.setxattr(df, "user.dockfix-test", b"kept")
    except OSError as e:
        pytest.skip(f"no user xattrs on this file system: {e}")
    assert dockfix("Dockerfile").returncode == 0
    assert df.read_text() == AS_UPPER
    assert os.getxattr(df, "user.dockfix-test") == b"kept"


# --- concurrent changes --------------------------------------------------------


def test_a_file_changed_during_the_run_is_not_overwritten(tmp_path, monkeypatch):
    df = tmp_path / "Dockerfile"
    df.write_text(AS_LOWER)
    real = runner.process_source

    def meanwhile(*a, **kw):  # another program writes the file while dockfix works
        result = real(*a, **kw)
        df.write_text("FROM alpine:3.21 as build\n")
        return result

    monkeypatch.setattr(runner, "process_source", meanwhile)
    res = runner.process_file("Dockerfile", Options())
    assert res.status == "error" and res.error == "changed during the run; not written"
    assert df.read_text() == "FROM alpine:3.21 as build\n"
    assert cli.format_error(res, False) == "Dockerfile:1:1: changed during the run; not written\n"


def test_a_side_file_created_meanwhile_is_not_overwritten(tmp_path):
    target = tmp_path / ".dockerignore"
    plan = [files.PlannedWrite(str(target), "node_modules\n", None)]  # None: must not exist
    target.write_text("mine\n")
    with pytest.raises(files.ChangedOnDisk):
        files.write_files(plan)
    assert target.read_text() == "mine\n"


# --- signals -------------------------------------------------------------------

SIGTERM_DURING_WRITE = textwrap.dedent(
    """
    import os, signal, sys
    from dockfix import cli, files
    real = files._copy_identity
    def copy_then_die(*a):  # SIGTERM arrives with the temporary file on disk
        real(*a)
        os.kill(os.getpid(), signal.SIGTERM)
    files._copy_identity = copy_then_die
    cli.main(["Dockerfile"])
    """
)


def test_sigterm_during_a_write_cleans_up_and_says_so(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text(AS_LOWER)
    r = subprocess.run([sys.executable, "-c", SIGTERM_DURING_WRITE], capture_output=True, env=ENV, timeout=60)
    assert r.returncode == 143
    assert r.stderr.decode() == "dockfix: terminated\n"
    assert df.read_text() == AS_LOWER
    assert os.listdir(tmp_path) == ["Dockerfile"]


def test_sigterm_in_a_long_run_exits_143_without_temporary_files(tmp_path):
    for i in range(300):
        (tmp_path / f"d{i:03}").mkdir()
        (tmp_path / f"d{i:03}" / "Dockerfile").write_text(AS_LOWER + "RUN apt-get install -y curl\n" * 20)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockfix", "."], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV
    )
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    out, errs = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.skip("the run finished before the signal")
    assert proc.returncode == 143
    assert errs.decode().splitlines()[-1] == "dockfix: terminated"
    assert "Traceback" not in errs.decode()
    assert not list(tmp_path.rglob("*.dockfix-tmp"))


def test_importing_the_command_line_loads_nothing_else():
    """The console script imports ``dockfix.cli`` before ``main`` can install
    its Ctrl-C handler: that import must be next to nothing (an interrupt
    there used to land in the parser's import and print a traceback)."""
    code = "import sys, dockfix.cli; print(sorted(m for m in sys.modules if m.startswith(('dockfix', 'typing'))))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, env=ENV, timeout=60, text=True)
    assert r.stdout.strip() == "['dockfix', 'dockfix.cli']"
    # and the console script imports even that inside its try
    code = "import sys, dockfix._entry; print(sorted(m for m in sys.modules if m.startswith('dockfix')))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, env=ENV, timeout=60, text=True)
    assert r.stdout.strip() == "['dockfix', 'dockfix._entry']"


def test_ctrl_c_while_the_command_line_module_loads_is_one_line(tmp_path):
    hook = textwrap.dedent(
        """
        import importlib.abc, os, signal, sys
        class Hook(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "dockfix.cli":
                    os.kill(os.getpid(), signal.SIGINT)
                return None
        sys.meta_path.insert(0, Hook())
        from dockfix._entry import main
        main()
        """
    )
    r = subprocess.run([sys.executable, "-c", hook], capture_output=True, env=ENV, timeout=60)
    assert (r.returncode, r.stderr.decode()) == (130, "dockfix: interrupted\n")


INTERRUPT_AT_IMPORT = textwrap.dedent(
    """
    import importlib.abc, os, signal, sys
    target, signame = sys.argv[1], sys.argv[2]
    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target_=None):
            if name == target:
                os.kill(os.getpid(), getattr(signal, signame))
            return None
    sys.meta_path.insert(0, Hook())
    from dockfix import cli
    cli.main(["--check", "."])
    """
)


@pytest.mark.parametrize("module", ["dockfix.runner", "dockfix.parser", "dockfix.engine", "dockfix.rules"])
@pytest.mark.parametrize(
    "signame, code, message", [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "terminated")]
)
def test_a_signal_while_loading_is_one_line(tmp_path, module, signame, code, message):
    (tmp_path / "Dockerfile").write_text(AS_LOWER)
    r = subprocess.run(
        [sys.executable, "-c", INTERRUPT_AT_IMPORT, module, signame], capture_output=True, env=ENV, timeout=60
    )
    assert (r.returncode, r.stderr.decode()) == (code, f"dockfix: {message}\n")


@pytest.mark.parametrize("delay", [0.02, 0.05, 0.1, 0.2])
def test_early_ctrl_c_prints_no_traceback_through_dockfix(tmp_path, delay):
    """Timing-based, as a user would do it: whatever the moment, no traceback
    through dockfix's code (the interpreter's own start-up, before any of
    dockfix runs, is out of its hands)."""
    (tmp_path / "Dockerfile").write_text(AS_LOWER)
    script = Path(sys.executable).parent / "dockfix"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "dockfix"]
    proc = subprocess.Popen(cmd + ["--check", "."], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, errs = proc.communicate(timeout=60)
    assert not (b"Traceback" in errs and b"/dockfix/" in errs), errs.decode()
    if proc.returncode == 130:
        assert errs.decode().endswith("dockfix: interrupted\n")


# --- writing only inside the given trees -------------------------------------


def test_compose_context_outside_the_tree_gets_no_side_file(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "package.json").write_text('{"name": "x"}\n')
    repo = tmp_path / "repo"
    (repo / "svc").mkdir(parents=True)
    (repo / "svc" / "Dockerfile").write_text(NODE)
    (repo / "compose.yaml").write_text(
        "services:\n  web:\n    build:\n      context: ../elsewhere\n      dockerfile: ../repo/svc/Dockerfile\n"
    )
    r = dockfix("--unsafe-fixes", "repo")
    assert not (elsewhere / ".dockerignore").exists()
    assert r.returncode == 0, r.stderr
    check = dockfix("--check", "--unsafe-fixes", "repo")
    assert b"DF601" in check.stdout  # still reported, just not written there


def test_compose_context_inside_the_tree_gets_its_side_file(tmp_path):
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "package.json").write_text('{"name": "x"}\n')
    (repo / "docker").mkdir()
    (repo / "docker" / "web.Dockerfile").write_text(NODE)
    (repo / "compose.yaml").write_text(
        "services:\n  web:\n    build:\n      context: app\n      dockerfile: ../docker/web.Dockerfile\n"
    )
    r = dockfix("--unsafe-fixes", "repo")
    assert r.returncode == 0, r.stderr
    assert "node_modules" in (repo / "app" / ".dockerignore").read_text()


# --- output --------------------------------------------------------------------


def test_closed_stdout_is_one_clear_line(tmp_path):
    (tmp_path / "Dockerfile").write_text(AS_LOWER)
    r = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.close(1); from dockfix import cli; cli.main(sys.argv[1:])",
         "--diff", "Dockerfile"],
        stderr=subprocess.PIPE, env=ENV, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.decode().splitlines()[-1].startswith("dockfix: error: ")
    assert "internal error" not in r.stderr.decode() and "Traceback" not in r.stderr.decode()


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_full_disk_on_stdout_is_one_clear_line(tmp_path):
    (tmp_path / "Dockerfile").write_text(AS_LOWER)
    with open("/dev/full", "wb") as full:
        r = dockfix("--diff", "Dockerfile", stdout=full) if False else subprocess.run(
            [sys.executable, "-m", "dockfix", "--diff", "Dockerfile"],
            stdout=full, stderr=subprocess.PIPE, env=ENV, timeout=60,
        )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.decode() == "dockfix: error: cannot write to standard output: No space left on device\n"


def test_broken_pipe_ends_quietly(tmp_path):
    for i in range(200):
        (tmp_path / f"{i:03}.Dockerfile").write_text(AS_LOWER)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockfix", "--diff", "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, like `| head -1`
    errs = proc.stderr.read()
    proc.wait(timeout=60)
    assert errs == b""
    assert proc.returncode == 2


def test_file_names_with_newlines_are_escaped(tmp_path):
    name = "a\nb.Dockerfile"
    (tmp_path / name).write_text(AS_LOWER + "BOGUS\n")
    (tmp_path / "c\td.Dockerfile").write_text(AS_LOWER)
    r = dockfix("--diff", ".")
    err_lines = r.stderr.decode().splitlines()
    assert err_lines[0] == '"a\\nb.Dockerfile":2:1: unknown instruction: BOGUS'
    assert '--- "a/c\\td.Dockerfile"\n+++ "b/c\\td.Dockerfile"\n' in r.stdout.decode()


def test_a_bom_is_no_column(tmp_path):
    (tmp_path / "Dockerfile").write_bytes("\ufeffFROM alpine as build\n".encode())
    r = dockfix("--check", "--select", "DF503", "Dockerfile")
    assert r.stdout.decode().splitlines()[0].startswith("Dockerfile:1:13: DF503 ")


# --- what is never opened, or refused ------------------------------------------


def test_files_over_the_size_limit_are_refused_and_the_run_goes_on(tmp_path):
    (tmp_path / "big.Dockerfile").write_text(AS_LOWER + "# padding\n" * 300)
    (tmp_path / "Dockerfile").write_text(AS_LOWER)
    r = dockfix("--max-file-size", "1KB", ".")
    assert r.returncode == 2
    assert r.stderr.decode().splitlines()[0] == "big.Dockerfile: file too large (0 MB; limit 0 MB)" or (
        r.stderr.decode().splitlines()[0].startswith("big.Dockerfile: file too large (")
    )
    assert (tmp_path / "Dockerfile").read_text() == AS_UPPER
    assert (tmp_path / "big.Dockerfile").read_text().startswith(AS_LOWER)
    assert dockfix("--max-file-size", "0", "big.Dockerfile").returncode == 0
    assert dockfix("--max-file-size", "lots", "Dockerfile").returncode == 2


def test_size_limit_message_and_units():
    assert cli.parse_size("2") == 2_000_000
    assert cli.parse_size("500KB") == 500_000
    assert cli.parse_size("1.5mb") == 1_500_000
    assert cli.parse_size("0") == 0
    assert str(files.FileTooLarge(3_500_000, 2_000_000)) == "file too large (3.5 MB; limit 2 MB)"


def test_default_limit_refuses_a_huge_file_without_reading_it(tmp_path):
    big = tmp_path / "Dockerfile"
    with open(big, "wb") as fh:  # sparse: 50 MB that cost nothing to make
        fh.write(AS_LOWER.encode())
        fh.seek(50_000_000)
        fh.write(b"\n")
    r = dockfix("--check", "Dockerfile")
    assert r.returncode == 2
    assert r.stderr.decode().splitlines()[0] == "Dockerfile: file too large (50 MB; limit 2 MB)"


def test_stdin_over_the_limit_passes_through(tmp_path):
    data = (AS_LOWER + "# padding\n" * 300).encode()
    r = dockfix("--max-file-size", "1KB", "-", input=data)
    assert r.returncode == 2
    assert r.stdout == data
    assert b"file too large" in r.stderr


def test_an_explicit_fifo_is_refused_not_opened(tmp_path):
    os.mkfifo(tmp_path / "Dockerfile")
    (tmp_path / "ok.Dockerfile").write_text(AS_LOWER)
    r = dockfix("--check", "Dockerfile", "ok.Dockerfile", timeout=30)
    assert r.returncode == 2
    assert r.stderr.decode().splitlines()[0] == "Dockerfile:1:1: cannot read file: not a regular file"
    assert b"ok.Dockerfile" in r.stdout


def test_memory_error_in_one_file_does_not_stop_the_run(tmp_path, monkeypatch):
    (tmp_path / "a.Dockerfile").write_text(AS_LOWER)
    (tmp_path / "b.Dockerfile").write_text(AS_LOWER)
    real = runner.fix_text

    def fix_text(text, path, *a, **kw):
        if path.endswith("a.Dockerfile"):
            raise MemoryError
        return real(text, path, *a, **kw)

    monkeypatch.setattr(runner, "fix_text", fix_text)
    results = [runner.process_file(p, Options(mode="check")) for p in ("a.Dockerfile", "b.Dockerfile")]
    assert results[0].status == "error" and "out of memory" in (results[0].error or "")
    assert not results[0].internal
    assert results[1].status == "changed"


def test_two_concurrent_runs_lose_no_update(tmp_path):
    """Two runs over the same files, each applying a different fix: every
    file ends with both fixes, or the run whose fix is missing said it did
    not write that file (it changed during the run)."""
    n = 300
    for i in range(n):
        (tmp_path / f"{i:03}.Dockerfile").write_text("FROM a as b\nENV k v\n")

    def start(code: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "dockfix", "--select", code, "."],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV,
        )  # fmt: skip

    runs = {"DF503": start("DF503"), "DF502": start("DF502")}
    errors = {code: p.communicate(timeout=300)[1].decode() for code, p in runs.items()}
    fixed = {"DF503": "FROM a AS b\n", "DF502": "ENV k=v\n"}
    for i in range(n):
        name = f"{i:03}.Dockerfile"
        text = (tmp_path / name).read_text()
        for code, line in fixed.items():
            if line not in text:
                assert f"{name}:1:1: changed during the run; not written" in errors[code], (name, code, text)


def test_a_run_waits_for_another_runs_write_and_then_does_not_overwrite(tmp_path):
    """The check "still what was read" and the rename happen under a lock:
    a run that finds the file locked by another run's write waits, then
    sees the other run's result and does not overwrite it."""
    import fcntl
    import threading

    target = tmp_path / "Dockerfile"
    target.write_text(AS_LOWER)
    other = os.open(target, os.O_RDONLY)
    fcntl.flock(other, fcntl.LOCK_EX)  # another run is between its check and its rename
    outcome: list[BaseException | None] = []

    def ours() -> None:
        try:
            files.write_files([files.PlannedWrite(str(target), AS_UPPER, AS_LOWER.encode())])
            outcome.append(None)
        except BaseException as e:  # noqa: BLE001 - the outcome is the assertion
            outcome.append(e)

    t = threading.Thread(target=ours)
    t.start()
    t.join(0.5)
    assert t.is_alive()  # waiting for the lock
    (tmp_path / "new").write_text("FROM other\n")
    os.replace(tmp_path / "new", target)  # the other run's rename
    os.close(other)
    t.join(30)
    assert isinstance(outcome[0], files.ChangedOnDisk)
    assert target.read_text() == "FROM other\n"
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile"]
