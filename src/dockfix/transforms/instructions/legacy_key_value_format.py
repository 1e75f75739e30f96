from __future__ import annotations

from ... import lexing
from ...rules import Context, Edit, Rule, Safety
from .._util import all_instructions


class LegacyKeyValueFormat(Rule):
    """
    ## What it does
    Rewrites the legacy whitespace form `ENV key value` (and `LABEL key
    value`) into the `key=value` form.

    ## Why
    The legacy form allows only one pair per instruction and is ambiguous to
    read: `ENV A B C` sets `A` to `"B C"`. Docker documents it as deprecated
    and BuildKit warns about it (check *LegacyKeyValueFormat*).

    ## Example
    ```dockerfile
    ENV PYTHONUNBUFFERED 1
    ENV GREETING hello world
    ```

    Use instead:
    ```dockerfile
    ENV PYTHONUNBUFFERED=1
    ENV GREETING="hello world"
    ```

    ## Fix safety
    Safe. The value is kept byte for byte when it is one word; a value with
    spaces and no quotes or escape characters is wrapped in double quotes,
    which BuildKit processes exactly like the legacy value (variables still
    expand, spaces are kept). Values that mix quotes with spaces are
    reported without a fix: no rewrite is provably equivalent there; so are
    keys with a non-ASCII space in them (`key=value` would be cut there).
    """

    code = "DF502"
    looks_at = ("ENV", "LABEL")
    name = "legacy-key-value-format"
    summary = "`ENV key value` → `ENV key=value`"
    safety = Safety.SAFE
    covers = ("LegacyKeyValueFormat",)

    def check(self, ctx: Context):
        esc = ctx.tree.escape
        for ins in all_instructions(ctx.tree):
            if ins.keyword not in ("ENV", "LABEL") or not ins.legacy_format or len(ins.args) != 2:
                continue
            key, value = ins.args
            joined = f"{key.value}={value.value}"
            words = lexing.parse_words(joined, 0, len(joined), esc)
            key_words = lexing.parse_words(key.value, 0, len(key.value), esc)
            if len(key_words) != 1 or key_words[0][0] != key.value or "=" in key.value:
                # BuildKit's word split (any Unicode space) would cut the key
                # of `key=value`: the legacy form splits only at ASCII ones
                edits = None
            elif len(words) == 1 and words[0][0] == joined:
                edits = [Edit(key.end, value.start, "=")]
            elif not any(c in value.value for c in ("'", '"', esc)):
                edits = [Edit(key.end, value.start, '="'), Edit(value.end, value.end, '"')]
            else:
                edits = None
            msg = (
                f'"{ins.keyword} key=value" should be used instead of legacy "{ins.keyword} key value" format'
            )
            yield ctx.finding(ins.keyword_word or ins, msg, edits)
