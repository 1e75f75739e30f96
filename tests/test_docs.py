"""Rule documentation pages generated from the rules (dockfix.docs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockfix import docs
from dockfix.rules import Rule, Safety, registry

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "rules"


class FakeRule(Rule):
    """
    ## What it does
    Does a *thing*.

    ## Example
    ```dockerfile
    ADD a.txt /a
    ```

    ## Why
    Because | pipes and `code`.

    ## Fix safety
    Unsafe: it may change files.

    ## Options
    None yet.
    """

    code = "DF990"
    name = "fake-rule"
    summary = "Do the | thing"
    safety = Safety.UNSAFE
    covers = ("DL3020", "JSONArgsRecommended")


class BareRule(FakeRule):
    code = "DF991"
    name = "bare"
    summary = "report only"
    safety = Safety.REPORT_ONLY
    covers = ()


def test_committed_pages_are_up_to_date():
    pages = docs.render_all()
    stale = docs.stale_pages(str(DOCS), pages)
    assert stale == [], f"regenerate with: python -m dockfix.docs docs/rules (stale: {stale})"
    assert set(pages) == {f"{code}.md" for code in registry().rules} | {"index.md"}


def test_render_rule_layout():
    page = docs.render_rule(FakeRule())
    assert page == (
        "# DF990 fake-rule\n"
        "\n"
        "Do the | thing\n"
        "\n"
        "- Safety: **unsafe** (applied only with `--unsafe-fixes`)\n"
        "- Covers: DL3020, JSONArgsRecommended\n"
        "\n"
        "## What it does\n"
        "\n"
        "Does a *thing*.\n"
        "\n"
        "## Why\n"
        "\n"
        "Because | pipes and `code`.\n"
        "\n"
        "## Example\n"
        "\n"
        "```dockerfile\n"
        "ADD a.txt /a\n"
        "```\n"
        "\n"
        "## Fix safety\n"
        "\n"
        "Unsafe: it may change files.\n"
        "\n"
        "## Options\n"
        "\n"
        "None yet.\n"
    )


def test_render_rule_without_covers():
    page = docs.render_rule(BareRule())
    assert "- Safety: **report-only** (reported; no automatic fix)\n- Covers: none\n" in page


@pytest.mark.parametrize("code", sorted(registry().rules))
def test_real_rule_pages(code):
    rule = registry().rules[code]
    page = docs.render_rule(rule)
    assert page.startswith(f"# {code} {rule.name}\n\n{rule.summary}\n")
    assert f"- Safety: **{rule.safety}**" in page
    for covered in rule.covers:
        assert covered in page
    positions = [page.index(f"\n## {s}\n") for s in docs.SECTION_ORDER]
    assert positions == sorted(positions)
    assert "{{" not in page and "{%" not in page


def test_index_lists_every_rule_escaped():
    index = docs.render_index([BareRule(), FakeRule()])
    rows = [ln for ln in index.splitlines() if ln.startswith("| [")]
    assert rows == [
        "| [DF990](DF990.md) | fake-rule | unsafe | DL3020, JSONArgsRecommended | Do the \\| thing |",
        "| [DF991](DF991.md) | bare | report-only | — | report only |",
    ]


def test_write_docs_writes_updates_and_removes(tmp_path):
    out = tmp_path / "rules"
    pages = docs.render_all([FakeRule(), BareRule()])
    assert sorted(docs.write_docs(str(out), pages)) == ["DF990.md", "DF991.md", "index.md"]
    assert (out / "DF990.md").read_text() == docs.render_rule(FakeRule())
    assert docs.write_docs(str(out), pages) == []  # idempotent
    (out / "DF990.md").write_text("edited by hand\n")
    (out / "DF123.md").write_text("a rule that no longer exists\n")
    (out / "notes.md").write_text("not generated, left alone\n")
    assert sorted(docs.write_docs(str(out), pages)) == ["DF123.md", "DF990.md"]
    assert sorted(os.listdir(out)) == ["DF990.md", "DF991.md", "index.md", "notes.md"]
    assert (out / "DF990.md").read_text() == docs.render_rule(FakeRule())


def test_module_entry_point(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = tmp_path / "rules"

    def run(*args):
        return subprocess.run(
            [sys.executable, "-m", "dockfix.docs", *args, str(out)], env=env, capture_output=True, timeout=120
        )

    assert run("--check").returncode == 1
    assert run().returncode == 0
    assert sorted(os.listdir(out)) == sorted(docs.render_all())
    assert run("--check").returncode == 0


def test_template_ships_in_the_package():
    import dockfix

    assert (Path(dockfix.__file__).parent / "templates" / "rule.md.j2").is_file()
