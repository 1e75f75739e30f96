"""DF512 (pipefail): which commands a RUN is certain to have run, the image
family a package manager tells, and hadolint's own view of the golden cases."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES, hadolint_exe

import dockfix
from dockfix.shell import Script
from dockfix.transforms.instructions.pipefail import _must_run


def _names(text: str) -> list[str | None]:
    return [c.name for c in _must_run(Script(text, lambda i: i, lambda i: i))]


@pytest.mark.parametrize(
    ("script", "names"),
    [
        ("apt-get update && apt-get install -y curl", ["apt-get", "apt-get"]),
        ("apt-get update > /log 2>&1 && rm -rf /x", ["apt-get", "rm"]),
        ("apt-get update; ls", ["ls"]),  # no `set -e`: the first statement may fail
        ("set -eux; apt-get update; ls | wc -l", ["apt-get"]),
        ("set -euo pipefail\napt-get update\nls", ["apt-get", "ls"]),
        ("set -e; a && apt-get update; ls", ["ls"]),  # `set -e` spares `a && b`
        ("apt-get update; set -e; ls", ["ls"]),  # before the `set -e`
        ("cd /x && set -e; apt-get update; ls", ["ls"]),  # a `set -e` that may not run
        ("apt-get update || true", []),
        ("a && b || c", []),
        ("(cd /x || exit) && apt-get update", ["apt-get"]),
        ("if x; then apt-get update; fi", []),
        ("apt-get install -y x | tee /log", []),
        ("! apt-get update", []),
        ("apt-get update &", []),
        ("apt-get update & wait", ["wait"]),
        ("", []),
    ],
)
def test_must_run(script: str, names: list[str]) -> None:
    assert _names(script) == names


def _fixed(text: str) -> str:
    return dockfix.fix(text, path="Dockerfile", select=["DF512"], unsafe=True).output


def test_package_manager_of_an_unknown_image_picks_the_shell() -> None:
    rhel = "FROM myorg/base:1\nRUN dnf install -y tar\nRUN curl -fsSL https://example.com/t.tgz | tar -xz\n"
    assert 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl' in _fixed(rhel)
    # a package manager the build may skip or a later RUN runs tells nothing
    for text in (
        "FROM myorg/base:1\nRUN ls | wc -l\nRUN apt-get update\n",
        "FROM myorg/base:1\nRUN [ -x /usr/bin/apt-get ] || apt-get update\nRUN ls | wc -l\n",
        "FROM myorg/base:1\nRUN apk add curl\nRUN ls | wc -l\n",
    ):
        assert _fixed(text) == text
    # the table's answer wins over what the stage runs
    windows = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN apt-get update && a | b\n"
    assert _fixed(windows) == windows


def test_pipe_only_in_a_substitution_gets_the_shell() -> None:
    text = 'FROM debian:bookworm\nRUN sum=$(sha256sum f | cut -d" " -f1) && [ "$sum" = "$X" ]\n'
    assert _fixed(text) == text.replace("RUN", 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN', 1)


def _dl4006_lines(exe: str, path: Path) -> list[int]:
    proc = subprocess.run(
        [exe, "--no-fail", "-f", "json", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return [f["line"] for f in json.loads(proc.stdout or "[]") if f["code"] == "DL4006"]


_CASES = sorted(p.parent for p in (FIXTURES / "DF512").glob("*/input.Dockerfile"))


@pytest.mark.parametrize("case", _CASES, ids=lambda p: p.name)
def test_hadolint_agrees_with_the_golden_case(case: Path) -> None:
    """Where DF512 leaves no finding, hadolint reports no DL4006 either:
    the SHELLs it writes are ones hadolint accepts (`/bin/ash`, `-eo`), and
    what it leaves alone is what hadolint does not flag (`sh -c '…'`
    strings, ONBUILD RUN).  A case with findings left keeps its DL4006."""
    exe = hadolint_exe()
    out = case / "expected.Dockerfile"
    if not out.exists():
        out = case / "input.Dockerfile"
    left = _dl4006_lines(exe, out)
    if (case / "findings.txt").exists() or case.name == "no-change":
        assert left, f"{case.name}: hadolint no longer reports DL4006 (update the docs of DF512)"
    else:
        assert left == [], f"{case.name}: hadolint still reports DL4006 on lines {left}"
