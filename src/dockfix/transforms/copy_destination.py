from __future__ import annotations

import json
import posixpath

from ..analysis import is_absolute, is_windows_stage, word_value, workdirs
from ..rules import Context, Edit, Rule, Safety


def absolute_destination(value: str) -> str:
    """`app/` → `/app/`, `.` → `/`, `./x` → `/x` (as seen from `/`)."""
    trailing = value.endswith("/") or value in (".", "..")
    new = posixpath.normpath("/" + value)
    if new == "//":
        new = "/"
    if trailing and not new.endswith("/"):
        new += "/"
    return new


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
    variables are left alone; in Windows images the finding is reported
    without a fix (their paths and default working directory differ).
    """

    code = "DF505"
    name = "copy-relative-destination"
    summary = "Relative `COPY`/`ADD` destination without `WORKDIR` → absolute path"
    safety = Safety.UNSAFE
    covers = ("DL3045",)

    def check(self, ctx: Context):
        tree = ctx.tree
        wds = workdirs(tree)
        for stage in tree.stages:
            windows = is_windows_stage(tree, stage)
            for ins in stage.instructions:
                if ins.keyword not in ("COPY", "ADD") or len(ins.args) < 2:
                    continue
                wd = wds[id(ins)]
                if wd.explicit:
                    continue
                dest = ins.args[-1]
                value = dest.value if ins.json else word_value(dest.value)
                if value is None or "$" in value or not value or is_absolute(value):
                    continue
                if windows:
                    yield ctx.finding(dest, "COPY to a relative destination without WORKDIR set (Windows image: not fixed)")
                    continue
                new = absolute_destination(value)
                raw = str(dest)
                if ins.json:
                    text = json.dumps(new, ensure_ascii=False)
                elif raw[:1] in "'\"" and raw[-1:] == raw[:1]:
                    text = raw[0] + new + raw[0]
                else:
                    text = new
                safety = Safety.SAFE if wd.path == "/" else Safety.UNSAFE
                yield ctx.finding(
                    dest,
                    f"COPY to a relative destination without WORKDIR set; use {new}",
                    [Edit(dest.start, dest.end, text)],
                    safety=safety,
                )
