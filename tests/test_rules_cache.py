"""Cache-mount rules (DF211-DF219): the helpers of transforms/_cache.py, and
composition with every other rule (the package-manager hygiene rules add
`--no-cache-dir`, `npm cache clean`, `rm -rf /var/lib/apt/lists/*`, which a
cache mount makes useless): all rules together must reach a fixpoint with
the mount in place and nothing fighting it, and a second run is a no-op."""

from __future__ import annotations

import pytest
from conftest import assert_valid_buildkit

import dockfix
from dockfix.rules import Context, Edit
from dockfix.shell import script_of
from dockfix.shell_edits import CutError, chain, cut_arg, cut_elements, element_of
from dockfix.transforms.layers._cache import (
    UNKNOWN,
    expand,
    glob_relation,
    make_run,
    relation,
)


def _apply(text: str, edits: list[Edit]) -> str:
    for e in sorted(edits, reverse=True):
        text = text[: e.start] + e.replacement + text[e.end :]
    return text


def _run(text: str, index: int = 1):
    tree = dockfix.parse(text)
    ins = tree.instructions[index]
    return tree, ins, script_of(ins)


# -- words, paths, images ------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("/root/.cache", "/root/.cache"),
        ('"/a b"/c', "/a b/c"),
        ("'$HOME'/x", "$HOME/x"),
        ("$HOME/.npm", "/home/app/.npm"),
        ("${HOME}/.npm", "/home/app/.npm"),
        ("${UNSET:-/d}/x", "/d/x"),
        ("${HOME:+/set}", "/set"),
        ("$UNSET/x", "/x"),
        ("$ARGX/x", None),
        ("$(pwd)/x", None),
        ("`pwd`", None),
        ("~/.cache", "/home/app/.cache"),
        ("a\\ b", "a b"),
        ("$1/x", None),
        ("${@}", None),
    ],
)
def test_expand(raw, expected):
    env = {"HOME": "/home/app", "ARGX": UNKNOWN}
    assert expand(raw, env.get, "/home/app") == expected


def test_relation_and_globs():
    assert relation("/root/.cache/pip", "/root/.cache/pip") == "equal"
    assert relation("/root/.cache/pip/http", "/root/.cache/pip") == "inside"
    assert relation("/root/.cache", "/root/.cache/pip") == "ancestor"
    assert relation("/root/.cache/pipx", "/root/.cache/pip") is None
    assert glob_relation("/var/lib/apt/lists/*", "/var/lib/apt/lists") == "inside"
    assert glob_relation("/usr/local/bundle/cache/*.gem", "/usr/local/bundle/cache") == "inside"
    # a glob at the target's level also matches its siblings: the mount point would go
    assert glob_relation("/var/cache/*", "/var/cache/apt") == "ancestor"
    assert glob_relation("/root/.cache/*", "/root/.cache/pip") == "ancestor"
    assert glob_relation("/usr/local/bundle/ruby/*/cache", "/usr/local/bundle/ruby/3.3.0/cache") == "ancestor"
    # the shell's * does not match a leading dot; other names do not reach the target
    assert glob_relation("/root/*", "/root/.cache/pip") is None
    assert glob_relation("/var/cache/d*", "/var/cache/apt") is None
    assert glob_relation("/tmp/*", "/root/.npm") is None


@pytest.mark.parametrize(
    "ref, expected",
    [
        ("python:3.12-slim", ("python", "3.12-slim")),
        ("docker.io/library/golang:1.22@sha256:abc", ("golang", "1.22")),
        ("ghcr.io/acme/app", ("ghcr.io/acme/app", "")),
        ("localhost:5000/x:1", ("localhost:5000/x", "1")),
    ],
)
def test_image_name(ref, expected):
    """The image a RUN's stage builds on, as the cache rules name it (from
    the semantic model's reference)."""
    text = f"FROM {ref}\nRUN true\n"
    tree = dockfix.parse(text)
    ctx = Context(tree)
    run = make_run(ctx, tree.instructions[1])
    assert run is not None
    assert (run.base, run.tag) == expected


# -- cutting commands and arguments out of a RUN -----------------------------------


