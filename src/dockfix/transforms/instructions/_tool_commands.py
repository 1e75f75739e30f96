"""The commands of one tool in the shell-form RUNs of a file, read with
the tool's grammar (:mod:`dockfix.tools`): the loop of the rules that
adjust one tool's command line (DF401 useradd, DF510 wget).  Not a rule
module: the name starts with _."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from ... import tools
from ...rules import Context
from ...shell import Command
from ._shell_rules import ShellRun, shell_runs


class ToolCommand(NamedTuple):
    run: ShellRun
    position: int  # of ``cmd`` in ``run.script.commands``
    cmd: Command
    parsed: tools.Parsed


def tool_commands(ctx: Context, tool: str) -> Iterator[ToolCommand]:
    """Every command that runs ``tool`` (also through ``sudo``, ``env``...)
    in the RUNs of :func:`shell_runs`, in order."""
    for run in shell_runs(ctx):
        for i, cmd in enumerate(run.script.commands):
            p = tools.parse(cmd, unwrap=True, tool=tool)
            if p is not None:
                yield ToolCommand(run, i, cmd, p)
