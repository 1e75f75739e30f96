"""``dockfix verify``: the table, the builder detection and the whole
command with a fake builder on PATH (no build), then real builds with
buildah on the fixtures in tests/verify/ (marked ``build``; skipped when
buildah is not set up, as in test_build.py).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from dockfix import verify
from dockfix.cli import UsageProblem
from dockfix.verify import Builder, NoBuilder, Side, render_table

FIXTURES = ROOT / "tests" / "verify"
ENV_LONG = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"]


def _rows(text: str) -> dict[str, str]:
    """The table's rows by their label (the first column), the label cut off;
    continuation lines are left out."""
    lines = text.splitlines()
    at = lines[1].index("before")
    return {line[:at].strip(): line[at:] for line in lines[2:] if line[:at].strip()}


def _side(label: str, **kw) -> Side:
    base = dict(
        ok=True, returncode=0, seconds=4.5, size=80_000_000, rebuild_ok=True, rebuild_seconds=3.0,
        rebuild_steps=(3, 9),
        config={"Cmd": ["sh", "run.sh"], "Entrypoint": None, "Env": ENV_LONG, "User": None,
                "WorkingDir": "/srv", "ExposedPorts": {"8080/tcp": {}}},
    )  # fmt: skip
    base.update(kw)
    return Side(label, **base)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# the table


def test_table_marks_what_changed_and_says_same_for_the_rest():
    before = _side("original")
    after = _side("rewritten", size=60_000_000, config=dict(before.config, User="10001:10001"))
    text = render_table("Dockerfile", "buildah", before, after, "run.sh")
    lines = text.splitlines()
    assert lines[0] == "dockfix verify: Dockerfile (built with buildah)"
    row = _rows(text)
    assert row["build"].split() == ["ok", "ok"]
    assert "80.0 MB" in row["image size"] and "60.0 MB (-25%)" in row["image size"]
    assert row["User"].split() == ["(unset)", '"10001:10001"', "changed"]
    assert row["Cmd"].split()[-1] == "same" and "changed" not in row["Cmd"]
    assert "3.0 s, 3/9 steps ran" in row["rebuild after touching run.sh"]
    # a long Env is one variable a line, wrapped, never cut off
    env_at = next(i for i, line in enumerate(lines) if line.startswith("Env"))
    joined = "".join(line.split("  ")[-1].strip() for line in lines[env_at : env_at + 3])
    assert "/sbin:/bin" in joined and '"GREETING=hello"' in lines[env_at + 2]
    assert "build log" not in text


def test_table_says_which_side_failed_with_the_end_of_its_log():
    log = (
        "".join(f"STEP {i}/30: RUN step {i}\n" for i in range(1, 31)) + "error building at STEP 30: exit 3\n"
    )
    after = Side("rewritten", ok=False, returncode=3, seconds=1.0, log=log)
    text = render_table("app/Dockerfile", "podman", _side("original"), after, "run.sh")
    row = _rows(text)
    assert row["build"].split() == ["ok", "FAILED", "(exit", "3)"]
    assert "image size" not in row and "User" not in row  # nothing to compare
    tail = text.split("last lines of the rewritten build log:\n", 1)[1].splitlines()
    assert len(tail) == verify.LOG_TAIL
    assert tail[-1] == "  error building at STEP 30: exit 3" and tail[0] == "  STEP 17/30: RUN step 17"
    assert "original build log" not in text


def test_table_without_a_source_file_to_touch():
    text = render_table("Dockerfile", "buildah", _side("original"), _side("rewritten"), None)
    assert "no source file to touch" in text


# ---------------------------------------------------------------------------
# what the builders print


def test_buildah_and_podman_steps_count_cache_hits():
    log = (
        "STEP 1/4: FROM debian:bookworm-slim\nSTEP 2/4: COPY requirements.txt ./\n--> Using cache 1a2b\n"
        "STEP 3/4: RUN pip install -r requirements.txt\n--> Using cache 3c4d\n"
        "STEP 4/4: COPY . .\n--> 5e6f\nCOMMIT x\n"
    )
    for name in ("buildah", "podman"):
        assert Builder(name, name).steps(log) == (1, 3)
    assert Builder("buildah", "buildah").steps("nothing useful") is None


def test_docker_buildx_steps_count_cache_hits():
    log = (
        "#5 [1/4] FROM docker.io/library/debian:bookworm-slim\n#6 [2/4] COPY requirements.txt ./\n#6 CACHED\n"
        "#7 [3/4] RUN pip install -r requirements.txt\n#7 CACHED\n#8 [4/4] COPY . .\n#8 DONE 0.1s\n"
        "#8 [4/4] COPY . .\n"
    )
    assert Builder("docker", "docker").steps(log) == (1, 3)


def test_image_facts_of_each_builder():
    cfg = {
        "Cmd": ["sh"],
        "Env": ["A=1"],
        "User": "10001",
        "WorkingDir": "/srv",
        "ExposedPorts": {"80/tcp": {}},
    }
    buildah = json.dumps(
        {"OCIv1": {"config": cfg}, "Manifest": json.dumps({"layers": [{"size": 100}, {"size": 23}]})}
    )
    config, size = Builder("buildah", "buildah").image_facts(buildah)
    assert size == 123 and config["User"] == "10001" and config["Entrypoint"] is None
    docker = json.dumps([{"Config": cfg | {"Entrypoint": None}, "Size": 456}])
    for name in ("docker", "podman"):
        config, size = Builder(name, name).image_facts(docker)
        assert size == 456 and config == {k: cfg.get(k) for k in verify.CONFIG_KEYS}


# ---------------------------------------------------------------------------
# detection, with fake builders on PATH


def _fake(folder: Path, name: str, script: str) -> None:
    folder.mkdir(exist_ok=True)
    exe = folder / name
    exe.write_text(f"#!{sys.executable}\n{script}")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)


OK = "import sys\nsys.exit(0)\n"
NO_BUILDX = "import sys\nsys.exit(1 if sys.argv[1:2] == ['buildx'] else 0)\n"


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        ({"buildah": OK}, "buildah"),
        ({"buildah": OK, "podman": OK}, "podman"),
        ({"buildah": OK, "podman": OK, "docker": OK}, "docker"),
        ({"buildah": OK, "docker": NO_BUILDX}, "buildah"),  # docker without buildx is skipped
    ],
)
def test_detect_takes_the_first_builder_in_order(tmp_path, monkeypatch, present, expected):
    for name, script in present.items():
        _fake(tmp_path / "bin", name, script)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    found = verify.detect()
    assert found.name == expected and found.exe == str(tmp_path / "bin" / expected)


def test_detect_honours_builder_and_explains_what_is_missing(tmp_path, monkeypatch):
    _fake(tmp_path / "bin", "buildah", OK)
    _fake(tmp_path / "bin", "docker", OK)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert verify.detect("buildah").name == "buildah"
    assert verify.detect("buildx").name == "docker"
    with pytest.raises(NoBuilder, match="podman is not installed"):
        verify.detect("podman")
    with pytest.raises(UsageProblem, match="unknown builder 'kaniko'"):
        verify.detect("kaniko")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(NoBuilder, match="no image builder found"):
        verify.detect()


# ---------------------------------------------------------------------------
# the whole command through the real entry point, with a fake buildah

#: a stand-in for buildah: logs its arguments, "builds" by listing the
#: Dockerfile's instructions as steps (cache hits only without --no-cache),
#: fails when the Dockerfile holds $FAKE_FAIL, and inspects what it built
FAKE_BUILDAH = r"""
import hashlib, json, os, sys
from pathlib import Path
args = sys.argv[1:]
state = Path(os.environ["FAKE_STATE"])
state.mkdir(exist_ok=True)
with open(state / "calls.jsonl", "a") as fh:
    fh.write(json.dumps(args) + "\n")
