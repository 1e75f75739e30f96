from __future__ import annotations

import json
import posixpath

from msgspec import Struct

from ...analysis import is_absolute, word_value
from ...rules import Context, Edit, Rule, Safety
from ...tree import Instruction, Word


def absolute_destination(value: str) -> str:
    """`app/` → `/app/`, `.` → `/`, `./x` → `/x` (as seen from `/`)."""
    trailing = value.endswith("/") or value in (".", "..")
    new = posixpath.normpath("/" + value)
    if new == "//":
        new = "/"
    if trailing and not new.endswith("/"):
        new += "/"
    return new


class RelativeDestination(Struct, frozen=True):
    """A ``COPY``/``ADD`` destination that hadolint's DL3045 reads as
    relative with no ``WORKDIR`` set.  ``edit``: the edit making it
    absolute (None when it cannot be fixed: a variable, a heredoc in its
    place, a Windows image), ``safety``: that edit's safety, ``new``: the
    absolute path, ``reason``: why there is no edit."""

    dest: Word
    edit: Edit | None
    safety: Safety
    new: str = ""
    reason: str = ""


def _dl3045_relative(raw: str) -> bool:
    """hadolint DL3045's test of a destination (quotes dropped around it):
    not ``/…``, not a Windows ``C:\\``/``C:/`` path, not starting with ``$``."""
    d = raw.strip("'\"")
    return not (d.startswith(("/", "$")) or d[1:3] in (":\\", ":/"))


def relative_destination(ctx: Context, ins: Instruction) -> RelativeDestination | None:
    """The relative destination of a ``COPY``/``ADD`` (or of the one an
    ``ONBUILD`` wraps) without a ``WORKDIR`` in effect — as DF505 and
    hadolint's DL3045 see it — and the fix DF505 makes; None when the
    destination is absolute or a ``WORKDIR`` is set.  DF504 asks this
    before turning ``ADD`` into ``COPY`` (hadolint checks DL3045 for
    ``COPY`` only)."""
    inner = ins.inner if ins.inner is not None else ins
    if inner.keyword not in ("COPY", "ADD") or len(inner.args) < 2:
        return None
    facts = ctx.facts(ins)
    if facts.workdir.explicit:
        return None
    dest = inner.args[-1]
    if any(h.start < dest.end and dest.start < h.end for h in inner.heredocs):
        return RelativeDestination(dest, None, Safety.REPORT_ONLY, reason="a heredoc in its place")
    value = dest.value if inner.json else word_value(dest.value)
    if value is None or "$" in value or not value:
        relative = _dl3045_relative(dest.value)
        return RelativeDestination(dest, None, Safety.REPORT_ONLY, reason="a variable") if relative else None
    if is_absolute(value):
        return None
    if facts.windows:
        return RelativeDestination(dest, None, Safety.REPORT_ONLY, reason="Windows image")
    if inner is not ins:
        return RelativeDestination(dest, None, Safety.REPORT_ONLY, reason="the WORKDIR of a later build")
    new = absolute_destination(value)
    raw = str(dest)
    if inner.json:
        text = json.dumps(new, ensure_ascii=False)
    elif raw[:1] in "'\"" and raw[-1:] == raw[:1]:
        text = raw[0] + new + raw[0]
    else:
        text = new
    safety = Safety.SAFE if facts.stage.scratch or facts.stage.root.scratch else Safety.UNSAFE
    return RelativeDestination(dest, Edit(dest.start, dest.end, text), safety, new)


class CopyRelativeDestination(Rule):
    """
    ## What it does
    Makes a relative `COPY`/`ADD` destination absolute when no `WORKDIR` is
    set in the stage (nor in a stage of this file it builds on).

    ## Why
    A relative destination is resolved against the working directory, which
    here comes from the base image — invisible in the Dockerfile and free to
    change when the base image is updated. An absolute path states where the
    files land (hadolint DL3045).

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY app.py app/
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    COPY app.py /app/
    ```

    ## Fix safety
    Unsafe when the stage builds on an external image: the fix assumes the
    image's working directory is `/`, which is true for most images but not
    all (`golang` uses `/go`, for example). Safe for stages built `FROM
    scratch`, whose working directory is known to be `/`. Destinations with
    variables (or a heredoc in their place) are left alone; in Windows images the finding is reported
    without a fix (their paths and default working directory differ).
    """

    code = "DF505"
    looks_at = ("COPY", "ADD")
    name = "copy-relative-destination"
    summary = "Relative `COPY`/`ADD` destination without `WORKDIR` → absolute path"
    safety = Safety.UNSAFE
    covers = ("DL3045",)

    def check(self, ctx: Context):
        for stage in ctx.tree.stages:
            for ins in stage.instructions:
                yield from self._check(ctx, ins)

    def _check(self, ctx: Context, ins: Instruction):
        rel = relative_destination(ctx, ins) if ins.keyword in ("COPY", "ADD") else None
        if rel is None:
            return
        if rel.edit is not None:
            yield ctx.finding(
                rel.dest,
                f"COPY to a relative destination without WORKDIR set; use {rel.new}",
                [rel.edit],
                safety=rel.safety,
            )
        elif rel.reason == "Windows image":
            yield ctx.finding(
                rel.dest, "COPY to a relative destination without WORKDIR set (Windows image: not fixed)"
            )
