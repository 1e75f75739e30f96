"""The fix loop: edits, overlap handling, fixpoint, safety, and the
guards that keep a misbehaving rule from damaging a file."""

from __future__ import annotations

import pytest

import dockfix
from dockfix.engine import FixError, apply_edits, fix
from dockfix.rules import Context, Edit, Registry, RegistryError, Rule, Safety, registry


def _rule(code: str, check, safety: Safety = Safety.SAFE, changes_stages: bool = False) -> Rule:
    doc = "## What it does\nx\n## Why\nx\n## Example\nx\n## Fix safety\nx\n"
    cls = type(
        f"Rule{code}",
        (Rule,),
        {
            "__doc__": doc,
            "code": code,
            "name": f"test-{code.lower()}",
            "summary": "test rule",
            "safety": safety,
            "changes_stages": changes_stages,
            "check": lambda self, ctx: check(ctx),
        },
    )
    return cls()


def test_apply_edits_back_to_front() -> None:
    text = "abcdef"
    assert apply_edits(text, [Edit(0, 1, "X"), Edit(3, 3, "--"), Edit(5, 6, "")]) == "Xbc--de"
    with pytest.raises(FixError):
        apply_edits(text, [Edit(0, 3, "x"), Edit(2, 4, "y")])


def test_overlapping_fixes_wait_for_the_next_pass() -> None:
    # Two rules rewrite the same keyword; the second waits, then no longer
    # applies (its own check sees the new text).
    def upper_from(ctx: Context):
        for ins in ctx.tree.instructions:
            kw = ins.keyword_word
            if kw.value != kw.value.upper():
                yield ctx.finding(kw, "upper", [Edit(kw.start, kw.end, kw.value.upper())])

    def title_from(ctx: Context):
        for ins in ctx.tree.instructions:
            kw = ins.keyword_word
            if kw.value == "from":
                yield ctx.finding(kw, "title", [Edit(kw.start, kw.end, "From")])

    rules = [_rule("DF901", upper_from), _rule("DF902", title_from)]
    result = fix("from alpine\n", rules=rules)
    assert result.output == "FROM alpine\n"
    assert [f.code for f in result.fixes] == ["DF901"]
    assert result.passes == 1


def test_fixes_chain_to_a_fixpoint_over_several_passes() -> None:
    # Each pass can only add one "x"; three are wanted.
    def add_x(ctx: Context):
        ins = ctx.tree.instructions[-1]
        if ins.keyword == "RUN" and ins.rest and ins.rest.value.count("x") < 3:
            yield ctx.finding(ins.rest, "more x", [Edit(ins.rest.end, ins.rest.end, "x")])

    result = fix("FROM a\nRUN echo y\n", rules=[_rule("DF903", add_x)])
    assert result.output == "FROM a\nRUN echo yxxx\n"
    assert result.passes == 3 and len(result.fixes) == 3


def test_non_convergence_is_an_error_naming_the_rule() -> None:
    def forever(ctx: Context):
        ins = ctx.tree.instructions[-1]
        yield ctx.finding(ins.rest, "again", [Edit(ins.rest.end, ins.rest.end, "x")])

    with pytest.raises(FixError, match="DF904"):
        fix("FROM a\nRUN echo\n", rules=[_rule("DF904", forever)])


def test_output_that_does_not_parse_is_refused() -> None:
    def breaks(ctx: Context):
        ins = ctx.tree.instructions[0]
        yield ctx.finding(ins.keyword_word, "break", [Edit(ins.start, ins.start, "BOGUS x\n")])

    with pytest.raises(FixError, match="DF905.*invalid Dockerfile"):
        fix("FROM a\n", rules=[_rule("DF905", breaks)])


