from __future__ import annotations

from ..rules import Context, Rule, Safety
from ._util import all_instructions, syntax_directive_edit

# Flags only BuildKit's Dockerfile frontend understands.
_BUILDKIT_FLAGS = {
    "RUN": {"mount", "network", "security", "device"},
    "COPY": {"link", "parents", "exclude", "chmod"},
    "ADD": {"link", "checksum", "keep-git-dir", "exclude", "chmod", "unpack"},
}


def buildkit_features(tree) -> list[tuple[object, str]]:
    """(node, description) of every BuildKit-only feature the file uses."""
    found = []
    for ins in all_instructions(tree):
        for flag in ins.flags:
            if flag.name in _BUILDKIT_FLAGS.get(ins.keyword, ()):
                found.append((flag, f"{ins.keyword} --{flag.name}"))
        if ins.heredocs and ins.inner is None:
            found.append((ins.heredocs[0], f"a heredoc in {ins.keyword}"))
    return found


class SyntaxDirective(Rule):
    """
    ## What it does
    Adds `# syntax=docker/dockerfile:1` as the first line of a Dockerfile
    that uses BuildKit-only syntax — `RUN --mount`, `--network`,
    `--security`, heredocs, `COPY --link`/`--parents`/`--exclude`/`--chmod`,
    `ADD --checksum`/`--keep-git-dir` — and has no syntax directive yet.

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
            return
        features = buildkit_features(ctx.tree)
        if not features:
            return
        node, what = features[0]
        more = f" (and {len(features) - 1} more)" if len(features) > 1 else ""
        yield ctx.finding(
            node, f"{what}{more} needs BuildKit's Dockerfile frontend: add `# syntax=docker/dockerfile:1`", [edit]
        )
