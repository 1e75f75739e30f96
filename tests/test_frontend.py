"""Pinned Dockerfile frontends: which syntax a `# syntax=` directive allows,
and no rule writing syntax the pinned frontend lacks."""

from __future__ import annotations

import pytest
from conftest import assert_valid_buildkit

import dockfix
from dockfix.frontend import (
    ALL_STABLE,
    COPY_LINK,
    COPY_PARENTS,
    HEREDOC,
    MOUNT_CACHE,
    MOUNT_CACHE_IDS,
    MOUNT_SECRET,
    MOUNT_SECRET_ENV,
    RUN_NETWORK,
    features_used,
    parse_frontend,
)

DIGEST = "@sha256:" + "a" * 64


@pytest.mark.parametrize(
    "ref, has, lacks",
    [
        (None, [MOUNT_CACHE, HEREDOC, COPY_LINK], []),  # no directive: the rules add `docker/dockerfile:1`
        ("docker/dockerfile:1", [MOUNT_CACHE, HEREDOC, COPY_LINK, COPY_PARENTS], []),
        ("docker/dockerfile", [MOUNT_CACHE, HEREDOC], []),
        ("docker/dockerfile:latest", [MOUNT_CACHE, HEREDOC], []),
        ("docker/dockerfile:1.0", [], [MOUNT_CACHE, MOUNT_SECRET, HEREDOC]),
        ("docker/dockerfile:1.0.0", [], [MOUNT_CACHE]),
        ("docker/dockerfile:1.1", [], [MOUNT_CACHE]),
        ("docker/dockerfile:1.1.7", [], [MOUNT_CACHE]),
        ("docker.io/docker/dockerfile:1.0", [], [MOUNT_CACHE]),
        ("docker/dockerfile:1.0" + DIGEST, [], [MOUNT_CACHE]),
        ("docker/dockerfile:1.0-experimental", [MOUNT_CACHE, MOUNT_SECRET], [MOUNT_CACHE_IDS, HEREDOC]),
        ("docker/dockerfile:1.1.7-experimental", [MOUNT_CACHE, MOUNT_CACHE_IDS], [HEREDOC, RUN_NETWORK]),
        ("docker/dockerfile:experimental", [MOUNT_CACHE], [HEREDOC]),
        ("docker/dockerfile:1.2", [MOUNT_CACHE, MOUNT_CACHE_IDS], [HEREDOC, RUN_NETWORK]),
        ("docker.io/docker/dockerfile:1.2.1" + DIGEST, [MOUNT_CACHE], [HEREDOC]),
        ("docker/dockerfile:1.3", [MOUNT_CACHE, RUN_NETWORK], [HEREDOC, COPY_LINK]),
        ("docker/dockerfile:1.3-labs", [MOUNT_CACHE, HEREDOC], [COPY_LINK]),
        ("docker/dockerfile:1.4", [HEREDOC, COPY_LINK], [COPY_PARENTS]),
        ("docker/dockerfile:1.7-labs", [HEREDOC, COPY_PARENTS], []),
        ("docker/dockerfile:labs", [MOUNT_CACHE, HEREDOC, COPY_PARENTS], []),
        ("docker/dockerfile:1-labs", [COPY_PARENTS], []),
        ("docker/dockerfile-upstream:master", [MOUNT_CACHE, COPY_PARENTS], []),
        ("docker/dockerfile-upstream:1.0", [], [MOUNT_CACHE]),
        ("mirror.gcr.io/docker/dockerfile:1.9-labs", [MOUNT_CACHE, HEREDOC], []),
        # unknown: no new syntax at all
        ("docker/dockerfile" + DIGEST, [], [MOUNT_CACHE]),
        ("docker/dockerfile:2", [], [MOUNT_CACHE]),
        ("docker/dockerfile:nightly", [], [MOUNT_CACHE]),
        ("example.com/acme/dockerfile:1", [], [MOUNT_CACHE]),
        ("tonistiigi/dockerfile:runmount20180618", [], [MOUNT_CACHE]),
    ],
)
def test_features_of_a_pin(ref, has, lacks) -> None:
    fe = parse_frontend(ref)
    assert fe.supports(*has), fe
    for f in lacks:
        assert not fe.supports(f), (ref, f)


def test_unknown_frontend_is_unknown() -> None:
    assert not parse_frontend("example.com/acme/dockerfile:1").known
    assert parse_frontend(None).features == ALL_STABLE