def test_changing_stages_needs_a_rule_that_declares_it() -> None:
    def split(ctx: Context):
        if len(ctx.tree.stages) == 1:
            end = ctx.tree.instructions[-1].end
            yield ctx.finding((0, 0), "split", [Edit(end, end, "FROM b\n")])

    with pytest.raises(FixError, match="changed the stages"):
        fix("FROM a\n", rules=[_rule("DF906", split)])
    result = fix("FROM a\n", rules=[_rule("DF906", split, changes_stages=True)])
    assert result.output == "FROM a\nFROM b\n"


def test_unsafe_fixes_need_the_flag_and_are_counted() -> None:
    def unsafe(ctx: Context):
        kw = ctx.tree.instructions[0].keyword_word
        if kw.value == "FROM":
            yield ctx.finding(kw, "lower", [Edit(kw.start, kw.end, "from")])

    rules = [_rule("DF907", unsafe, safety=Safety.UNSAFE)]
    safe_run = fix("FROM a\n", rules=rules)
    assert not safe_run.changed and safe_run.unsafe_available == 1
    assert safe_run.findings[0].safety is Safety.UNSAFE
    unsafe_run = fix("FROM a\n", rules=rules, unsafe=True)
    assert unsafe_run.output == "from a\n" and unsafe_run.unsafe_available == 0


def test_report_only_findings_are_kept() -> None:
    def report(ctx: Context):
        yield ctx.finding(ctx.tree.instructions[0], "look at this")

    result = fix("FROM a\n", rules=[_rule("DF908", report)])
    assert not result.changed
    (finding,) = result.findings
    assert (finding.line, finding.col, finding.safety) == (1, 1, Safety.REPORT_ONLY)


def test_parse_errors_propagate_with_position() -> None:
    with pytest.raises(dockfix.ParseError) as info:
        dockfix.fix("FROM a\nRUN <<EOF\nnever ends\n")
    assert info.value.line == 2


def test_api_contract() -> None:
    text = "FROM alpine:3.20 as base\nMAINTAINER me\nWORKDIR app\n"
    result = dockfix.fix(text, path="Dockerfile", select=None, unsafe=False)
    assert result.output == 'FROM alpine:3.20 AS base\nLABEL maintainer="me"\nWORKDIR app\n'
    assert sorted(f.code for f in result.fixes) == ["DF501", "DF503"]
    fx = result.fixes[0]
    assert {"code", "message", "safety", "line", "col"} <= set(fx.as_dict())
    assert fx.span == (fx.start, fx.end)
    assert [(f.code, f.line, f.col, str(f.safety)) for f in result.findings] == [
        ("DF403", 1, 1, "unsafe"),
        ("DF506", 3, 9, "report-only"),
    ]
    only = dockfix.fix(text, select=["DF503"])
    assert only.output == text.replace(" as ", " AS ")


def test_select_ignore_by_prefix() -> None:
    reg = registry()
    codes = lambda rules: [r.code for r in rules]  # noqa: E731
    assert codes(reg.select()) == sorted(reg.rules)
    assert codes(reg.select(["DF50"], ["DF505"])) == [
        c for c in sorted(reg.rules) if c.startswith("DF50") and c != "DF505"
    ]
    assert codes(reg.select(["DF501"], extend_select=["DF503"])) == ["DF501", "DF503"]
    # the more specific prefix wins
    assert "DF505" in codes(reg.select(["DF505"], ["DF5"]))
    assert reg.unknown_codes(["DF5", "XX1", "ALL"]) == ["XX1"]


FAMILIES = {
    "1": "packages",
    "2": "layers",
    "3": "stages",
    "4": "security",
    "5": "instructions",
    "6": "context",
    "7": "shell",
    "9": "meta",
}


def test_registry_discovers_every_transform_module() -> None:
    import pkgutil

    from dockfix import transforms

    modules = {
        m.name
        for m in pkgutil.walk_packages(transforms.__path__, "dockfix.transforms.")
        if not m.ispkg and not any(p.startswith("_") for p in m.name.split(".")[2:])
    }
    owners = {type(r).__module__ for r in registry().rules.values()}
    assert modules == owners


