"""The command line, driven for real: through Typer's CliRunner (the Typer
app) and as a subprocess (``python -m dockfix``, which takes the fast
argument parser for plain invocations).

The tests use the real rules DF501 (MAINTAINER -> LABEL), DF502 (ENV k v ->
ENV k=v), DF503 (as -> AS) and DF505 (relative COPY destination, unsafe).
Where exact counts matter they select those rules, so rules added later do
not change the expectations.  Test-only rules (never shipped) are installed
through a fake registry for behaviours no real rule should have (crashing,
breaking the file).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dockfix
from dockfix import cli, rules
from dockfix.rules import Edit, Registry, Rule

ROOT = Path(__file__).resolve().parent.parent
SELECT = "--select=DF501,DF502,DF503,DF505"

MESSY = "FROM alpine:3.20 as build\nMAINTAINER Jane <j@example.com>\nENV a b\n"
MESSY_FIXED = 'FROM alpine:3.20 AS build\nLABEL maintainer="Jane <j@example.com>"\nENV a=b\n'
CLEAN = "FROM alpine:3.20 AS build\nENV a=b\n"
UNSAFE = "FROM alpine:3.20\nCOPY app.py app/\n"


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _runner() -> CliRunner:
    try:  # click < 8.2 mixes stderr into stdout unless told not to
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # newer click / typer: separate streams, no such argument
        return CliRunner()


def invoke(*args: str, input: str | bytes | None = None):
    return _runner().invoke(cli.app, list(args), input=input)


def write(rel: str, content: str | bytes) -> Path:
    p = Path(rel)
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    p.write_bytes(content)
    return p


def run_module(*args: str, input: bytes | None = None, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "dockfix", *args],
        input=input, capture_output=True, cwd=cwd, env=env, timeout=120,
    )  # fmt: skip


def test_real_rules_present():
    codes = set(rules.registry().rules)
    assert {"DF501", "DF502", "DF503", "DF505"} <= codes


# --- fix mode (default) ------------------------------------------------------


def test_fix_in_place():
    write("Dockerfile", MESSY)
    write("svc/api.Dockerfile", "FROM x as y\n")
    r = invoke(SELECT)
    assert r.exit_code == 0, r.output
    assert Path("Dockerfile").read_text() == MESSY_FIXED
    assert Path("svc/api.Dockerfile").read_text() == "FROM x AS y\n"
    assert r.stdout == ""
    assert r.stderr == "Fixed 4 issues in 2 files (DF501: 1, DF502: 1, DF503: 2).\n"


def test_fix_default_rules_and_explicit_path():
    write("Dockerfile", MESSY)
    r = invoke("Dockerfile")
    assert r.exit_code == 0, r.output
    text = Path("Dockerfile").read_text()
    assert "MAINTAINER" not in text and "LABEL maintainer=" in text
    assert " AS build" in text and "ENV a=b" in text


def test_fix_nothing_to_do():
    write("Dockerfile", CLEAN)
    r = invoke(SELECT, "Dockerfile")
    assert r.exit_code == 0
    assert Path("Dockerfile").read_text() == CLEAN
    assert r.stderr == "Nothing to fix in 1 file.\n"


def test_fix_is_idempotent():
    write("Dockerfile", MESSY)
    assert invoke(SELECT).exit_code == 0
    r = invoke(SELECT, "--diff")
    assert r.exit_code == 0 and r.stdout == ""


def test_unsafe_fixes_reported_then_applied():
    write("Dockerfile", UNSAFE)
    r = invoke(SELECT)
    assert r.exit_code == 0
    assert Path("Dockerfile").read_text() == UNSAFE
    assert r.stderr == "Nothing to fix in 1 file; 1 unsafe fix available with --unsafe-fixes.\n"
    write("Dockerfile.two", UNSAFE + "COPY b.py lib/\nMAINTAINER x\n")
    r = invoke(SELECT)
    assert r.stderr == ("Fixed 1 issue in 1 file (DF501: 1); 3 unsafe fixes available with --unsafe-fixes.\n")
    r = invoke(SELECT, "--unsafe-fixes")
    assert r.exit_code == 0
    assert Path("Dockerfile").read_text() == "FROM alpine:3.20\nCOPY app.py /app/\n"
    assert r.stderr == "Fixed 3 issues in 2 files (DF505: 3).\n"
    assert "unsafe" not in r.stderr


# --- preservation of bytes ------------------------------------------------------


@pytest.mark.parametrize(
    "before, after",
    [
        (b"FROM a as b\r\nMAINTAINER me\r\nRUN x\r\n", b'FROM a AS b\r\nLABEL maintainer="me"\r\nRUN x\r\n'),
        (b"\xef\xbb\xbfFROM a as b\nRUN x\n", b"\xef\xbb\xbfFROM a AS b\nRUN x\n"),
        (b"FROM a as b\nRUN x", b"FROM a AS b\nRUN x"),
        (b"# c\xc3\xa9\n\tFROM a as b  \n\n", b"# c\xc3\xa9\n\tFROM a AS b  \n\n"),
    ],
    ids=["crlf", "bom", "no-final-newline", "utf8-tabs-trailing"],
)
def test_fix_preserves_bytes(before, after):
    write("Dockerfile", before)
    r = invoke(SELECT)
    assert r.exit_code == 0, r.output
    assert Path("Dockerfile").read_bytes() == after


def test_fix_keeps_file_mode():
    p = write("Dockerfile", "FROM a as b\n")
    p.chmod(0o755)
    assert invoke(SELECT).exit_code == 0
    assert p.read_text() == "FROM a AS b\n"
    assert stat.S_IMODE(p.stat().st_mode) == 0o755
    assert sorted(os.listdir(".")) == ["Dockerfile"]  # no temp file left behind


# --- --diff ------------------------------------------------------------------


def test_diff_prints_and_writes_nothing():
    p = write("Dockerfile", "FROM a as b\r\nRUN x\r\n")
    before = p.stat()
    r = invoke(SELECT, "--diff")
    assert r.exit_code == 1
    assert r.stdout_bytes == (
        b"--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,2 +1,2 @@\n-FROM a as b\r\n+FROM a AS b\r\n RUN x\r\n"
    )
    assert p.read_bytes() == b"FROM a as b\r\nRUN x\r\n"
    assert p.stat().st_mtime_ns == before.st_mtime_ns
    assert r.stderr == "Would fix 1 issue in 1 file (DF503: 1).\n"


def test_diff_no_final_newline_marker():
    write("Dockerfile", "FROM a as b")
    r = invoke(SELECT, "--diff")
    assert r.stdout.endswith("+FROM a AS b\n\\ No newline at end of file\n")


def test_diff_clean_exits_0():
    write("Dockerfile", CLEAN)
    r = invoke(SELECT, "--diff")
    assert (r.exit_code, r.stdout) == (0, "")


def test_diff_and_check_conflict():
    write("Dockerfile", MESSY)
    r = invoke("--diff", "--check")
    assert r.exit_code == 2
    assert "cannot be used together" in r.stderr
    assert Path("Dockerfile").read_text() == MESSY


# --- --check -----------------------------------------------------------------


def test_check_lists_findings_and_files():
    write("Dockerfile", MESSY + "COPY app.py app/\n")
    write("ok/Dockerfile", CLEAN)
    r = invoke(SELECT, "--check")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert [ln.split(" ")[0:2] for ln in lines[:-1]] == [
        ["Dockerfile:1:18:", "DF503"],
        ["Dockerfile:2:1:", "DF501"],
        ["Dockerfile:3:1:", "DF502"],
        ["Dockerfile:4:13:", "DF505"],
    ]
    assert all(ln.endswith(" [*]") for ln in lines[:3])
    assert lines[3].endswith(" [unsafe fix]")
    assert lines[-1] == "Would fix: Dockerfile"
    assert "ok/Dockerfile" not in r.stdout
    assert Path("Dockerfile").read_text() == MESSY + "COPY app.py app/\n"
    assert r.stderr == (
        "Would fix 3 issues in 1 file (DF501: 1, DF502: 1, DF503: 1); "
        "1 unsafe fix available with --unsafe-fixes.\n"
    )


def test_check_unsafe_only_is_not_a_change():
    write("Dockerfile", UNSAFE)
    r = invoke(SELECT, "--check")
    assert r.exit_code == 0  # nothing would change without --unsafe-fixes
    assert r.stdout.splitlines() == [r.stdout.splitlines()[0]]
    assert r.stdout.startswith("Dockerfile:2:13: DF505 ") and r.stdout.rstrip().endswith("[unsafe fix]")
    r = invoke(SELECT, "--check", "--unsafe-fixes")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[-1] == "Would fix: Dockerfile"


def test_check_clean_exits_0():
    write("Dockerfile", CLEAN)
    r = invoke(SELECT, "--check")
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr == "Nothing to fix in 1 file.\n"


# --- stdin -------------------------------------------------------------------


def test_stdin_fix_to_stdout():
    r = invoke(SELECT, "-", input=MESSY)
    assert r.exit_code == 0
    assert r.stdout == MESSY_FIXED
    assert r.stderr == "Fixed 3 issues in 1 file (DF501: 1, DF502: 1, DF503: 1).\n"
    assert os.listdir(".") == []


def test_stdin_keeps_crlf_bytes():
    r = invoke(SELECT, "-", input=b"\xef\xbb\xbfFROM a as b\r\nRUN x")
    assert r.stdout_bytes == b"\xef\xbb\xbfFROM a AS b\r\nRUN x"


def test_stdin_diff_uses_stdin_filename():
    r = invoke(SELECT, "--diff", "--stdin-filename", "svc/Dockerfile", "-", input="FROM a as b\n")
    assert r.exit_code == 1
    assert r.stdout.startswith("--- a/svc/Dockerfile\n+++ b/svc/Dockerfile\n")


def test_stdin_filename_alone_reads_stdin():
    r = invoke(SELECT, "--check", "--stdin-filename", "x/Containerfile", input="FROM a as b\n")
    assert r.exit_code == 1
    assert r.stdout.startswith("x/Containerfile:1:8: DF503 ")


def test_stdin_error_passes_input_through():
    bad = "FROM a as b\nRUN <<EOF\necho\n"
    r = invoke(SELECT, "-", input=bad)
    assert r.exit_code == 2
    assert r.stdout == bad
    assert r.stderr.startswith("<stdin>:2:5: unterminated heredoc")


def test_stdin_with_files():
    write("Dockerfile", "FROM a as b\n")
    r = invoke(SELECT, "Dockerfile", "-", input="FROM c as d\n")
    assert r.exit_code == 0
    assert r.stdout == "FROM c AS d\n"
    assert Path("Dockerfile").read_text() == "FROM a AS b\n"


# --- selection ---------------------------------------------------------------


ONLY_AS = "FROM alpine:3.20 AS build\nMAINTAINER Jane <j@example.com>\nENV a b\n"
ALL_BUT_AS = 'FROM alpine:3.20 as build\nLABEL maintainer="Jane <j@example.com>"\nENV a=b\n'
AS_AND_LABEL = 'FROM alpine:3.20 AS build\nLABEL maintainer="Jane <j@example.com>"\nENV a b\n'


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--select", "DF503"], ONLY_AS),
        (["--select", "df503"], ONLY_AS),
        (["--select", "DF501,DF502"], ALL_BUT_AS),
        (["--select", "DF501", "--extend-select", "DF503"], AS_AND_LABEL),
        (["--select", "DF501", "--select", "DF502"], ALL_BUT_AS),
        ([SELECT, "--ignore", "DF503"], ALL_BUT_AS),
        ([SELECT, "--ignore=DF501,DF502"], ONLY_AS),
        (["--select", "DF50", "--ignore", "DF504,DF505,DF506"], MESSY_FIXED),
        (["--select", "DF5", "--ignore", "DF5"], MESSY),
    ],
)
def test_select_ignore_extend_select(args, expected):
    write("Dockerfile", MESSY)
    r = invoke(*args)
    assert r.exit_code == 0, r.output
    assert Path("Dockerfile").read_text() == expected


@pytest.mark.parametrize(
    "args, bad",
    [
        (["--select", "DF999"], "--select: DF999"),
        (["--select", "DF501,XYZ"], "--select: XYZ"),
        (["--ignore", "DF8"], "--ignore: DF8"),
        (["--extend-select", "DL3020"], "--extend-select: DL3020"),
    ],
)
def test_unknown_codes_rejected(args, bad):
    write("Dockerfile", MESSY)
    r = invoke(*args)
    assert r.exit_code == 2
    assert bad in r.stderr and "unknown rule code" in r.stderr
    assert Path("Dockerfile").read_text() == MESSY
    assert r.stdout == ""


# --- discovery through the CLI ----------------------------------------------------------


def test_directory_walk_and_gitignore():
    write(".gitignore", "vendor/\n")
    write("Dockerfile.dev", "FROM a as b\n")
    write("vendor/Dockerfile", "FROM a as b\n")
    write("Dockerfile.dockerignore", "node_modules\n")
    write("notes.txt", "FROM a as b\n")
    r = invoke(SELECT, "--diff", ".")
    assert r.exit_code == 1
    assert [ln for ln in r.stdout.splitlines() if ln.startswith("---")] == ["--- a/Dockerfile.dev"]
    # an ignored file named explicitly is processed
    r = invoke(SELECT, "--diff", "vendor/Dockerfile", "notes.txt")
    assert [ln for ln in r.stdout.splitlines() if ln.startswith("---")] == [
        "--- a/vendor/Dockerfile",
        "--- a/notes.txt",
    ]


def test_no_dockerfiles_found():
    write("README.md", "hi\n")
    r = invoke()
    assert r.exit_code == 0
    assert r.stderr == "No Dockerfiles found.\n"


def test_missing_path_is_an_error():
    write("Dockerfile", "FROM a as b\n")
    r = invoke(SELECT, "nope/Dockerfile", "Dockerfile")
    assert r.exit_code == 2
    assert r.stderr.startswith("nope/Dockerfile:1:1: cannot read file: No such file or directory\n")
    assert Path("Dockerfile").read_text() == "FROM a AS b\n"


def test_skipped_files_without_instructions():
    write("Dockerfile", "")
    write("a.Dockerfile", "# just a comment\n\n   # another\r\n")
    write("b.Dockerfile", "# syntax=docker/dockerfile:1\n")
    r = invoke(SELECT, "--verbose")
    assert r.exit_code == 0
    for name in ("Dockerfile", "a.Dockerfile", "b.Dockerfile"):
        assert f"{name}: skipped (no instructions)\n" in r.stderr
    assert Path("Dockerfile").read_bytes() == b""
    assert invoke(SELECT).stderr == "Nothing to fix in 3 files.\n"


# --- bad input ---------------------------------------------------------------


BAD_FILES = {
    "a-utf8.Dockerfile": (b"FROM a as b\nRUN echo \xff\n", "a-utf8.Dockerfile:2:10: not valid UTF-8"),
    "b-heredoc.Dockerfile": (
        b"FROM a as b\nRUN <<EOF\necho hi\n",
        "b-heredoc.Dockerfile:2:5: unterminated heredoc",
    ),
    "c-unknown.Dockerfile": (b"FROM a as b\nFOO bar\n", "c-unknown.Dockerfile:2:1: unknown instruction: FOO"),
}


@pytest.mark.parametrize("mode", [[], ["--diff"], ["--check"]])
def test_bad_files_reported_others_processed(mode):
    for name, (data, _) in BAD_FILES.items():
        write(name, data)
    write("z-good.Dockerfile", "FROM a as b\n")
    r = invoke(SELECT, *mode)
    assert r.exit_code == 2  # an error wins over "would change"
    errors = [ln for ln in r.stderr.splitlines() if ".Dockerfile:" in ln]
    assert len(errors) == 3
    for line, (_, expected) in zip(errors, BAD_FILES.values(), strict=False):
        assert line.startswith(expected)
    for name, (data, _) in BAD_FILES.items():
        assert Path(name).read_bytes() == data
    good = Path("z-good.Dockerfile").read_text()
    assert good == ("FROM a AS b\n" if not mode else "FROM a as b\n")
    assert "Traceback" not in r.output
    assert r.stderr.splitlines()[-1].endswith("3 files could not be processed.")


# --- internal errors ---------------------------------------------------------------

_DOC = """
    ## What it does
    Test only.

    ## Why
    Test only.

    ## Example
    None.

    ## Fix safety
    Test only.
    """


class CrashingRule(Rule):
    __doc__ = _DOC
    code = "DF998"
    name = "test-crash"
    summary = "raises on files that mention 'boom'"

    def check(self, ctx):
        if "boom" in ctx.text:
            raise RuntimeError("boom inside a rule")
        return iter(())


class BreakingRule(Rule):
    __doc__ = _DOC
    code = "DF999"
    name = "test-break"
    summary = "rewrites FROM into an unknown instruction when asked to"

    def check(self, ctx):
        for ins in ctx.tree.instructions:
            if ins.keyword == "FROM" and "break" in str(ins) and ins.keyword_word is not None:
                kw = ins.keyword_word
                yield ctx.finding(ins, "break it", [Edit(kw.start, kw.end, "FORM")])


@pytest.fixture
def fake_registry(monkeypatch):
    real = rules.registry()
    reg = Registry()
    reg.add(real.rules["DF503"])
    reg.add(CrashingRule())
    reg.add(BreakingRule())
    monkeypatch.setattr(rules, "_REGISTRY", reg)
    return reg


def test_internal_error_in_a_rule_is_one_line(fake_registry):
    write("a.Dockerfile", "FROM a as b\n# boom\n")
    write("b.Dockerfile", "FROM a as b\n")
    r = invoke()
    assert r.exit_code == 2
    assert "Traceback" not in r.output
    assert r.stderr.splitlines()[0] == (
        "a.Dockerfile:1:1: internal error: RuntimeError: boom inside a rule "
        "(run with --verbose for the traceback)"
    )
    assert Path("a.Dockerfile").read_text() == "FROM a as b\n# boom\n"
    assert Path("b.Dockerfile").read_text() == "FROM a AS b\n"


def test_internal_error_traceback_with_verbose(fake_registry):
    write("a.Dockerfile", "FROM a\n# boom\n")
    r = invoke("--verbose")
    assert r.exit_code == 2
    assert "Traceback (most recent call last)" in r.stderr
    assert "RuntimeError: boom inside a rule" in r.stderr


def test_fix_error_leaves_file_untouched(fake_registry):
    write("a.Dockerfile", "FROM a as break\n")
    write("b.Dockerfile", "FROM a as b\n")
    r = invoke()
    assert r.exit_code == 2
    first = r.stderr.splitlines()[0]
    assert first.startswith("a.Dockerfile:1:1: internal error: fix by ")
    assert "DF999" in first and "invalid Dockerfile" in first
    assert Path("a.Dockerfile").read_text() == "FROM a as break\n"
    assert Path("b.Dockerfile").read_text() == "FROM a AS b\n"


class InsertHeaderRule(Rule):
    __doc__ = _DOC
    code = "DF997"
    name = "test-insert-header"
    summary = "inserts a comment line at the top"

    def check(self, ctx):
        if "# a\n" not in ctx.text:
            yield ctx.finding((0, 0), "add header a", [Edit(0, 0, "# a\n")])


class LaterPassRule(Rule):
    __doc__ = _DOC
    code = "DF996"
    name = "test-later-pass"
    summary = "reports RUN later; its fix collides with DF997 so it waits for pass 2"

    def check(self, ctx):
        for ins in ctx.tree.instructions:
            if str(ins).startswith("RUN later") and "# b\n" not in ctx.text:
                yield ctx.finding(ins, "later", [Edit(0, 0, "# b\n")])


@pytest.fixture
def inserting_registry(monkeypatch):
    real = rules.registry()
    reg = Registry()
    reg.add(real.rules["DF503"])
    reg.add(real.rules["DF505"])
    reg.add(InsertHeaderRule())
    reg.add(LaterPassRule())
    monkeypatch.setattr(rules, "_REGISTRY", reg)
    return reg


def test_check_positions_refer_to_the_file_on_disk(inserting_registry):
    # Fixes insert lines above everything; the DF996 fix is applied in pass
    # 2 and the DF505 finding is computed on the final text; all are still
    # reported where they are in the file being checked.
    write("Dockerfile", "FROM a as b\nRUN later\nCOPY x y/\n")
    r = invoke("--check")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert [ln.split(" ")[:2] for ln in lines] == [
        ["Dockerfile:1:1:", "DF997"],
        ["Dockerfile:1:8:", "DF503"],
        ["Dockerfile:2:1:", "DF996"],
        ["Dockerfile:3:8:", "DF505"],
        ["Would", "fix:"],
    ]
    assert lines[2] == "Dockerfile:2:1: DF996 later [*]"
    assert lines[3].endswith(" [unsafe fix]")
    r = invoke()
    assert Path("Dockerfile").read_text() == "# b\n# a\nFROM a AS b\nRUN later\nCOPY x y/\n"


def test_file_results_are_picklable(inserting_registry, tmp_path):
    import pickle

    from dockfix.runner import Options, process_file

    write("Dockerfile", "FROM a as b\nRUN later\nCOPY x y/\n")
    res = process_file("Dockerfile", Options(mode="check"))
    assert res.status == "changed"
    back = pickle.loads(pickle.dumps(res))
    assert back == res
    assert [f["code"] for f in back.fixes] == ["DF997", "DF503", "DF996"]
    assert [f["pass"] for f in back.fixes] == [1, 1, 2]
    [finding] = back.findings
    assert finding["code"] == "DF505"
    assert (finding["line"], finding["col"]) == (5, 8)  # in the output
    assert (finding["source_line"], finding["source_col"]) == (3, 8)  # in the file on disk
    assert back.unsafe_available == 1
    options = Options(mode="diff", select=("DF5",), ignore=("DF505",), unsafe=True)
    assert pickle.loads(pickle.dumps(options)) == options


def test_whole_run_internal_error(monkeypatch):
    def broken():
        raise ImportError("cannot import transforms.whatever")

    monkeypatch.setattr(rules, "registry", broken)
    r = invoke("--list-rules")
    assert r.exit_code == 2
    assert r.stderr == (
        "dockfix: internal error: ImportError: cannot import transforms.whatever "
        "(run with --verbose for the traceback)\n"
    )
    r = invoke("--list-rules", "--verbose")
    assert r.exit_code == 2
    assert "Traceback (most recent call last)" in r.stderr


def test_write_error_reported(monkeypatch):
    write("Dockerfile", "FROM a as b\n")
    write("ok.Dockerfile", "FROM a as b\n")
    from dockfix import files

    real = files.write_files

    def failing(writes):
        if any(os.path.basename(w.path) == "Dockerfile" for w in writes):
            raise PermissionError(13, "Permission denied", writes[0].path)
        real(writes)

    monkeypatch.setattr(files, "write_files", failing)
    r = invoke(SELECT)
    assert r.exit_code == 2
    assert r.stderr.splitlines()[0] == "Dockerfile:1:1: cannot write file: Permission denied"
    assert Path("Dockerfile").read_text() == "FROM a as b\n"
    assert Path("ok.Dockerfile").read_text() == "FROM a AS b\n"
    assert r.stderr.splitlines()[-1] == "Fixed 1 issue in 1 file (DF503: 1); 1 file could not be processed."


# --- information options ---------------------------------------------------------


def test_version():
    r = invoke("--version")
    assert (r.exit_code, r.stdout) == (0, f"dockfix {dockfix.__version__}\n")


def test_list_rules():
    r = invoke("--list-rules")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["CODE", "NAME", "SAFETY", "COVERS", "SUMMARY"]
    reg = rules.registry().rules
    assert [ln.split()[0] for ln in lines[1:]] == sorted(reg)
    row = next(ln for ln in lines if ln.startswith("DF505 "))
    assert row.split()[1:3] == ["copy-relative-destination", "unsafe"]
    assert "DL3045" in row and reg["DF505"].summary in row


def test_explain_renders_the_docs_page():
    from dockfix.docs import render_rule

    r = invoke("--explain", "df501")
    assert r.exit_code == 0
    assert r.stdout == render_rule(rules.registry().rules["DF501"])
    assert r.stdout.startswith("# DF501 maintainer-to-label\n")
    assert "## What it does" in r.stdout and "## Fix safety" in r.stdout


def test_explain_unknown_code():
    r = invoke("--explain", "DF000")
    assert r.exit_code == 2
    assert "unknown rule code: DF000" in r.stderr


def test_help():
    r = invoke("--help")
    assert r.exit_code == 0
    for opt in (
        "--diff",
        "--check",
        "--unsafe-fixes",
        "--select",
        "--ignore",
        "--extend-select",
        "--stdin-filename",
        "--list-rules",
        "--explain",
        "--version",
        "--verbose",
    ):
        assert opt in r.stdout


def test_usage_error_exit_2():
    r = invoke("--no-such-option")
    assert r.exit_code == 2


# --- fast argument parser == Typer -------------------------------------------------


ARGVS = [
    [],
    ["."],
    ["--diff", "Dockerfile"],
    ["--check", "a", "b", "-v"],
    ["--select", "DF501,DF503", "--select=DF2", "--ignore", "DF502", "--extend-select", "DF1", "x"],
    ["--unsafe-fixes", "--verbose", "-", "--stdin-filename", "svc/Dockerfile"],
    ["--stdin-filename=a", "--stdin-filename=b"],
    ["--explain", "DF501"],
    ["--list-rules"],
    ["--version"],
    ["--", "--diff"],
    ["a", "--diff", "b"],
]


def _normalise(kw: dict) -> dict:
    """Typer may give () or [] where the fast parser gives None: same meaning."""
    return {k: (None if v in ((), []) else list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}


@pytest.mark.parametrize("argv", ARGVS, ids=lambda a: " ".join(a) or "<none>")
def test_fast_parser_agrees_with_typer(argv, monkeypatch):
    seen = {}

    def fake_execute(paths, **kw):
        seen.update(kw, paths=paths)
        return 0

    monkeypatch.setattr(cli, "execute", fake_execute)
    r = invoke(*argv)
    assert r.exit_code == 0, r.output
    fast = cli.fast_parse(argv)
    assert fast is not None
    assert _normalise(fast) == _normalise(seen)


@pytest.mark.parametrize(
    "argv", [["--help"], ["-h"], ["--select"], ["--select", "--diff"], ["--diff=1"], ["-vv"], ["--bogus"]]
)
def test_fast_parser_leaves_the_rest_to_typer(argv):
    assert cli.fast_parse(argv) is None


# --- real processes ------------------------------------------------------------------


def test_subprocess_diff_and_fix(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_bytes(b"FROM a as b\r\n")
    r = run_module(SELECT, "--diff", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == b"--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-FROM a as b\r\n+FROM a AS b\r\n"
    assert r.stderr == b"Would fix 1 issue in 1 file (DF503: 1).\n"
    assert p.read_bytes() == b"FROM a as b\r\n"
    r = run_module(SELECT, cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, b"")
    assert p.read_bytes() == b"FROM a AS b\r\n"


def test_subprocess_stdin():
    r = run_module(SELECT, "-", input=MESSY.encode())
    assert r.returncode == 0
    assert r.stdout == MESSY_FIXED.encode()


def test_subprocess_errors_without_traceback(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"FROM a\nRUN <<EOF\n")
    (tmp_path / "x.Dockerfile").write_bytes(b"FROM a as b\n")
    r = run_module(SELECT, "--check", cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.startswith(b"Dockerfile:2:5: unterminated heredoc")
    assert b"Traceback" not in r.stderr
    assert r.stdout.startswith(b"x.Dockerfile:1:8: DF503 ")


def test_subprocess_usage_error():
    r = run_module("--select")
    assert r.returncode == 2
    assert b"Traceback" not in r.stderr


def test_subprocess_list_rules_and_version():
    r = run_module("--version")
    assert r.stdout == f"dockfix {dockfix.__version__}\n".encode()
    r = run_module("--list-rules")
    assert r.returncode == 0 and b"DF501" in r.stdout


def test_one_file_run_imports_no_jinja2_or_typer(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM a as b\n")
    report = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "from dockfix.cli import main\n"
        "try:\n"
        f"    main([{SELECT!r}, '--diff', 'Dockerfile'])\n"
        "except SystemExit as e:\n"
        "    status = e.code\n"
        f"json.dump({{'status': status, 'modules': sorted(sys.modules)}}, open({str(report)!r}, 'w'))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, check=True, timeout=120
    )
    data = json.loads(report.read_text())
    assert data["status"] == 1
    heavy = [m for m in data["modules"] if m.split(".")[0] in ("jinja2", "typer", "pydantic", "rich")]
    assert heavy == []


# --- build context -------------------------------------------------------------


def test_context_option_points_rules_at_another_folder():
    import gzip

    write("app/Dockerfile", "FROM alpine:3.20\nADD vendor.bin /opt/\n")
    write("ctx/vendor.bin", gzip.compress(b"archive"))
    # Without --context the Dockerfile's folder is the context: no archive there.
    r = invoke("--diff", "--select", "DF504", "app/Dockerfile")
    assert r.exit_code == 1 and "+COPY vendor.bin /opt/" in r.stdout
    # With the real context, ADD would unpack the archive: nothing to fix.
    r = invoke("--diff", "--select", "DF504", "--context", "ctx", "app/Dockerfile")
    assert r.exit_code == 0 and r.stdout == ""
    assert cli.fast_parse(["--context", "ctx", "app/Dockerfile"])["context"] == "ctx"


def test_context_option_needs_one_file_and_a_folder():
    write("a/Dockerfile", "FROM alpine:3.20\n")
    write("b/Dockerfile", "FROM alpine:3.20\n")
    r = invoke("--context", "a", "a/Dockerfile", "b/Dockerfile")
    assert r.exit_code == 2 and "single Dockerfile" in r.stderr
    r = invoke("--context", "missing", "a/Dockerfile")
    assert r.exit_code == 2 and "not a directory" in r.stderr


def test_compose_files_give_each_service_its_context():
    import gzip

    write(
        "compose.yaml",
        "services:\n"
        "  api:\n    build:\n      context: .\n      dockerfile: services/api/Dockerfile\n"
        "  web:\n    build: ./web\n"
        "  remote:\n    build: https://github.com/example/repo.git\n",
    )
    write("vendor.bin", gzip.compress(b"archive"))
    write("services/api/Dockerfile", "FROM alpine:3.20\nADD vendor.bin /opt/\n")
    write("web/Dockerfile", "FROM alpine:3.20\nADD vendor.bin /opt/\n")
    r = invoke("--diff", "--select", "DF504", ".")
    # api's context is the repo root, where vendor.bin is an archive: ADD stays.
    assert "services/api/Dockerfile" not in r.stdout
    # web's context is ./web, which has no such archive: ADD becomes COPY.
    assert "+++ b/web/Dockerfile" in r.stdout and r.exit_code == 1
    # Named explicitly, the file has no compose context: its folder is used.
    r = invoke("--diff", "--select", "DF504", "services/api/Dockerfile")
    assert "+COPY vendor.bin /opt/" in r.stdout


def test_broken_compose_file_is_ignored():
    write("docker-compose.yml", "services: [unclosed\n")
    write("Dockerfile", "FROM alpine:3.20 as a\n")
    r = invoke("--check", ".")
    assert r.exit_code == 1 and "DF503" in r.stdout


def test_dockerfiles_sharing_a_context_propose_one_dockerignore():
    """In --diff, the second Dockerfile of a context sees the .dockerignore
    the first one proposed: one diff for it, with both proposals merged."""
    write("package.json", "{}\n")
    write("requirements.txt", "flask\n")
    write("node.Dockerfile", "FROM node:20\nRUN npm ci\nCOPY . /app\n")
    write("py.Dockerfile", "FROM python:3.12\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n")
    r = invoke("--diff", "--unsafe-fixes", "--select", "DF601", ".")
    assert r.exit_code == 1
    assert r.stdout.count("+++ b/.dockerignore") == 1
    assert "node_modules" in r.stdout and "__pycache__" in r.stdout
    r = invoke("--check", "--unsafe-fixes", "--select", "DF601", ".")
    assert r.stdout.count("Would create: .dockerignore") == 1
    assert not Path(".dockerignore").exists()
    # Fixing writes it once, and a second run has nothing left to add.
    r = invoke("--unsafe-fixes", "--select", "DF601", ".")
    assert r.exit_code == 0 and Path(".dockerignore").exists()
    assert invoke("--diff", "--unsafe-fixes", "--select", "DF601", ".").exit_code == 0


# --- configuration and suppression (issue #9; more in test_config.py, test_suppress.py) ---


def test_config_options_through_typer_and_the_fast_parser():
    write(".dockfix.toml", 'select = ["DF503"]\n')
    write("other.toml", 'select = ["DF501"]\n')
    write("Dockerfile", MESSY)
    r = invoke("--show-settings", "--config", "other.toml")
    assert r.exit_code == 0 and "select: DF501\n" in r.stdout
    p = run_module("--show-settings", "--isolated", SELECT)
    assert (
        p.returncode == 0
        and b"config: (none)\n" in p.stdout
        and b"select: DF501, DF502, DF503, DF505\n" in p.stdout
    )
    p = run_module("--diff")
    assert p.returncode == 1 and b"+FROM alpine:3.20 AS build" in p.stdout and b"LABEL" not in p.stdout


def test_broken_config_is_one_line_exit_2_through_typer():
    write(".dockfix.toml", "select = [\n")
    write("Dockerfile", MESSY)
    r = invoke("--check")  # through Typer
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and ".dockfix.toml: invalid TOML" in r.stderr
    assert Path("Dockerfile").read_text() == MESSY


def test_pragma_suppresses_through_the_cli():
    write("Dockerfile", "# dockfix: ignore=DF503\n" + MESSY)
    p = run_module(SELECT + ",DF900")
    assert p.returncode == 0
    assert Path("Dockerfile").read_text() == "# dockfix: ignore=DF503\n" + MESSY_FIXED.replace(" AS ", " as ")


# --- a long run stays small ----------------------------------------------------------


def test_reported_files_leave_no_text_behind_unless_a_report_needs_it(monkeypatch):
    """Once a file is reported, the run keeps only what its summary and
    --show-fixes read (memory flat over thousands of files); --report keeps all."""
    from dockfix import _cli_run

    write("a/Dockerfile", "FROM debian:12\nMAINTAINER me\n")
    write("b/Dockerfile", "FROM debian:12\nRUN apt-get install -y curl\n")
    seen: list = []
    real = _cli_run.summary

    def spy(results, options):
        seen.append(list(results))
        return real(results, options)

    monkeypatch.setattr(_cli_run, "summary", spy)
    r = invoke("--check", "--show-fixes", "--jobs", "1", ".")
    assert r.exit_code == 1, r.output
    kept = seen[-1]
    assert [x.status for x in kept] == ["changed", "unchanged"]
    assert kept[1].findings and all(set(f) == {"fixable"} for f in kept[1].findings)
    assert all(x.source is None and x.output is None for x in kept)
    assert all(set(f) == {"code"} for x in kept for f in x.fixes)
    assert "MAINTAINER" not in repr(kept)
    assert "Would fix 1 issue in 1 file (DF501: 1)" in r.stderr
    assert "1 × DF501 (maintainer-to-label)" in r.stdout  # --show-fixes, from the kept codes
    r = invoke("--check", "--report", "report.html", "--jobs", "1", ".")
    assert all(x.source is not None and x.output is not None for x in seen[-1])
    assert "MAINTAINER" in Path("report.html").read_text()
