"""Unit tests for the helpers of DF511 (cd → WORKDIR), DF512 (pipefail) and
DF513 (exec-form CMD), beyond the golden fixtures."""

from __future__ import annotations

import pytest

import dockfix
from dockfix.engine import apply_edits
from dockfix.model import SemanticModel, Shell
from dockfix.rules import Edit
from dockfix.transforms.instructions._shell_rules import hadolint_sees_pipefail, merged_edit
from dockfix.transforms.instructions.exec_form_cmd import plain_words
from dockfix.transforms.instructions.pipefail import _SHELL_FOR


@pytest.mark.parametrize(
    "base, family",
    [
        ("debian:bookworm-slim", "/bin/bash"),
        ("ubuntu", "/bin/bash"),
        ("python:3.12", "/bin/bash"),
        ("python:3.12-slim", "/bin/bash"),
        ("node:20-alpine", "/bin/ash"),
        ("alpine:3.20", "/bin/ash"),
        ("mirror.gcr.io/alpine", "/bin/ash"),
        ("bash:5.2", "/bin/ash"),
        ("nvidia/cuda:12.4.1-devel-ubuntu22.04", "/bin/bash"),
        ("redhat/ubi9-minimal", "/bin/bash"),
        ("quay.io/fedora/python-311:latest", "/bin/bash"),
        ("mcr.microsoft.com/azurelinux/base/core:3.0", "/bin/bash"),
        ("gcr.io/distroless/base", None),
        ("busybox:1.36", None),
        ("myorg/custom:1.0", None),
        ("node:${VARIANT}", None),  # might be an Alpine variant
        ("ruby:${V}-slim", "/bin/bash"),
        ("$REPO:9.0-alpine3.20", "/bin/ash"),
    ],
)
def test_pipefail_shell_for_the_image(base: str, family: str | None) -> None:
    """The shell DF512 sets, from the model's image family."""
    tree = dockfix.parse(f"FROM {base}\nRUN true\n")
    assert _SHELL_FOR.get(SemanticModel.of(tree).stages[0].image.family) == family


def test_pipefail_shell_follows_stages_and_global_args() -> None:
    tree = dockfix.parse("ARG V=3.12-alpine\nFROM python:${V} AS base\nFROM base\nRUN true\n")
    assert _SHELL_FOR.get(SemanticModel.of(tree).stages[1].image.family) == "/bin/ash"


@pytest.mark.parametrize(
    "args, real, hadolint",
    [
        (["/bin/bash", "-o", "pipefail", "-c"], True, True),
        (["/bin/bash", "-eo", "pipefail", "-c"], True, True),
        (["/usr/local/bin/bash", "-o", "pipefail", "-c"], True, False),
        (["/usr/bin/env", "bash", "-o", "pipefail", "-c"], True, False),
        (["/bin/sh", "-o", "pipefail", "-c"], False, False),
        (["/bin/bash", "-c"], False, False),
        (["ash", "-o", "pipefail", "-c"], True, True),
    ],
)
def test_pipefail_shells(args: list[str], real: bool, hadolint: bool) -> None:
    assert Shell(tuple(args), False).pipefail is real
    assert hadolint_sees_pipefail(args) is hadolint


@pytest.mark.parametrize(
    "text, words",
    [
        ("node server.js", ["node", "server.js"]),
        ("echo \"a b\" 'c d'", ["echo", "a b", "c d"]),
        ("gunicorn --bind=0.0.0.0:80 app:app", ["gunicorn", "--bind=0.0.0.0:80", "app:app"]),
        ("run ''", ["run", ""]),
        ("echo $HOME", None),
        ('echo "$HOME"', None),
        ("echo `date`", None),
        ("a && b", None),
        ("a | b", None),
        ("a > log", None),
        ("ls *.txt", None),
        ("ls ~", None),
        ("echo {a,b}", None),
        ("echo a\\ b", None),
        ("echo 'unterminated", None),
        ("echo # comment", None),
    ],
)
def test_plain_words(text: str, words: list[str] | None) -> None:
    assert plain_words(text)[0] == words


@pytest.mark.parametrize(
    "text, edits",
    [
        ("FROM a\nRUN x | y\n", [Edit(7, 7, 'SHELL ["/bin/bash"]\n')]),
        ("WORKDIR /app\nRUN cd server && make\n", [Edit(8, 12, "/app/server"), Edit(17, 30, "")]),
        ("CMD echo test\nCMD echo test\n", [Edit(4, 13, '["echo", "test"]')]),
    ],
)
def test_merged_edit_does_what_the_edits_do(text: str, edits: list[Edit]) -> None:
    edit = merged_edit(text, edits)
    assert apply_edits(text, [edit]) == apply_edits(text, edits)
    assert (edit.start, edit.end) == (min(e.start for e in edits), max(e.end for e in edits))


def test_cd_fix_waits_for_the_previous_rewritten_run() -> None:
    """Two `RUN cd sub && …` in a row share one WORKDIR instead of a
    restore immediately followed by the same WORKDIR again."""
    text = 'FROM debian\nWORKDIR /app\nRUN cd sub && a\nRUN cd sub && b\nCMD ["x"]\n'
    out = dockfix.fix(text, select=["DF511"], unsafe=True).output
    assert out == 'FROM debian\nWORKDIR /app/sub\nRUN a\nRUN b\nWORKDIR /app\nCMD ["x"]\n'


def test_cd_fix_keeps_a_later_workdir_it_relies_on() -> None:
    """The first fix relies on the later absolute WORKDIR; the second fix
    would delete that WORKDIR, so it waits a pass and adapts."""
    text = "FROM debian\nWORKDIR /app/server\nRUN cd /tmp && a\nWORKDIR /app\nRUN cd server && b\n"
    out = dockfix.fix(text, select=["DF511"], unsafe=True).output
    assert "RUN a\n" in out and "RUN b\n" in out
    # b still runs in /app/server, a in /tmp
    lines = out.splitlines()
    wd = None
    where = {}
    for line in lines:
        if line.startswith("WORKDIR "):
            wd = line.split()[1]
        elif line.startswith("RUN "):
            where[line[4:]] = wd
    assert where == {"a": "/tmp", "b": "/app/server"}
