"""Facts about a parsed Dockerfile that several rules need: which stage a
stage builds on, and the working directory in effect at each instruction."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from . import lexing
from .tree import Dockerfile, Instruction, Stage

_WINDOWS_ABS = re.compile(r"^([A-Za-z]:|\\\\|\\)")


def stage_parent(tree: Dockerfile, stage: Stage) -> Stage | None:
    """The earlier stage of this file that ``stage`` is built FROM, if any."""
    base = stage.base.value if stage.base else ""
    for st in tree.stages[: stage.index]:
        if (st.name and st.name.lower() == base.lower()) or base == str(st.index):
            return st
    return None


def is_scratch(stage: Stage) -> bool:
    return bool(stage.base) and stage.base.value.lower() == "scratch"  # type: ignore[union-attr]


def word_value(raw: str) -> str | None:
    """A WORKDIR/COPY word with quotes and escapes processed, or None when it
    contains variables or is not a single word."""
    if "$" in raw:
        return None
    words = lexing.shell_words(raw, raw=False)
    if not words or len(words) != 1:
        return None
    return words[0][0]


def is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(_WINDOWS_ABS.match(path))


@dataclass(frozen=True)
class Workdir:
    """The working directory before an instruction runs.

    ``path`` is None when it cannot be known (the base image's WORKDIR, a
    variable); ``explicit`` says whether a WORKDIR of this file (in this
    stage or a stage it builds on) is in effect."""

    path: str | None
    explicit: bool


def workdirs(tree: Dockerfile) -> dict[int, Workdir]:
    """Map ``id(instruction)`` to the Workdir in effect before it, for every
    instruction inside a stage."""
    out: dict[int, Workdir] = {}
    final: dict[int, Workdir] = {}
    for stage in tree.stages:
        parent = stage_parent(tree, stage)
        if parent is not None:
            state = final[parent.index]
        elif is_scratch(stage):
            state = Workdir("/", False)
        else:
            state = Workdir(None, False)
        out[id(stage.from_)] = state
        for ins in stage.instructions:
            out[id(ins)] = state
            if ins.keyword == "WORKDIR" and ins.args:
                state = Workdir(next_workdir(state.path, ins.args[0].value), True)
        final[stage.index] = state
    return out


def next_workdir(current: str | None, raw: str) -> str | None:
    """The working directory after ``WORKDIR raw`` (as Docker computes it)."""
    value = word_value(raw)
    if value is None:
        return None
    if value.startswith("/"):
        return posixpath.normpath(value) if value != "/" else "/"
    if current is None or _WINDOWS_ABS.match(value) or _WINDOWS_ABS.match(current):
        return None
    return posixpath.normpath(posixpath.join("/", current, value))


def is_windows_stage(tree: Dockerfile, stage: Stage) -> bool:
    """Heuristic: Windows base images and backtick-escaped files use Windows
    paths, where POSIX path rules do not apply."""
    if tree.escape == "`":
        return True
    base = (stage.base.value if stage.base else "").lower()
    return any(k in base for k in ("windows", "nanoserver", "servercore", "mcr.microsoft.com/dotnet/framework"))


def instructions_with_stage(tree: Dockerfile):
    for stage in tree.stages:
        for ins in stage.instructions:
            yield stage, ins


__all__ = [
    "Instruction",
    "Workdir",
    "is_absolute",
    "is_scratch",
    "is_windows_stage",
    "next_workdir",
    "stage_parent",
    "word_value",
    "workdirs",
    "instructions_with_stage",
]