@pytest.mark.parametrize(
    "before, drop, after",
    [
        ("RUN a && b && c\n", "b", "RUN a && c\n"),
        ("RUN a && b && c\n", "a", "RUN b && c\n"),
        ("RUN a && b && c\n", "c", "RUN a && b\n"),
        ("RUN a \\\n && b \\\n && c\n", "b", "RUN a \\\n && c\n"),
        ("RUN a \\\n && b \\\n && c\n", "c", "RUN a \\\n && b\n"),
        ("RUN a && \\\n    b && \\\n    c\n", "b", "RUN a && \\\n    c\n"),
        ("RUN a && \\\n    b && \\\n    c\n", "c", "RUN a && \\\n    b\n"),
        ("RUN a && \\\n    b && \\\n    c\n", "a", "RUN b && \\\n    c\n"),
        # `;` is kept over `&&` when the element between them goes
        ("RUN a; b && c\n", "b", "RUN a; c\n"),
        ("RUN a && b; c\n", "b", "RUN a; c\n"),
        # `|| true` goes with the command
        ("RUN a && b || true && c\n", "b", "RUN a && c\n"),
        ("RUN a; b || true\n", "b", "RUN a\n"),
        # redirections go with the command
        ("RUN a && b > /dev/null 2>&1\n", "b", "RUN a\n"),
        # heredoc scripts lose the whole line
        ("RUN <<EOF\na\nb\nc\nEOF\n", "b", "RUN <<EOF\na\nc\nEOF\n"),
        ("RUN <<EOF\na\nb\nEOF\n", "b", "RUN <<EOF\na\nEOF\n"),
        ("RUN <<EOF\n  b\n  a\nEOF\n", "b", "RUN <<EOF\n  a\nEOF\n"),
        # two neighbours at once
        ("RUN a && b && c && d\n", "bc", "RUN a && d\n"),
        ("RUN a && b && c && d\n", "ab", "RUN c && d\n"),
        ("RUN a && b && c && d\n", "bd", "RUN a && c\n"),
    ],
)
def test_cut_elements(before, drop, after):
    text = "FROM x\n" + before
    tree, ins, script = _run(text)
    elems = chain(script)
    idx = [element_of(elems, c) for c in script.commands if c.program in drop]
    heredoc = bool(ins.heredocs)
    edits = cut_elements(script, elems, idx, heredoc)
    out = _apply(text, edits)
    assert out == "FROM x\n" + after
    assert_valid_buildkit(out)


@pytest.mark.parametrize(
    "before",
    [
        "RUN a || b\n",  # b runs only when a fails
        "RUN if x; then b; fi && a\n",  # b is inside a condition: not an element
        "RUN b\n",  # nothing would be left
        "RUN a | b\n",
    ],
)
def test_cut_elements_refuses(before):

    text = "FROM x\n" + before
    tree, ins, script = _run(text)
    elems = chain(script)
    idx = [element_of(elems, c) for c in script.commands if c.program == "b"]
    if None in idx:
        return  # not a chain element at all: the rules leave the RUN alone
    with pytest.raises(CutError):
        cut_elements(script, elems, idx, False)


@pytest.mark.parametrize(
    "before, after",
    [
        ("RUN pip install --no-cache-dir x\n", "RUN pip install x\n"),
        ("RUN pip install x --no-cache-dir\n", "RUN pip install x\n"),
        ("RUN pip install \\\n    --no-cache-dir \\\n    x\n", "RUN pip install \\\n    x\n"),
        ("RUN pip --no-cache-dir install x\n", "RUN pip install x\n"),
    ],
)
def test_cut_arg(before, after):
    text = "FROM x\n" + before
    tree, ins, script = _run(text)
    cmd = script.commands[0]
    arg = next(a for a in cmd.args if a.value == "--no-cache-dir")
    assert _apply(text, [cut_arg(script, cmd, arg)]) == "FROM x\n" + after


# -- composition with every other rule -------------------------------------------------


def _all(text: str, unsafe: bool, path: str = "Dockerfile"):
    result = dockfix.fix(text, path=path, unsafe=unsafe)
    assert_valid_buildkit(result.output)
    again = dockfix.fix(result.output, path=path, unsafe=unsafe)
    assert again.output == result.output, "a second run changed the file"
    assert not again.fixes
    return result.output


