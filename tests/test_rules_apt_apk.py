"""Unit tests of the helpers behind the apt / apk rules (DF101–DF106)."""

from __future__ import annotations

import pytest

import dockfix
from dockfix.engine import apply_edits
from dockfix.model import SemanticModel
from dockfix.shell import script_of
from dockfix.shell_edits import remove_command
from dockfix.tools import apt as apt_tool
from dockfix.transforms.packages._apt_apk import (
    cache_mount_targets,
    descendants,
    failure_stops_build,
    hadolint_apt_get_codes,
    literal_sub,
    non_apk_base,
    stage_runs,
)
from dockfix.transforms.packages._pkgcache import reaches_final_image


def _run(body: str, head: str = "FROM x\n"):
    text = head + body
    tree = dockfix.parse(text)
    ins = tree.instructions[-1]
    return text, tree, ins, script_of(ins.inner or ins)


# -- removing a command ----------------------------------------------------


@pytest.mark.parametrize(
    "body, name, after",
    [
        ("RUN a && b && c\n", "a", "RUN b && c\n"),
        ("RUN a && b && c\n", "b", "RUN a && c\n"),
        ("RUN a && b && c\n", "c", "RUN a && b\n"),
        ("RUN a \\\n    && b \\\n    && c\n", "a", "RUN b \\\n    && c\n"),
        ("RUN a \\\n    && b \\\n    && c\n", "b", "RUN a \\\n    && c\n"),
        ("RUN a \\\n    && b \\\n    && c\n", "c", "RUN a \\\n    && b\n"),
        ("RUN a && \\\n    b && \\\n    c\n", "a", "RUN b && \\\n    c\n"),
        ("RUN a && \\\n    b && \\\n    c\n", "b", "RUN a && \\\n    c\n"),
        ("RUN a && \\\n    b && \\\n    c\n", "c", "RUN a && \\\n    b\n"),
        ("RUN set -e; \\\n\ta; \\\n\tb\n", "a", "RUN set -e; \\\n\tb\n"),
        ("RUN set -e; \\\n\ta; \\\n\tb\n", "b", "RUN set -e; \\\n\ta\n"),
        ("RUN <<EOF\na\nb && c\nEOF\n", "a", "RUN <<EOF\nb && c\nEOF\n"),
        ("RUN <<EOF\na\nb && c\nEOF\n", "b", "RUN <<EOF\na\nc\nEOF\n"),
        ("RUN a && b > /dev/null && c\n", "b", "RUN a && c\n"),
        ("RUN a && b > /dev/null && c\n", "a", "RUN b > /dev/null && c\n"),
        ("RUN a\r\n", "a", None),  # alone
        ("RUN a || b && c\n", "a", None),  # `||`
        ("RUN a | b && c\n", "a", None),  # a pipe
        ("RUN a & b\n", "a", None),  # background
        ("RUN a \\\n    # note\n    && b \\\n    && c\n", "a", None),  # the comment would go
        ("RUN a \\\n    # note\n    && b \\\n    && c\n", "c", "RUN a \\\n    # note\n    && b\n"),
    ],
)
def test_remove_command(body: str, name: str, after: str | None) -> None:
    text, _, _, script = _run(body)
    (cmd,) = [c for c in script.commands if c.program == name]
    edit = remove_command(script, cmd, text)
    if after is None:
        assert edit is None
    else:
        assert edit is not None
        assert apply_edits(text, [edit]) == "FROM x\n" + after


# -- where a failure goes --------------------------------------------------------


@pytest.mark.parametrize(
    "body, stops",
    [
        ("RUN apt-get install x\n", True),
        ("RUN apt-get install x && echo ok\n", True),
        ("RUN a && apt-get install x\n", True),
        ("RUN apt-get install x || true\n", False),
        ("RUN (apt-get install x || true) && echo\n", False),
        ("RUN apt-get install x; echo ok\n", False),
        ("RUN set -eux; apt-get install x; echo ok\n", True),
        ("RUN set -e; set +e; apt-get install x; echo ok\n", False),
        ("RUN set -o errexit; apt-get install x; echo ok\n", True),
        ("RUN set -eo pipefail; apt-get install x; echo ok\n", True),
        ("RUN set -o pipefail; apt-get install x; echo ok\n", False),
        ("RUN set -- -e; apt-get install x; echo ok\n", False),
        ("RUN set -e; apt-get install x && a; echo ok\n", False),  # left of && under set -e
        ("RUN apt-get install x | tee log\n", False),
        ("RUN echo | apt-get install x\n", True),
        ("RUN apt-get install x > /log\n", True),
        ("RUN for p in a; do apt-get install x; done\n", False),
        ("RUN if true; then apt-get install x; fi\n", False),
        ("RUN apt-get install x &\n", False),
        ("RUN <<EOF\napt-get install x\necho ok\nEOF\n", False),
        ("RUN <<EOF\nset -e\napt-get install x\necho ok\nEOF\n", True),
    ],
)
def test_failure_stops_build(body: str, stops: bool) -> None:
    _, _, _, script = _run(body)
    (cmd,) = [c for c in script.commands if c.program == "apt-get"]
    assert failure_stops_build(script, cmd) is stops


