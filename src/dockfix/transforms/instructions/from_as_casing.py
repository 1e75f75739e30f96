from __future__ import annotations

from ...rules import Context, Edit, Rule, Safety


class FromAsCasing(Rule):
    """
    ## What it does
    Makes the `AS` of `FROM image AS name` use the same casing as the `FROM`
    keyword: `FROM x as y` becomes `FROM x AS y` (and `from x AS y` becomes
    `from x as y`).

    ## Why
    Mixed casing makes stage names harder to spot and BuildKit warns about it
    (check *FromAsCasing*). Upper-case keywords are the convention.

    ## Example
    ```dockerfile
    FROM golang:1.22 as build
    ```

    Use instead:
    ```dockerfile
    FROM golang:1.22 AS build
    ```

    ## Fix safety
    Safe: `AS` is case-insensitive, so the stages and the image are the same.
    """

    code = "DF503"
    name = "from-as-casing"
    summary = "`FROM x as y` → `FROM x AS y` (casing consistent with `FROM`)"
    safety = Safety.SAFE
    covers = ("FromAsCasing",)

    def check(self, ctx: Context):
        for stage in ctx.tree.stages:
            ins = stage.from_
            if len(ins.args) < 3 or ins.args[1].value.lower() != "as" or ins.keyword_word is None:
                continue
            kw = ins.keyword_word.value
            want = "as" if kw.islower() else "AS"
            as_word = ins.args[1]
            if as_word.value != want:
                msg = f"'{as_word.value}' and '{kw}' keywords' casing do not match"
                yield ctx.finding(as_word, msg, [Edit(as_word.start, as_word.end, want)])
