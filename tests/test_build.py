"""Real builds with buildah: the original and the rewritten Dockerfile of
each case in tests/builds/ both build, the final image config is the same,
the image gets smaller, and after the rewrite a source-only change rebuilds
without re-running the dependency install (a layer-cache hit) while before
the rewrite it re-ran.

Needs buildah and the local ``debian:bookworm-slim`` base made by
``../shared/tools/buildah-setup.sh`` (`.ci/run` runs it); skipped otherwise.
Timings and sizes are printed (pytest -rP) — measured, never asserted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import ROOT
from standins import BUILDER, buildah_env

pytestmark = pytest.mark.build

CASES = sorted(p.name for p in (ROOT / "tests" / "builds").iterdir() if p.is_dir())
CONFIG_KEYS = ("Cmd", "Entrypoint", "Env", "User", "WorkingDir", "ExposedPorts")
_env = buildah_env  # the environment buildah needs: one definition, in the harness


@pytest.fixture(scope="module")
def buildah() -> str:
    exe = shutil.which("buildah")
    if exe is None or not (BUILDER / "storage.conf").exists():
        pytest.skip("buildah is not set up (run ../shared/tools/buildah-setup.sh)")
    probe = subprocess.run(
        [exe, "inspect", "--type", "image", "localhost/debian:bookworm-slim"],
        capture_output=True, env=_env(), timeout=120,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip("the local debian:bookworm-slim base image is missing (run buildah-setup.sh)")
    return exe


def _build(exe: str, folder: Path, tag: str) -> tuple[str, float]:
    start = time.monotonic()
    proc = subprocess.run(
        [exe, "build", "--layers", "-f", "Dockerfile", "-t", tag, "."],
        cwd=folder, capture_output=True, text=True, env=_env(), timeout=1200,
    )  # fmt: skip
    took = time.monotonic() - start
    assert proc.returncode == 0, (
        f"build of {folder.name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout + proc.stderr, took


def _inspect(exe: str, tag: str) -> dict:
    proc = subprocess.run(
        [exe, "inspect", "--type", "image", tag], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _size(info: dict) -> int:
    manifest = json.loads(info["Manifest"])
    return sum(layer["size"] for layer in manifest["layers"])


def _config(info: dict) -> dict:
    cfg = info.get("OCIv1", {}).get("config", {})
    return {k: cfg.get(k) for k in CONFIG_KEYS}


def _same_config(before: dict, after: dict) -> None:
    """The rewrite keeps the image's config, except what the security rules
    change on purpose: the User (DF403: no longer root) and an init in front
    of the Entrypoint (DF407: tini)."""
    keep = [k for k in CONFIG_KEYS if k not in ("User", "Entrypoint")]
    assert {k: after[k] for k in keep} == {k: before[k] for k in keep}, "the image config changed"
    user = (after["User"] or "").split(":", 1)[0]
    assert user not in ("", "0", "root"), f"the rewritten image still runs as root ({after['User']!r})"
    entry = after["Entrypoint"] or []
    if entry != (before["Entrypoint"] or []):
        assert entry[0].endswith("/tini") and entry[2:] == (before["Entrypoint"] or []), entry


def _install_cached(output: str, needle: str) -> bool:
    """Was the build step running ``needle`` taken from the layer cache?"""
    steps = re.split(r"^STEP \d+/\d+: ", output, flags=re.M)
    for step in steps:
        first = step.split("\n", 1)[0]
        if first.startswith("RUN") and needle in first:
            return "--> Using cache" in step
    raise AssertionError(f"no RUN step with {needle!r} in the build output")


@pytest.mark.parametrize("case", CASES)
def test_build_before_and_after(case: str, buildah: str, tmp_path: Path) -> None:
    spec = json.loads((ROOT / "tests" / "builds" / case / "case.json").read_text())
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(ROOT / "tests" / "builds" / case, before)
    shutil.copytree(ROOT / "tests" / "builds" / case, after)

    fixed = subprocess.run(
        [sys.executable, "-m", "dockfix", "--unsafe-fixes", "Dockerfile"],
        cwd=after, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")),
    )  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert (after / "Dockerfile").read_text() != (before / "Dockerfile").read_text(), (
        "dockfix changed nothing"
    )

    tag = f"localhost/dockfix-build-test-{case}"
    _, t_before = _build(buildah, before, f"{tag}:before")
    _, t_after = _build(buildah, after, f"{tag}:after")
    info_before, info_after = _inspect(buildah, f"{tag}:before"), _inspect(buildah, f"{tag}:after")
    _same_config(_config(info_before), _config(info_after))
    size_before, size_after = _size(info_before), _size(info_after)

    # A source-only change (unique, so no earlier run's layers can match).
    token = uuid.uuid4().hex
    for folder in (before, after):
        with open(folder / spec["source"], "a") as fh:
            fh.write(f"\n# a source-only change {token}\n")
    out_before, r_before = _build(buildah, before, f"{tag}:before2")
    out_after, r_after = _build(buildah, after, f"{tag}:after2")
    print(
        f"\n{case}: first build {t_before:.1f}s -> {t_after:.1f}s; rebuild after a source change "
        f"{r_before:.1f}s -> {r_after:.1f}s; image {size_before / 1e6:.1f} MB -> {size_after / 1e6:.1f} MB"
    )
    print("rewritten Dockerfile:\n" + (after / "Dockerfile").read_text())
    assert not _install_cached(out_before, spec["install"]), "before the rewrite the install should re-run"
    assert _install_cached(out_after, spec["install"]), "after the rewrite the install should be cached"
    assert size_after < size_before, "the rewrite should make the image smaller"
