"""The layers-and-cache rules (DF2xx) and DF601 read the semantic model and
the tool tables (issue 7): cases where the old per-rule copies answered
differently, pinned here."""

from __future__ import annotations

import dockfix
from dockfix.context import BuildContext
from dockfix.transforms.context.dockerignore import proposal

PATH = "Dockerfile"


def test_a_yarn_lock_does_not_make_a_python_project(tmp_path) -> None:
    """DF601's own table had `*.lock` as a Python marker, so a Node project
    with a yarn.lock got Python entries (`__pycache__`...).  The markers are
    the tool tables' (`tools.pip.MARKERS`)."""
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "yarn.lock").write_text("")
    df = tmp_path / "Dockerfile"
    text = "FROM node:20\nCOPY . .\nRUN yarn install\n"
    df.write_text(text)
    _blocks, titles = proposal(BuildContext(tmp_path, df), dockfix.parse(text))
    assert "Node.js" in titles and "Python" not in titles
    # a Python lock file still marks Python
    (tmp_path / "uv.lock").write_text("")
    _blocks, titles = proposal(BuildContext(tmp_path, df), dockfix.parse(text))
    assert "Python" in titles


def test_quoted_home_from_an_env_converges() -> None:
    """Issue 7: `ENV APP_USER="\\"app\\""`, `ENV HOME="/home/$APP_USER"`
    and a later `RUN yarn && npm cache clean` made DF212 add its mount on
    every pass.  HOME holds literal quotes (BuildKit keeps them), so npm's
    folder cannot be written bare in `--mount=…,target=`: no npm mount; yarn,
    run as root, gets its own folder.  A second run changes nothing."""
    text = 'FROM node:20\nENV APP_USER="\\"app\\""\nENV HOME="/home/$APP_USER"\nRUN yarn && npm cache clean\n'
    out = dockfix.fix(text, path=PATH).output
    assert "RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn && npm cache clean\n" in out
    assert dockfix.fix(out, path=PATH).output == out


def test_arg_after_env_of_the_same_name_is_not_guessed() -> None:
    """`ENV PIP_CACHE_DIR=/from-env` then `ARG PIP_CACHE_DIR=/from-arg`:
    builders disagree on which one a RUN sees (the model answers UNKNOWN),
    so no mount is added; the old copy of the stage walk took the ENV."""
    text = (
        "FROM python:3.12\nENV PIP_CACHE_DIR=/from-env\nARG PIP_CACHE_DIR=/from-arg\nRUN pip install flask\n"
    )
    assert dockfix.fix(text, path=PATH, select=["DF211"]).output == text
    # either alone is followed
    one = "FROM python:3.12\nENV PIP_CACHE_DIR=/from-env\nRUN pip install flask\n"
    assert (
        "--mount=type=cache,target=/from-env pip install"
        in dockfix.fix(one, path=PATH, select=["DF211"]).output
    )


def test_merge_runs_reads_the_shell_from_the_model() -> None:
    """A SHELL in a parent stage is in effect in the stage built on it; the
    POSIX shells are the model's one list (``yash`` is one)."""
    text = 'FROM debian:12 AS base\nSHELL ["/usr/bin/pwsh", "-c"]\nFROM base\nRUN a\nRUN b\n'
    result = dockfix.fix(text, path=PATH, select=["DF201"])
    assert result.output == text
    text = 'FROM debian:12\nSHELL ["/bin/yash", "-c"]\nRUN a\nRUN b\n'
    assert dockfix.fix(text, path=PATH, select=["DF201"]).output == (
        'FROM debian:12\nSHELL ["/bin/yash", "-c"]\nRUN a \\\n    && b\n'
    )