if args[0] == "build":
    dockerfile, tag, ctx = args[args.index("-f") + 1], args[args.index("-t") + 1], args[-1]
    text = open(dockerfile).read()
    fail = os.environ.get("FAKE_FAIL")
    if fail and fail in text:
        print("STEP 1/2: FROM debian:bookworm-slim")
        print(f"error building at STEP 2/2: {fail} exited with status 3")
        sys.exit(3)
    steps = [l for l in text.splitlines() if l.strip() and not l[0].isspace() and not l.startswith("#")]
    config = {"Env": ["PATH=/usr/bin"]}
    for line in steps:
        word, _, rest = line.partition(" ")
        if word == "USER":
            config["User"] = rest
        elif word == "CMD":
            config["Cmd"] = json.loads(rest)
        elif word == "WORKDIR":
            config["WorkingDir"] = rest
    for i, line in enumerate(steps, 1):
        print(f"STEP {i}/{len(steps)}: {line}")
        if "--no-cache" not in args and i < len(steps):
            print("--> Using cache 0123")
    sources = {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in Path(ctx).iterdir() if p.is_file()}
    with open(state / "builds.jsonl", "a") as fh:
        fh.write(json.dumps({"tag": tag, "dockerfile": text, "sources": sources, "args": args}) + "\n")
    (state / (tag.replace("/", "_") + ".json")).write_text(json.dumps({"config": config, "size": len(text)}))
