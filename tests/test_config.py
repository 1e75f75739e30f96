"""Configuration files (``[tool.dockfix]``, ``.dockfix.toml``,
``dockfix.toml``), ``--config``, ``--isolated`` and ``--show-settings``,
driven through the real entry point (``cli.main`` and ``python -m
dockfix``).  The rules used are DF501 (MAINTAINER), DF502 (ENV k v), DF503
(as -> AS), DF201 (merge RUNs) and DF403 (non-root user, unsafe)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockfix import cli, config

ROOT = Path(__file__).resolve().parent.parent
MESSY = "FROM alpine:3.20 as build\nMAINTAINER Jane <j@example.com>\nENV a b\n"
ONLY_AS = "FROM alpine:3.20 AS build\nMAINTAINER Jane <j@example.com>\nENV a b\n"
ROOTED = 'FROM debian:12\nCMD ["sh"]\n'


@pytest.fixture(autouse=True)
def _cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def write(rel: str, content: str) -> Path:
    p = Path(rel)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(content)
    return p


def main(*args: str, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        cli.main(list(args))
    captured = capsys.readouterr()
    return int(e.value.code or 0), captured.out, captured.err


def run_module(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "dockfix", *args], capture_output=True, text=True, env=env, timeout=120
    )


# --- discovery and precedence --------------------------------------------------------


@pytest.mark.parametrize(
    "name, body",
    [
        ("pyproject.toml", '[tool.dockfix]\nselect = ["DF503"]\n'),
        (".dockfix.toml", 'select = ["DF503"]\n'),
        ("dockfix.toml", 'select = ["DF503"]\n'),
    ],
)
def test_each_file_kind_is_read(name, body, capsys):
    write(name, body)
    write("Dockerfile", MESSY)
    code, _, _ = main(capsys=capsys)
    assert code == 0
    assert Path("Dockerfile").read_text() == ONLY_AS


def test_pyproject_without_table_is_passed_over(capsys):
    write(".dockfix.toml", 'select = ["DF503"]\n')
    write("app/pyproject.toml", '[project]\nname = "x"\n')
    write("app/Dockerfile", MESSY)
    assert main(capsys=capsys)[0] == 0
    assert Path("app/Dockerfile").read_text() == ONLY_AS


def test_nearest_file_wins_per_file(capsys):
    """Each Dockerfile uses the configuration nearest to it (no merging)."""
    write(".dockfix.toml", 'select = ["DF503"]\n')
    write("sub/dockfix.toml", 'select = ["DF501"]\n')
    write("Dockerfile", MESSY)
    write("sub/Dockerfile", MESSY)
    assert main(capsys=capsys)[0] == 0
    assert Path("Dockerfile").read_text() == ONLY_AS
    assert Path("sub/Dockerfile").read_text() == MESSY.replace(
        "MAINTAINER Jane <j@example.com>", 'LABEL maintainer="Jane <j@example.com>"'
    )


def test_dot_dockfix_toml_before_pyproject_in_one_folder(capsys):
    write("pyproject.toml", '[tool.dockfix]\nselect = ["DF501"]\n')
    write(".dockfix.toml", 'select = ["DF503"]\n')
    write("Dockerfile", MESSY)
    main(capsys=capsys)
    assert Path("Dockerfile").read_text() == ONLY_AS


def test_command_line_select_overrides_the_file(capsys):
    write(".dockfix.toml", 'select = ["DF501"]\nignore = ["DF503"]\n')
    write("Dockerfile", MESSY)
    main("--select", "DF503", capsys=capsys)
    assert Path("Dockerfile").read_text() == ONLY_AS


def test_command_line_ignore_adds_to_the_file(capsys):
    write(".dockfix.toml", 'select = ["DF501", "DF503"]\n')
    write("Dockerfile", MESSY)
    main("--ignore", "DF501", capsys=capsys)
    assert Path("Dockerfile").read_text() == ONLY_AS


def test_config_option_and_isolated(capsys):
    write(".dockfix.toml", 'select = ["DF501"]\n')
    write("other.toml", 'select = ["DF503"]\n')
    write("Dockerfile", MESSY)
    code, out, _ = main("--config", "other.toml", "--diff", capsys=capsys)
    assert code == 1 and "+FROM alpine:3.20 AS build" in out and "LABEL" not in out
    code, out, _ = main("--isolated", "--diff", capsys=capsys)
    assert code == 1 and "LABEL" in out and "ENV a=b" in out
    code, _, err = main("--isolated", "--config", "other.toml", capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and "cannot be used together" in err


def test_unsafe_fixes_from_the_file(capsys):
    write(".dockfix.toml", 'select = ["DF403"]\nunsafe-fixes = true\n')
    write("Dockerfile", ROOTED)
    main(capsys=capsys)
    assert "USER 10001:10001" in Path("Dockerfile").read_text()


# --- exclude and per-file-ignores ------------------------------------------------------


def test_exclude_and_extend_exclude_skip_walked_files_only(capsys):
    write(
        ".dockfix.toml", 'select = ["DF503"]\nexclude = ["vendor/"]\nextend-exclude = ["*.old.Dockerfile"]\n'
    )
    for rel in ("Dockerfile", "vendor/x/Dockerfile", "a.old.Dockerfile"):
        write(rel, MESSY)
    main(capsys=capsys)
    assert Path("Dockerfile").read_text() == ONLY_AS
    assert Path("vendor/x/Dockerfile").read_text() == MESSY
    assert Path("a.old.Dockerfile").read_text() == MESSY
    main("vendor/x/Dockerfile", capsys=capsys)  # named explicitly: processed, as in ruff
    assert Path("vendor/x/Dockerfile").read_text() == ONLY_AS


def test_per_file_ignores(capsys):
    write(
        "pyproject.toml",
        '[tool.dockfix]\nselect = ["DF501", "DF503"]\n[tool.dockfix.per-file-ignores]\n"legacy/*" = ["DF501"]\n',
    )
    write("legacy/Dockerfile", MESSY)
    main(capsys=capsys)
    assert Path("legacy/Dockerfile").read_text() == ONLY_AS


# --- per-rule options ------------------------------------------------------------------


def test_non_root_uid_option(capsys):
    write(
        ".dockfix.toml",
        'select = ["DF403"]\nunsafe-fixes = true\n[lint.non-root-user]\nuid = 2000\ngid = 3000\n',
    )
    write("Dockerfile", ROOTED)
    main(capsys=capsys)
    text = Path("Dockerfile").read_text()
    assert "useradd -r --no-log-init -u 2000 -g app app" in text and "USER 2000:3000" in text


def test_merge_option_off_reports_without_fixing(capsys):
    runs = "FROM alpine:3.20\nRUN echo a\nRUN echo b\n"
    write("Dockerfile", runs)
    write(".dockfix.toml", 'select = ["DF201"]\n[lint.merge-consecutive-runs]\nmerge = false\n')
    code, out, _ = main("--check", capsys=capsys)
    assert code == 0 and "DF201 consecutive RUN instructions not merged: merging is off" in out
    assert Path("Dockerfile").read_text() == runs
    write(".dockfix.toml", 'select = ["DF201"]\n[lint.DF201]\nmerge = true\n')  # by code too
    main(capsys=capsys)
    assert Path("Dockerfile").read_text() != runs


def test_show_settings(capsys):
    write(
        "pyproject.toml", '[tool.dockfix]\nselect = ["DF4"]\n[tool.dockfix.lint.non-root-user]\nuid = 1234\n'
    )
    write("Dockerfile", MESSY)
    code, out, _ = main("--show-settings", "Dockerfile", capsys=capsys)
    assert code == 0
    assert f"config: {Path('pyproject.toml').resolve()}\n" in out
    assert "select: DF4\n" in out and "lint.non-root-user (DF403): gid = 10001, uid = 1234\n" in out
    assert Path("Dockerfile").read_text() == MESSY  # nothing run
    code, out, _ = main("--show-settings", "--isolated", "--select", "DF201", capsys=capsys)
    assert "config: (none)\n" in out and "lint.merge-consecutive-runs (DF201): merge = true\n" in out


# --- errors: one line naming the file and key, exit 2 -----------------------------------


@pytest.mark.parametrize(
    "body, message",
    [
        ("select = [\n", "invalid TOML"),
        ("bogus = 1\n", "bogus: unknown key"),
        ('select = "DF5"\n', "select: expected a list of rule codes, got a string"),
        ('ignore = ["DF999"]\n', "ignore: unknown rule code DF999"),
        ('unsafe-fixes = "yes"\n', "unsafe-fixes: expected a boolean, got a string"),
        ("exclude = [1]\n", "exclude: expected a list of path patterns"),
        ('[per-file-ignores]\n"x" = ["XX1"]\n', "unknown rule code XX1"),
        ("[lint.no-such-rule]\nx = 1\n", "lint.no-such-rule: unknown rule"),
        ("[lint.non-root-user]\nname = 1\n", "lint.non-root-user.name: unknown option of DF403"),
        ('[lint.non-root-user]\nuid = "1000"\n', "lint.non-root-user.uid: expected an integer, got a string"),
        ("[lint.non-root-user]\nuid = 0\n", "lint.non-root-user.uid: out of range: 0"),
        ("[lint.merge-consecutive-runs]\nmerge = 1\n", "merge: expected a boolean, got an integer"),
    ],
)
def test_bad_configuration_is_one_line_exit_2(body, message):
    write(".dockfix.toml", body)
    write("Dockerfile", MESSY)
    r = run_module("--check")
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.startswith(f"dockfix: error: {Path('.dockfix.toml').resolve()}: ")
    assert message in r.stderr
    assert r.stdout == ""
    assert Path("Dockerfile").read_text() == MESSY


def test_bad_pyproject_key_is_named_with_its_table(capsys):
    write("pyproject.toml", '[tool.dockfix]\nselct = ["DF5"]\n')
    write("Dockerfile", MESSY)
    code, _, err = main(capsys=capsys)
    assert code == 2 and "pyproject.toml: tool.dockfix.selct: unknown key" in err


def test_missing_config_file(capsys):
    write("Dockerfile", MESSY)
    code, _, err = main("--config", "nope.toml", capsys=capsys)
    assert code == 2 and "nope.toml: --config: no such file" in err


def test_stdin_uses_the_current_folders_configuration(capsys, monkeypatch):
    write(".dockfix.toml", 'select = ["DF503"]\n')
    r = subprocess.run(
        [sys.executable, "-m", "dockfix", "-"], input=MESSY, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "src")), timeout=120,
    )  # fmt: skip
    assert r.returncode == 0 and r.stdout == ONLY_AS


def test_resolver_reads_each_file_once(tmp_path):
    write(".dockfix.toml", 'select = ["DF503"]\n')
    resolver = config.Resolver()
    a = resolver.settings_for("a/Dockerfile")
    b = resolver.settings_for("b/c/Dockerfile")
    assert a is b and a.select == ("DF503",)
