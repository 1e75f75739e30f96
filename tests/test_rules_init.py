"""Unit tests for DF407 (an init as PID 1).

Besides the golden fixtures: what a CMD or ENTRYPOINT starts (through
wrappers, `sh -c` and entrypoint scripts), BuildKit's rule that an
ENTRYPOINT clears the CMD, where tini is added to an install, and the
forms of ENTRYPOINT the fix rewrites.
"""

from __future__ import annotations

import json

import pytest
from conftest import assert_valid_buildkit, buildkit_parse

import dockfix
from dockfix.model import SemanticModel
from dockfix.transforms.security.init_as_pid1 import (
    BASE,
    INITS,
    INTERPRETER,
    argv_programs,
    launch,
    shell_programs,
)


def fix(text: str, unsafe: bool = True):
    result = dockfix.fix(text, select=["DF407"], unsafe=unsafe)
    assert_valid_buildkit(result.output)
    again = dockfix.fix(result.output, select=["DF407"], unsafe=unsafe)
    assert again.output == result.output and not again.fixes, "not idempotent"
    return result


def config(text: str, key: str) -> list[str] | None:
    """The exec-form array BuildKit's parser gives the last ``key``."""
    cmds = buildkit_parse(text)
    assert not isinstance(cmds, Exception)
    found = [c for c in cmds if c.cmd.upper() == key]
    return list(found[-1].value) if found else None


# ---------------------------------------------------------------------------
# what starts


@pytest.mark.parametrize(
    ("argv", "names", "script"),
    [
        (["node", "server.js"], ("node",), False),
        (["/usr/local/bin/python3.12", "-m", "app"], ("python3.12",), False),
        (["env", "NODE_ENV=production", "node", "x.js"], ("env", "node"), False),
        (["sh", "-c", "exec gunicorn app:app"], ("sh", "exec", "gunicorn"), False),
        (["/bin/bash", "-lc", "cd /app && npm start"], ("bash", "cd", "npm"), False),
        (["docker-entrypoint.sh"], ("docker-entrypoint.sh",), True),
        (["sh", "/entrypoint"], ("sh",), True),
        (["/rails/bin/docker-entrypoint"], ("docker-entrypoint",), True),
    ],
)
def test_argv_programs(argv: list[str], names: tuple[str, ...], script: bool) -> None:
    got = argv_programs(argv)
    assert got.names == names and got.script is script


def test_shell_programs_and_unknowns() -> None:
    assert shell_programs("exec node server.js").names == ("exec", "node")
    assert shell_programs("$APP --serve").unknown
    assert shell_programs("if [").unknown


def test_tables() -> None:
    for n in ("node", "npm", "python3", "python3.12", "pypy3", "gunicorn", "java", "bundle", "php8.2"):
        assert INTERPRETER.match(n), n
    for n in ("nginx", "httpd", "redis-server", "caddy", "tini", "php-fpm", "sh"):
        assert not INTERPRETER.match(n), n
    assert {"tini", "dumb-init", "init", "supervisord", "docker-init"} <= INITS


def _launch(text: str):
    model = SemanticModel.of(dockfix.parse(text))
    return launch(model.final_stage.chain)  # type: ignore[union-attr]


def test_entrypoint_clears_the_cmd_unless_set_before_it_in_the_stage() -> None:
    now = _launch('FROM python:3.12 AS a\nCMD ["a"]\nFROM a\nENTRYPOINT ["e"]\n')
    assert now.cmd is None and now.entrypoint.keyword == "ENTRYPOINT"  # type: ignore[union-attr]
    now = _launch('FROM python:3.12\nCMD ["a"]\nENTRYPOINT ["e"]\n')
    assert now.cmd.keyword == "CMD"  # type: ignore[union-attr]
    now = _launch('FROM python:3.12 AS a\nENTRYPOINT ["e"]\nFROM a\nCMD ["c"]\n')
    assert now.entrypoint.keyword == "ENTRYPOINT" and now.cmd.keyword == "CMD"  # type: ignore[union-attr]
    assert _launch("FROM python:3.12\nRUN true\n") == type(now)(BASE, BASE)