elif args[0] == "inspect":
    image = json.loads((state / (args[-1].replace("/", "_") + ".json")).read_text())
    manifest = json.dumps({"layers": [{"size": image["size"] * 1000}]})
    print(json.dumps({"OCIv1": {"config": image["config"]}, "Manifest": manifest}))
elif args[0] == "rmi":
    pass
else:
    sys.exit(125)
"""


@pytest.fixture
def fake_env(tmp_path) -> dict[str, str]:
    _fake(tmp_path / "bin", "buildah", FAKE_BUILDAH)
    return dict(os.environ, PATH=str(tmp_path / "bin"), FAKE_STATE=str(tmp_path / "state"))


def _verify(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockfix", "verify", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def _copy(case: str, tmp_path: Path) -> Path:
    dest = tmp_path / "project"
    shutil.copytree(FIXTURES / case, dest)
    return dest


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _builds(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "state" / "builds.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_verify_builds_both_sides_in_copies_and_writes_nothing(tmp_path, fake_env):
    project = _copy("app", tmp_path)
    before = _snapshot(project)
    proc = _verify(project, fake_env, "--unsafe-fixes")
    assert proc.returncode == 0, proc.stderr
    assert _snapshot(project) == before  # nothing written to the user's tree
    assert proc.stdout.startswith("dockfix verify: Dockerfile (built with buildah)\n")
    row = _rows(proc.stdout)
    assert row["build"].split() == ["ok", "ok"]
    assert row["User"].split() == ["(unset)", '"10001:10001"', "changed"]
    assert row["Cmd"].split()[-1] == "same"
    assert "steps ran" in row["rebuild after touching run.sh"]
    builds = _builds(tmp_path)
    cold, warm = builds[:2], builds[2:]
    assert [b["tag"].rsplit(":", 1)[1] for b in builds] == ["before", "after", "before", "after"]
    assert all("--no-cache" in b["args"] for b in cold) and not any("--no-cache" in b["args"] for b in warm)
    assert cold[0]["dockerfile"] == (project / "Dockerfile").read_text()
    assert "USER 10001:10001" in cold[1]["dockerfile"] and "MAINTAINER" not in cold[1]["dockerfile"]
    # the source file was changed between the cold build and the rebuild, the manifest was not
    assert warm[0]["sources"]["run.sh"] != cold[0]["sources"]["run.sh"]
    assert warm[0]["sources"]["requirements.txt"] == cold[0]["sources"]["requirements.txt"]
    assert all(not str(b["args"][-1]).startswith(str(project)) for b in builds)  # built in temp copies
    calls = (tmp_path / "state" / "calls.jsonl").read_text()
    assert '"rmi"' in calls  # the images are removed afterwards


def test_verify_write_rewrites_the_file_and_side_files_when_the_rewrite_builds(tmp_path, fake_env):
    project = _copy("app", tmp_path)
    expected = subprocess.run(
        [sys.executable, "-m", "dockfix", "--diff", "--unsafe-fixes", "Dockerfile"], cwd=project,
        capture_output=True, text=True,
    ).stdout  # fmt: skip
    proc = _verify(project, fake_env, "--unsafe-fixes", "--write", "Dockerfile")
    assert proc.returncode == 0, proc.stderr
    assert "the rewrite builds; wrote Dockerfile, .dockerignore" in proc.stdout
    assert "USER 10001:10001" in (project / "Dockerfile").read_text()
    assert (project / ".dockerignore").exists()
    assert "+USER 10001:10001" in expected  # the same rewrite as a normal run
    again = _verify(project, fake_env, "--unsafe-fixes")
    assert again.returncode == 0 and "nothing to rewrite; no build needed" in again.stdout


def test_verify_write_leaves_the_file_when_the_rewrite_fails(tmp_path, fake_env):
    project = _copy("app", tmp_path)
    before = _snapshot(project)
    env = dict(fake_env, FAKE_FAIL="USER 10001")  # only the rewrite has it
    proc = _verify(project, env, "--unsafe-fixes", "--write")
    assert proc.returncode == 1, proc.stderr
    assert _snapshot(project) == before
    row = _rows(proc.stdout)
    assert row["build"].split() == ["ok", "FAILED", "(exit", "3)"]
    assert "last lines of the rewritten build log:\n" in proc.stdout
    assert "  error building at STEP 2/2: USER 10001 exited with status 3\n" in proc.stdout
    assert "the rewrite does not build; Dockerfile left unchanged" in proc.stdout


def test_verify_rule_options_choose_the_rewrite(tmp_path, fake_env):
    project = _copy("app", tmp_path)
    proc = _verify(project, fake_env, "--select", "DF501")
    assert proc.returncode == 0, proc.stderr
    rewritten = _builds(tmp_path)[1]["dockerfile"]
    assert "LABEL maintainer" in rewritten and "ENV GREETING hello" in rewritten and "USER" not in rewritten
    assert "(unset)" in proc.stdout.split("User", 1)[1].splitlines()[0]


def test_verify_reads_the_configuration_as_a_plain_run_does(tmp_path, fake_env):
    project = _copy("app", tmp_path)
    (project / ".dockfix.toml").write_text('select = ["DF501"]\nunsafe-fixes = true\n')
    proc = _verify(project, fake_env)
    assert proc.returncode == 0, proc.stderr
    rewritten = _builds(tmp_path)[1]["dockerfile"]
    assert "LABEL maintainer" in rewritten and "USER" not in rewritten  # only the file's selection
    isolated = _verify(project, fake_env, "--isolated", "--select", "DF403", "--unsafe-fixes")
    assert isolated.returncode == 0, isolated.stderr
    assert "USER 10001:10001" in _builds(tmp_path)[-1]["dockerfile"]
    (project / ".dockfix.toml").write_text("selekt = 1\n")
    bad = _verify(project, fake_env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and ".dockfix.toml" in bad.stderr, bad.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "DF999"], "unknown rule code in --select: DF999"),
        (["--builder", "kaniko"], "unknown builder 'kaniko'"),
        (["missing/Dockerfile"], "missing/Dockerfile: no such file"),
        (["--builder", "podman"], "--builder podman: podman is not installed"),
    ],
)
def test_verify_bad_input_is_one_line_and_exit_2(tmp_path, fake_env, args, message):
    project = _copy("app", tmp_path)
    proc = _verify(project, fake_env, *args)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"dockfix verify: error: {proc.stderr.split('error: ', 1)[1].strip()}"
    ]
    assert message in proc.stderr
    assert not (tmp_path / "state").exists()  # nothing was built


def test_verify_without_a_builder_is_one_line_and_exit_2(tmp_path):
    project = _copy("app", tmp_path)
    env = dict(os.environ, PATH=str(tmp_path / "empty"))
    proc = _verify(project, env)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (
        "dockfix verify: error: no image builder found: install docker (with buildx), podman or buildah\n"
    )


def test_verify_folder_and_help(tmp_path, fake_env):
    project = _copy("app", tmp_path)
    proc = _verify(tmp_path, fake_env, "project")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("dockfix verify: project/Dockerfile (built with buildah)")
    helped = _verify(tmp_path, fake_env, "--help")
    assert helped.returncode == 0 and "--builder" in helped.stdout and "--write" in helped.stdout
    assert _snapshot(project) == _snapshot(FIXTURES / "app")


def test_pick_source_skips_manifests_and_ignored_files(tmp_path):
    (tmp_path / "src").mkdir()
    for name in ("requirements.txt", "package.json", "src/app.py", "src/data.bin", ".env"):
        (tmp_path / name).write_text("x\n")
    (tmp_path / ".dockerignore").write_text("src/app.py\n")
    text = "FROM python:3.12\nCOPY requirements.txt package.json ./\nCOPY . .\n"
    assert verify.pick_source(text, str(tmp_path)) == "src/data.bin"
    (tmp_path / ".dockerignore").write_text("")
    assert verify.pick_source(text, str(tmp_path)) == "src/app.py"
    assert verify.pick_source("FROM a\nCOPY requirements.txt ./\n", str(tmp_path)) is None
    assert verify.pick_source("FROM a\nCOPY --from=b /x /x\n", str(tmp_path)) is None


def test_touch_source_keeps_the_file_valid(tmp_path):
    py, data = tmp_path / "app.py", tmp_path / "blob.dat"
    py.write_text("print(1)")
    data.write_text("{}\n")
    verify.touch_source(str(py), "tok1")
    verify.touch_source(str(data), "tok1")
    assert py.read_text() == "print(1)\n# dockfix verify: a source change tok1\n"
    assert data.read_text() == "{}\n\n"


# ---------------------------------------------------------------------------
# real builds with buildah


@pytest.fixture(scope="module")
def buildah_env() -> dict[str, str]:
    from test_build import BUILDER, _env

    exe = shutil.which("buildah")
    if exe is None or not (BUILDER / "storage.conf").exists():
        pytest.skip("buildah is not set up (run ../shared/tools/buildah-setup.sh)")
    env = _env()
    probe = subprocess.run(
        [exe, "inspect", "--type", "image", "localhost/debian:bookworm-slim"], capture_output=True, env=env,
        timeout=120,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip("the local debian:bookworm-slim base image is missing (run buildah-setup.sh)")
    return env


@pytest.mark.build
def test_real_verify_with_buildah(tmp_path, buildah_env):
    project = _copy("app", tmp_path)
    before = _snapshot(project)
    proc = _verify(project, buildah_env, "--builder", "buildah", "--unsafe-fixes")
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _snapshot(project) == before
    row = _rows(proc.stdout)
    assert row["build"].split() == ["ok", "ok"]
    assert row["User"].split() == ["(unset)", '"10001:10001"', "changed"]
    for key in ("Cmd", "WorkingDir", "ExposedPorts", "Env", "Entrypoint"):
        assert row[key].split()[-1] == "same", row[key]
    assert '["sh", "run.sh"]' in row["Cmd"] and "8080/tcp" in row["ExposedPorts"]
    assert "MB" in row["image size"] and "steps ran" in row["rebuild after touching run.sh"]

    written = _verify(project, buildah_env, "--builder", "buildah", "--unsafe-fixes", "--write")
    assert written.returncode == 0, written.stdout + written.stderr
    assert "USER 10001:10001" in (project / "Dockerfile").read_text()


@pytest.mark.build
def test_real_verify_reports_a_failing_build(tmp_path, buildah_env):
    project = _copy("broken", tmp_path)
    before = _snapshot(project)
    proc = _verify(project, buildah_env, "--builder", "buildah", "--write")
    print(proc.stdout)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _snapshot(project) == before
    row = _rows(proc.stdout)
    assert row["build"].split()[:2] == ["FAILED", "(exit"]
    assert "last lines of the original build log:" in proc.stdout
    assert "compiling main.sh" in proc.stdout.split("last lines of the original build log:", 1)[1]