def test_apt_sub_name_and_prompt_alias() -> None:
    _, _, _, script = _run("RUN apt-get auto-remove && apt-get frobnicate\n")
    subs = [literal_sub(c) for c in script.commands]
    assert [(p.sub, p.sub_tokens[0].value) for p in subs if p] == [
        ("autoremove", "auto-remove"),
        ("frobnicate", "frobnicate"),
    ]
    assert subs[0] is not None and subs[0].sub in apt_tool.PROMPTS
    text = "FROM debian:12\nRUN apt-get auto-remove\n"
    assert dockfix.fix(text, select=["DF101"]).output == "FROM debian:12\nRUN apt-get auto-remove -y\n"


def test_shell_errexit() -> None:
    text = 'FROM x AS a\nSHELL ["/bin/bash", "-euo", "pipefail", "-c"]\nRUN a\nFROM a\nRUN b\nFROM x\nRUN c\n'
    tree = dockfix.parse(text)
    runs = [i for i in tree.instructions if i.keyword == "RUN"]
    model = SemanticModel.of(tree)
    assert [model.at(r).shell.errexit for r in runs] == [True, True, False]


def test_stage_graph() -> None:
    tree = dockfix.parse("FROM x AS a\nFROM a AS b\nFROM x AS c\nFROM b\n")
    assert [reaches_final_image(tree, s) for s in tree.stages] == [True, True, False, True]
    assert [s.index for s in descendants(tree, tree.stages[0])] == [1]


# -- apt options -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, yes",
    [
        ("install x", False),
        ("install -y x", True),
        ("-yq install x", True),
        ("install --yes x", True),
        ("install --assume-yes x", True),
        ("-qq install x", True),
        ("-q -q install x", True),
        ("-q install x", False),
        ("install -q=2 x", True),
        ("install --quiet=2 x", True),
        ("-o APT::Get::Assume-Yes=true install x", True),
        ("-oAPT::Get::Assume-Yes=1 install x", True),
        ("-o Dpkg::Options::=--force-confnew install x", False),
        ("--force-yes install x", False),
    ],
)
def test_apt_assumes_yes(args: str, yes: bool) -> None:
    _, _, _, script = _run(f"RUN apt-get {args}\n")
    p = literal_sub(script.commands[0])
    assert p is not None and apt_tool.assumes_yes(p) is yes


def test_apt_subcommand_skips_option_values() -> None:
    _, _, _, script = _run("RUN apt-get -o Acquire::Retries=3 -t bookworm install x && apt-get $V x\n")
    first, second = script.commands
    p = literal_sub(first)
    assert p is not None and p.sub == "install"
    assert literal_sub(second) is None


def test_attached_option_value_that_expands_keeps_the_subcommand() -> None:
    # `-o$X` is one option (apt reads the value attached); the subcommand after it is known
    text = "FROM debian:12\nRUN apt-get -o$X install x\n"
    assert dockfix.fix(text, select=["DF101"]).output == "FROM debian:12\nRUN apt-get -o$X install -y x\n"


# -- cache mounts ------------------------------------------------------------------


def test_cache_mounts() -> None:
    body = (
        "RUN --mount=type=cache,target=/var/lib/apt/,sharing=locked --mount=type=bind,target=/var/cache/apk "
        '--mount=dst="/root/.cache",type=cache --mount=type=cache,target=$HOME/x true\n'
    )
    _, tree, ins, _ = _run(body)
    # BuildKit expands the flag with the build environment: an unset $HOME is ""
    assert cache_mount_targets(SemanticModel.of(tree), ins) == ["/var/lib/apt", "/root/.cache", "/x"]
    (run,) = stage_runs(tree, tree.stages[0])
    assert run.cache_covers("/var/lib/apt/lists")
    assert not run.cache_covers("/var/cache/apk")  # a bind mount is not a cache
    _, tree, ins, _ = _run(body, "FROM x\nENV HOME=/h\n")
    assert cache_mount_targets(SemanticModel.of(tree), ins)[-1] == "/h/x"


