from __future__ import annotations

from ...rules import Context, Edit, Rule, Safety
from .._util import double_quote, keyword_like


class MaintainerToLabel(Rule):
    """
    ## What it does
    Replaces the deprecated `MAINTAINER` instruction with a
    `LABEL maintainer="…"` carrying the same text.

    ## Why
    `MAINTAINER` has been deprecated since Docker 1.13. Labels are the
    supported way to attach metadata, tools (`docker inspect`, registries,
    SBOM generators) read them, and BuildKit warns about `MAINTAINER`
    (check *MaintainerDeprecated*).

    ## Example
    ```dockerfile
    MAINTAINER Jane Doe <jane@example.com>
    ```

    Use instead:
    ```dockerfile
    LABEL maintainer="Jane Doe <jane@example.com>"
    ```

    ## Fix safety
    Safe. Files, command, entrypoint, environment, user, working directory
    and ports are unchanged; only metadata moves from the deprecated
    `Author` field of the image config to the `maintainer` label. The text is
    quoted so that `$`, quotes and the escape character stay literal, as they
    were in `MAINTAINER` (which never expands variables).
    """

    code = "DF501"
    looks_at = ("MAINTAINER",)
    name = "maintainer-to-label"
    summary = "`MAINTAINER` is deprecated; use `LABEL maintainer=…`"
    safety = Safety.SAFE
    covers = ("DL4000", "MaintainerDeprecated")

    def check(self, ctx: Context):
        for ins in ctx.tree.instructions:
            if ins.keyword != "MAINTAINER" or ins.keyword_word is None:
                continue
            edits = None
            if ins.rest is not None:
                label = keyword_like(ins, "LABEL")
                value = double_quote(ins.rest.value, ctx.tree.escape)
                edits = [Edit(ins.keyword_word.start, ins.rest.end, f"{label} maintainer={value}")]
            yield ctx.finding(ins.keyword_word, "MAINTAINER is deprecated; use LABEL maintainer=…", edits)
