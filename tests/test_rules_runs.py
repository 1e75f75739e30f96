"""Unit tests for DF201 (merge consecutive RUNs) and DF402 (no sudo).

Besides the golden fixtures: the shell-state analysis case by case, the
shape of the second script, hadolint's command count, layouts, and — the
real question — that the merged RUN does what the two did, by running both
versions in a real shell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, buildkit_parse, hadolint_exe

import dockfix
from dockfix.shell import Script, script_of
from dockfix.transforms.layers._merge_hadolint import hadolint_commands
from dockfix.transforms.layers._merge_shell import and_list_problem, leaked_state
from dockfix.transforms.security.no_sudo import OTHER, ROOT, UNKNOWN, user_kind


def _script(text: str) -> Script:
    tree = dockfix.parse(f"FROM debian:12\nRUN {text}\n")
    script = script_of(tree.instructions[-1])
    assert script is not None and not script.has_error, text
    return script


def merge(text: str) -> str:
    return dockfix.fix(text, select=["DF201"]).output


# --------------------------------------------------------------------------
# Shell state the first RUN leaves behind


@pytest.mark.parametrize(
    "script, why",
    [
        ("cd /tmp", "`cd`"),
        ("mkdir -p /a && cd /a", "`cd`"),
        ("pushd /tmp", "`pushd`"),
        ("popd", "`popd`"),
        ("export A=1", "`export`"),
        ("A=1 && export A", "sets a shell variable"),
        ("declare -x A=1", "`declare`"),
        ("local a=1", "`local`"),
        ("readonly A=1", "`readonly`"),
        ("typeset A=1", "`typeset`"),
        ("unset A", "`unset`"),
        ("set -e", "`set`"),
        ("set -o pipefail && true", "`set`"),
        ("shopt -s nullglob", "`shopt`"),
        ("umask 077", "`umask`"),
        ("ulimit -n 1024", "`ulimit`"),
        ("source /etc/os-release", "`source`"),
        (". /venv/bin/activate", "`.`"),
        ("alias ll='ls -l'", "`alias`"),
        ("f() { echo hi; }", "function"),
        ("function g { echo hi; }", "function"),
        ("trap 'rm -f /tmp/x' EXIT", "`trap`"),
        ("exec 3>/tmp/log", "`exec`"),
        ("exec >/tmp/log 2>&1", "`exec`"),
        ("exit 0", "`exit`"),
        ("exit", "`exit`"),
        ("exit 256", "`exit`"),
        ("true || exit $?", "`exit`"),
        ("A=1", "sets a shell variable"),
        ("A=1 B=2", "sets a shell variable"),
        ("IFS=:", "sets a shell variable"),
        ("A=$(uname -m)", "sets a shell variable"),
        ("A=1 :", "special builtin"),
        ('eval "$(ssh-agent -s)"', "`eval`"),
        ("sleep 10 &", "background"),
        ("(sleep 10 &)", "background"),
        ("for f in a b; do echo $f; done", "loop variable"),
        ("for ((i = 0; i < 3; i++)); do echo $i; done", "loop variable"),
        ("read -r line < /etc/hostname", "`read`"),
        ("while read -r l; do echo $l; done < /etc/passwd", "`read`"),
        ("mapfile -t lines < /etc/passwd", "`mapfile`"),
        ("getopts ab opt", "`getopts`"),
        ("let n=1", "`let`"),
        ("((n = 1))", "arithmetic"),
        ("((n++))", "arithmetic"),
        ("echo $((n += 1))", "arithmetic"),
        (": ${A:=1}", "${VAR:=…}"),
        ("echo ${A=1}", "${VAR:=…}"),
        ("printf -v A %s x", "`printf -v`"),
        ("hash -r", "`hash`"),
        ("shift", "`shift`"),
        ("command cd /tmp", "`command cd`"),
        ("builtin cd /tmp", "`builtin cd`"),
        ("$CMD --version", "variable or substitution"),
        ("$(which python) -V", "variable or substitution"),
        ("if true; then cd /tmp; fi", "`cd`"),
        ("{ cd /tmp; }", "`cd`"),
        ("true && { export A=1; }", "`export`"),
        ("echo x | cd /tmp", "`cd`"),  # a pipeline may run its last part in the shell (zsh, lastpipe)
    ],
)
def test_state_left_behind(script: str, why: str) -> None:
    reason = leaked_state(_script(script))
    assert reason is not None and why in reason, (script, reason)


@pytest.mark.parametrize(
    "script",
    [
        "apt-get update",
        "apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
        "a || true",
        "a; b",
        "a | b",
        "! cmp a b",
        "(cd /tmp && make)",
        "echo $(cd / && pwd)",
        "diff <(cd /a && ls) <(cd /b && ls)",
        "A=1 make",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata",
        "sh -c 'cd /tmp && export A=1'",
        'bash -c "set -e; cd /x"',
        "case $X in a) exit 1 ;; esac",
        "test -f /x || exit 3",
        '[ "$A" = b ] && echo same',
        "[[ $A == b ]] && echo same",
        "echo ${A:-default} ${#A} ${A%.tar}",
        "echo $((1 + 2)) $((a == b))",
        "if [ -f /x ]; then echo yes; else echo no; fi",
        "while false; do :; done",
        "command -v curl",
        "env A=1 make",
        "xargs cd < /dev/null",
        "echo 2>&1 >/dev/null",
        "echo x &>/dev/null",
        "{ echo a; echo b; } > /tmp/x",
        "sudo -u app sh -c 'cd ~ && ls'",
    ],
)
def test_no_state_left_behind(script: str) -> None:
    assert leaked_state(_script(script)) is None, script


# --------------------------------------------------------------------------
# The second script must be one `&&` chain


@pytest.mark.parametrize(
    "script, ok",
    [
        ("b", True),
        ("b && c && d", True),
        ("b | c && d", True),
        ("! b", True),
        ("(b; c) && d", True),
        ("{ b || c; } && d", True),
        ("if b; then c; fi", True),
        ("b;", True),
        ("X=1", True),
        ("b # comment", True),
        ("b; c", False),
        ("b || c", False),
        ("b && c || d", False),
        ("b || c && d", False),
        ("b &", False),
        ("b & c", False),
    ],
)
def test_second_script_shape(script: str, ok: bool) -> None:
    problem = and_list_problem(_script(script))
    assert (problem is None) is ok, (script, problem)


# --------------------------------------------------------------------------
# hadolint's command count (DL3059 is reported when both RUNs have <= 1)


@pytest.mark.parametrize(
    "run, count",
    [
        ("RUN a", 1),
        ("RUN a > /f", 1),
        ("RUN X=1", 0),
        ("RUN A=$(b)", 1),
        ("RUN a && b", 2),
        ("RUN a | b", 2),
        ("RUN echo $(a)", 2),
        ("RUN export A=1 && b", 2),
        ("RUN [ -f x ] && y", 1),
        ("RUN [[ -f x ]] && y", 1),
        ("RUN ((x)) && y", 1),
        ("RUN time a b", 2),
        ('RUN ["a", "b"]', 1),
        ('RUN ["a", "&&", "b"]', 2),
    ],
)
def test_hadolint_command_count(run: str, count: int) -> None:
    tree = dockfix.parse(f"FROM debian:12\n{run}\n")
    assert hadolint_commands(tree.instructions[-1]) == count


# --------------------------------------------------------------------------
# Layouts


@pytest.mark.parametrize(
    "source, expected",
    [
        # one-line RUNs: a continuation line, four spaces, leading &&
        ("FROM a\nRUN a\nRUN b\n", "FROM a\nRUN a \\\n    && b\n"),
        # the file's leading-&& style, its indentation
        (
            "FROM a\nRUN x \\\n  && y\nRUN a\nRUN b\n",
            "FROM a\nRUN x \\\n  && y \\\n  && a \\\n  && b\n",
        ),
        # the file's trailing-&& style
        (
            "FROM a\nRUN x && \\\n\ty\nRUN a\n",
            "FROM a\nRUN x && \\\n\ty && \\\n\ta\n",
        ),
        # the second RUN's own continuation lines keep their bytes
        (
            "FROM a\nRUN a\nRUN b \\\n      --flag \\\n  && c\n",
            "FROM a\nRUN a \\\n  && b \\\n      --flag \\\n  && c\n",
        ),
        # a comment between stays; blank lines go
        (
            "FROM a\nRUN a\n\n# why b\n\nRUN b\n",
            "FROM a\nRUN a \\\n# why b\n    && b\n",
        ),
        # trailing whitespace of the first line is kept
        ("FROM a\nRUN a  \nRUN b\n", "FROM a\nRUN a   \\\n    && b\n"),
        # a trailing `;` is dropped (`a;` is `a`)
        ("FROM a\nRUN a ;  \nRUN b\n", "FROM a\nRUN a \\\n    && b\n"),
        # indented instructions
        ("FROM a\n  RUN a\n  RUN b\n", "FROM a\n  RUN a \\\n    && b\n"),
        # lower-case keyword, flags kept from the first RUN
        (
            "FROM a\nrun --network=none a\nrun --network=none b\n",
            "FROM a\nrun --network=none a \\\n    && b\n",
        ),
    ],
)
def test_layout(source: str, expected: str) -> None:
    assert merge(source) == expected
    assert merge(expected) == expected


def test_no_merge_across_stages_or_instructions() -> None:
    text = "FROM a AS one\nRUN a\nFROM one\nRUN b\nWORKDIR /x\nRUN c\nONBUILD RUN d\nRUN e\n"
    assert merge(text) == text


def test_no_merge_when_shell_changes_between_is_an_instruction() -> None:
    text = 'FROM a\nRUN a\nSHELL ["/bin/bash", "-c"]\nRUN b\n'
    assert merge(text) == text


def test_posix_shell_with_options_merges() -> None:
    text = 'FROM a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN a | b\nRUN c\n'
    assert merge(text) == 'FROM a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN a | b \\\n    && c\n'


def test_shell_inherited_from_parent_stage() -> None:
    text = 'FROM a AS base\nSHELL ["cmd", "/S", "/C"]\nFROM base\nRUN a\nRUN b\n'
    assert merge(text) == text


def test_bash_env_refused() -> None:
    text = 'FROM a\nENV BASH_ENV=/etc/profile.d/env.sh\nSHELL ["/bin/bash", "-c"]\nRUN a\nRUN b\n'
    assert merge(text) == text


@pytest.mark.parametrize(
    "first, second, merged",
    [
        ("pip install -U pip", "pip install flask", False),
        # the first never looked `pip` up: the merged shell finds the new one
        ("python -m pip install --upgrade pip", "pip install flask", True),
        ("pip --version && python -m pip install --upgrade pip", "pip install flask", False),
        ("pip install -r requirements.txt", "pip install -e .", False),
        ("pip install flask", "pip install gunicorn", True),
        ("pip install flask", "python -m flask --version", True),
        ("npm install -g npm@10", "npm ci", False),
        ("npm ci", "npm run build", True),
        ("pnpm -v && corepack enable", "pnpm install", False),
        ("corepack enable && pnpm -v", "pnpm install", True),  # looked up after the change
        ("gem update --system", "gem install bundler", False),
        ("go install example.com/tool@latest", "go build ./...", True),
        ("apt-get update", "apt-get install -y curl", True),
        ("apt-get install -y curl && curl -V", "curl -fsSL https://x -o /x", True),
        ("curl -V && curl -o /usr/local/bin/curl https://x", "curl -V", False),
        ("make && make install", "make check", True),
        ("true && make install", "true", False),
        ("uv self update", "uv sync", False),
        ("uv python install 3.12", "uv sync", True),
    ],
)
def test_programs_replaced_on_path(first: str, second: str, merged: bool) -> None:
    text = f"FROM debian:12\nRUN {first}\nRUN {second}\n"
    assert (merge(text) != text) is merged


@pytest.mark.parametrize(
    "workdir, command, merged",
    [
        ("/app", "rm -rf /tmp/build", True),
        ("/app", "rm -rf /app", False),
        ("/app/src", "rm -rf /app", False),
        ("/app", "rm -rf /app/build", True),
        ("/app", "rm -rf /ap*", False),
        ("/app", "rm -rf .", False),
        ("/app", "mv ../app /old", False),
        (None, "rm -rf /var/lib/apt/lists/*", True),
    ],
)
def test_working_directory_removed(workdir: str | None, command: str, merged: bool) -> None:
    wd = f"WORKDIR {workdir}\n" if workdir else ""
    text = f"FROM debian:12\n{wd}RUN {command}\nRUN ls\n"
    assert (merge(text) != text) is merged


# --------------------------------------------------------------------------
# The merged RUN does what the two RUNs did: run both in a real shell.

SCENARIOS = [
    ["echo one", "echo two"],
    ["false || echo recovered", "echo after"],
    ["false; echo ignored-failure", "echo after"],
    ["echo a; false", "echo must-not-run"],
    ["false || false", "echo must-not-run"],
    ["true && false", "echo must-not-run"],
    ["echo one | tr a-z A-Z", "! grep -q x /dev/null"],
    ["(cd / && pwd)", "pwd"],
    ["echo $(cd / && pwd)", "pwd"],
    ["A=1 env | grep -c '^A=' || true", "echo ${A:-unset}"],
    ["if [ -d / ]; then echo dir; fi", "echo $?"],
    ["case x in x) echo x;; esac", "echo done"],
    ["mkdir -p d;", "ls -d d"],
    ["echo one", "echo two; echo three"],  # not merged: the helper then runs them apart
    ["echo one", "false || echo two"],
    ["exit 3", "echo must-not-run"],
]


def _run_builds(tmp: Path, scripts: list[str], shell: str) -> tuple[list[str], int]:
    """Run each script as its own `sh -c`, stopping at the first failure,
    as a build does; return the output lines and the failing status."""
    out: list[str] = []
    for s in scripts:
        proc = subprocess.run([shell, "-c", s], cwd=tmp, capture_output=True, text=True, timeout=30)
        out.extend(proc.stdout.splitlines())
        if proc.returncode:
            return out, proc.returncode
    return out, 0


@pytest.mark.parametrize("shell", ["dash", "bash"])
@pytest.mark.parametrize("scripts", SCENARIOS, ids=[" ; ".join(s) for s in SCENARIOS])
def test_merged_run_behaves_the_same(tmp_path: Path, scripts: list[str], shell: str) -> None:
    exe = shutil.which(shell)
    if exe is None:
        pytest.skip(f"{shell} not installed")
    text = "FROM debian:12\n" + "".join(f"RUN {s}\n" for s in scripts)
    merged = merge(text)
    commands = buildkit_parse(merged)
    assert not isinstance(commands, Exception), commands
    runs = [c.value[0] for c in commands if c.cmd == "RUN"]
    work = tmp_path / "work"
    work.mkdir()
    before = _run_builds(work, scripts, exe)
    work.rename(tmp_path / "before")
    work.mkdir()
    after = _run_builds(work, runs, exe)
    assert (after[0], after[1] != 0) == (before[0], before[1] != 0), (runs, before, after)
    assert sorted(os.listdir(work)) == sorted(os.listdir(tmp_path / "before"))


def test_scenarios_mostly_merge() -> None:
    merged = [s for s in SCENARIOS if merge("FROM a\n" + "".join(f"RUN {x}\n" for x in s)).count("RUN") == 1]
    assert len(merged) >= len(SCENARIOS) - 3


# --------------------------------------------------------------------------
# The report-only findings sit where hadolint reports DL3059, and only there.


def test_findings_agree_with_hadolint(tmp_path: Path) -> None:
    exe = hadolint_exe()
    cases = sorted((FIXTURES / "DF201").glob("*/input.Dockerfile"))
    names = []
    for i, case in enumerate(cases):
        name = f"{i:03d}.Dockerfile"
        shutil.copy(case, tmp_path / name)
        names.append(name)
    proc = subprocess.run(
        [exe, "--no-fail", "-f", "json", *names], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    reported = {(f["file"], f["line"]) for f in json.loads(proc.stdout) if f["code"] == "DL3059"}
    for name, case in zip(names, cases, strict=False):
        text = case.read_bytes().decode("utf-8")
        tree = dockfix.parse(text)
        result = dockfix.fix(text, select=["DF201"], apply=False)
        ours = {(name, tree.position(f.start)[0]) for f in result.findings}
        report_only = {(name, tree.position(f.start)[0]) for f in result.findings if f.fix is None}
        theirs = {r for r in reported if r[0] == name}
        assert theirs <= ours, (case.parent.name, theirs - ours)
        assert report_only <= theirs, (case.parent.name, report_only - theirs)


# --------------------------------------------------------------------------
# DF402 helpers


@pytest.mark.parametrize(
    "base, name",
    [
        ("ubuntu", "ubuntu"),
        ("ubuntu:24.04", "ubuntu"),
        ("library/debian:12", "debian"),
        ("docker.io/library/python:3.12@sha256:abc", "python"),
        ("mirror.gcr.io/library/alpine", "alpine"),
        ("public.ecr.aws/docker/library/node:20", "node"),
        ("gitpod/workspace-full", None),
        ("localhost:5000/ubuntu", None),
        ("ghcr.io/org/ubuntu:1", None),
        ("${BASE}", None),
        ("${REGISTRY}/ubuntu:24.04", None),
        ("node:${VARIANT}", None),  # an unknown tag may name any variant (the image table's reading)
        ("python:3.12@${DIGEST}", "python"),
    ],
)
def test_official_image_runs_as_root(base: str, name: str | None) -> None:
    tree = dockfix.parse(f"FROM {base}\nRUN x\n")
    run = tree.stages[-1].instructions[-1]
    assert user_kind(tree, run)[0] == (ROOT if name else UNKNOWN)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("FROM ubuntu\nRUN x\n", ROOT),
        ("FROM scratch\nRUN x\n", ROOT),
        ("FROM jupyter/base-notebook\nRUN x\n", UNKNOWN),
        ("FROM ubuntu\nUSER app\nRUN x\n", OTHER),
        ("FROM ubuntu\nUSER app\nUSER root\nRUN x\n", ROOT),
        ("FROM ubuntu\nUSER 0:0\nRUN x\n", ROOT),
        ("FROM ubuntu\nUSER root:staff\nRUN x\n", ROOT),
        ("FROM ubuntu\nUSER $U\nRUN x\n", UNKNOWN),
        ("FROM ubuntu AS a\nUSER app\nFROM a\nRUN x\n", OTHER),
        ("FROM ubuntu AS a\nUSER app\nFROM a\nUSER root\nRUN x\n", ROOT),
        ("FROM ubuntu AS a\nUSER app\nFROM ubuntu\nRUN x\n", ROOT),
        ("FROM ubuntu\nRUN x\nUSER app\n", ROOT),
    ],
)
def test_user_at(text: str, kind: str) -> None:
    tree = dockfix.parse(text)
    stage = tree.stages[-1]
    run = next(i for i in stage.instructions if i.keyword == "RUN")
    assert user_kind(tree, run)[0] == kind


def test_sudo_fix_is_unsafe_and_idempotent() -> None:
    text = "FROM debian:12\nRUN sudo apt-get update && sudo\tapt-get install -y curl\n"
    safe = dockfix.fix(text, select=["DF402"])
    assert safe.output == text and safe.unsafe_available == 2
    fixed = dockfix.fix(text, select=["DF402"], unsafe=True)
    assert fixed.output == "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n"
    assert not dockfix.fix(fixed.output, select=["DF402"], unsafe=True).findings


def test_sudo_then_merge_compose() -> None:
    text = "FROM debian:12\nRUN sudo apt-get update\nRUN sudo apt-get install -y curl\n"
    out = dockfix.fix(text, select=["DF201", "DF402"], unsafe=True).output
    assert out == "FROM debian:12\nRUN apt-get update \\\n    && apt-get install -y curl\n"


@pytest.mark.parametrize(
    "first, second",
    [
        ("echo a &", "echo b"),  # background job, and `& &&` would not parse
        ("echo a # note", "echo b"),  # `\` inside the comment: b commented out
        ("echo a", "# only a comment"),
        ("echo a", "V=1 && curl -O https://x/$V"),  # SC2086 would appear
    ],
)
def test_first_end_and_second_start_refused(first: str, second: str) -> None:
    text = f"FROM debian:12\nRUN {first}\nRUN {second}\n"
    assert merge(text) == text


def test_second_assigns_and_quotes_merges() -> None:
    text = 'FROM debian:12\nRUN echo a\nRUN V=1 && curl -O "https://x/$V"\n'
    assert merge(text) == 'FROM debian:12\nRUN echo a \\\n    && V=1 && curl -O "https://x/$V"\n'


def test_report_only_message_says_why() -> None:
    text = "FROM debian:12\nRUN cd /app\nRUN make\n"
    result = dockfix.fix(text, select=["DF201"])
    assert result.output == text
    [finding] = result.findings
    assert finding.fix is None and finding.line == 3
    assert "not merged" in finding.message and "`cd`" in finding.message


# -- R1: DF201 asks dockfix.tools what an install puts on PATH --------------------------


@pytest.mark.parametrize(
    "run, name, expected",
    [
        ("pip install -U pip", "pip", True),
        ("pip install -r requirements.txt", "pip", True),
        ("pip install requests", "pip", False),
        ("python3 -m pip install -r r.txt", "pip", True),
        # a global option before the subcommand (was read as the subcommand)
        ("pip --cache-dir /c install -r r.txt", "pip", True),
        ("pip download -r r.txt", "pip", False),
        ("npm i -g typescript", "npm", True),
        ("npm i -g typescript", "tsc", False),
        ('npm i -g "$PKG"', "tsc", True),
        # npm: only the global location installs onto PATH (any --location counted before)
        ("npm i --location=project typescript", "npm", False),
        ("npm i --location=global typescript", "npm", True),
        ("npm ci", "npm", False),
        ("pnpm setup", "pnpm", True),
        ("gem update --system", "bundle", True),
        ("gem update --system", "rake", False),
        ("gem install rake", "rake", True),
        ("bundle install", "bundle", False),
        ("uv python install 3.12", "python3.12", True),
        ("uv self update", "uvx", True),
        ("uv pip install -r r.txt", "pip", True),
        ("uv tool install ruff", "ruff", True),
        ("uv sync", "python", False),
        ("pipx upgrade-all", "black", False),
        ("cargo install ripgrep", "ripgrep", True),
        ("go install example.com/x/cmd/tool@latest", "tool", True),
        ("go build ./...", "go", False),
        ("composer global require phpunit/phpunit", "composer", False),
        ("apt-get install -y git", "git", True),
        ("apt-get install -y git", "curl", False),
        # through a wrapper (was not read)
        ("sudo apt-get install -y git", "git", True),
        ("tdnf install -y git", "git", True),
        # programs dockfix.tools has no grammar for
        ("conda install -y -c conda-forge pip", "pip", True),
        ("easy_install pip", "pip", True),
        ("corepack enable", "yarn", True),
        ("dpkg --remove git", "git", True),
        ("make install", "gcc", True),
    ],
)
def test_what_an_install_may_put_on_path(run: str, name: str, expected: bool) -> None:
    from dockfix.transforms.layers._merge_path import _may_replace

    cmd = Script(run, lambda i: i, lambda i: i).commands[0]
    assert _may_replace(cmd, name) is expected
