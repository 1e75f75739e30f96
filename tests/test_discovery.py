"""Discovery against real git, and what a walk skips.

The differential test builds trees of folders, Dockerfiles, .gitignore files
and ``.git/info/exclude`` from a seeded generator (the same trees on every
run) and checks that ``discover`` takes exactly the Dockerfile-named files
that ``git ls-files --cached --others --exclude-standard`` lists, walking the
whole repository and walking each folder git does not ignore.  git runs with
a temporary HOME and no global or system configuration, so the user's own
excludes play no part.
"""

from __future__ import annotations

import inspect
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dockfix import cli, files, gitignore
from dockfix.files import discover, discover_compose, is_dockerfile_name

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def make(root: Path, rel: str, content: str | bytes = "FROM scratch\n") -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def rels(found: list[str], root: Path) -> list[str]:
    return [Path(os.path.relpath(p, root)).as_posix() for p in found]


# --- the differential test against git -------------------------------------------


def git_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
    }


def git(root: Path, env: dict[str, str], *args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(
        [GIT, *args], cwd=root, env=env, input=stdin, capture_output=True, check=True
    ).stdout


def git_dockerfiles(root: Path, env: dict[str, str]) -> set[str]:
    out = git(root, env, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    names = {os.fsdecode(p) for p in out.split(b"\0") if p}
    return {p for p in names if is_dockerfile_name(p.rsplit("/", 1)[-1])}


def git_ignored_dirs(root: Path, env: dict[str, str], dirs: list[str]) -> set[str]:
    stdin = b"".join(os.fsencode(d) + b"\0" for d in dirs)
    # exit status 1 when nothing is ignored
    proc = subprocess.run(
        [GIT, "check-ignore", "--no-index", "-z", "--stdin"],
        cwd=root, env=env, input=stdin, capture_output=True, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    return {os.fsdecode(p) for p in proc.stdout.split(b"\0") if p}


DIRS = ["a", "b", "y", "sub", "build", "Dockerfile.d", "x y", "b ", "bx"]
FILES = [
    "Dockerfile", "Dockerfile.dev", "x.Dockerfile", "api.dockerfile", "Containerfile",
    "!x.Dockerfile", "#x.Dockerfile", "[x].Dockerfile", "a b.Dockerfile", "x\\y.Dockerfile",
    "b.Dockerfile", "notes.txt",
]  # fmt: skip
PATTERNS = [
    # whitelists and negations
    "*", "!*/", "!Dockerfile", "!Dockerfile*", "!*.Dockerfile", "!a", "!a/", "!y/", "!y/Dockerfile",
    "!**/Dockerfile", "!a/**", "!**", "!*", "!/*/", "!/sub/y/", "!Containerfile", "!*.dev",
    "!Dockerfile.d/", "!build/Dockerfile", "!*/*/", "!b/Dockerfile", "!a/**/Dockerfile",
    # plain, anchored, dir-only
    "Dockerfile", "*.Dockerfile", "/Dockerfile", "a/", "/a/", "a", "b/Dockerfile", "y/", "build/",
    "*/Dockerfile", "a/*/Dockerfile", "a/b", "/a/b/", "sub/a/", "Dockerfile.d/", "Dockerfile.d",
    "/*", "/sub/*", "*/", "*/*/", "*.dev", "C*", "Docker*", "?ockerfile", "a?", "a*",
    # double stars, and git's own reading of them
    "**/Dockerfile", "a/**", "**/b", "**/b/", "a/**/Dockerfile", "**", "b/**/", "**/a/", "**/y/**",
    "sub/**/b/", "***", "a/***/Dockerfile", "b**/Dockerfile", "sub/b**", "**Dockerfile", "a/**b",
    "!b**/Dockerfile", "/b**/Dockerfile", "a/b**/Dockerfile",
    # classes, valid and not
    "Dockerfile.[a-d]*", "Dockerfile.[!d]*", "[[:alpha:]]*.Dockerfile", "[[:digit:]]", "[]]*",
    "[a-]*", "x.[D]ockerfile", "[!z-a]ockerfile", "build-[z-a]", "Dockerfile[z-a]",
    "!Dockerfile.[z-a]ev", "Dockerfile.[z-ad]ev", "Dockerfile.de[v", "[[:foo:]]*", "[[:]*",
    # escapes, comments, spaces
    "\\!x.Dockerfile", "!\\!x.Dockerfile", "\\#x.Dockerfile", "#x.Dockerfile", "\\[x].Dockerfile",
    "[x].Dockerfile", "Dockerfile  ", "Dockerfile\\ ", "x.Dockerfile\\", "\\Dockerfile",
    "a\\ b.Dockerfile", "a b.Dockerfile", "b\\ ", "b\\ /", "!b\\ ", "b ", "!b  ", "b\\  ", "x\\\\y.Dockerfile", "x y/", "!x y/", "", "# comment",
]  # fmt: skip


def ignore_file(rng: random.Random) -> bytes:
    lines = [rng.choice(PATTERNS) for _ in range(rng.randint(1, 6))]
    eol = rng.choice(["\n", "\n", "\r\n"])
    text = eol.join(lines) + (eol if rng.random() < 0.8 else "")
    data = text.encode()
    return b"\xef\xbb\xbf" + data if rng.random() < 0.1 else data


def build_tree(rng: random.Random, root: Path) -> tuple[list[str], dict[str, bytes]]:
    """A random tree under ``root``: its folders (relative) and ignore files."""
    dirs = {""}
    for _ in range(rng.randint(1, 7)):
        parent = rng.choice(sorted(dirs))
        if parent.count("/") < 3:
            dirs.add(f"{parent}/{rng.choice(DIRS)}".lstrip("/"))
    ignores: dict[str, bytes] = {}
    for d in sorted(dirs):
        (root / d).mkdir(parents=True, exist_ok=True)
        for name in FILES:
            if rng.random() < 0.3:
                make(root, f"{d}/{name}".lstrip("/"))
        if rng.random() < 0.6:
            rel = f"{d}/.gitignore".lstrip("/")
            ignores[rel] = ignore_file(rng)
            make(root, rel, ignores[rel])
    if rng.random() < 0.4:
        ignores[".git/info/exclude"] = ignore_file(rng)
    return sorted(dirs - {""}), ignores


def describe(seed: int, dirs: list[str], ignores: dict[str, bytes], root: Path) -> str:
    listing = sorted(
        Path(os.path.relpath(os.path.join(d, f), root)).as_posix()
        for d, _, fs in os.walk(root)
        if "/.git" not in d + "/"
        for f in fs
    )
    text = [f"seed {seed}; files:"] + [f"  {f}" for f in listing]
    text += [f"{path}: {data!r}" for path, data in ignores.items()]
    return "\n".join(text)


@needs_git
@pytest.mark.parametrize("chunk", range(6))
def test_discovery_matches_git(tmp_path, chunk):
    """discover() takes exactly the Dockerfiles git does not ignore, from
    the repository's root and from each folder git does not ignore."""
    home = tmp_path / "home"
    home.mkdir()
    env = git_env(home)
    cases = 0
    for seed in range(chunk * 40, chunk * 40 + 40):
        rng = random.Random(seed)
        root = tmp_path / f"t{seed}"
        root.mkdir()
        git(root, env, "init", "-q", "--template=")
        dirs, ignores = build_tree(rng, root)
        if ".git/info/exclude" in ignores:
            make(root, ".git/info/exclude", ignores[".git/info/exclude"])
        expected = git_dockerfiles(root, env)
        got = rels(discover([str(root)]), root)
        assert len(got) == len(set(got))
        assert set(got) == expected, describe(seed, dirs, ignores, root)
        ignored = git_ignored_dirs(root, env, dirs)
        for d in dirs:
            if any(d == i or d.startswith(i + "/") for i in ignored):
                continue
            want = {p for p in expected if p.startswith(d + "/")}
            got_d = set(rels(discover([str(root / d)]), root))
            assert got_d == want, f"walking {d}\n" + describe(seed, dirs, ignores, root)
        cases += 1
    assert cases == 40


@needs_git
@pytest.mark.parametrize(
    "gitignores",
    [
        # the common whitelist: ignore everything, re-include folders and Dockerfiles
        {".gitignore": "*\n!*/\n!Dockerfile\n"},
        # nested: only y/ and its Dockerfile are back in
        {"n/.gitignore": "*\n!y/\n!y/Dockerfile\n"},
    ],
)
def test_whitelists_from_the_issue(tmp_path, gitignores):
    for rel in ["Dockerfile", "a/Dockerfile", "a/b/Dockerfile", "a/x.Dockerfile", "n/Dockerfile",
                "n/y/Dockerfile", "n/y/z/Dockerfile", "n/w/Dockerfile"]:  # fmt: skip
        make(tmp_path, rel)
    for rel, text in gitignores.items():
        make(tmp_path, rel, text)
    found = set(rels(discover([str(tmp_path)]), tmp_path))
    if ".gitignore" in gitignores:
        assert found == {"Dockerfile", "a/Dockerfile", "a/b/Dockerfile", "n/Dockerfile",
                         "n/y/Dockerfile", "n/y/z/Dockerfile", "n/w/Dockerfile"}  # fmt: skip
    else:
        assert found == {"Dockerfile", "a/Dockerfile", "a/b/Dockerfile", "a/x.Dockerfile", "n/y/Dockerfile"}
    home = tmp_path / "home"
    home.mkdir()
    env = git_env(home)
    git(tmp_path, env, "init", "-q", "--template=")
    assert found == git_dockerfiles(tmp_path, env)


def test_double_star_after_a_literal_prefix_as_git_reads_it(tmp_path):
    """git compares a pattern's part before the first wildcard literally and
    wildmatches the rest on its own, so in ``b**/Dockerfile`` the ``**`` is
    a leading one and crosses folders (``b[^/]*/Dockerfile`` would not)."""
    make(tmp_path, ".gitignore", "b**/Dockerfile\nsub/c**\n")
    for d in ["", "b/", "b/a/", "bx/", "bx/y/z/", "sub/", "sub/cd/e/"]:
        make(tmp_path, d + "Dockerfile")
    make(tmp_path, "sub/c.Dockerfile")
    found = set(rels(discover([str(tmp_path)]), tmp_path))
    assert found == {"Dockerfile", "sub/Dockerfile"}
    if GIT is not None:
        home = tmp_path / "home"
        home.mkdir()
        env = git_env(home)
        git(tmp_path, env, "init", "-q", "--template=")
        assert found == git_dockerfiles(tmp_path, env)


def test_info_exclude_and_parent_gitignores(tmp_path):
    make(tmp_path, ".git/info/exclude", "# local\nsecret/\n!keep.Dockerfile\n*.Dockerfile\n")
    make(tmp_path, ".gitignore", "!api.Dockerfile\n")
    for rel in ["svc/Dockerfile", "svc/secret/Dockerfile", "svc/x.Dockerfile", "svc/api.Dockerfile",
                "svc/keep.Dockerfile"]:  # fmt: skip
        make(tmp_path, rel)
    # the deeper file (.gitignore) re-includes api.Dockerfile; within
    # info/exclude the last matching line wins, so keep.Dockerfile stays out
    expected = ["svc/Dockerfile", "svc/api.Dockerfile"]
    assert rels(discover([str(tmp_path)]), tmp_path) == expected
    assert rels(discover([str(tmp_path / "svc")]), tmp_path) == expected


def test_linked_worktree_info_exclude(tmp_path):
    """``.git`` as a file (a linked work tree): the common git directory's
    info/exclude applies."""
    make(tmp_path, "main/.git/info/exclude", "generated/\n")
    make(tmp_path, "main/.git/worktrees/wt/commondir", "../..\n")
    make(tmp_path, "wt/.git", f"gitdir: {tmp_path / 'main/.git/worktrees/wt'}\n")
    make(tmp_path, "wt/Dockerfile")
    make(tmp_path, "wt/generated/Dockerfile")
    assert rels(discover([str(tmp_path / "wt")]), tmp_path) == ["wt/Dockerfile"]


# --- invalid patterns --------------------------------------------------------------


def test_invalid_patterns_are_warned_about(tmp_path):
    """As in git, a reversed range keeps its first character (``[v-a]`` is
    ``v``), and a pattern with an unclosed ``[``, an unknown class or a
    lone trailing backslash matches nothing; each is one warning with the
    file and line, and the walk goes on."""
    make(tmp_path, ".gitignore", "vendor/\nDockerfile.[v-a]*\n")
    make(tmp_path, "sub/.gitignore", "# a comment\n\n[[:nope:]]\nold[\r\nDockerfile\\\n*.txt\n")
    for rel in ["Dockerfile", "vendor/Dockerfile", "Dockerfile.vm", "Dockerfile.am", "sub/Dockerfile",
                "sub/old[", "sub/[[:nope:]]"]:  # fmt: skip
        make(tmp_path, rel)
    warnings: list[str] = []
    found = discover([str(tmp_path)], warnings)
    assert rels(found, tmp_path) == ["Dockerfile", "Dockerfile.am", "sub/Dockerfile"]
    top = files.display(str(tmp_path))
    assert warnings == [
        (
            f"{top}/.gitignore:2: invalid pattern 'Dockerfile.[v-a]*': character range 'v-a' is reversed "
            "(git matches 'v' only)"
        ),
        (
            f"{top}/sub/.gitignore:3: invalid pattern '[[:nope:]]': unknown character class '[:nope:]'; "
            "line ignored (git never matches it)"
        ),
        f"{top}/sub/.gitignore:4: invalid pattern 'old[': unclosed [; line ignored (git never matches it)",
        (
            f"{top}/sub/.gitignore:5: invalid pattern 'Dockerfile\\': it ends with a lone backslash; line "
            "ignored (git never matches it)"
        ),
    ]
    # without a list: the same files, nothing raised
    assert discover([str(tmp_path)]) == found


def test_build_context_scan_reads_gitignores_leniently(tmp_path):
    make(tmp_path, ".gitignore", "build-[z-a]\n*\n!*/\n!Dockerfile\n")
    make(tmp_path, "a/Dockerfile")
    make(tmp_path, "a/x.Dockerfile")
    ignores = gitignore.gitignores(str(tmp_path)).enter(str(tmp_path), "")
    assert not ignores.ignored("a", True)
    assert not ignores.ignored("a/Dockerfile", False)
    assert ignores.ignored("a/x.Dockerfile", False)


# --- what a walk cannot read -----------------------------------------------------


def deny_scandir(monkeypatch, denied: Path) -> None:
    real = os.scandir

    def scandir(path="."):
        if os.path.realpath(path) == os.path.realpath(denied):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def deny_open(monkeypatch, denied: Path) -> None:
    real = os.open

    def fake_open(path, flags, mode=0o777, *, dir_fd=None):
        if dir_fd is None and os.path.realpath(path) == os.path.realpath(denied):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", fake_open)


def test_unreadable_folder_is_warned_about(tmp_path, monkeypatch):
    make(tmp_path, "Dockerfile")
    make(tmp_path, "locked/Dockerfile")
    make(tmp_path, "open/Dockerfile")
    deny_scandir(monkeypatch, tmp_path / "locked")
    warnings: list[str] = []
    assert rels(discover([str(tmp_path)], warnings), tmp_path) == ["Dockerfile", "open/Dockerfile"]
    assert warnings == [f"{tmp_path / 'locked'}: cannot read directory (Permission denied); skipped"]


def test_unreadable_gitignore_skips_its_folder(tmp_path, monkeypatch):
    make(tmp_path, "Dockerfile")
    make(tmp_path, "sub/.gitignore", "Dockerfile\n")
    make(tmp_path, "sub/Dockerfile")  # listed in the unreadable .gitignore
    make(tmp_path, "sub/deeper/Dockerfile")
    deny_open(monkeypatch, tmp_path / "sub/.gitignore")
    warnings: list[str] = []
    assert rels(discover([str(tmp_path)], warnings), tmp_path) == ["Dockerfile"]
    assert warnings == [
        f"{tmp_path / 'sub/.gitignore'}: cannot read (Permission denied); {tmp_path / 'sub'} skipped"
    ]


def test_unreadable_gitignore_above_the_walk_skips_it(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    make(tmp_path, ".gitignore", "Dockerfile\n")
    make(tmp_path, "svc/Dockerfile")
    deny_open(monkeypatch, tmp_path / ".gitignore")
    warnings: list[str] = []
    assert discover([str(tmp_path / "svc")], warnings) == []
    assert warnings == [
        f"{tmp_path / '.gitignore'}: cannot read (Permission denied); {tmp_path / 'svc'} skipped"
    ]


def test_gitignore_that_is_a_fifo_does_not_hang(tmp_path):
    make(tmp_path, "Dockerfile")
    make(tmp_path, "sub/Dockerfile")
    os.mkfifo(tmp_path / "sub/.gitignore")
    warnings: list[str] = []
    assert rels(discover([str(tmp_path)], warnings), tmp_path) == ["Dockerfile"]
    assert warnings == [
        f"{tmp_path / 'sub/.gitignore'}: cannot read (not a regular file); {tmp_path / 'sub'} skipped"
    ]


def test_deep_tree_walks_without_recursion(tmp_path):
    """The walk keeps its own stack: a tree deeper than the room left on
    Python's stack is no RecursionError."""
    deep = tmp_path.joinpath(*["d"] * 300)
    make(deep, "Dockerfile")
    depth = len(inspect.stack())
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 60)
    try:
        found = discover([str(tmp_path)])
    finally:
        sys.setrecursionlimit(old)
    assert found == [str(deep / "Dockerfile")]


# --- symlinks --------------------------------------------------------------------


def test_symlink_and_target_once(tmp_path):
    real = make(tmp_path, "real/Dockerfile")
    (tmp_path / "link.Dockerfile").symlink_to("real/Dockerfile")
    (tmp_path / "alias").symlink_to("real", target_is_directory=True)
    warnings: list[str] = []
    found = discover(
        [str(tmp_path), str(real), str(tmp_path / "alias/Dockerfile"), str(tmp_path / "alias")], warnings
    )
    # the first spelling wins: the walk meets link.Dockerfile first
    assert rels(found, tmp_path) == ["link.Dockerfile"]
    assert warnings == []


def test_walk_skips_symlink_leading_outside(tmp_path):
    outside = make(tmp_path, "elsewhere/Dockerfile")
    make(tmp_path, "tree/Dockerfile")
    (tmp_path / "tree/ext.Dockerfile").symlink_to(outside)
    (tmp_path / "tree/linkdir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    warnings: list[str] = []
    assert rels(discover([str(tmp_path / "tree")], warnings), tmp_path) == ["tree/Dockerfile"]
    assert warnings == [
        (
            f"{tmp_path / 'tree/ext.Dockerfile'}: symbolic link to {outside}, outside the directories "
            "given; skipped (name it to process it)"
        )
    ]
    # named explicitly, it is processed
    assert rels(discover([str(tmp_path / "tree/ext.Dockerfile")]), tmp_path) == ["tree/ext.Dockerfile"]
    # its target inside another tree given, or named: taken, once
    warnings.clear()
    found = discover([str(tmp_path / "tree"), str(tmp_path / "elsewhere")], warnings)
    assert rels(found, tmp_path) == ["tree/Dockerfile", "tree/ext.Dockerfile"]
    assert warnings == []
    found = discover([str(tmp_path / "tree"), str(outside)], warnings)
    assert rels(found, tmp_path) == ["tree/Dockerfile", "tree/ext.Dockerfile"]
    assert warnings == []


def test_compose_files_once_with_warnings(tmp_path, monkeypatch):
    make(tmp_path, "compose.yaml", "services: {}\n")
    (tmp_path / "docker-compose.yml").symlink_to("compose.yaml")
    make(tmp_path, "locked/compose.yaml", "services: {}\n")
    deny_scandir(monkeypatch, tmp_path / "locked")
    warnings: list[str] = []
    assert rels(discover_compose([str(tmp_path), str(tmp_path)], warnings), tmp_path) == ["compose.yaml"]
    assert warnings == [f"{tmp_path / 'locked'}: cannot read directory (Permission denied); skipped"]


# --- through the command line ----------------------------------------------------------

SELECT = "--select=DF503"
MESSY = "FROM alpine:3.20 as build\n"
FIXED = "FROM alpine:3.20 AS build\n"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        cli.main(list(args))
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


def test_cli_unreadable_folder_warns_and_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "Dockerfile", MESSY)
    make(tmp_path, "locked/Dockerfile", MESSY)
    deny_scandir(monkeypatch, tmp_path / "locked")
    code, out, err = run_cli(capsys, SELECT)
    assert code == 2
    assert "dockfix: warning: locked: cannot read directory (Permission denied); skipped\n" in err
    assert (tmp_path / "Dockerfile").read_text() == FIXED  # the rest of the run went on
    code, out, err = run_cli(capsys, SELECT, "--diff")
    assert code == 2 and out == ""  # nothing left to change, a folder skipped


def test_cli_unreadable_gitignore_skips_the_files_it_lists(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "Dockerfile", MESSY)
    make(tmp_path, "gen/.gitignore", "Dockerfile\n")
    make(tmp_path, "gen/Dockerfile", MESSY)
    deny_open(monkeypatch, tmp_path / "gen/.gitignore")
    code, out, err = run_cli(capsys, SELECT, "--diff")
    assert code == 2
    assert [ln for ln in out.splitlines() if ln.startswith("---")] == ["--- a/Dockerfile"]
    assert "dockfix: warning: gen/.gitignore: cannot read (Permission denied); gen skipped\n" in err
    assert (tmp_path / "gen/Dockerfile").read_text() == MESSY


def test_cli_invalid_pattern_warns_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, ".gitignore", "build-[z-a]\nvendor/\n")
    make(tmp_path, "Dockerfile", MESSY)
    make(tmp_path, "vendor/Dockerfile", MESSY)
    code, out, err = run_cli(capsys, SELECT, "--check")
    assert code == 2
    assert err.startswith(
        "dockfix: warning: .gitignore:1: invalid pattern 'build-[z-a]': character range 'z-a' is "
        "reversed (git matches 'z' only)\n"
    )
    assert err.count("dockfix: warning:") == 1  # Dockerfile and compose walks: said once
    assert "Dockerfile:1:" in out and "vendor" not in out
    assert "internal error" not in err


def test_cli_symlink_and_target_processed_once(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "Dockerfile", MESSY)
    (tmp_path / "prod.Dockerfile").symlink_to("Dockerfile")
    code, out, err = run_cli(capsys, SELECT, "--diff", ".", "Dockerfile")
    assert code == 1
    assert [ln for ln in out.splitlines() if ln.startswith("---")] == ["--- a/Dockerfile"]
    code, out, err = run_cli(capsys, SELECT, "--verbose", "prod.Dockerfile", ".")
    assert code == 0
    assert err.count("fixed") == 1 and "prod.Dockerfile: fixed" in err
    assert (tmp_path / "Dockerfile").read_text() == FIXED
    assert (tmp_path / "prod.Dockerfile").is_symlink()


def test_cli_walk_does_not_write_through_a_symlink_leading_out(tmp_path, monkeypatch, capsys):
    outside = make(tmp_path, "elsewhere/Dockerfile", MESSY)
    make(tmp_path, "tree/Dockerfile", MESSY)
    (tmp_path / "tree/ext.Dockerfile").symlink_to(outside)
    monkeypatch.chdir(tmp_path / "tree")
    code, _, err = run_cli(capsys, SELECT, ".")
    assert code == 2
    assert (
        f"dockfix: warning: ext.Dockerfile: symbolic link to {outside}, outside the directories given; "
        "skipped (name it to process it)\n"
    ) in err
    assert outside.read_text() == MESSY
    assert (tmp_path / "tree/Dockerfile").read_text() == FIXED
    # named explicitly, it is fixed (through the link)
    code, _, err = run_cli(capsys, SELECT, "ext.Dockerfile")
    assert code == 0 and outside.read_text() == FIXED


def test_cli_no_dockerfiles_but_a_warning_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make(tmp_path, "locked/Dockerfile", MESSY)
    deny_scandir(monkeypatch, tmp_path / "locked")
    code, _, err = run_cli(capsys, SELECT)
    assert code == 2
    assert "dockfix: warning: locked: cannot read directory" in err and "No Dockerfiles found." in err