# -- base images -------------------------------------------------------------------


@pytest.mark.parametrize(
    "head, non_apk",
    [
        ("FROM alpine:3.20\n", None),
        ("FROM python:3.12-alpine\n", None),
        ("FROM debian:12\n", "debian:12"),
        ("FROM python:3.12-slim\n", "python:3.12-slim"),
        ("ARG V=1.22\nFROM golang:${V}-alpine\n", None),
        ("ARG B=ubuntu:24.04\nFROM $B\n", "ubuntu:24.04"),
        ("FROM registry.example.com/base:1\n", None),
        ("FROM debian:12 AS a\nFROM a\n", "debian:12"),
        ("FROM ruby:3.3\n", "ruby:3.3"),  # Debian-based (was unknown: DF106 added --no-cache)
        ("FROM ruby:3.3-alpine\n", None),
        ("FROM scratch\n", None),
    ],
)
def test_non_apk_base(head: str, non_apk: str | None) -> None:
    tree = dockfix.parse(head + "RUN true\n")
    assert non_apk_base(SemanticModel.of(tree), tree.stages[-1]) == non_apk


# -- what hadolint would say ---------------------------------------------------------


@pytest.mark.parametrize(
    "body, codes",
    [
        ("RUN apt-get install curl\n", {"DL3008", "DL3014", "DL3015"}),
        ("RUN apt-get install -y --no-install-recommends curl=1 ./x.deb a/b\n", set()),
        ("RUN apt-get install -qy -t stable -o APT::Install-Recommends=false curl=1\n", set()),
        ("RUN apt-get install -y --no-install-recommends $PKG\n", {"DL3008"}),
        ("RUN apt-get update && apt-get install -y --no-install-recommends a=1\n", {"DL3009"}),
        ("RUN apt-get update && apt-get install -y --no-install-recommends a=1 && rm -rf /tmp/x\n", set()),
        (
            "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update "
            "&& apt-get install -y --no-install-recommends a=1\n",
            set(),
        ),
    ],
)
def test_hadolint_apt_get_codes(body: str, codes: set[str]) -> None:
    _, _, ins, script = _run(body)
    assert hadolint_apt_get_codes(ins, script, list(script.find("apt-get")), True) == codes


def test_apt_rules_read_the_subcommand_after_double_dash() -> None:
    # apt takes the command from the words after `--` and reads no option after it:
    # new options go before the `--` (`apt-get -- install -y x` looks for a package `-y`)
    text = "FROM debian\nRUN apt-get update && apt-get -- install x\n"
    out = dockfix.fix(text, select=["DF101", "DF103", "DF104"], unsafe=True).output
    assert out == (
        "FROM debian\nRUN apt-get update && apt-get -y --no-install-recommends -- install x"
        " && rm -rf /var/lib/apt/lists/*\n"
    )


@pytest.mark.parametrize(
    ("setting", "changed"),
    [("false", False), ("disable", False), ("0", False), ("on", False), ("maybe", True)],
)
def test_install_recommends_setting_read_as_apt_does(setting: str, changed: bool) -> None:
    text = f"FROM debian\nRUN apt-get install -o APT::Install-Recommends={setting} -y x\n"
    out = dockfix.fix(text, select=["DF104"], unsafe=True).output
    assert (out != text) is changed


@pytest.mark.parametrize(
    "line, on",
    [
        ("set -e", True),
        ("set -eux", True),
        ("set -eo pipefail", True),  # read as "no -e" before: the `o` hid it
        ("set -euxo pipefail", True),
        ("set -o errexit", True),
        ("set -o pipefail", False),
        ("set -- -e", False),
        ("set -x", False),
        ("if true; then set -e; fi", False),  # not certain to run
    ],
)
def test_script_errexit(line: str, on: bool) -> None:
    from dockfix import shell

    tree = dockfix.parse(f"FROM debian:12\nRUN {line}; apt-get install x\n")
    script = shell.script_of(tree.instructions[1])
    assert script is not None and shell.errexit(script) is on
