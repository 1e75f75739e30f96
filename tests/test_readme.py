"""The README's before/after example is what dockfix really prints."""

from __future__ import annotations

import re

from conftest import ROOT

from dockfix.runner import Options, process_file


def test_readme_example_diff_is_current(monkeypatch) -> None:
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"\$ dockfix --diff examples/Dockerfile\n(.*?)```", readme, re.S)
    assert m, "README lost its before/after example"
    monkeypatch.chdir(ROOT)
    result = process_file("examples/Dockerfile", Options(mode="diff"))
    assert result.diff == m.group(1)
