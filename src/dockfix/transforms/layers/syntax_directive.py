from __future__ import annotations

from ...frontend import features_used
from ...rules import Context, Rule, Safety
from ...tree import Node
from .._util import syntax_directive_edit


def buildkit_features(tree) -> list[tuple[Node, str]]:
    """(node, description) of every BuildKit-only feature the file uses
    (the flags and their versions are known in :mod:`dockfix.frontend`)."""
    return [(node, what) for node, what, _feature in features_used(tree)]


class SyntaxDirective(Rule):
    """
    ## What it does
    Adds `# syntax=docker/dockerfile:1` as the first line of a Dockerfile
    that uses BuildKit-only syntax — `RUN --mount`, `--network`,
    `--security`, heredocs, `COPY --link`/`--parents`/`--exclude`/`--chmod`,
    `ADD --checksum`/`--keep-git-dir` — and has no syntax directive yet.
    A file whose directive pins a `docker/dockerfile` version too old for
    syntax it uses (`RUN --mount` under `docker/dockerfile:1.0`) is
    reported, not fixed.

    ## Why
    Without the directive the build uses whatever Dockerfile frontend is
    built into the builder, which may be too old for these features (or be
    the legacy builder, which rejects them). The directive pins the latest
    stable 1.x frontend, so the file builds the same everywhere BuildKit is
    available, and tells readers which syntax the file needs. No hadolint
    rule or Docker build check covers this.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM python:3.12-slim
    RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    ```

    ## Fix safety
    Safe: the directive selects the frontend that parses the file, and for a
    file using these features the stable 1.x frontend builds the same image.
    The line goes first, before any other directive (`# escape=`,
    `# check=`), and after a UTF-8 BOM, so directives stay directives. Note
    that the builder fetches the `docker/dockerfile:1` frontend image; an
    offline builder needs it mirrored (or ignore this rule).
    """

    code = "DF210"
    name = "syntax-directive"
    summary = "Add `# syntax=docker/dockerfile:1` when BuildKit-only syntax is used"
    safety = Safety.SAFE
    covers = ()  # no hadolint rule or Docker build check covers this

    def check(self, ctx: Context):
        edit = syntax_directive_edit(ctx.tree)
        if edit is None:
            yield from self._pinned_too_old(ctx)
            return
        features = buildkit_features(ctx.tree)
        if not features:
            return
        node, what = features[0]
        more = f" (and {len(features) - 1} more)" if len(features) > 1 else ""
        yield ctx.finding(
            node,
            f"{what}{more} needs BuildKit's Dockerfile frontend: add `# syntax=docker/dockerfile:1`",
            [edit],
        )

    def _pinned_too_old(self, ctx: Context):
        """The file pins a frontend that lacks syntax it uses: report it (the
        build fails; changing the pin is left to the author)."""
        fe = ctx.frontend
        if not fe.known:
            return
        for node, what, feature in features_used(ctx.tree):
            if feature is not None and not fe.supports(feature):
                yield ctx.finding(node, f"{what}: {fe.why_not(feature)}")
                return