COMPOSED = {
    "pip": (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        'COPY . .\nCMD ["python", "app.py"]\n',
        ["--mount=type=cache,target=/root/.cache/pip"],
        ["--no-cache-dir", "PIP_NO_CACHE_DIR"],
    ),
    "pip-no-cache-dir": (
        "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask==3.0.3 && rm -rf /root/.cache/pip\n",
        ["--mount=type=cache,target=/root/.cache/pip"],
        ["--no-cache-dir", "rm -rf"],
    ),
    "pip-user": (
        "FROM python:3.12-slim\nRUN useradd -m -u 1001 app\nUSER app\nENV HOME=/home/app\n"
        "RUN pip install --user flask==3.0.3\n",
        ["--mount=type=cache,target=/home/app/.cache/pip,uid=1001"],
        ["--no-cache-dir"],
    ),
    "uv": (
        "FROM python:3.12-slim\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen\n",
        ["--mount=type=cache,target=/root/.cache/uv"],
        ["--no-cache", "UV_NO_CACHE"],
    ),
    "npm": (
        "FROM node:20-slim\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n"
        'CMD ["node", "server.js"]\n',
        ["--mount=type=cache,target=/root/.npm"],
        ["cache clean"],
    ),
    "yarn": (
        "FROM node:20\nWORKDIR /app\nCOPY package.json yarn.lock ./\nRUN yarn install --frozen-lockfile\n",
        ["--mount=type=cache,target=/usr/local/share/.cache/yarn"],
        ["cache clean"],
    ),
    "apt": (
        "FROM debian:12-slim\nRUN apt-get update && apt-get install curl\n",
        [
            "--mount=type=cache,target=/var/cache/apt,sharing=locked",
            "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked",
        ],
        ["rm -rf /var/lib/apt/lists"],
    ),
    "apt-install-only": (
        "FROM debian:12-slim\nRUN apt install -y curl\n",
        [
            "--mount=type=cache,target=/var/cache/apt,sharing=locked",
            "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked",
        ],
        ["rm -rf /var/lib/apt/lists"],
    ),
    "apk": (
        "FROM alpine:3.20\nRUN apk add curl\n",
        [
            "--mount=type=cache,target=/var/cache/apk,sharing=locked",
            "--mount=type=cache,target=/etc/apk/cache,sharing=locked",
        ],
        ["--no-cache "],
    ),
    "apk-no-cache": (
        "FROM alpine:3.20\nRUN apk update && apk add --no-cache curl && rm -rf /var/cache/apk/*\n",
        [
            "--mount=type=cache,target=/var/cache/apk,sharing=locked",
            "--mount=type=cache,target=/etc/apk/cache,sharing=locked",
        ],
        ["--no-cache ", "rm -rf /var/cache/apk"],
    ),
    "go": (
        "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN go mod download\nCOPY . .\n"
        "RUN CGO_ENABLED=0 go build -o /out/app .\n\nFROM scratch\nCOPY --from=build /out/app /app\n"
        'ENTRYPOINT ["/app"]\n',
        ["--mount=type=cache,target=/go/pkg/mod", "--mount=type=cache,target=/root/.cache/go-build"],
        [],
    ),
    "cargo": (
        "FROM rust:1.80 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\n",
        [
            "--mount=type=cache,target=/usr/local/cargo/registry",
            "--mount=type=cache,target=/usr/local/cargo/git",
        ],
        [],
    ),
    "maven": (
        "FROM maven:3.9-eclipse-temurin-21\nWORKDIR /src\nCOPY . .\nRUN mvn -B package\n",
        ["--mount=type=cache,target=/root/.m2/repository"],
        [],
    ),
    "mixed": (
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc && pip install psycopg2==2.9.9\n",
        [
            "--mount=type=cache,target=/root/.cache/pip",
            "--mount=type=cache,target=/var/cache/apt,sharing=locked",
            "--mount=type=cache,target=/var/lib/apt/lists,sharing=locked",
        ],
        ["--no-cache-dir", "rm -rf /var/lib/apt/lists"],
    ),
}


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("name", sorted(COMPOSED))
def test_all_rules_compose(name: str, unsafe: bool) -> None:
    text, wanted, unwanted = COMPOSED[name]
    out = _all(text, unsafe)
    if name == "apt-install-only" and not unsafe:
        # without `apt-get update` in the RUN (added by an unsafe fix) the
        # install reads the lists of an earlier layer: no mount
        assert "--mount" not in out
        return
    assert out.startswith("# syntax=docker/dockerfile:1\n")
    for w in wanted:
        assert w in out, f"{w} missing:\n{out}"
    for u in unwanted:
        assert u not in out, f"{u} left:\n{out}"