def test_one_module_per_rule_named_after_it_in_its_family() -> None:
    """transforms/<family>/<rule name>.py, as ruff groups rules by linter."""
    for code, rule in registry().rules.items():
        family, module = type(rule).__module__.split(".")[2:]
        assert family == FAMILIES[code[2]], (code, family)
        assert module == rule.name.replace("-", "_"), (code, module)
    per_module: dict[str, int] = {}
    for rule in registry().rules.values():
        per_module[type(rule).__module__] = per_module.get(type(rule).__module__, 0) + 1
    assert set(per_module.values()) == {1}


def test_registry_rejects_incomplete_rules() -> None:
    reg = Registry()
    good = _rule("DF909", lambda ctx: iter(()))
    reg.add(good)
    with pytest.raises(RegistryError, match="duplicate"):
        reg.add(good)
    bad_doc = _rule("DF910", lambda ctx: iter(()))
    type(bad_doc).__doc__ = "## What it does\nonly this\n"
    with pytest.raises(RegistryError, match="documentation"):
        reg.add(bad_doc)
    with pytest.raises(RegistryError, match="code"):
        reg.add(_rule("X1", lambda ctx: iter(())))


def test_every_rule_is_documented() -> None:
    for rule in registry().rules.values():
        sections = rule.doc_sections()
        for name in ("What it does", "Why", "Example", "Fix safety"):
            assert sections.get(name, "").strip(), f"{rule.code}: empty {name}"
        assert rule.covers or "no hadolint rule" in " ".join(rule.doc().lower().split()), (
            f"{rule.code} names no hadolint / Docker check and does not say none exists"
        )
        assert str(rule.safety) in sections["Fix safety"].lower(), (
            f"{rule.code}: Fix safety must say {rule.safety}"
        )


@pytest.mark.parametrize("unsafe", [False, True])
def test_very_long_run_chains_do_not_recurse(unsafe: bool) -> None:
    """tree-sitter nests `a && b && ...` as deep as the chain is long: no
    rule may walk it recursively."""
    chain = " && ".join(f"echo {i} | cat" for i in range(3000))
    text = (
        f"FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl && {chain}\nCOPY . /app\n"
    )
    result = dockfix.fix(text, unsafe=unsafe)
    assert dockfix.fix(result.output, unsafe=unsafe).output == result.output


def test_a_superseded_fix_waits_and_is_rechecked() -> None:
    """A cache mount makes `--no-cache-dir` moot: when both would apply to one
    RUN in one pass, the superseded fix waits, then no longer applies."""

    def mount(ctx: Context):
        for ins in ctx.tree.instructions:
            if ins.keyword == "RUN" and not ins.flags:
                kw = ins.keyword_word
                yield ctx.finding(kw, "mount", [Edit(kw.end, kw.end, " --mount=type=cache,target=/c")])

    def no_cache(ctx: Context):
        for ins in ctx.tree.instructions:
            if ins.keyword == "RUN" and not ins.flags and "--no-cache" not in ins.rest.value:
                yield ctx.finding(ins.rest, "no cache", [Edit(ins.rest.end, ins.rest.end, " --no-cache")])

    plain = _rule("DF911", mount)
    superseding = _rule("DF911", mount)
    type(superseding).supersedes = ("DF912",)
    text = "FROM a\nRUN install x\nRUN other\n"
    both = fix(text, rules=[plain, _rule("DF912", no_cache)])
    assert both.output == (
        "FROM a\nRUN --mount=type=cache,target=/c install x --no-cache\nRUN --mount=type=cache,target=/c other --no-cache\n"
    )
    result = fix(text, rules=[superseding, _rule("DF912", no_cache)])
    assert (
        result.output
        == "FROM a\nRUN --mount=type=cache,target=/c install x\nRUN --mount=type=cache,target=/c other\n"
    )
    assert [f.code for f in result.fixes] == ["DF911", "DF911"]
