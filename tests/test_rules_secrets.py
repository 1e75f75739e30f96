"""Unit tests for DF405 (secrets in ARG/ENV) and DF406 (credential files).

Besides the golden fixtures: the name patterns against BuildKit's examples
and against hadolint itself, the frontend versions that know `env=` on a
secret mount, which stages count as images that may be run, what counts
as a credential in a file, and the edge cases of both fixes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import assert_valid_buildkit

import dockfix
from dockfix.frontend import MOUNT_SECRET, MOUNT_SECRET_ENV, parse_frontend
from dockfix.model import SemanticModel
from dockfix.mounts import parse_mount
from dockfix.transforms.security._secrets import (
    buildkit_flags,
    hadolint_flags,
    holds_credentials,
    is_secret_name,
)


def fix(text: str, select=("DF405",), unsafe: bool = True, path: str = "Dockerfile"):
    result = dockfix.fix(text, path=path, select=list(select), unsafe=unsafe)
    assert_valid_buildkit(result.output)
    again = dockfix.fix(result.output, path=path, select=list(select), unsafe=unsafe)
    assert again.output == result.output, "not idempotent"
    return result


# ---------------------------------------------------------------------------
# names


@pytest.mark.parametrize(
    "name", ["api_key", "DATABASE_PASSWORD", "GITHUB_TOKEN", "secret_MESSAGE", "AUTH", "AWS_SECRET_ACCESS_KEY",
             "AWS_ACCESS_KEY_ID", "db_passwd", "Credentials", "MY_APIKEY"]
)  # fmt: skip
def test_buildkit_pattern_flags(name: str) -> None:
    assert buildkit_flags(name)
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["PUBLIC_KEY", "API_KEY_FILE", "TOKEN_VERSION", "KEYBOARD", "MONKEY", "TOKENIZERS_PARALLELISM",
             "AUTHOR", "USERNAME", "GOPRIVATE", "PASSWORD_FILE"]
)  # fmt: skip
def test_buildkit_pattern_leaves(name: str) -> None:
    assert not buildkit_flags(name)
    assert not is_secret_name(name)


def test_compound_words_are_secrets_too() -> None:
    # hadolint finds these by substring; BuildKit's word pattern does not
    for name in ("OKTA_OAUTH2_CLIENTSECRET", "NPMTOKEN", "DBPASSWORD", "SENTRY_AUTHTOKEN"):
        assert not buildkit_flags(name) and is_secret_name(name), name


def test_names_as_hadolint_sees_them() -> None:
    """hadolint_flags against hadolint's DL3064 itself, name by name."""
    exe = shutil.which(
        "hadolint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
    if exe is None:
        pytest.skip("hadolint not installed")
    names = ["USERNAME", "GOPRIVATE", "TOKENIZERS_PARALLELISM", "BUILD_VERSION", "NPM_TOKEN", "api_key",
             "CF_USERNAME", "TRAVIS_OS_NAME", "DB_PASS", "MY_PASSWORD", "SITE_KEY", "CLIENT_KEY_PATH", "HOME"]  # fmt: skip
    text = "FROM debian:12\n" + "".join(f"ARG {n}=x\n" for n in names)
    proc = subprocess.run(
        [exe, "--no-fail", "-f", "json", "-"], input=text, capture_output=True, text=True, timeout=120
    )
    flagged_lines = {f["line"] for f in json.loads(proc.stdout or "[]") if f["code"] == "DL3064"}
    for i, name in enumerate(names):
        assert hadolint_flags(name) == (i + 2 in flagged_lines), name


# ---------------------------------------------------------------------------
# the frontend


@pytest.mark.parametrize(
    ("ref", "ok"),
    [
        (None, True),
        ("docker/dockerfile:1", True),
        ("docker/dockerfile:1-labs", True),
        ("docker/dockerfile:labs", True),
        ("docker.io/docker/dockerfile:1.10", True),
        ("docker/dockerfile:1.12.0", True),
        ("docker/dockerfile:1.9", False),
        ("docker/dockerfile:1.4-labs", False),
        ("docker/dockerfile:1.0", False),
        ("example.com/my/frontend:2", False),
    ],
)
def test_secret_env_needs_dockerfile_1_10(ref: str | None, ok: bool) -> None:
    assert parse_frontend(ref).supports(MOUNT_SECRET, MOUNT_SECRET_ENV) is ok


def test_the_mount_written_is_what_buildkit_reads() -> None:
    m = parse_mount("type=secret,id=NPM_TOKEN,env=NPM_TOKEN")
    assert (m.type, m.id, m.env, m.target, m.error) == ("secret", "NPM_TOKEN", "NPM_TOKEN", None, None)


# ---------------------------------------------------------------------------
# the model questions


def test_word_references() -> None:
    model = SemanticModel.of(dockfix.parse("FROM debian:12\nRUN true\n"))
    assert model.final_stage is not None
    facts = model.end(model.final_stage)
    assert facts.word_references("https://x/?t=${TOKEN:-none}&v=$V") == {"TOKEN", "V"}
    assert facts.word_references("'$NOT'") == set()  # single quotes: BuildKit does not expand
    assert facts.word_references("plain") == set()


def test_output_stages() -> None:
    tree = dockfix.parse(
        "FROM node:20 AS deps\nRUN npm ci\n"
        "FROM deps AS build\nRUN npm run build\n"
        "FROM node:20 AS dev\nCMD npm run dev\n"
        "FROM node:20 AS cache\nRUN true\n"
        "FROM node:20-slim\nCOPY --from=build /app /app\nRUN --mount=from=cache,target=/c true\n"
    )
    outputs = SemanticModel.of(tree).output_stages()
    assert [st.index for st in outputs] == [2, 4]  # dev (only built as a --target), final


@pytest.mark.parametrize(
    ("text", "held"),
    [
        ("//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n", False),
        ("registry=https://npm.example.com/\nalways-auth=true\n", False),
        ("//registry.npmjs.org/:_authToken=npm_abc\n", True),
        ("[global]\nindex-url = https://u:p4ss@pypi.example.com/simple\n", True),
        ("[global]\nindex-url = https://pypi.example.com/simple\n", False),
        ("machine github.com login me password ghp_x\n", True),
        ('npmAuthToken: "${NPM_TOKEN}"\n', False),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", True),
        ('{"github-oauth": {"github.com": "x"}}', True),
        ("db:5432:app:app:hunter2\n", True),
    ],
)
def test_holds_credentials(text: str, held: bool) -> None:
    assert holds_credentials(text) is held


# ---------------------------------------------------------------------------
# DF405


def test_two_secrets_in_one_arg_go_one_after_the_other() -> None:
    text = "FROM alpine:3.20 AS b\nARG A_TOKEN B_TOKEN\nRUN use\nFROM alpine:3.20\nCOPY --from=b /x /x\n"
    out = fix(text).output
    assert "ARG" not in out
    assert out.count("--mount=type=secret") == 2
    assert "id=A_TOKEN,env=A_TOKEN" in out and "id=B_TOKEN,env=B_TOKEN" in out


def test_one_pair_of_a_multi_pair_env_in_a_builder() -> None:
    text = (
        "FROM python:3.12 AS build\nARG PYPI_TOKEN\n"
        'ENV LANG=C.UTF-8 PYPI_TOKEN="${PYPI_TOKEN}" PIP_NO_CACHE_DIR=1\n'
        "RUN pip download -d /w pkg\nFROM python:3.12-slim\nCOPY --from=build /w /w\n"
    )
    out = fix(text).output
    assert "ENV LANG=C.UTF-8 PIP_NO_CACHE_DIR=1\n" in out
    assert "RUN --mount=type=secret,id=PYPI_TOKEN,env=PYPI_TOKEN pip download" in out
    assert "ARG PYPI_TOKEN" not in out


def test_a_mount_already_there_is_not_added_again() -> None:
    text = (
        "# syntax=docker/dockerfile:1\nFROM alpine:3.20 AS b\nARG API_TOKEN\n"
        "RUN --mount=type=secret,id=API_TOKEN,env=API_TOKEN use\nFROM scratch\nCOPY --from=b /x /x\n"
    )
    out = fix(text).output
    assert out.count("--mount=type=secret") == 1 and "ARG" not in out


def test_used_by_onbuild_or_a_stage_that_may_be_run() -> None:
    onbuild = "FROM alpine:3.20\nARG API_TOKEN\nONBUILD RUN echo $API_TOKEN\n"
    r = fix(onbuild)
    assert r.output == onbuild and "ONBUILD" in r.findings[0].message
    target = "FROM alpine:3.20 AS dev\nARG X_TOKEN\nENV X_TOKEN=$X_TOKEN\nFROM alpine:3.20\nRUN true\n"
    r = fix(target)
    assert r.output == target and "image that may be run (stage dev)" in r.findings[0].message


def test_global_arg_used_by_from_is_reported() -> None:
    text = "ARG REGISTRY_TOKEN\nFROM example.com/${REGISTRY_TOKEN}/img\nARG REGISTRY_TOKEN\nRUN true\n"
    r = fix(text)
    assert r.output == text
    assert all("used by FROM" in f.message for f in r.findings) and len(r.findings) == 2


def test_windows_stage_is_reported() -> None:
    text = "FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS b\nARG NUGET_TOKEN\nRUN nuget restore\nFROM scratch\nCOPY --from=b /x /x\n"
    r = fix(text)
    assert r.output == text and "Windows" in r.findings[0].message


# ---------------------------------------------------------------------------
# DF406


def _context(tmp_path: Path, dockerfile: str, files: dict[str, str]) -> str:
    for rel, content in files.items():
        (tmp_path / rel).write_text(content)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return str(tmp_path / "Dockerfile")


def test_rm_after_cd_is_not_trusted() -> None:
    text = "FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN cd sub && npm ci && rm ../.npmrc\n"
    r = fix(text, select=["DF406"])
    assert r.output == text and not r.findings


def test_non_root_with_unknown_uid_is_reported() -> None:
    text = "FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nUSER $APP_USER\nRUN npm ci && rm .npmrc\n"
    r = fix(text, select=["DF406"])
    assert r.output == text and "uid is not known" in r.findings[0].message


def test_a_run_that_writes_the_file_is_reported() -> None:
    text = "FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN echo x >> .npmrc && npm ci && rm .npmrc\n"
    r = fix(text, select=["DF406"])
    assert r.output == text and "writes to the file" in r.findings[0].message


def test_single_copy_to_a_path_that_may_be_a_folder_is_left(tmp_path: Path) -> None:
    text = "FROM node:20\nCOPY .npmrc /app\nRUN npm ci && rm /app/.npmrc\n"
    r = fix(text, select=["DF406"])
    assert r.output == text and not r.findings


def test_df405_and_df406_on_the_same_run() -> None:
    text = (
        "FROM node:20-slim AS build\nARG NPM_TOKEN\nWORKDIR /app\nCOPY .npmrc package.json ./\n"
        "RUN npm ci && rm .npmrc\nFROM node:20-slim\nCOPY --from=build /app /app\n"
    )
    out = fix(text, select=["DF405", "DF406"]).output
    run = next(line for line in out.splitlines() if line.startswith("RUN"))
    assert "id=NPM_TOKEN,env=NPM_TOKEN" in run and "id=npmrc,target=/app/.npmrc" in run
    assert run.endswith(" npm ci") and "ARG" not in out and "COPY package.json ./" in out
    assert out.startswith("# syntax=docker/dockerfile:1\n") and out.count("# syntax") == 1


def test_context_tells_placeholder_from_credential(tmp_path: Path) -> None:
    text = "FROM node:20\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci && rm .npmrc\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = _context(tmp_path / "a", text, {".npmrc": "//r/:_authToken=${T}\n"})
    secret = _context(tmp_path / "b", text, {".npmrc": "//r/:_authToken=abc\n"})
    assert fix(text, select=["DF406"], path=plain).output == text
    assert (
        "--mount=type=secret,id=npmrc,target=/app/.npmrc" in fix(text, select=["DF406"], path=secret).output
    )
