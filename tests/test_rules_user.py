"""DF403 (non-root-user) and DF404 (numeric-user), besides their golden cases.

What the golden cases cannot show: the facts the rules rest on, family by
family (which tool creates a user, which user an image ships, which images
are known to run as root); that the generated user is what the semantic
model reads back (uid/gid 10001, not root), that DF401 and DF404 have
nothing left to fix in it and that hadolint finds nothing new in it; and,
where buildah is set up, that the rewritten image builds and runs as that
user.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections import Counter
from pathlib import Path

import pytest
from conftest import hadolint_exe
from standins import BUILDER
from standins import buildah_env as _env

import dockfix
from dockfix.images import UNKNOWN, image_info
from dockfix.model import SemanticModel
from dockfix.transforms.security._user import (
    DEFAULT_GID,
    DEFAULT_UID,
    breaks_user,
    low_ports,
    render_create,
    volumes,
)


def _fix(text: str, select=("DF403", "DF404"), unsafe: bool = True):
    return dockfix.fix(text, select=list(select), unsafe=unsafe)


def _final_user(text: str):
    model = SemanticModel.of(dockfix.parse(text), assume_defaults=False)
    return model.end(model.stages[-1]).user


# --------------------------------------------------------------------------
# Facts about base images


@pytest.mark.parametrize(
    "image, kind",
    [
        ("debian:12-slim", "shadow"),
        ("ubuntu:24.04", "shadow"),
        ("python:3.12-slim", "shadow"),
        ("eclipse-temurin:21-jre", "shadow"),
        ("registry.access.redhat.com/ubi9/ubi:9.4", "shadow"),
        ("rockylinux:9", "shadow"),
        ("fedora:40", "shadow"),
        ("archlinux:latest", "shadow"),
        ("alpine:3.20", "busybox"),
        ("python:3.12-alpine", "busybox"),
        ("busybox:1.36", "busybox"),
        ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", None),
        ("registry.access.redhat.com/ubi9/ubi-micro:9.4", None),
        ("amazonlinux:2023", None),
        ("amazonlinux:2", None),
        ("scratch", None),
        ("mcr.microsoft.com/windows/servercore:ltsc2022", None),
        ("opensuse/leap:15", None),
        ("mycompany/runtime:2.1", None),
    ],
)
def test_user_tool_per_family(image: str, kind: str | None) -> None:
    tool = image_info(image).user_tool
    assert tool.kind == kind
    assert (tool.why == "") == (kind is not None)


@pytest.mark.parametrize(
    "image, user",
    [
        ("node:20-slim", ("node", 1000, 1000)),
        ("node:20-alpine", ("node", 1000, 1000)),
        ("gcr.io/distroless/static-debian12", ("nonroot", 65532, 65532)),
        ("gcr.io/distroless/cc-debian12:latest", ("nonroot", 65532, 65532)),
        ("mcr.microsoft.com/dotnet/aspnet:8.0", ("app", 1654, 1654)),
        ("python:3.12-slim", None),  # only root, nobody, www-data
        ("alpine:3.20", None),
        ("debian:12", None),
        ("scratch", None),
    ],
)
def test_app_user(image: str, user) -> None:
    got = image_info(image).app_user
    assert (None if got is None else (got.name, got.uid, got.gid)) == user


@pytest.mark.parametrize(
    "image, known",
    [
        ("python:3.12-slim", True),
        ("docker.io/library/alpine:3.20", True),
        ("mirror.gcr.io/busybox", True),
        ("python:${PY}-slim", True),  # the variant is known from "-slim"
        ("scratch", True),
        ("gcr.io/distroless/static-debian12", True),
        ("registry.access.redhat.com/ubi9/ubi:9.4", True),
        ("myorg/base:1.0-bookworm", False),  # Debian by its tag, but its USER is not known
        ("ghcr.io/acme/app:2-alpine", False),
        ("mycompany/runtime:2.1", False),
    ],
)
def test_root_is_known_only_from_the_table(image: str, known: bool) -> None:
    ref = image.replace("${PY}", "\x00")
    assert image_info(ref).default_user_known is known


def test_generated_commands() -> None:
    assert render_create("shadow", "app", 10001, 10001) == (
        "groupadd -r -g 10001 app && useradd -r --no-log-init -u 10001 -g app app"
    )
    assert render_create("busybox", "app", 10001, 10001) == (
        "addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app"
    )
    assert render_create("busybox", "svc", 2000, 3000) == (
        "addgroup -S -g 3000 svc && adduser -S -D -H -u 2000 -G svc svc"
    )
    with pytest.raises(ValueError):
        render_create("nothing", "app", 1, 1)


# --------------------------------------------------------------------------
# What the file's RUNs and instructions tell


def _model(text: str) -> SemanticModel:
    return SemanticModel.of(dockfix.parse(text), assume_defaults=False)


@pytest.mark.parametrize(
    "run, members",
    [
        ("useradd -u 1 -G audio,video a", {"a"}),
        ("useradd -u 1 -g a a", set()),
        ("usermod -aG docker b", {"b"}),
        ("usermod -s /bin/sh b", set()),
        ("adduser c wheel", {"c"}),
        ("addgroup d wheel", {"d"}),
        ("addgroup -S -g 5 e", set()),
        ("gpasswd -a f docker", {"f", "docker"}),
        ("sudo usermod -a -G g h", {"h"}),
    ],
)
def test_group_members(run: str, members: set[str]) -> None:
    model = _model(f"FROM debian:12\nRUN {run}\n")
    names = {w for w in run.replace(",", " ").split() if not w.startswith("-")} | {"nobody"}
    for name in names:
        assert model.supplementary_groups(name) is (name in members), name


def test_group_members_unknown_when_a_run_cannot_be_read() -> None:
    text = 'FROM debian:12\nSHELL ["pwsh", "-c"]\nRUN ["sh", "-c", "usermod -aG docker app"]\n'
    assert _model(text).supplementary_groups("anyone") is UNKNOWN


def test_created_users_of_the_whole_file() -> None:
    text = "FROM alpine:3 AS a\nRUN adduser -D x && addgroup g\nFROM debian:12\nRUN useradd -u 5 y || true\n"
    model = _model(text)
    assert {n for n in ("x", "y", "g", "a", "z") if model.creates(n)} == {"x", "y"}


@pytest.mark.parametrize(
    "text, why",
    [
        ("FROM nginx:1.27\nCOPY x /usr/share/nginx/html\n", "nginx starts as root"),
        ("FROM php:8.3-apache\nCOPY . /var/www/html\n", "www-data"),
        ("FROM php:8.3-cli\nCMD php -v\n", None),
        ("FROM postgres:16\n", "switches to `postgres`"),
        ("FROM debian:12\nRUN apt-get install -y gosu\n", "gosu"),
        ("FROM alpine:3\nRUN apk add su-exec\n", "su-exec"),
        ('FROM alpine:3\nENTRYPOINT ["su-exec", "app"]\n', "ENTRYPOINT switches users itself (su-exec)"),
        ('FROM debian:12\nCMD ["/usr/sbin/sshd", "-D"]\n', "`sshd`"),
        ("FROM debian:12\nCMD cron -f\n", "`cron`"),
        ('FROM debian:12\nCMD ["sh", "-c", "nginx -g \'daemon off;\'"]\n', "`nginx`"),
        ('FROM debian:12\nCMD ["apache2-foreground"]\n', "`apache2-foreground`"),
        ('FROM php:8.3-cli-alpine\nCMD ["php-fpm83"]\n', "`php-fpm83`"),
        ('FROM python:3.12\nCMD ["python", "app.py"]\n', None),
    ],
)
def test_breaks_user(text: str, why: str | None) -> None:
    model = _model(text)
    got = breaks_user(model, model.stages[-1])
    if why is None:
        assert got is None
    else:
        assert got is not None and why in got


def test_ports_and_volumes() -> None:
    text = (
        "FROM debian:12 AS base\nEXPOSE 80/tcp\nVOLUME /var/lib/x\n"
        'FROM base\nARG P\nENV Q=443\nEXPOSE 8080 1000-2000 $P $Q/udp\nVOLUME ["/data", "/var/lib/x"]\n'
    )
    model = _model(text)
    st = model.stages[-1]
    assert low_ports(model, st) == ["80/tcp", "1000-2000", "443/udp"]
    assert volumes(model, st) == ["/var/lib/x", "/data"]


# --------------------------------------------------------------------------
# The generated user: read back, nothing left for DF401/DF404, hadolint


FIXED = {
    "debian": 'FROM debian:12-slim\nRUN apt-get update\nCMD ["bash"]\n',
    "ubuntu": 'FROM ubuntu:24.04\nUSER root\nRUN apt-get update\nCMD ["bash"]\n',
    "alpine": 'FROM alpine:3.20\nRUN apk add --no-cache jq\nCMD ["jq"]\n',
    "busybox": 'FROM busybox:1.36\nCMD ["sh"]\n',
    "ubi": "FROM registry.access.redhat.com/ubi9/ubi:9.4\nRUN dnf install -y jq && dnf clean all\n",
    "multi-stage": 'FROM debian:12-slim AS b\nUSER root\nRUN true\nFROM b\nCMD ["true"]\n',
    "heredoc": "# syntax=docker/dockerfile:1\nFROM debian:12-slim\nRUN <<EOT\napt-get update\nEOT\n",
    # a short RUN right before the new one: hadolint's DL3059 must not fire
    "after-short-run": 'FROM alpine:3.20\nRUN echo hi\nCMD ["sh"]\n',
}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_generated_user_reads_back_as_10001(name: str) -> None:
    out = _fix(FIXED[name], select=["DF403"]).output
    user = _final_user(out)
    assert (user.uid, user.gid, user.root) == (DEFAULT_UID, DEFAULT_GID, False)
    assert (user.name, user.group) == (str(DEFAULT_UID), str(DEFAULT_GID))  # USER uid:gid
    # DF401 (useradd -l for high uids) and DF404 (numeric USER) have nothing
    # left in what DF403 wrote (DF404 may still fix the file's own `USER root`)
    assert not dockfix.fix(out, select=["DF401"], unsafe=True).findings

    def numeric(text: str) -> list[str]:
        return [f.message for f in dockfix.fix(text, select=["DF404"], unsafe=True).fixes]

    assert numeric(out) == numeric(FIXED[name])
    # and DF403 itself is done
    again = _fix(out, select=["DF403"])
    assert again.output == out and not again.fixes


@pytest.mark.parametrize(
    "text, user",
    [
        ('FROM node:20-slim\nRUN npm i -g x\nCMD ["x"]\n', (1000, 1000)),
        ("FROM gcr.io/distroless/base-debian12\nCOPY app /app\n", (65532, 65532)),
        ('FROM debian:12\nRUN useradd -u 1500 -g 0 w\nCMD ["w"]\n', (1500, 0)),
    ],
)
def test_borrowed_user_reads_back(text: str, user) -> None:
    out = _fix(text, select=["DF403"]).output
    got = _final_user(out)
    assert (got.uid, got.gid, got.root) == (*user, False)
    assert "RUN groupadd" not in out and "adduser" not in out


def test_uid_only_when_gid_unknown() -> None:
    out = _fix('FROM debian:12\nRUN useradd -u 1500 w\nCMD ["w"]\n', select=["DF403"]).output
    assert out.endswith('USER 1500\nCMD ["w"]\n')


def test_a_long_chain_of_stages() -> None:
    # 3000 stages each FROM the one before (the model's walks up the chain
    # raised RecursionError from ~1000 on)
    n = 3000
    text = "FROM debian:12 AS s0\nRUN groupadd -g 2000 w && useradd -u 1500 -g w w\n"
    text += "".join(f"FROM s{i} AS s{i + 1}\nRUN true\n" for i in range(n))
    text += "USER w\n"
    out = _fix(text).output
    assert out.endswith(f"FROM s{n - 1} AS s{n}\nRUN true\nUSER 1500:2000\n")
    root = text.replace("USER w\n", 'CMD ["w"]\n')
    out = _fix(root, select=["DF403"]).output
    assert out.endswith('RUN true\nUSER 1500:2000\nCMD ["w"]\n')


def test_safe_mode_only_reports() -> None:
    text = FIXED["debian"]
    result = dockfix.fix(text, select=["DF403", "DF404"])
    assert result.output == text and not result.fixes
    assert [f.code for f in result.findings] == ["DF403"]
    assert result.findings[0].fix is not None  # the unsafe fix is available


def test_all_rules_together_are_stable() -> None:
    """With every rule (cache mounts, RUN merges, pipefail...): the output is
    stable and still ends as the new user."""
    for text in FIXED.values():
        out = dockfix.fix(text, unsafe=True).output
        again = dockfix.fix(out, unsafe=True)
        assert again.output == out and not again.fixes
        user = _final_user(out)
        assert user.root is False, out


def _hadolint_codes(exe: str, text: str, folder: Path) -> Counter:
    path = folder / f"{uuid.uuid4().hex}.Dockerfile"
    path.write_text(text)
    proc = subprocess.run(
        [exe, "--no-fail", "-f", "json", path.name], cwd=folder, capture_output=True, text=True
    )
    return Counter(f["code"] for f in json.loads(proc.stdout or "[]"))


@pytest.mark.parametrize("name", sorted(FIXED))
def test_hadolint_finds_nothing_new(name: str, tmp_path: Path) -> None:
    """DL1000 caught an instruction placed right after a heredoc (hadolint
    cannot parse one there); DL3002 must go, nothing may come."""
    exe = hadolint_exe()
    text = FIXED[name]
    for select in (["DF403", "DF404"], None):
        out = dockfix.fix(text, select=select, unsafe=True).output
        before, after = _hadolint_codes(exe, text, tmp_path), _hadolint_codes(exe, out, tmp_path)
        assert not {c: n for c, n in after.items() if n > before[c]}, out
        assert after["DL3002"] == 0 or name == "multi-stage", out  # the builder stage keeps its root


# --------------------------------------------------------------------------
# DF404 details


def test_numeric_user_forms() -> None:
    base = "FROM debian:12\nRUN groupadd -g 20 g && useradd -u 10 -g g u"
    assert _fix(f"{base}\nUSER u\n", ["DF404"]).output.endswith("USER 10:20\n")
    assert _fix(f"{base}\nUSER u:g\n", ["DF404"]).output.endswith("USER 10:20\n")
    assert _fix(f"{base}\nUSER u:7\n", ["DF404"]).output.endswith("USER 10:7\n")
    # a supplementary group anywhere in the file: uid only (keeps it)
    assert _fix(f"{base}\nRUN usermod -aG audio u\nUSER u\n", ["DF404"]).output.endswith("USER 10\n")
    assert _fix(f"{base} -G audio\nUSER u\n", ["DF404"]).output.endswith("USER 10\n")
    # root is uid 0 everywhere; its groups come from /etc/group, so uid only
    assert _fix("FROM alpine:3\nUSER root\n", ["DF404"]).output.endswith("USER 0\n")
    assert _fix("FROM alpine:3\nUSER root:root\n", ["DF404"]).output.endswith("USER 0:0\n")
    # quoted
    assert _fix(f'{base}\nUSER "u"\n', ["DF404"]).output.endswith("USER 10:20\n")


@pytest.mark.parametrize(
    "text",
    [
        "FROM debian:12\nUSER 1000\n",
        "FROM debian:12\nUSER 1000:staff\n",  # hadolint DL3066 only reads the user part
        "FROM debian:12\nARG U=app\nRUN useradd -u 5 app\nUSER $U\n",
        "FROM debian:12\nRUN useradd app\nUSER app\n",
        "FROM debian:12\nARG UID=5\nRUN useradd -u $UID app\nUSER app\n",
        "FROM mycompany/base:1\nUSER svc\n",
    ],
)
def test_numeric_user_leaves(text: str) -> None:
    assert _fix(text, ["DF404"]).output == text


def test_numeric_user_reports_what_hadolint_dl3066_flags() -> None:
    """Every USER with a non-numeric user part gets a DF404 finding (fixed or
    reported), so DL3066 never goes unexplained."""
    text = (
        "FROM debian:12 AS a\nUSER root\nRUN useradd app\nUSER app\nUSER $X\n"
        "FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\nUSER ContainerUser\n"
    )
    result = dockfix.fix(text, select=["DF404"])
    assert [f.line for f in result.findings] == [2, 4, 5, 7]


# --------------------------------------------------------------------------
# Real builds (buildah, as tests/test_build.py sets it up)


def _buildah(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    exe = shutil.which("buildah")
    assert exe is not None
    return subprocess.run([exe, *args], capture_output=True, text=True, env=_env(), timeout=timeout)


BUILDS = [
    # (base image, expected `id -u`:`id -g` after the fix)
    ("debian:bookworm-slim", f"{DEFAULT_UID}:{DEFAULT_GID}"),
    ("python:3.11-slim", f"{DEFAULT_UID}:{DEFAULT_GID}"),
    ("node:18-slim", "1000:1000"),
]


@pytest.mark.build
@pytest.mark.parametrize("image, ids", BUILDS)
def test_real_build_runs_as_the_new_user(image: str, ids: str, tmp_path: Path) -> None:
    if shutil.which("buildah") is None or not (BUILDER / "storage.conf").exists():
        pytest.skip("buildah is not set up (run ../shared/tools/buildah-setup.sh)")
    if _buildah("inspect", "--type", "image", image, timeout=120).returncode != 0:
        pytest.skip(f"the local {image} base image is missing")
    text = f'FROM {image}\nRUN echo built > /built\nCMD ["sh", "-c", "echo $(id -u):$(id -g)"]\n'
    out = _fix(text, select=["DF403"]).output
    assert out != text
    (tmp_path / "Dockerfile").write_text(out)
    tag = f"localhost/dockfix-df403-{uuid.uuid4().hex[:12]}"
    built = _buildah("build", "--pull=never", "-f", "Dockerfile", "-t", tag, str(tmp_path), timeout=1200)
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    ctr = None
    try:
        made = _buildah("from", "--pull-never", tag)
        assert made.returncode == 0, made.stderr
        ctr = made.stdout.strip().splitlines()[-1]
        ran = _buildah("run", ctr, "--", "sh", "-c", "echo $(id -u):$(id -g); cat /built")
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.split() == [ids, "built"]
    finally:
        if ctr:
            _buildah("rm", ctr)
        _buildah("rmi", tag)