CACHE_RULES = ["DF211", "DF212", "DF213", "DF214", "DF215", "DF216", "DF217", "DF218", "DF219"]
RUNS = {
    "pip": "FROM python:3.12-slim\nRUN pip install flask==3.0.3\n",
    "npm": "FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\n",
    "go": "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/app ./cmd/app\n",
    "apt": "FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n",
    "apk": "FROM alpine:3.20\nRUN apk add --update-cache curl\n",
    "uid": (
        "FROM python:3.12-slim\nRUN useradd --create-home --uid 1001 app\nUSER app\nENV HOME=/home/app\n"
        "RUN pip install --user flask==3.0.3\n"
    ),
}


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize(
    "pin", ["docker/dockerfile:1.0", "docker/dockerfile:1.1.7", "docker.io/docker/dockerfile:1.0"]
)
def test_no_mount_added_under_an_old_pin(name: str, pin: str) -> None:
    text = f"# syntax={pin}\n" + RUNS[name]
    result = dockfix.fix(text, select=CACHE_RULES + ["DF210"], unsafe=True)
    assert "--mount" not in result.output
    reported = [f for f in result.findings if f.code in CACHE_RULES]
    assert reported and all(f.fix is None and pin in f.message for f in reported)


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize(
    "pin", ["docker/dockerfile:1.2", "docker/dockerfile:1", "docker/dockerfile:1.4-labs"]
)
def test_mount_added_under_a_recent_pin(name: str, pin: str) -> None:
    text = f"# syntax={pin}\n" + RUNS[name]
    result = dockfix.fix(text, select=CACHE_RULES, unsafe=True)
    assert "--mount=type=cache" in result.output
    assert result.output.startswith(f"# syntax={pin}\n")
    assert_valid_buildkit(result.output)


def test_cache_mount_uid_needs_a_frontend_with_it() -> None:
    text = "# syntax=docker/dockerfile:1.0-experimental\n" + RUNS["uid"]
    result = dockfix.fix(text, select=["DF211"])
    assert result.output == text, "uid= on a cache mount came with 1.1.2-experimental"
    [finding] = result.findings
    assert finding.fix is None and "uid/gid" in finding.message
    newer = "# syntax=docker/dockerfile:1.1.7-experimental\n" + RUNS["uid"]
    assert "uid=1001" in dockfix.fix(newer, select=["DF211"]).output


def test_df210_reports_syntax_the_pin_lacks() -> None:
    text = "# syntax=docker/dockerfile:1.2\nFROM alpine\nRUN <<EOF\necho hi\nEOF\n"
    result = dockfix.fix(text, select=["DF210"], unsafe=True)
    assert result.output == text
    [finding] = result.findings
    assert finding.fix is None and "heredocs" in finding.message and "1.4 or later" in finding.message
    ok = text.replace("1.2", "1.4")
    assert not dockfix.fix(ok, select=["DF210"]).findings


@pytest.mark.parametrize(
    "ref, ok",
    [
        (None, True),
        ("docker/dockerfile:1", True),
        ("docker/dockerfile:1.10", True),
        ("docker/dockerfile:1.10.0-rc1", True),
        ("docker/dockerfile:1.12-labs", True),
        ("docker/dockerfile:labs", True),
        ("docker/dockerfile:1.9", False),
        ("docker/dockerfile:1.9-labs", False),
        ("docker/dockerfile:1.4", False),
        ("docker/dockerfile:1.0-experimental", False),
    ],
)
def test_secret_mount_env_came_with_1_10(ref, ok) -> None:
    fe = parse_frontend(ref)
    assert fe.supports(MOUNT_SECRET_ENV) is ok
    if not ok:
        assert "1.10 or later" in fe.why_not(MOUNT_SECRET_ENV)


def test_a_secret_mount_with_env_is_the_newer_feature() -> None:
    text = (
        "# syntax=docker/dockerfile:1.4\nFROM alpine\n"
        "RUN --mount=type=secret,id=t,env=T true\nRUN --mount=type=secret,id=u true\n"
    )
    used = [(what, feature) for _node, what, feature in features_used(dockfix.parse(text))]
    assert used == [("RUN --mount", MOUNT_SECRET_ENV), ("RUN --mount", MOUNT_SECRET)]
    [finding] = dockfix.fix(text, select=["DF210"]).findings
    assert finding.fix is None and "`env=` of secret mounts" in finding.message and "1.10" in finding.message
