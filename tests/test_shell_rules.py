"""DF705-DF711: the ShellCheck rules with dockfix's own fixes (SC2035,
SC2155, SC2028, SC2268, SC3046, SC3014, SC3020) — the shapes the golden
cases do not show, the shell each RUN runs in, and the shell behaviour the
fixes' safety rests on."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import dockfix
from dockfix import shellcheck, tools
from dockfix.rules import Context, Safety
from dockfix.transforms.shell import _shells

pytestmark = pytest.mark.skipif(shellcheck.binary() is None, reason="shellcheck is not installed")

SAFE, UNSAFE, REPORT = Safety.SAFE, Safety.UNSAFE, Safety.REPORT_ONLY


def _run(text: str, code: str, unsafe: bool = True) -> tuple[str, list[Safety]]:
    """The output of fixing ``text`` with rule ``code``, and the safety of
    each finding of the first pass."""
    first = dockfix.fix(text, select=[code], unsafe=False)
    safeties = [f.safety for f in first.fixes] + [f.safety for f in first.findings]
    return dockfix.fix(text, select=[code], unsafe=unsafe).output, safeties


@pytest.mark.parametrize(
    ("text", "code", "output", "safety"),
    [
        # DF705: the program behind wrappers decides
        (
            "FROM debian\nRUN xargs rm *.log < list\n",
            "DF705",
            "FROM debian\nRUN xargs rm ./*.log < list\n",
            SAFE,
        ),
        (
            "FROM debian\nRUN sudo -u app rm *.log\n",
            "DF705",
            "FROM debian\nRUN sudo -u app rm ./*.log\n",
            SAFE,
        ),
        ("FROM debian\nRUN ls *.log > l\n", "DF705", "FROM debian\nRUN ls ./*.log > l\n", UNSAFE),
        ("FROM debian\nRUN unzip a.zip *.txt\n", "DF705", "FROM debian\nRUN unzip a.zip *.txt\n", REPORT),
        ("FROM debian\nRUN $RM *.txt\n", "DF705", "FROM debian\nRUN $RM *.txt\n", REPORT),
        # DF706: where the declaration sits
        (
            'FROM debian\nRUN while read l; do export A="$(cat $l)"; done < f\n',
            "DF706",
            'FROM debian\nRUN while read l; do A="$(cat $l)"; export A; done < f\n',
            SAFE,
        ),
        (
            'FROM debian\nRUN readonly A="$(cat f)"; echo "$A"\n',
            "DF706",
            'FROM debian\nRUN A="$(cat f)"; readonly A; echo "$A"\n',
            SAFE,
        ),
        (
            'FROM debian\nRUN export A="$(cat f)" && echo "$A"\n',
            "DF706",
            'FROM debian\nRUN A="$(cat f)" && export A && echo "$A"\n',
            UNSAFE,
        ),
        (
            'FROM debian\nRUN set -eo pipefail; export A="$(cat f)"; echo "$A"\n',
            "DF706",
            'FROM debian\nRUN set -eo pipefail; A="$(cat f)"; export A; echo "$A"\n',
            UNSAFE,
        ),
        (
            'FROM debian\nRUN if [ -n "$CI" ]; then set -e; fi; export A="$(cat f)"\n',
            "DF706",
            'FROM debian\nRUN if [ -n "$CI" ]; then set -e; fi; A="$(cat f)"; export A\n',
            UNSAFE,
        ),
        (
            'FROM debian\nRUN case "$X" in a) export A="$(cat f)";; esac\n',
            "DF706",
            'FROM debian\nRUN case "$X" in a) export A="$(cat f)";; esac\n',
            REPORT,
        ),
        (
            'FROM debian\nRUN if export A="$(cat f)"; then :; fi\n',
            "DF706",
            'FROM debian\nRUN if export A="$(cat f)"; then :; fi\n',
            REPORT,
        ),
        # DF707: the shell that runs the script
        (
            'FROM ubuntu:24.04\nRUN echo "a\\tb" > f\n',
            "DF707",
            "FROM ubuntu:24.04\nRUN printf '%b\\n' \"a\\tb\" > f\n",
            SAFE,
        ),
        (
            'FROM debian\nSHELL ["/usr/bin/env", "bash", "-c"]\nRUN echo "a\\tb" > f\n',
            "DF707",
            'FROM debian\nSHELL ["/usr/bin/env", "bash", "-c"]\nRUN echo "a\\tb" > f\n',
            REPORT,
        ),
        # DF708: a test of three words, `[[ ]]`, or more
        (
            'FROM debian\nSHELL ["/bin/bash", "-c"]\nRUN [[ "x$A" == "xb" ]] && echo b\n',
            "DF708",
            'FROM debian\nSHELL ["/bin/bash", "-c"]\nRUN [[ "$A" == "b" ]] && echo b\n',
            SAFE,
        ),
        (
            'FROM debian\nRUN [ ! "x$A" = "xb" ] && echo b\n',
            "DF708",
            'FROM debian\nRUN [ ! "$A" = "b" ] && echo b\n',
            UNSAFE,
        ),
        # DF709-DF711: bash and BusyBox ash have the extension, dash not
        (
            "FROM fedora:40\nRUN source /etc/os-release\n",
            "DF709",
            "FROM fedora:40\nRUN . /etc/os-release\n",
            SAFE,
        ),
        (
            "FROM ubuntu:24.04\nRUN source /etc/os-release\n",
            "DF709",
            "FROM ubuntu:24.04\nRUN . /etc/os-release\n",
            UNSAFE,
        ),
        ("FROM myorg/base\nRUN test a == a\n", "DF710", "FROM myorg/base\nRUN test a = a\n", UNSAFE),
        ("FROM alpine\nRUN make &> log\n", "DF711", "FROM alpine\nRUN make > log 2>&1\n", SAFE),
        # DF712: the format is what the shell's echo does with the flags
        ("FROM alpine\nRUN echo -e x > f\n", "DF712", "FROM alpine\nRUN printf '%b\\n' x > f\n", SAFE),
        ("FROM alpine\nRUN echo -eE x > f\n", "DF712", "FROM alpine\nRUN printf '%s\\n' x > f\n", SAFE),
        ("FROM alpine\nRUN echo -n -e x > f\n", "DF712", "FROM alpine\nRUN echo -n -e x > f\n", REPORT),
        ("FROM debian\nRUN echo -E x > f\n", "DF712", "FROM debian\nRUN echo -E x > f\n", REPORT),
        ('FROM alpine\nRUN echo -n "$A" > f\n', "DF712", 'FROM alpine\nRUN echo -n "$A" > f\n', REPORT),
        (
            'FROM alpine\nRUN echo -n "$A-x" > f\n',
            "DF712",
            "FROM alpine\nRUN printf '%s' \"$A-x\" > f\n",
            SAFE,
        ),
    ],
)
def test_fix_and_safety(text: str, code: str, output: str, safety: Safety) -> None:
    got, safeties = _run(text, code)
    assert got == output
    assert safeties == [safety]


def _program(text: str) -> str | None:
    tree = dockfix.parse(text)
    ctx = Context(tree)
    ins = [i for i in tree.instructions if i.keyword == "RUN"][-1]
    script = ctx.model.script(ins)
    assert script is not None
    return _shells.shell_program(ctx, ins, script)


@pytest.mark.parametrize(
    ("text", "program"),
    [
        ("FROM debian:bookworm\nRUN true\n", "dash"),
        ("FROM ubuntu:24.04\nRUN true\n", "dash"),
        ("FROM python:3.12-alpine\nRUN true\n", "busybox"),
        ("FROM registry.access.redhat.com/ubi9/ubi\nRUN true\n", "bash"),
        ("FROM myorg/base:1\nRUN true\n", None),
        ('FROM myorg/base:1\nSHELL ["/bin/bash", "-c"]\nRUN true\n', "bash"),
        ('FROM debian\nSHELL ["/usr/bin/env", "bash", "-c"]\nRUN true\n', "bash"),
        ('FROM alpine\nSHELL ["/bin/ash", "-c"]\nRUN true\n', "busybox"),
        ('FROM debian\nSHELL ["/bin/zsh", "-c"]\nRUN true\n', None),
        # /bin/sh replaced by an earlier RUN
        ("FROM debian\nRUN ln -sf /bin/bash /bin/sh\nRUN true\n", None),
        ("FROM debian\nRUN echo 'dash dash/sh boolean false' | debconf-set-selections\nRUN true\n", None),
        ('FROM debian\nRUN ["/busybox/ln", "-s", "/busybox/sh", "/bin/sh"]\nRUN true\n', None),
        ("FROM debian\nRUN ln -s /usr/bin/python3 /usr/bin/python\nRUN true\n", "dash"),
        # the SHELL of the stage a stage is built on
        ('FROM debian AS a\nSHELL ["/bin/bash", "-c"]\nFROM a\nRUN true\n', "bash"),
        # a heredoc's `#!` line, not the SHELL
        ("FROM debian\nRUN <<EOF\n#!/bin/bash\ntrue\nEOF\n", "bash"),
        ("FROM debian\nRUN <<EOF\n#!/bin/sh -e\ntrue\nEOF\n", "dash"),
    ],
)
def test_shell_program(text: str, program: str | None) -> None:
    assert _program(text) == program


def test_dot_slash_tables() -> None:
    assert not tools.posix.DOT_SLASH_ALIKE & tools.posix.DOT_SLASH_CHANGES
    # commands that store or print the operand's text are in neither
    for prog in ("tar", "zip", "ln", "echo", "ls", "rmdir"):
        assert prog not in tools.posix.DOT_SLASH_ALIKE


_DASH = shutil.which("dash")
_BASH = shutil.which("bash")


def _sh(shell: str | None, script: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert shell is not None
    return subprocess.run([shell, "-c", script, "sh", *args], capture_output=True, check=False)


def _dash(script: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return _sh(_DASH, script, *args)


@pytest.mark.skipif(_DASH is None, reason="dash is not installed")
@pytest.mark.parametrize("arg", ["a\\nb", "\\tx", "<FilesMatch \\.php$>", "a\\cb", "\\0101", "x\\\\y", "a\\"])
def test_dash_echo_is_printf_b(arg: str) -> None:
    """DF707's safety: dash's `echo ARG` prints what `printf '%b\\n' ARG` does."""
    assert _dash('echo "$1"', arg).stdout == _dash("printf '%b\\n' \"$1\"", arg).stdout


@pytest.mark.skipif(_DASH is None, reason="dash is not installed")
def test_dash_export_hides_the_status() -> None:
    """DF706's point and safety: `export A=$(false)` succeeds, the plain
    assignment fails; in a `;` list without `set -e` both go on."""
    assert _dash("export A=$(false)").returncode == 0
    assert _dash("A=$(false)").returncode == 1
    assert (
        _dash('export A="$(echo x; false)"; echo "$A"').stdout
        == _dash('A="$(echo x; false)"; export A; echo "$A"').stdout
    )
    assert _dash("set -e; A=$(false); echo no").stdout == b""


_ESCAPES = ["a\\nb", "\\tx", "a\\cb", "\\0101", "x\\\\y", "-n x"]


@pytest.mark.parametrize(
    ("shell", "flags", "fmt"),
    [
        (_DASH, "-n", "%b"),
        (_BASH, "-n", "%s"),
        (_BASH, "-e", "%b\\n"),
        (_BASH, "-ne", "%b"),
        (_BASH, "-eE", "%s\\n"),
    ],
)
@pytest.mark.parametrize("arg", _ESCAPES)
def test_echo_flags_are_printf(shell: str | None, flags: str, fmt: str, arg: str) -> None:
    """DF712's safety: ``echo FLAGS ARG`` prints what ``printf FMT ARG`` does."""
    if shell is None:
        pytest.skip("shell not installed")
    assert _sh(shell, f'echo {flags} "$1"', arg).stdout == _sh(shell, f"printf '{fmt}' \"$1\"", arg).stdout
