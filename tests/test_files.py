"""dockfix.files: Dockerfile discovery, exact reading, atomic writing, diffs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dockfix import files
from dockfix.files import (
    DecodeError,
    decode,
    discover,
    is_dockerfile_name,
    split_lines,
    unified_diff,
    write_atomic,
)

# --- names -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile",
        "Containerfile",
        "Dockerfile.dev",
        "api.Dockerfile",
        "Containerfile.layer",
        "web.Containerfile",
        "a.Dockerfile.prod",
        "web.dockerfile",
    ],
)
def test_dockerfile_names(name):
    assert is_dockerfile_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "Dockerfile.dockerignore",
        "api.Dockerfile.dockerignore",
        ".dockerignore",
        "Dockerfiles",
        "MyDockerfile",
        "Dockerfile-dev",
        "dockerfile.py",
        "docker-compose.yml",
        "README.md",
        "Containerfile_old",
        ".Dockerfile.swp",
        ".Dockerfile.dev.swo",
        "Dockerfile~",
        "Dockerfile.orig",
        "Dockerfile.bak",
    ],
)
def test_not_dockerfile_names(name):
    assert not is_dockerfile_name(name)


# --- discovery ---------------------------------------------------------------


def make(root: Path, rel: str, content: str = "FROM scratch\n") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(content)
    return p


def rels(found: list[str], root: Path) -> list[str]:
    return [Path(os.path.relpath(p, root)).as_posix() for p in found]


def test_walk_finds_dockerfiles_only_sorted(tmp_path):
    for rel in [
        "Dockerfile",
        "b/api.Dockerfile",
        "a/Containerfile.layer",
        "a/x.dockerfile",
        "a/Dockerfile.dockerignore",
        "a/notes.txt",
        "c/d/e/Dockerfile.prod",
    ]:
        make(tmp_path, rel)
    assert rels(discover([str(tmp_path)]), tmp_path) == [
        "Dockerfile",
        "a/Containerfile.layer",
        "a/x.dockerfile",
        "b/api.Dockerfile",
        "c/d/e/Dockerfile.prod",
    ]


def test_walk_skips_dot_git(tmp_path):
    make(tmp_path, "Dockerfile")
    make(tmp_path, ".git/Dockerfile")
    make(tmp_path, "sub/.git/modules/Dockerfile")
    assert rels(discover([str(tmp_path)]), tmp_path) == ["Dockerfile"]


def test_gitignore_root_and_nested(tmp_path):
    make(tmp_path, ".gitignore", "build/\n*.local.Dockerfile\n/top.Dockerfile\n")
    make(tmp_path, "Dockerfile")
    make(tmp_path, "top.Dockerfile")  # anchored pattern: ignored at the root only
    make(tmp_path, "sub/top.Dockerfile")
    make(tmp_path, "build/Dockerfile")  # ignored directory
    make(tmp_path, "sub/build/Dockerfile")  # `build/` matches at any depth
    make(tmp_path, "x.local.Dockerfile")
    # a nested .gitignore applies to its own subtree only, and can re-include
    make(tmp_path, "sub/.gitignore", "Dockerfile.dev\n!keep.local.Dockerfile\n")
    make(tmp_path, "sub/Dockerfile.dev")
    make(tmp_path, "Dockerfile.dev")
    make(tmp_path, "sub/keep.local.Dockerfile")
    make(tmp_path, "sub/other.local.Dockerfile")
    make(tmp_path, "sub/deeper/Dockerfile.dev")
    assert rels(discover([str(tmp_path)]), tmp_path) == [
        "Dockerfile",
        "Dockerfile.dev",
        "sub/keep.local.Dockerfile",
        "sub/top.Dockerfile",
    ]


def test_gitignore_of_parent_directories_inside_a_repo(tmp_path):
    (tmp_path / ".git").mkdir()
    make(tmp_path, ".gitignore", "generated/\n")
    make(tmp_path, "svc/Dockerfile")
    make(tmp_path, "svc/generated/Dockerfile")
    assert rels(discover([str(tmp_path / "svc")]), tmp_path) == ["svc/Dockerfile"]


def test_explicit_directory_that_is_ignored_is_walked(tmp_path):
    (tmp_path / ".git").mkdir()
    make(tmp_path, ".gitignore", "vendor/\n*.tmp.Dockerfile\n")
    make(tmp_path, "vendor/lib/Dockerfile")
    make(tmp_path, "vendor/.gitignore", "old/\n")
    make(tmp_path, "vendor/old/Dockerfile")
    assert rels(discover([str(tmp_path)]), tmp_path) == []
    assert rels(discover([str(tmp_path / "vendor")]), tmp_path) == ["vendor/lib/Dockerfile"]


def test_gitignore_above_is_not_used_outside_a_repo(tmp_path):
    make(tmp_path, ".gitignore", "generated/\n")
    make(tmp_path, "svc/generated/Dockerfile")
    assert rels(discover([str(tmp_path / "svc")]), tmp_path) == ["svc/generated/Dockerfile"]


def test_explicit_files_always_processed(tmp_path):
    make(tmp_path, ".gitignore", "ignored/\nDockerfile\n")
    f = make(tmp_path, "ignored/Dockerfile")
    other = make(tmp_path, "not-a-dockerfile.txt")
    assert discover([str(f), str(other)]) == [os.path.normpath(f), os.path.normpath(other)]
    assert discover([str(tmp_path)]) == []


def test_discover_keeps_order_dedupes_and_passes_through(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "a/Dockerfile")
    make(tmp_path, "b/Dockerfile")
    got = discover(["b", "./a/Dockerfile", "-", "a", "missing/Dockerfile", "-", "b/Dockerfile"])
    assert got == ["b/Dockerfile", "a/Dockerfile", "-", "missing/Dockerfile"]


def test_discover_dot_gives_clean_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "Dockerfile")
    make(tmp_path, "x/Dockerfile")
    assert discover(["."]) == ["Dockerfile", os.path.join("x", "Dockerfile")]


# --- reading -----------------------------------------------------------------


def test_decode_exact():
    data = "\ufeffFROM a\r\nRUN x\rz\n# é".encode()
    assert decode(data) == "\ufeffFROM a\r\nRUN x\rz\n# é"


@pytest.mark.parametrize(
    "data, line, col",
    [
        (b"\xffFROM a\n", 1, 1),
        (b"FROM a\nRUN echo \xff\n", 2, 10),
        ("FROM a\nRUN é€ ".encode() + b"\xc3(", 2, 8),  # multi-byte chars count as one column
        ("\ufeffFROM a".encode() + b"\x80", 1, 7),  # a BOM is no column (issue 12), as in the parser
        (b"FROM a\r\n\r\nRUN \xed\xa0\x80\n", 3, 5),  # an encoded surrogate is not UTF-8
    ],
)
def test_decode_error_position(data, line, col):
    with pytest.raises(DecodeError) as exc:
        decode(data)
    assert (exc.value.line, exc.value.col) == (line, col)
    assert "UTF-8" in exc.value.message


# --- writing -----------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o755, 0o600, 0o644])
def test_write_atomic_keeps_mode_and_leaves_no_temp(tmp_path, mode):
    p = tmp_path / "Dockerfile"
    p.write_bytes(b"old\n")
    p.chmod(mode)
    write_atomic(str(p), "FROM a\r\nRUN x")
    assert p.read_bytes() == b"FROM a\r\nRUN x"
    assert stat.S_IMODE(p.stat().st_mode) == mode
    assert os.listdir(tmp_path) == ["Dockerfile"]


def test_write_atomic_replaces_the_inode(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_text("old\n")
    before = p.stat().st_ino
    write_atomic(str(p), "new\n")
    assert p.read_text() == "new\n"
    assert p.stat().st_ino != before  # renamed over, not rewritten in place


def test_write_atomic_follows_symlinks(tmp_path):
    real = tmp_path / "real.Dockerfile"
    real.write_text("old\n")
    link = tmp_path / "Dockerfile"
    link.symlink_to(real.name)
    write_atomic(str(link), "new\n")
    assert link.is_symlink()
    assert real.read_text() == "new\n"


def test_write_atomic_failure_keeps_the_original(tmp_path, monkeypatch):
    p = tmp_path / "Dockerfile"
    p.write_text("old\n")

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(str(p), "new\n")
    assert p.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["Dockerfile"]


def test_write_atomic_encodes_bom_and_utf8(tmp_path):
    p = tmp_path / "Dockerfile"
    p.write_bytes(b"")
    write_atomic(str(p), '\ufeffLABEL a="é"\n')
    assert p.read_bytes() == b'\xef\xbb\xbfLABEL a="\xc3\xa9"\n'


# --- diffs -------------------------------------------------------------------


def test_split_lines_only_on_newline():
    assert split_lines("a\r\nb\rc\x0cd\u2028e\nf") == ["a\r\n", "b\rc\x0cd\u2028e\n", "f"]
    assert split_lines("") == []


def test_unified_diff_headers_and_exact_line_endings():
    before = "FROM a as b\r\nRUN x\r\n"
    after = "FROM a AS b\r\nRUN x\r\n"
    assert unified_diff(before, after, "sub/Dockerfile") == (
        "--- a/sub/Dockerfile\n"
        "+++ b/sub/Dockerfile\n"
        "@@ -1,2 +1,2 @@\n"
        "-FROM a as b\r\n"
        "+FROM a AS b\r\n"
        " RUN x\r\n"
    )


def test_unified_diff_no_final_newline():
    d = unified_diff("FROM a as b", "FROM a AS b", "Dockerfile")
    marker = "\\ No newline at end of file\n"
    assert d.endswith("-FROM a as b\n" + marker + "+FROM a AS b\n" + marker)


def test_unified_diff_equal_is_empty():
    assert unified_diff("x\n", "x\n", "Dockerfile") == ""


def test_unified_diff_absolute_path():
    d = unified_diff("a\n", "b\n", "/srv/app/Dockerfile")
    assert d.startswith("--- a/srv/app/Dockerfile\n+++ b/srv/app/Dockerfile\n")