def test_apt_keep_packages_is_unsafe_only() -> None:
    text = COMPOSED["apt"][0]
    assert "docker-clean" not in _all(text, unsafe=False)
    out = _all(text, unsafe=True)
    assert out.count("rm -f /etc/apt/apt.conf.d/docker-clean") == 1
    lines = out.splitlines()
    keep = next(i for i, ln in enumerate(lines) if "docker-clean" in ln)
    assert lines[keep + 1].startswith("RUN --mount=type=cache,target=/var/cache/apt")


def test_safe_run_reports_keep_packages_as_unsafe() -> None:
    result = dockfix.fix(COMPOSED["apt"][0], select=["DF218"])
    left = [f for f in result.findings if f.code == "DF218"]
    assert len(left) == 1 and str(left[0].safety) == "unsafe"


def test_hygiene_added_then_removed_converges() -> None:
    """A file where the hygiene rules already did their job: the cache rules
    take over and the hygiene rules do not put anything back."""
    text = (
        "FROM python:3.12-slim\n"
        "RUN apt-get update \\\n"
        " && apt-get install -y --no-install-recommends gcc \\\n"
        " && rm -rf /var/lib/apt/lists/*\n"
        "RUN pip install --no-cache-dir flask==3.0.3\n"
    )
    for unsafe in (False, True):
        out = _all(text, unsafe)
        assert "--no-cache-dir" not in out
        assert "rm -rf /var/lib/apt/lists" not in out
        assert "target=/root/.cache/pip" in out and "target=/var/lib/apt/lists" in out


@pytest.mark.parametrize(
    "text",
    [
        # another user without HOME: nothing can be mounted; the hygiene rules keep the image small
        "FROM python:3.12-slim\nUSER app\nRUN pip install --user flask==3.0.3\n",
        # exec form
        'FROM python:3.12-slim\nRUN ["pip", "install", "flask==3.0.3"]\n',
    ],
)
def test_no_mount_when_unknown(text: str) -> None:
    out = _all(text, unsafe=True)
    assert "--mount=type=cache" not in out


# Files where a hygiene rule does not see the cache mount this family adds
# and puts the fighter back (reported to the lead; the engine then stops
# with "did not converge" and leaves the file alone).
# Cases where a hygiene rule once re-added what the cache mount makes useless
# (fixed: DF110 reads ARGs, DF111 checks XDG_CACHE_HOME first, as yarn does).
KNOWN_CONFLICTS = {
    # PIP_CACHE_DIR / HOME from an ARG
    "DF110-arg-pip-cache-dir": "FROM python:3.12-slim\nARG PIP_CACHE_DIR=/pc\nRUN pip install flask==3.0.3\n",
    "DF110-env-from-arg": "FROM python:3.12-slim\nARG C=/c\nENV PIP_CACHE_DIR=$C/pip\nRUN pip install flask==3.0.3\n",
    "DF110-arg-home": "FROM python:3.12-slim\nARG HOME=/h\nRUN pip install flask==3.0.3\n",
    # root's yarn cache moves with XDG_CACHE_HOME
    "DF111-yarn-xdg": "FROM node:20\nENV XDG_CACHE_HOME=/xc\nRUN yarn install\n",
}


@pytest.mark.parametrize("name", sorted(KNOWN_CONFLICTS))
def test_known_conflicts_converge(name: str) -> None:
    out = _all(KNOWN_CONFLICTS[name], unsafe=False)
    assert "--mount=type=cache" in out


# -- the cache folders come from dockfix.tools ------------------------------------------------


def _cmd_run(text: str, program: str):
    """The last RUN of ``text`` (as the cache rules see it) and its command running ``program``."""
    tree = dockfix.parse(text)
    run = make_run(Context(tree), tree.instructions[-1])
    assert run is not None
    return run, next(c for c in run.script.commands if c.program == program)


