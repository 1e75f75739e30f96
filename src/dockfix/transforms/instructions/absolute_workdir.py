from __future__ import annotations

from ...analysis import is_absolute, word_value
from ...model import SemanticModel
from ...rules import Context, Edit, Rule, Safety
from ._shell_rules import known_workdir


class AbsoluteWorkdir(Rule):
    """
    ## What it does
    Turns a relative `WORKDIR` into the absolute path it resolves to, when
    the previous working directory is known from this file (an earlier
    `WORKDIR`, a stage built on another stage of this file, or `scratch`).
    When it is not known, the finding is reported without a fix.

    ## Why
    `WORKDIR app` means "app inside whatever the working directory was",
    which depends on every earlier `WORKDIR` and on the base image. An
    absolute path can be read on its own and survives reordering
    (hadolint DL3000).

    ## Example
    ```dockerfile
    WORKDIR /srv
    WORKDIR app
    ```

    Use instead:
    ```dockerfile
    WORKDIR /srv
    WORKDIR /srv/app
    ```

    ## Fix safety
    Safe: the new path is exactly the directory Docker would have computed
    (relative paths are joined to the previous working directory and
    cleaned). No fix is offered when a variable is involved or the previous
    directory comes from the base image.
    """

    code = "DF506"
    looks_at = ("WORKDIR",)
    name = "absolute-workdir"
    summary = "Relative `WORKDIR` → absolute path when the previous one is known"
    safety = Safety.SAFE
    covers = ("DL3000",)

    def check(self, ctx: Context):
        model = SemanticModel.of(ctx.tree, assume_defaults=False)
        for info in model.stages:
            if info.windows:
                continue
            for ins in info.stage.instructions:
                if ins.keyword != "WORKDIR" or not ins.args:
                    continue
                word = ins.args[0]
                value = word_value(word.value)
                if value is None or is_absolute(value):
                    continue
                new = model.after(ins).workdir.path if known_workdir(ctx, ins) is not None else None
                edits = None
                if isinstance(new, str):
                    raw = str(word)
                    q = raw[0] if raw[:1] in "'\"" and raw[-1:] == raw[:1] and len(raw) > 1 else ""
                    edits = [Edit(word.start, word.end, f"{q}{new}{q}")]
                    msg = f"Use absolute WORKDIR: {new}"
                else:
                    msg = "Use absolute WORKDIR (the previous working directory is not known here)"
                yield ctx.finding(word, msg, edits)
