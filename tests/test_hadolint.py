"""hadolint as the judge.

hadolint runs over the real-world corpus before and after dockfix (safe
mode, and with --unsafe-fixes).  For every hadolint rule a dockfix rule
covers, every finding hadolint still reports afterwards must be one dockfix
knows about: a remaining dockfix finding of the covering rule on the same
instruction (report-only, or an unsafe fix not applied) — each rule's docs
say why those are not fixed.  And no hadolint rule, covered or not, may have
more findings after than before.  The table is printed (pytest -s, or -rP).

hadolint 2.15 shows at most ONE ShellCheck finding per RUN (its
``CheckFailure`` orders by line only, so its set keeps the last comment of
each line), so its SCxxxx counts hide findings, and fixing one can bring a
hidden one to light.  ShellCheck's own findings, read as hadolint reads each
RUN (``dockfix.shellcheck``), are counted too, unmasked: per (file, code)
and per finding, none may go up; and what hadolint shows afterwards of an SC
code is bounded by what ShellCheck said before (a revealed finding is not a
new one: it was there, hidden).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import REAL_WORLD, hadolint_exe, read_text

import dockfix
from dockfix.rules import registry


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
    exe = hadolint_exe()
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
    sc = {mode: _shellcheck_findings(by_name) for mode, by_name in trees.items()}
    return out, trees, remaining, sc


def _shellcheck_findings(trees: dict) -> list[dict]:
    """ShellCheck's comments on every RUN, all of them (what hadolint
    would show if it kept more than one per RUN), as hadolint-like dicts."""
    from dockfix import shellcheck
    from dockfix.model import SemanticModel

    if shellcheck.binary() is None:
        return []
    models = {name: SemanticModel.of(tree) for name, tree in trees.items()}
    shellcheck.prefetch(  # one ShellCheck process per dialect and batch
        job
        for name, tree in trees.items()
        for ins in tree.instructions
        if ins.keyword.upper() == "RUN" and (job := shellcheck.job_of(models[name], ins)) is not None
    )
    found = []
    for name, tree in trees.items():
        for ins in tree.instructions:
            if ins.keyword.upper() == "RUN":
                for c in shellcheck.comments(tree, models[name], ins):
                    found.append({"file": name, "code": f"SC{c.code}", "line": tree.position(c.start)[0]})
    return found


def _covering(sc: bool = False) -> dict[str, str]:
    """hadolint code -> the dockfix rule covering it (DLxxxx; with ``sc``
    the ShellCheck SCxxxx codes)."""
    cover: dict[str, str] = {}
    for rule in registry().rules.values():
        for code in rule.covers:
            if code.startswith("SC" if sc else "DL"):
                cover[code] = rule.code
    return cover


def _table(results, codes: list[str], cover: dict[str, str]) -> str:
    """Per code: findings (``n``) and files with one (``f``), before and
    after each mode."""
    counts = {mode: Counter(f["code"] for f in findings) for mode, findings in results.items()}
    files = {mode: Counter(code for _, code in _per_file(findings)) for mode, findings in results.items()}
    rows = [f"{'code':10} {'dockfix':8} {'before n/f':>11} {'safe n/f':>11} {'unsafe n/f':>11}"]
    for code in codes:
        cells = " ".join(f"{f'{counts[m][code]}/{files[m][code]}':>11}" for m in ("before", "safe", "unsafe"))
        rows.append(f"{code:10} {cover.get(code, '-'):8} {cells}")
    return "\n".join(rows)


def _covered_table(results) -> str:
    cover = _covering()
    codes = sorted(set(cover) | {c for c in Counter(f["code"] for f in results["before"]) if c in cover})
    return _table(results, codes, cover)


def _sc_table(results) -> str:
    codes = {f["code"] for findings in results.values() for f in findings if f["code"].startswith("SC")}
    return _table(results, sorted(codes, key=lambda c: int(c[2:])), _covering(sc=True))


def _per_file(findings: list[dict]) -> Counter:
    return Counter((os.path.basename(f["file"]), f["code"]) for f in findings)


@pytest.mark.parametrize("mode", ["safe", "unsafe"])
def test_no_hadolint_rule_gets_worse(judged, mode: str) -> None:
    """No file newly fails a hadolint rule — its DLxxxx rules and the
    ShellCheck (SCxxxx) rules it runs on RUN scripts alike — and no rule has
    more findings over the corpus."""
    results, _, _, sc = judged
    print("\nhadolint findings of the covered rules, real-world corpus (n findings / f files):")
    print(_covered_table(results))
    print("ShellCheck findings as hadolint shows them (one per RUN at most):\n" + _sc_table(results))
    print(
        "ShellCheck findings, all of them (dockfix.shellcheck, hadolint's view of each RUN):\n"
        + _sc_table(sc)
    )
    # hadolint's count may go up where a fix shows a ShellCheck finding it
    # hid before: the bound of an SC code is what ShellCheck said before
    before = Counter(f["code"] for f in results["before"])
    sc_total = Counter(f["code"] for f in sc["before"])
    after = Counter(f["code"] for f in results[mode])
    worse = {
        code: (before[code], after[code]) for code in after if after[code] > max(before[code], sc_total[code])
    }
    assert not worse, f"hadolint rules with more findings after dockfix ({mode}): {worse}"
    file_before, file_after = _per_file(results["before"]), _per_file(results[mode])
    sc_before, sc_after = _per_file(sc["before"]), _per_file(sc[mode])
    newly = sorted(f"{name} {code}: {file_before[name, code]} -> {n}" for (name, code), n in file_after.items()
                   if n > max(file_before[name, code], sc_before[name, code]))  # fmt: skip
    assert not newly, f"files that newly fail a hadolint rule after dockfix ({mode}):\n" + "\n".join(newly)
    more = sorted(f"{name} {code}: {sc_before[name, code]} -> {n}" for (name, code), n in sc_after.items()
                  if n > sc_before[name, code])  # fmt: skip
    assert not more, f"files with more ShellCheck findings of a code after dockfix ({mode}):\n" + "\n".join(
        more
    )
    revealed = sorted(f"{name} {code}: {file_before[name, code]} -> {n}" for (name, code), n in file_after.items()
                      if n > file_before[name, code])  # fmt: skip
    if revealed:
        print("hadolint shows ShellCheck findings it hid before (one per RUN):\n" + "\n".join(revealed))


def test_covered_findings_left_are_known_to_dockfix(judged) -> None:
    """After --unsafe-fixes, what hadolint still reports for a covered rule
    is a place where the covering dockfix rule reports a finding too."""
    results, trees, remaining, _ = judged
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
    exe = hadolint_exe()
    fixed = dockfix.fix(text, path="Dockerfile", unsafe=unsafe).output
    (tmp_path / "before.Dockerfile").write_text(text)
    (tmp_path / "after.Dockerfile").write_text(fixed)
    before = Counter(f["code"] for f in _run_hadolint(exe, tmp_path) if f["file"] == "before.Dockerfile")
    after = Counter(f["code"] for f in _run_hadolint(exe, tmp_path) if f["file"] == "after.Dockerfile")
    assert not {c: n for c, n in after.items() if n > before[c]}, fixed