def test_run_asks_the_tools_for_cache_folders():
    """`Run.cache_dir` answers with `tools.cache_dir` for what the command
    sees: its own prefix, the RUN's exports, ENV/ARG, the shell's HOME."""
    from dockfix import tools

    pip = tools.pip.PIP_CACHE
    run, cmd = _cmd_run("FROM python:3.12\nENV HOME=/h\nRUN pip install x\n", "pip")
    assert run.cache_dir(pip, cmd).path == "/h/.cache/pip"
    # Java reads the home of the passwd entry, not $HOME
    assert run.cache_dir(tools.jvm.MAVEN_REPO, cmd).path == "/root/.m2/repository"
    run, cmd = _cmd_run(
        "FROM python:3.12\nRUN export PIP_CACHE_DIR=/e && PIP_CACHE_DIR=/p pip install x\n", "pip"
    )
    assert run.cache_dir(pip, cmd).path == "/p"
    assert run.cache_dir(pip, cmd, file_only=["PIP_CACHE_DIR"]).path == "/root/.cache/pip"
    run, cmd = _cmd_run("FROM python:3.12\nARG PIP_CACHE_DIR\nRUN pip install x\n", "pip")
    assert run.cache_dir(pip, cmd).path is None
    run, cmd = _cmd_run("FROM debian:12\nRUN cargo build\n", "cargo")
    d = run.cache_dir(tools.cargo.REGISTRY, cmd, assume={"CARGO_HOME": "/c"})
    assert d.path == "/c/registry" and d.set_by("CARGO_HOME")
    # another user: the home of a user the file creates; unknown without one
    text = "FROM python:3.12\nRUN useradd -m -u 1001 app\nUSER app\nRUN mvn package\n"
    run, cmd = _cmd_run(text, "mvn")
    assert run.cache_dir(tools.jvm.MAVEN_REPO, cmd).path == "/home/app/.m2/repository"
    run, cmd = _cmd_run("FROM python:3.12\nENV HOME=/h\nUSER 1000\nRUN mvn package\n", "mvn")
    assert run.cache_dir(tools.jvm.MAVEN_REPO, cmd).path is None


def test_so_far():
    """`Run.so_far`: this RUN or an instruction before it (its stage and the
    stages it builds on) runs such a command or copies to such a place."""
    text = (
        "FROM node:20 AS base\nCOPY .npmrc /root/.npmrc\nFROM base\nRUN npm config set cache /x\n"
        "FROM base\nRUN npm ci\n"
    )
    run, _npm = _cmd_run(text, "npm")
    assert run.so_far("t.copy", copies=lambda dest: dest.endswith(".npmrc"))
    # the `config set` is in a sibling stage, not one this RUN builds on
    assert not run.so_far("t.config", command=lambda c: [a.value for a in c.args[:1]] == ["config"])
    assert run.so_far("t.ci", command=lambda c: [a.value for a in c.args[:1]] == ["ci"])


@pytest.mark.parametrize(
    "script, always",
    [
        ("apt-get update && apt-get install -y x", True),
        ("apt-get update; apt-get install -y x", True),
        ("true || apt-get update; apt-get install -y x", False),
        ("if [ -n x ]; then apt-get update; fi; apt-get install -y x", False),
        ("apt-get install -y x && apt-get update", False),
    ],
)
def test_always_before(script: str, always: bool) -> None:
    run, _ = _cmd_run(f"FROM debian:12\nRUN {script}\n", "apt-get")

    def sub(c) -> str | None:
        return c.args[0].value if c.args else None

    install = next(c for c in run.script.commands if sub(c) == "install")
    assert run.always_before(install, lambda c: sub(c) == "update") is always


@pytest.mark.parametrize(
    "text, mount",
    [
        # Java's ~ is the passwd home: ENV HOME does not move ~/.m2 (it moved the mount before)
        ("FROM maven:3.9-eclipse-temurin-21\nENV HOME=/app\nRUN mvn package\n", "/root/.m2/repository"),
        # -Dgradle.user.home on the command line (the mount was on ~/.gradle/caches)
        ("FROM gradle:8-jdk21\nRUN gradle -Dgradle.user.home=/g build\n", "/g/caches"),
        # PHP reads "0" as false: COMPOSER_HOME=0 does not move the cache
        ("FROM php:8.3-cli\nENV COMPOSER_HOME=0\nRUN composer install\n", "/root/.composer/cache"),
        # pnpm's store named by npm_config_store_dir
        ("FROM node:20\nENV npm_config_store_dir=/store\nRUN pnpm install\n", "/store"),
    ],
)
def test_folders_the_tools_name(text: str, mount: str) -> None:
    out = _all(text, unsafe=False)
    assert f"--mount=type=cache,target={mount}" in out, out


