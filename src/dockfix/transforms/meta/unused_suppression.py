from __future__ import annotations

from collections.abc import Iterator

from ...rules import Context, Edit, Finding, Rule, Safety, registry
from ...suppress import Pragma
from ...tree import Trivia


class UnusedSuppression(Rule):
    """
    ## What it does
    Reports suppression comments that silence nothing: codes in a
    `# dockfix: ignore=…` or `# dockfix: global ignore=…` comment that match
    no finding of the rules that ran, codes that name no dockfix rule, and
    line pragmas attached to no instruction (a blank line or the end of the
    file follows them). The fix removes those codes from dockfix's own
    pragma, or the whole comment line when none is left.

    `# hadolint ignore=…` comments and BuildKit's `# check=skip=…` directive
    are reported (for the codes a dockfix rule covers, when that rule ran
    and found nothing there) but never edited: hadolint or BuildKit may
    still need them.

    ## Why
    Like ruff's RUF100 (unused `noqa`): a suppression that outlived the code
    it silenced hides the next real problem on that instruction, and a
    misspelt code silences nothing while looking like it does. No hadolint
    rule or Docker build check covers this.

    ## Example
    ```dockerfile
    FROM alpine:3.20 AS build
    # dockfix: ignore=DF503
    RUN echo hi
    ```

    Use instead:
    ```dockerfile
    FROM alpine:3.20 AS build
    RUN echo hi
    ```

    ## Fix safety
    Safe. Only comments change; the built image is the same. A code whose
    rule did not run (not selected, or ignored for the file) is not judged:
    it may be needed by a run with a wider selection. An unknown code
    (matching no dockfix rule) is a finding of this rule, not an error,
    as in ruff. A pragma line right after the parser directives at the top
    of the file is reported only: removing it would turn the comment below
    it into a parser directive.
    """

    code = "DF900"
    name = "unused-suppression"
    summary = "Unused or unknown code in a suppression comment → removed from `# dockfix: ignore=`"
    safety = Safety.SAFE
    meta = True

    def check(self, ctx: Context) -> Iterator[Finding]:
        supp = ctx.suppressions
        if supp is None:
            return
        known = registry().rules
        ran = supp.ran
        for p in supp.pragmas:
            unknown = [c for c in p.codes if p.kind == "dockfix" and registry().unknown_codes([c])]
            unused = [
                c for c in p.codes if c not in unknown and c not in p.used and _judged(p, c, ran, known)
            ]
            if not unknown and not unused:
                continue
            what = _describe(p, unused, unknown)
            at = (p.codes_start, p.codes_end)
            if p.kind != "dockfix":
                yield ctx.finding(at, f"{what} (not removed: it is {_owner(p)}'s)")
                continue
            if _before_directive(ctx, p):
                yield ctx.finding(at, f"{what} (not removed: a parser directive would follow)")
                continue
            keep = [c for c in _spelt(ctx, p) if c.upper() not in unknown and c.upper() not in unused]
            edit = Edit(p.codes_start, p.codes_end, ",".join(keep)) if keep else Edit(p.start, p.end)
            yield ctx.finding(at, what, [edit])


def _judged(p: Pragma, code: str, ran: set[str], known: dict[str, Rule]) -> bool:
    """Whether ``code`` of ``p`` could have been used in this run: a rule it
    names ran (a line pragma attached to nothing is always judged)."""
    if p.scope == "line" and p.target is None:
        return True
    if p.kind == "dockfix":
        return any(code == "ALL" or c.startswith(code) for c in ran)
    return any(p.matches(code, "", known[c].covers) for c in ran if c in known)


def _describe(p: Pragma, unused: list[str], unknown: list[str]) -> str:
    parts = []
    if unknown:
        parts.append(f"unknown rule code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    if unused:
        if p.scope == "line" and p.target is None:
            parts.append(f"{', '.join(unused)} attached to no instruction")
        else:
            parts.append(f"unused suppression of {', '.join(unused)}")
    return "; ".join(parts)


def _owner(p: Pragma) -> str:
    return "hadolint" if p.kind == "hadolint" else "BuildKit"


def _spelt(ctx: Context, p: Pragma) -> list[str]:
    """The codes as the comment spells them."""
    return [c.strip() for c in ctx.text[p.codes_start : p.codes_end].split(",") if c.strip()]


def _before_directive(ctx: Context, p: Pragma) -> bool:
    """Whether the pragma line sits right after the parser directives, with
    a comment after it (removing the line would make that a directive)."""
    children = ctx.tree.children
    k = p.index
    if k < 0 or k > len(ctx.tree.directives) + 1:  # (the directives, a BOM, then this line at most)
        return False
    header = all(isinstance(c, Trivia) and c.kind in ("directive", "bom") for c in children[:k])
    following = children[k + 1] if k + 1 < len(children) else None
    return header and isinstance(following, Trivia) and following.kind == "comment"
