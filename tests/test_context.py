"""Build context and .dockerignore semantics (Docker's, not gitignore's)."""

from __future__ import annotations

import os

import pytest

from dockfix.context import BuildContext, is_excluded, parse_dockerignore


def _ex(ignore: str, path: str) -> bool:
    return is_excluded(parse_dockerignore(ignore), path)


@pytest.mark.parametrize(
    "ignore, path, excluded",
    [
        # examples from Docker's .dockerignore documentation
        ("*/temp*", "somedir/temporary.txt", True),
        ("*/temp*", "somedir/temp", True),
        ("*/temp*", "temp.txt", False),
        ("*/*/temp*", "somedir/subdir/temporary.txt", True),
        ("*/*/temp*", "somedir/temporary.txt", False),
        ("temp?", "tempa", True),
        ("temp?", "tempab", False),
        ("**/*.go", "a/b/c.go", True),
        ("**/*.go", "c.go", True),
        ("*.md\n!README.md", "README.md", False),
        ("*.md\n!README.md", "CHANGES.md", True),
        ("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
        ("*.md\n!README*.md\nREADME-secret.md", "README-public.md", False),
        # unlike .gitignore, a pattern without "/" only matches at the top
        ("*.pyc", "a/b.pyc", False),
        ("*.pyc", "b.pyc", True),
        # a matched directory excludes what is below it
        ("node_modules", "node_modules/a/b.js", True),
        ("node_modules", "src/node_modules/x", False),
        ("**/node_modules", "src/node_modules/x", True),
        ("build/**", "build/a/b", True),
        ("build/**", "builder", False),
        # leading slash, ./ and trailing slash are cleaned; comments and blanks skipped
        ("/secrets/\n# comment\n\n", "secrets/key", True),
        ("./dist", "dist/app.js", True),
        ("\ufeff.git", ".git/config", True),
        ("  .env  ", ".env", True),
        ("#.env", ".env", False),
        ("!keep\n*", "keep", True),  # last match wins
        ("*\n!keep", "keep", False),
        ("a[bc]d", "acd", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
    ],
)
def test_dockerignore_semantics(ignore: str, path: str, excluded: bool) -> None:
    assert _ex(ignore, path) is excluded


def test_build_context(tmp_path) -> None:
    root = tmp_path / "ctx"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "a.py").write_text("x")
    (root / "requirements.txt").write_text("x")
    (root / "secret.env").write_text("x")
    (root / ".dockerignore").write_text("*.env\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    os.symlink(outside, root / "link.txt")
    os.symlink(root / "requirements.txt", root / "inner-link.txt")
    df = root / "Dockerfile"
    df.write_text("FROM scratch\n")
    ctx = BuildContext(root, df)
    assert ctx.exists("requirements.txt") and ctx.is_file("./requirements.txt")
    assert ctx.exists("src/pkg") and not ctx.is_file("src/pkg")
    assert not ctx.exists("secret.env") and ctx.excluded("secret.env")
    assert not ctx.exists("link.txt"), "a symlink out of the context is not followed"
    assert ctx.exists("inner-link.txt")
    assert not ctx.exists("../outside.txt")
    assert ctx.glob("src/*/*.py") == ["src/pkg/a.py"]
    assert ctx.glob("*.env") == []
    assert "requirements.txt" in ctx.glob("*.txt") and "link.txt" not in ctx.glob("*.txt")


def test_dockerfile_specific_ignore_file_wins(tmp_path) -> None:
    (tmp_path / ".dockerignore").write_text("a.txt\n")
    (tmp_path / "api.Dockerfile.dockerignore").write_text("b.txt\n")
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("x")
    ctx = BuildContext(tmp_path, tmp_path / "api.Dockerfile")
    assert ctx.exists("a.txt") and not ctx.exists("b.txt")
    assert not BuildContext(tmp_path, tmp_path / "Dockerfile").exists("a.txt")
