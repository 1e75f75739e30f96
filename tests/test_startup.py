"""Start-up: the registry knows the rules from a generated index without
importing their modules, a rule's module is imported only when the rule
runs, a rule is not run on a file without an instruction it looks at, and a
plain run of one small file loads a budget of modules (not of time)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockfix import parse, rules
from dockfix.engine import run_rules
from dockfix.rules import Context, Finding, Rule, build_index_source, index_path, may_find, registry

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

#: modules a plain run of a file with no RUN must not load
HEAVY = ("jinja2", "yaml", "rich", "typer", "tree_sitter", "tree_sitter_bash")
#: modules ``python -X importtime -m dockfix --check`` reports on SMALL:
#: 254 while every rule module was imported, 189 with the rules'
#: ``looks_at``, 182 once the stage rules stopped loading their ecosystem
#: modules for an image no ecosystem builds on and the model stopped loading
#: the tool grammars (``users``); 202 with msgspec for the records (its 12
#: modules and uuid, decimal, typing_extensions... cost ~15 ms; the 106
#: dataclasses they replace cost ~60 ms to create); the margin is for
#: modules other work adds
MODULE_BUDGET = 205
#: modules a file on an image no ecosystem builds on (SMALL) must not load
STAGE_ECOSYSTEMS = ("_split", "_go", "_java", "_node", "_python", "_rust")
SMALL = 'FROM debian:12\nUSER 10001:10001\nCMD ["/bin/true"]\n'


def _run(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return r.stdout


def test_the_index_matches_the_rule_modules():
    """``_rule_index.py`` is exactly what ``python -m dockfix.rules --index``
    writes from the rule classes today: it cannot go stale."""
    with open(index_path(), encoding="utf-8") as f:
        committed = f.read()
    assert committed == build_index_source(), "stale rule index: run `python -m dockfix.rules --index`"


def test_the_registry_has_every_rule_with_its_metadata():
    found = {cls.code: cls for _module, cls in rules.rule_classes()}
    reg = registry().rules
    assert set(reg) == set(found)
    for code, cls in found.items():
        lazy = reg[code]
        for attr in rules.INDEX_FIELDS:
            assert getattr(lazy, attr) == getattr(cls, attr), (code, attr)
        assert lazy.doc_sections() == cls.doc_sections()
        assert type(lazy.load()) is cls


def test_the_registry_and_list_rules_import_no_rule_module():
    out = _run(
        textwrap.dedent(
            """
            import contextlib, io, sys
            from dockfix import cli
            from dockfix.rules import registry
            assert len(registry().rules) > 40
            registry().select(["DF1"], ["DF101"])
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    cli.main(["--list-rules"])
                except SystemExit:
                    pass
            print(sorted(m for m in sys.modules if m.startswith("dockfix.transforms")))
            """
        )
    )
    assert out.strip() == "[]"


class _Exploding(Rule):
    """A rule whose check must not run.

    ## What it does
    x
    ## Why
    x
    ## Example
    x
    ## Fix safety
    x
    """

    code = "DF999"
    name = "exploding"
    summary = "x"
    looks_at = ("COPY",)

    def check(self, ctx: Context) -> Iterator[Finding]:
        raise AssertionError("ran")


@pytest.mark.parametrize(
    ("text", "runs"),
    [
        ("FROM a\nRUN b\n", False),
        ("FROM a\nCOPY b /c\n", True),
        ("FROM a\ncopy b /c\n", True),
        ("FROM a\nONBUILD COPY b /c\n", True),  # triggers: every rule runs
    ],
)
def test_a_rule_runs_only_on_a_file_with_what_it_looks_at(text, runs):
    if runs:
        with pytest.raises(AssertionError, match="ran"):
            run_rules(parse(text), [_Exploding()])
    else:
        assert run_rules(parse(text), [_Exploding()]) == []


def _fixture_inputs() -> list[Path]:
    return sorted(FIXTURES.glob("*/*/input.Dockerfile"))


def test_looks_at_is_sound_on_every_fixture():
    """A rule that declares ``looks_at`` finds nothing on a fixture without
    those instructions (so skipping it there changes nothing)."""
    declared = [r for r in registry().rules.values() if r.looks_at]
    wrong = []
    for path in _fixture_inputs():
        tree = parse(path.read_text(encoding="utf-8"))
        keywords = {ins.keyword.upper() for ins in tree.instructions}
        for rule in declared:
            if not may_find(rule, keywords):
                ctx = Context(tree, str(path), rule)  # type: ignore[arg-type]
                if list(rule.check(ctx)):
                    wrong.append((rule.code, str(path.relative_to(ROOT))))
    assert not wrong


def test_a_plain_run_of_one_small_file_stays_within_its_module_budget(tmp_path):
    df = tmp_path / "Dockerfile"
    df.write_text(SMALL)
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dockfix", "--check", str(df)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert r.returncode in (0, 1), r.stderr
    modules = [
        line.rsplit("|", 1)[1].strip()
        for line in r.stderr.splitlines()
        if line.startswith("import time:")
        and "|" in line
        and not line.rstrip().endswith("| imported package")
    ]
    print(f"{len(modules)} modules (budget {MODULE_BUDGET}):", " ".join(modules))
    heavy = [m for m in modules if m.split(".")[0] in HEAVY]
    assert not heavy
    # records are msgspec Structs: a dataclass compiles its methods at import
    assert "dataclasses" not in modules
    assert not [m for m in modules if m.rpartition(".")[2] in STAGE_ECOSYSTEMS]
    assert len(modules) <= MODULE_BUDGET