@pytest.mark.parametrize(
    "text",
    [
        # a `~` in a variable's value: not expanded by the shell, not by every tool
        "FROM python:3.12\nENV UV_CACHE_DIR=~/uv\nRUN uv sync\n",
        "FROM node:20\nENV npm_config_cache=~/npm\nRUN npm ci\n",
        # another user whose passwd home the file does not show (Java does not read $HOME)
        "FROM maven:3.9-eclipse-temurin-21\nENV HOME=/h\nUSER 1000\nRUN mvn package\n",
        # maven.repo.local from MAVEN_OPTS: not written in the RUN
        "FROM maven:3.9-eclipse-temurin-21\nENV MAVEN_OPTS=-Dmaven.repo.local=/m\nRUN mvn package\n",
    ],
)
def test_no_mount_when_the_folder_is_not_known(text: str) -> None:
    out = dockfix.fix(text, select=[f"DF21{i}" for i in range(1, 10)]).output
    assert "--mount=type=cache" not in out, out


# -- R1: facts DF212 now asks dockfix.tools.node for ---------------------------------


@pytest.mark.parametrize("name", ["npm_config_store_dir", "NPM_CONFIG_STORE_DIR", "npm_config_store-dir"])
def test_pnpm_store_from_each_spelling_of_store_dir(name: str) -> None:
    # pnpm reads npm_config_* in any case, `-` or `_` in the key (tools.node.PNPM_STORE_ENV);
    # the upper-case spellings used to drop the mount
    out = _all(f"FROM node:20\nENV {name}=/store\nRUN pnpm install\n", unsafe=False)
    assert "--mount=type=cache,target=/store pnpm install" in out, out


@pytest.mark.parametrize(
    ("files", "run", "mount"),
    [
        # a `.yarnrc.yml` without a release: yarn set version in the RUN decides (4 → global cache)
        (
            {".yarnrc.yml": "nodeLinker: node-modules\n"},
            "yarn set version 4.1.0 && yarn install",
            "/root/.yarn/berry/cache",
        ),
        # `yarn policies set-version` and `corepack yarn set version` switch yarn too
        (
            {".yarnrc.yml": "nodeLinker: node-modules\n"},
            "yarn policies set-version 4.1.0 && yarn install",
            "/root/.yarn/berry/cache",
        ),
        (
            {".yarnrc.yml": "nodeLinker: node-modules\n"},
            "corepack yarn set version 4.1.0 && yarn install",
            "/root/.yarn/berry/cache",
        ),
        # back to classic
        (
            {"package.json": '{"packageManager": "yarn@4.1.0"}'},
            "corepack prepare yarn@1.22.19 --activate && yarn install",
            "/usr/local/share/.cache/yarn",
        ),
    ],
)
def test_yarn_version_switches_read_through_tools(
    tmp_path, files: dict[str, str], run: str, mount: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "yarn.lock").write_text("")
    df = tmp_path / "Dockerfile"
    text = f"FROM node:20\nWORKDIR /app\nCOPY . .\nRUN {run}\n"
    df.write_text(text)
    out = dockfix.fix(text, path=str(df), select=["DF212"]).output
    assert f"--mount=type=cache,target={mount} " in out, out


def test_yarn_3_keeps_its_project_cache_clean(tmp_path) -> None:
    # yarn 3 (yarnPath's release): no global cache, `yarn cache clean` empties .yarn/cache
    (tmp_path / ".yarnrc.yml").write_text("yarnPath: .yarn/releases/yarn-3.6.4.cjs\n")
    df = tmp_path / "Dockerfile"
    text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn install && yarn cache clean\n"
    df.write_text(text)
    out = dockfix.fix(text, path=str(df), select=["DF212"]).output
    assert (
        "RUN --mount=type=cache,target=/root/.yarn/berry/cache yarn install && yarn cache clean\n" in out
    ), out
