"""The run-time side of base images (dockfix.runtimes)."""

from __future__ import annotations

import pytest

from dockfix.images import UNKNOWN, Family, parse_ref
from dockfix.runtimes import Refusal, debian_release, is_build_package, runtime_base, runtime_package


@pytest.mark.parametrize(
    ("image", "runtime"),
    [
        ("python:3.12", "python:3.12-slim"),
        ("python:3.12-bookworm", "python:3.12-slim-bookworm"),
        ("python:3.11.9-slim-bullseye", "python:3.11.9-slim-bullseye"),
        ("python", "python:slim"),
        ("python:3", "python:3-slim"),
        ("python:3.12-alpine3.20", "python:3.12-alpine3.20"),
        ("docker.io/library/node:20", "node:20-slim"),
        ("node:20-bookworm", "node:20-bookworm-slim"),
        ("node:20-bookworm-slim", "node:20-bookworm-slim"),
        ("ruby:3.3-bookworm", "ruby:3.3-slim-bookworm"),
        ("eclipse-temurin:21-jdk", "eclipse-temurin:21-jre"),
        ("eclipse-temurin:17", "eclipse-temurin:17-jre"),
        ("eclipse-temurin:17-jdk-alpine", "eclipse-temurin:17-jre-alpine"),
        ("maven:3.9-eclipse-temurin-21", "eclipse-temurin:21-jre"),
        ("maven:3-openjdk-17", "eclipse-temurin:17-jre"),
        ("gradle:8.5-jdk17", "eclipse-temurin:17-jre"),
        ("openjdk:11", "eclipse-temurin:11-jre"),
        ("golang:1.22-bookworm", "debian:bookworm-slim"),
        ("golang:1.22-alpine3.19", "alpine:3.19"),
        ("rust:1.75-bullseye", "debian:bullseye-slim"),
    ],
)
def test_runtime_base(image: str, runtime: str) -> None:
    got = runtime_base(parse_ref(image))
    assert not isinstance(got, Refusal), got
    assert got.text == runtime


def test_same_image_keeps_its_reference_and_a_new_one_drops_the_digest() -> None:
    pinned = "python:3.12-slim@sha256:" + "a" * 64
    same = runtime_base(parse_ref(pinned))
    assert not isinstance(same, Refusal) and same.same and same.text == pinned and not same.note
    other = runtime_base(parse_ref("python:3.12@sha256:" + "b" * 64))
    assert not isinstance(other, Refusal) and other.text == "python:3.12-slim" and "digest" in other.note


def test_static_binaries_and_refusals() -> None:
    static = runtime_base(parse_ref("golang:1.22"), static=True, needs_shell=False)
    assert not isinstance(static, Refusal) and static.family is Family.DISTROLESS and not static.has_shell
    shell = runtime_base(parse_ref("golang:1.22"), static=True, needs_shell=True)
    assert not isinstance(shell, Refusal) and shell.text == "debian:bookworm-slim"
    # a glibc binary needs the builder's release, which an unsuffixed tag does not name
    assert isinstance(runtime_base(parse_ref("golang:1.22")), Refusal)
    assert isinstance(runtime_base(parse_ref("python:${PY}")), Refusal)
    assert isinstance(runtime_base(parse_ref("myorg/python:3.12")), Refusal)
    assert isinstance(runtime_base(parse_ref("python:3.12-windowsservercore")), Refusal)
    assert isinstance(runtime_base(parse_ref("maven:latest")), Refusal)
    assert debian_release(parse_ref("rust:1-slim-trixie")) == "trixie"
    assert debian_release(parse_ref("rust:1")) is None


def test_build_packages_and_their_runtime_libraries() -> None:
    for name in ("gcc", "build-essential", "libpq-dev", "python3-dev", "libssl-dev=3.0.*"):
        assert is_build_package(name, "apt"), name
    for name in ("curl", "libpq5", "tini", "git"):
        assert not is_build_package(name, "apt"), name
    assert is_build_package("musl-dev", "apk") and is_build_package("postgresql-dev", "apk")
    assert runtime_package("libpq-dev", "apt") == "libpq5"
    assert runtime_package("default-libmysqlclient-dev", "apt") == "libmariadb3"
    assert runtime_package("postgresql-dev", "apk") == "libpq"
    assert runtime_package("gcc", "apt") is None and runtime_package("python3-dev", "apt") is None
    assert runtime_package("libfoo-dev", "apt") is UNKNOWN
    assert runtime_package("libpq-devel", "dnf") is UNKNOWN