# ---------------------------------------------------------------------------
# the fix


def test_json_entrypoint_over_several_lines() -> None:
    text = (
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\n"
        'ENTRYPOINT [ "python", \\\n             "-m", "app" ]\nCMD ["--port", "80"]\n'
    )
    out = fix(text).output
    assert config(out, "ENTRYPOINT") == ["/usr/bin/tini", "--", "python", "-m", "app"]
    assert config(out, "CMD") == ["--port", "80"]


def test_shell_form_entrypoint_keeps_the_shell_of_the_stage() -> None:
    text = (
        'FROM ruby:3.3\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n'
        "RUN apt-get update && apt-get install -y libpq5\nENTRYPOINT bundle exec puma | tee log\n"
    )
    out = fix(text).output
    assert config(out, "ENTRYPOINT") == [
        "/usr/bin/tini", "--", "/bin/bash", "-o", "pipefail", "-c", "bundle exec puma | tee log"
    ]  # fmt: skip


def test_shell_form_cmd_stays_shell_form_under_the_new_entrypoint() -> None:
    text = "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\nCMD python -m app --port $PORT\n"
    out = fix(text).output
    assert 'ENTRYPOINT ["/usr/bin/tini", "--"]\nCMD python -m app --port $PORT\n' in out


def test_install_as_root_before_the_user_switch() -> None:
    text = (
        "FROM node:20-bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends git\n"
        'USER node\nWORKDIR /home/node/app\nCMD ["node", "index.js"]\n'
    )
    out = fix(text).output
    assert "install -y --no-install-recommends git tini\n" in out
    assert config(out, "ENTRYPOINT") == ["/usr/bin/tini", "--", "docker-entrypoint.sh"]


def test_install_as_non_root_is_not_extended() -> None:
    text = (
        "FROM python:3.12-slim\nUSER 1000\nRUN apt-get update && apt-get install -y curl\n"
        'CMD ["python", "app.py"]\n'
    )
    r = fix(text)
    assert r.output == text and "no `apt-get install`" in r.findings[0].message


def test_apt_mark_auto_undoes_the_install() -> None:
    text = (
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc && pip install x"
        ' && apt-mark auto \'.*\' && apt-get purge -y --auto-remove\nCMD ["python", "app.py"]\n'
    )
    assert fix(text).output == text


def test_conditional_install_is_not_extended() -> None:
    text = (
        'FROM python:3.12-slim\nRUN if [ "$DEV" = 1 ]; then apt-get update && apt-get install -y vim; fi\n'
        'CMD ["python", "app.py"]\n'
    )
    assert fix(text).output == text


def test_tini_already_installed_only_entrypoint_added() -> None:
    text = 'FROM python:3.12-alpine\nRUN apk add --no-cache tini libpq\nCMD ["python", "app.py"]\n'
    out = fix(text).output
    assert out.count("tini") == 2 and config(out, "ENTRYPOINT") == ["/sbin/tini", "--"]


def test_entrypoint_keyword_case_and_comments_kept_above_cmd() -> None:
    text = (
        "from python:3.12-slim\nrun apt-get update && apt-get install -y curl\n"
        '# the server\ncmd ["gunicorn", "app:app"]\n'
    )
    out = fix(text).output
    assert out.endswith('entrypoint ["/usr/bin/tini", "--"]\n# the server\ncmd ["gunicorn", "app:app"]\n')


def test_safe_mode_reports_only() -> None:
    text = 'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\nCMD ["python", "app.py"]\n'
    r = fix(text, unsafe=False)
    assert r.output == text and [f.code for f in r.findings] == ["DF407"]
    assert json.loads(json.dumps(r.findings[0].as_dict()))["safety"] == "unsafe"
