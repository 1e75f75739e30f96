"""Property tests of the whole fix pipeline on Dockerfile-shaped text.

For every generated file that parses, ``dockfix.fix`` (safe, then with
unsafe fixes) must:

* raise nothing — a ``FixError`` ("did not converge", "invalid output") is a
  dockfix bug, as is any other exception;
* give output that parses again and that a second fix leaves unchanged
  (idempotent, no findings with a fix left);
* change nothing outside the edits it reports;
* give output BuildKit's parser accepts when it accepted the input (when the
  PyPI ``dockerfile`` package is installed).

The generator mixes the parser fuzzer's lines (tests/test_fuzz.py) with what
the rules look at: package-manager commands and their options, shell
operators, subshells, heredocs, ``cd``, ENV/ARG with variables, quotes and
escapes, USER/WORKDIR/SHELL, several stages with ``--from``, the ``syntax``
and ``escape`` directives, CRLF.  Derandomized with no example database, so
CI sees the same examples every time; no deadline.  For a longer bug hunt
outside the suite::

    DOCKFIX_FUZZ_EXAMPLES=5000 DOCKFIX_FUZZ_SEED=1 python -m pytest -q -p no:cacheprovider tests/test_fuzz_fix.py
"""

from __future__ import annotations

import os
import re

import pytest

hypothesis = pytest.importorskip("hypothesis")
from conftest import buildkit_parse
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from test_corpus_fix import _outside_touched
from test_fuzz import FLAGS, OTHER_LINE, WORDS

import dockfix
from dockfix.engine import FixResult

_EXAMPLES = int(os.environ.get("DOCKFIX_FUZZ_EXAMPLES", "0"))
_SEED = os.environ.get("DOCKFIX_FUZZ_SEED")
FUZZ = settings(
    max_examples=_EXAMPLES or 300,
    derandomize=not _EXAMPLES,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def _seeded(test):
    return seed(int(_SEED))(test) if _SEED else test


# -- pieces ----------------------------------------------------------------------

IMAGES = st.sampled_from(
    [
        "debian:12",
        "ubuntu:22.04",
        "alpine:3.20",
        "node:20",
        "node:20-alpine",
        "python:3.12-slim",
        "golang:1.22",
        "rust:1",
        "maven:3-eclipse-temurin-21",
        "gradle:8",
        "ruby:3.3",
        "composer:2",
        "php:8.3-apache",
        "centos:7",
        "fedora:40",
        "opensuse/leap:15",
        "registry.access.redhat.com/ubi9/ubi-minimal",
        "gcr.io/distroless/static",
        "scratch",
        "mcr.microsoft.com/windows/servercore:ltsc2022",
        "$BASE",
        "${BASE:-debian:12}",
        "img@sha256:" + "a" * 64,
    ]
)
STAGE_NAMES = ["build", "deps", "Runtime", "base"]
VALUES = st.sampled_from(
    [
        "1",
        "/opt/app",
        "app",
        '"\\"app\\""',
        "'single quoted'",
        '"a b"',
        "a\\ b",
        "/home/$APP_USER",
        '"/home/$APP_USER"',
        "${HOME}/.cache",
        "${X:-d}",
        "${X:+alt}",
        "${UNSET}",
        "$PATH:/usr/local/bin",
        "~/x",
        "/root",
        "",
        '""',
        "true",
        "0",
        "/tmp/cache",
        "/root/.npm",
        "/usr/local/share/.cache/yarn",
        "$(pwd)",
        "`id -u`",
        "/a,b",
        "/a b",
        "é",
        "/a=b",
    ]
)
ENV_NAMES = st.sampled_from(
    [
        "A",
        "X",
        "APP_USER",
        "HOME",
        "PATH",
        "npm_config_cache",
        "NPM_CONFIG_CACHE",
        "YARN_CACHE_FOLDER",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "PNPM_HOME",
        "PIP_NO_CACHE_DIR",
        "PIP_CACHE_DIR",
        "UV_CACHE_DIR",
        "GOPATH",
        "GOCACHE",
        "GOMODCACHE",
        "CARGO_HOME",
        "MAVEN_OPTS",
        "GRADLE_USER_HOME",
        "BUNDLE_PATH",
        "GEM_HOME",
        "COMPOSER_HOME",
        "COMPOSER_CACHE_DIR",
        "DEBIAN_FRONTEND",
        "PYTHONDONTWRITEBYTECODE",
        "BASE",
        "SHELL",
        "USER",
    ]
)
PACKAGES = st.lists(
    st.sampled_from(
        [
            "curl",
            "git",
            "ca-certificates",
            "build-essential",
            "python3",
            "foo=1.2",
            "$PKGS",
            "'b c'",
            "lib${X}",
        ]
    ),
    min_size=0,
    max_size=3,
).map(" ".join)
URLS = st.sampled_from(["https://example.com/x.tar.gz", "http://h/a", "$URL", '"https://e.com/a b"'])
PATHS = st.sampled_from(
    [
        "/app",
        "app",
        "/var/lib/apt/lists/*",
        "/var/cache/apt/*",
        "~/.npm",
        "~/.cache/pip",
        "/root/.cache",
        "$HOME/.cache/yarn",
        "/tmp/*",
        "/usr/local/share/.cache/yarn",
        "node_modules",
        ".",
        "..",
        "/",
        '"$X"',
        "/go/pkg/mod",
        "/root/.m2",
        "/var/cache/apk/*",
    ]
)


def _cmd(*parts):
    """A command: fixed words and strategies, joined by spaces."""
    return st.tuples(*[p if isinstance(p, st.SearchStrategy) else st.just(p) for p in parts]).map(
        lambda ws: " ".join(w for w in ws if w)
    )


def _opts(*options: str):
    return st.lists(st.sampled_from(options), max_size=2, unique=True).map(" ".join)


COMMANDS = st.one_of(
    _cmd(st.sampled_from(["apt-get", "apt", "sudo apt-get"]), "update", _opts("-q", "-qq", "-y")),
    _cmd(
        st.sampled_from(["apt-get", "apt", "sudo apt-get", "DEBIAN_FRONTEND=noninteractive apt-get"]),
        _opts("-y", "-qq", "--no-install-recommends", "--yes", "-o Dpkg::Options::=--force-confold"),
        st.sampled_from(
            ["install", "upgrade", "dist-upgrade", "remove", "purge", "autoremove", "clean", "-f install"]
        ),
        _opts("-y", "--no-install-recommends", "--fix-missing"),
        PACKAGES,
    ),
    _cmd("rm", _opts("-rf", "-r", "-f", "--"), st.lists(PATHS, min_size=1, max_size=2).map(" ".join)),
    _cmd(
        "apk",
        _opts("--no-cache", "--update", "-U", "--virtual .deps"),
        st.sampled_from(["add", "del", "update", "upgrade"]),
        PACKAGES,
    ),
    _cmd(
        st.sampled_from(["pip", "pip3", "python -m pip", "python3 -m pip", "uv pip", "pipx"]),
        st.sampled_from(["install", "download", "wheel", "uninstall -y"]),
        _opts(
            "--no-cache-dir",
            "--user",
            "-U",
            "--upgrade",
            "-r requirements.txt",
            "--cache-dir /tmp/pip",
            "-e .",
        ),
        PACKAGES,
    ),
    _cmd(
        "uv",
        st.sampled_from(["sync", "pip install -r requirements.txt", "venv"]),
        _opts("--frozen", "--no-cache", "--no-dev"),
    ),
    _cmd(
        st.sampled_from(["poetry", "pdm", "pipenv"]),
        st.sampled_from(["install", "sync", "lock"]),
        _opts("--no-root", "--no-interaction", "--deploy"),
    ),
    _cmd(
        st.sampled_from(["npm", "npm --prefix /app", "sudo npm"]),
        st.sampled_from(
            [
                "ci",
                "install",
                "i",
                "run build",
                "cache clean --force",
                "cache clean",
                "config set cache /tmp/n",
                "prune --production",
            ]
        ),
        _opts("--production", "--omit=dev", "-g", "--cache /tmp/npm", "--offline", "--no-audit"),
        PACKAGES,
    ),
    _cmd(
        "yarn",
        st.sampled_from(
            [
                "",
                "install",
                "add",
                "global add",
                "cache clean",
                "build",
                "set version stable",
                "workspaces focus",
            ]
        ),
        _opts("--frozen-lockfile", "--production", "--cache-folder /tmp/y", "--offline", "--immutable"),
    ),
    _cmd(
        "pnpm",
        st.sampled_from(["install", "add x", "fetch", "store prune", "i"]),
        _opts("--frozen-lockfile", "--store-dir /s", "--prod"),
    ),
    _cmd(
        "go",
        st.sampled_from(
            [
                "build",
                "mod download",
                "install ./...",
                "test ./...",
                "env -w GOFLAGS=-mod=mod",
                "build -o /out .",
            ]
        ),
        _opts("-v", "-trimpath"),
    ),
    _cmd(
        "cargo",
        st.sampled_from(["build", "install --path .", "fetch", "test"]),
        _opts("--release", "--locked", "--offline"),
    ),
    _cmd(
        st.sampled_from(["mvn", "./mvnw", "gradle", "./gradlew"]),
        _opts("-B", "-q", "--no-daemon", "-Dmaven.repo.local=/m2"),
        st.sampled_from(["package", "dependency:go-offline", "build", "clean install"]),
    ),
    _cmd(
        st.sampled_from(["bundle", "gem"]),
        st.sampled_from(["install", "config set path vendor"]),
        _opts("--jobs 4", "--no-document"),
    ),
    _cmd(
        "composer",
        st.sampled_from(["install", "require x/y", "clear-cache"]),
        _opts("--no-dev", "--no-interaction"),
    ),
    _cmd(
        st.sampled_from(["yum", "dnf", "microdnf", "zypper", "zypper -n"]),
        st.sampled_from(["install", "in", "update", "clean all", "makecache"]),
        _opts("-y", "--setopt=tsflags=nodocs", "--nodocs"),
        PACKAGES,
    ),
    _cmd(
        st.sampled_from(["wget", "curl -fsSL", "curl -o x"]), _opts("-q", "-O /tmp/x", "--progress=bar"), URLS
    ),
    _cmd(
        st.sampled_from(["useradd", "adduser", "groupadd"]),
        _opts("-u 100000", "-m", "-l", "-r", "-s /bin/sh", "--system"),
        st.sampled_from(["app", "node", "$APP_USER"]),
    ),
    _cmd("cd", PATHS),
    _cmd(st.sampled_from(["export", "", "env"]), ENV_NAMES.map(lambda n: n + "="), VALUES),
    _cmd(
        st.sampled_from(
            [
                "echo",
                "printf",
                "mkdir -p",
                "chown -R app:app",
                "ls",
                "cat",
                "test -f",
                "make",
                "sh -c",
                "bash -c",
            ]
        ),
        st.lists(st.one_of(VALUES, PATHS), max_size=2).map(" ".join),
    ),
    st.sampled_from(
        [
            "set -eux",
            "set -o pipefail",
            "true",
            "false",
            "exit 0",
            ":",
            "source /etc/profile",
            ". ./env.sh",
            "if [ -f x ]; then apt-get install -y y; fi",
            "for p in a b; do pip install $p; done",
            "while read l; do echo $l; done < f",
            "case $X in a) npm ci;; *) yarn;; esac",
            "f() { npm ci; }",
            "$(echo npm) ci",
            "`which yarn` install",
            "X=1 npm ci",
            "npm ci 2>&1",
            "npm ci > /dev/null",
            "cat <<EOT > f\nbody\nEOT",
            "echo 'a && b'",
            'echo "a; b"',
            "echo \\$HOME",
            "cmd # comment && more",
            "!",
            "exec npm start",
        ]
    ),
)
OPERATORS = st.sampled_from(
    [" && ", " && ", " || ", "; ", " | ", " & ", " &&\\\n    ", " \\\n && ", ";\\\n", "\n"]
    # a comment line and an empty line inside the continuation
    + [" \\\n# note\n && ", " && \\\n  # note\n  ", " \\\n\n && ", " |\\\n  "]
)


@st.composite
def shell_script(draw, cont: str) -> str:
    """Commands joined by operators; maybe grouped; maybe with a pipe."""
    cmds = draw(st.lists(COMMANDS, min_size=1, max_size=5))
    out = cmds[0]
    for c in cmds[1:]:
        op = draw(OPERATORS)
        if op == "\n":
            op = " " + cont + "\n  "  # a continuation line
        out += op.replace("\\\n", cont + "\n") + c
    group = draw(st.sampled_from(["", "", "", "(", "{", "sh -c '"]))
    if group == "(":
        out = "(" + out + ")"
    elif group == "{":
        out = "{ " + out + "; }"
    elif group:
        out = "sh -c '" + out.replace("'", "") + "'"
    return out


RUN_FLAGS = st.lists(
    st.sampled_from(
        [
            "--mount=type=cache,target=/root/.npm",
            "--mount=type=cache,target=/var/cache/apt,sharing=locked",
            "--mount=type=bind,source=.,target=/src",
            "--mount=type=secret,id=tok",
            "--mount=type=cache,target=$HOME/.cache",
            '--mount="type=cache,target=/a b"',
            "--network=none",
            "--network=host",
            "--security=insecure",
        ]
    ),
    max_size=2,
).map(lambda fs: "".join(" " + f for f in fs))


@st.composite
def run_instruction(draw, cont: str) -> str:
    kw = draw(st.sampled_from(["RUN", "RUN", "RUN", "run", "ONBUILD RUN"]))
    flags = draw(RUN_FLAGS)
    form = draw(st.sampled_from(["shell", "shell", "shell", "shell", "heredoc", "exec"]))
    script = draw(shell_script(cont))
    if form == "exec":
        import json

        return f"{kw}{flags} " + json.dumps(["/bin/sh", "-c", script.replace(cont + "\n", "")])
    if form == "heredoc":
        dash, q = draw(st.sampled_from(["", "-"])), draw(st.sampled_from(["", '"', "'"]))
        prog = draw(st.sampled_from(["", "", "bash ", "sh -e "]))
        body = script.replace(cont + "\n", "\n").replace(" && ", "\n")
        if dash:
            body = "\n".join("\t" + line for line in body.split("\n"))
        return f"{kw}{flags} {prog}<<{dash}{q}EOF{q}\n{body}\nEOF"
    return f"{kw}{flags} {script}"


@st.composite
def instruction(draw, cont: str, stages: list[str]) -> str:
    kind = draw(
        st.sampled_from(
            ["RUN"] * 6
            + ["ENV", "ENV", "ARG", "USER", "WORKDIR", "SHELL", "COPY", "COPY", "ADD", "CMD", "ENTRYPOINT"]
            + ["HEALTHCHECK", "MAINTAINER", "LABEL", "EXPOSE", "COMMENT", "BLANK", "ONBUILD"] * 2
            + ["NOISE"]
        )
    )
    if kind == "RUN":
        return draw(run_instruction(cont))
    if kind == "ENV":
        pairs = draw(
            st.lists(st.tuples(ENV_NAMES, VALUES.filter(lambda v: v != "/a b")), min_size=1, max_size=3)
        )
        if len(pairs) == 1 and draw(st.booleans()):
            return f"ENV {pairs[0][0]} {pairs[0][1] or 'x'}"  # legacy form
        return "ENV " + f" {cont}\n    ".join(f"{k}={v}" for k, v in pairs)
    if kind == "ARG":
        name = draw(ENV_NAMES)
        return draw(st.sampled_from([f"ARG {name}", f"ARG {name}={draw(VALUES)}"]))
    if kind == "USER":
        return "USER " + draw(
            st.sampled_from(
                ["root", "0", "1000", "1000:1000", "app", "node", "$APP_USER", "${U:-app}", "nobody:nogroup"]
            )
        )
    if kind == "WORKDIR":
        return "WORKDIR " + draw(
            st.one_of(PATHS, st.sampled_from(["$HOME", "${APP:-/srv}", "src", "/app/$X", '"/a b"']))
        )
    if kind == "SHELL":
        return "SHELL " + draw(
            st.sampled_from(
                [
                    '["/bin/bash", "-c"]',
                    '["/bin/bash", "-o", "pipefail", "-c"]',
                    '["/bin/sh", "-c"]',
                    '["/bin/ash", "-eo", "pipefail", "-c"]',
                    '["powershell", "-Command"]',
                    '["cmd", "/S", "/C"]',
                    '["zsh", "-c"]',
                ]
            )
        )
    if kind in ("COPY", "ADD"):
        frm = ""
        if stages and draw(st.integers(0, 2)) == 0:
            frm = " --from=" + draw(st.sampled_from([*stages, "0", "alpine:3", "$STAGE"]))
        extra = draw(st.sampled_from(["", "", " --chown=app:app", " --link", " --chmod=755"]))
        src = draw(
            st.sampled_from(
                [
                    ".",
                    "package.json yarn.lock",
                    "package*.json",
                    "requirements.txt",
                    "go.mod go.sum",
                    "Cargo.toml Cargo.lock",
                    "pom.xml",
                    "Gemfile Gemfile.lock",
                    "composer.json",
                    "app.tar.gz",
                    "https://example.com/a.tgz",
                    "src",
                    "/out/bin",
                    '["a b", "c"]',
                    "<<EOF",
                ]
            )
        )
        dest = draw(st.sampled_from([".", "./", "/app/", "/app", "app", "$HOME/", "/usr/local/bin/", "/"]))
        if src == "<<EOF":
            return f"{kind}{frm}{extra} <<EOF {dest}\nline\nEOF"
        if src.startswith("["):
            return f'{kind}{frm}{extra} ["a", "{dest}"]'
        return f"{kind}{frm}{extra} {src} {dest}"
    if kind in ("CMD", "ENTRYPOINT"):
        return (
            kind
            + " "
            + draw(
                st.sampled_from(
                    [
                        "npm start",
                        "node server.js",
                        "npx serve",
                        "python app.py $PORT",
                        "exec gunicorn app:app",
                        'echo "hi" && sleep 1',
                        '["node", "server.js"]',
                        "['bad']",
                        "./run.sh --flag",
                        "java -jar /app.jar",
                    ]
                )
            )
        )
    if kind == "HEALTHCHECK":
        return draw(
            st.sampled_from(
                [
                    "HEALTHCHECK CMD curl -f http://localhost/ || exit 1",
                    "HEALTHCHECK --interval=5s CMD wget -q -O- localhost",
                    "HEALTHCHECK NONE",
                ]
            )
        )
    if kind == "MAINTAINER":
        return draw(st.sampled_from(["MAINTAINER Jane <j@x.org>", 'MAINTAINER "a b"', "maintainer x"]))
    if kind == "LABEL":
        return draw(st.sampled_from(["LABEL a=b", 'LABEL maintainer="x"', 'LABEL "k"="v w"']))
    if kind == "EXPOSE":
        return "EXPOSE 8080"
    if kind == "COMMENT":
        return draw(st.sampled_from(["# comment", "# hadolint ignore=DL3008", "#", "# dockfix: ignore"]))
    if kind == "BLANK":
        return ""
    if kind == "ONBUILD":
        return "ONBUILD " + draw(st.sampled_from(["COPY . /app", "RUN npm ci", "ADD x.tar.gz /"]))
    # noise from the parser fuzzer: arbitrary keywords, flags and words
    kw = draw(st.sampled_from(["RUN", "ENV", "COPY", "ADD", "LABEL", "WORKDIR", "USER", "CMD", "ARG"]))
    return " ".join([kw, *draw(st.lists(FLAGS, max_size=1)), *draw(st.lists(WORDS, min_size=1, max_size=3))])


@st.composite
def fixable_dockerfile(draw) -> str:
    escape = draw(st.sampled_from(["\\", "\\", "\\", "`"]))
    head: list[str] = []
    syntax = draw(
        st.sampled_from(
            [
                "",
                "",
                "",
                "docker/dockerfile:1",
                "docker/dockerfile:1.0",
                "docker/dockerfile:1.4",
                "docker/dockerfile:1-labs",
            ]
        )
    )
    if syntax:
        head.append("# syntax=" + syntax)
    if draw(st.integers(0, 3)) == 0:
        head.insert(
            draw(st.integers(0, len(head))),
            draw(st.sampled_from(["# check=skip=JSONArgsRecommended", "# directive=value"])),
        )
    if escape == "`":
        head.insert(draw(st.integers(0, len(head))), "# escape=`")
    lines = list(head)
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["ARG BASE=debian:12", "ARG BASE", "ARG APP_USER=app", "ARG X=1"])))
    stages: list[str] = []
    for i in range(draw(st.integers(1, 3))):
        platform = draw(st.sampled_from(["", "", "", "--platform=$BUILDPLATFORM "]))
        # maybe FROM an earlier stage
        image = draw(st.sampled_from(stages)) if stages and draw(st.integers(0, 3)) == 0 else draw(IMAGES)
        name = ""
        if draw(st.booleans()):
            name = STAGE_NAMES[i]
            name = " " + draw(st.sampled_from(["AS", "as", "As"])) + " " + name
            stages.append(STAGE_NAMES[i])
        lines.append(f"FROM {platform}{image}{name}")
        for _ in range(draw(st.integers(0, 6))):
            lines.append(draw(instruction(escape, stages)))
    if draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(OTHER_LINE))
    text = "\n".join(lines) + "\n"
    ending = draw(st.sampled_from(["\n", "\n", "\n", "\r\n", "mixed"]))
    if ending == "\r\n":
        text = text.replace("\n", "\r\n")
    elif ending == "mixed":
        text = text.replace("\n", "\r\n", draw(st.integers(1, 3)))
    if draw(st.integers(0, 9)) == 0:
        text = text.rstrip("\r\n")
    return text


# -- the property ------------------------------------------------------------------

# A path that is not a file, so no build context is read from disk.
PATH = os.path.join(os.path.dirname(__file__), "no-such-dir", "Dockerfile")
# The `dockerfile` package bundles BuildKit v0.12, which predates the `check`
# directive: to it the directives end there, so a later `# escape=` is a
# comment (current BuildKit and dockfix read it).  No oracle for such files.
_CHECK_DIRECTIVE = re.compile(r"(?im)^\ufeff?[ \t]*#[ \t]*check[ \t]*=")


def check_fix_pipeline(text: str, context: str | None = None) -> None:
    """The contract of ``dockfix.fix`` on one input (see the module doc),
    without a build context or with the folder ``context``."""
    try:
        dockfix.parse(text)
    except dockfix.ParseError:
        return
    try:
        bk_before = None if _CHECK_DIRECTIVE.search(text) else buildkit_parse(text)
    except (pytest.skip.Exception, UnicodeDecodeError):
        bk_before = None
    for unsafe in (False, True):
        result: FixResult = dockfix.fix(text, path=PATH, unsafe=unsafe, context=context)
        out = result.output
        if not result.changed:
            assert out == text
            assert not result.fixes
            continue
        dockfix.parse(out)  # the output parses (raises otherwise)
        # the second run sees the context files the first one would write
        proposed = {
            os.path.join(result.context_root or "", rel): new
            for rel, (_old, new) in result.side_files.items()
        }
        again = dockfix.fix(out, path=PATH, unsafe=unsafe, context=context, proposed=proposed)
        assert again.output == out, f"not idempotent (unsafe={unsafe}):\n{out!r}\n->\n{again.output!r}"
        assert not again.fixes
        assert _outside_touched(result) == [], "bytes changed outside the reported edits"
        if bk_before is not None and not isinstance(bk_before, Exception):
            bk_after = buildkit_parse(out)
            assert not isinstance(bk_after, Exception), f"BuildKit rejects the output: {bk_after}\n{out}"


@FUZZ
@_seeded
@given(fixable_dockerfile())
def test_fix_pipeline_on_dockerfile_shaped_text(text: str) -> None:
    check_fix_pipeline(text)


# Build contexts the rules read: manifests and lock files (DF220, the cache
# rules), no .dockerignore (DF601 proposes one), yarn classic or berry.
CONTEXT_FILES = {
    "package.json": '{"name": "x", "dependencies": {"a": "1"}}',
    "yarn.lock": "",
    "package-lock.json": "{}",
    "requirements.txt": "flask\n",
    "go.mod": "module x\n",
    "go.sum": "",
    "Cargo.toml": "[package]\nname='x'\n",
    "Cargo.lock": "",
    "Gemfile": "",
    "Gemfile.lock": "",
    "composer.json": "{}",
    "src/main.py": "",
    ".env": "SECRET=1\n",
}


@pytest.fixture(scope="module")
def contexts(tmp_path_factory) -> list[str]:
    out = []
    for flavour in ("classic", "berry"):
        root = tmp_path_factory.mktemp(flavour)
        files = dict(CONTEXT_FILES)
        if flavour == "berry":
            files[".yarnrc.yml"] = "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-4.1.0.cjs\n"
            files["package.json"] = '{"name": "x", "packageManager": "yarn@4.1.0"}'
        for rel, body in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(body)
        out.append(str(root))
    return out


@settings(FUZZ, max_examples=max(FUZZ.max_examples // 3, 1))
@_seeded
@given(text=fixable_dockerfile(), which=st.sampled_from([0, 1]))
def test_fix_pipeline_with_a_build_context(contexts: list[str], text: str, which: int) -> None:
    check_fix_pipeline(text, contexts[which])
    # nothing was written: side files are only proposed
    assert not os.path.exists(os.path.join(contexts[which], ".dockerignore"))


def test_most_generated_files_parse_and_get_fixed() -> None:
    """The generator is useful: most of its files parse, and many of them
    are changed by some rule (else the property above tests little)."""
    from hypothesis import find

    seen = {"parsed": 0, "changed": 0, "total": 0}

    def count(text: str) -> bool:
        seen["total"] += 1
        try:
            dockfix.parse(text)
        except dockfix.ParseError:
            return False
        seen["parsed"] += 1
        if dockfix.fix(text, path=PATH, unsafe=True).changed:
            seen["changed"] += 1
        return False

    with pytest.raises(hypothesis.errors.NoSuchExample):
        find(
            fixable_dockerfile(),
            count,
            settings=settings(
                max_examples=60,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    assert seen["parsed"] >= 0.7 * seen["total"], seen
    assert seen["changed"] >= 0.4 * seen["parsed"], seen


# -- regressions found by the fuzzer -------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # DF212 wrote `target=/home/"app"/.npm` (HOME built from an ENV whose
        # value carries literal quotes); BuildKit's expansion of the target
        # drops the quotes, so the rule never found its own mount and added
        # it again on every pass ("did not converge", issue 7).
        'FROM node:20\nENV APP_USER="\\"app\\""\nENV HOME="/home/$APP_USER"\nRUN npm i && npm cache clean --force\n',
        'FROM node:20\nENV APP_USER="\\"app\\""\nENV HOME="/home/$APP_USER"\nUSER 1000\nRUN yarn && npm cache clean\n',
        "FROM node:20\nENV HOME=/a,b\nRUN npm ci\n",
        # DF111 appended `npm cache clean --force` after an install whose
        # `--cache` (yarn: `--cache-folder`) folder is DF212's cache mount,
        # and DF212 cut it again: a cycle.
        "FROM fedora:40\nRUN npm ci --cache /tmp/npm\n",
        "FROM gradle:8\nRUN (yarn add --cache-folder /tmp/y)\n",
        "FROM python:3.12-slim\nRUN sudo npm ci --no-audit --cache /tmp/npm\n",
        # DF504 made `ADD --from x` (no such flag on ADD) a `COPY --from`
        # without a value, which is invalid.
        "FROM debian:12\nADD --from a b\n",
        "FROM debian:12\nADD --from=build /a /b\n",
        # DF502 joined a legacy `ENV x\u00a0y z` (the key holds a no-break
        # space; the legacy form splits at ASCII spaces only) into
        # `x\u00a0y=z`, which BuildKit's word split cuts at that space.
        "FROM a\nENV x\u00a0y z\n",
        "FROM a\nENV x\u00a0y <<\n",
        "FROM a\nENV a\u00a0b=c d\n",
        # DF505 took a heredoc marker in the destination's place for a
        # relative path (`<<"EOF"` -> `/<<EOF`): the heredoc was gone and its
        # body (a FROM) became instructions.
        'FROM a AS b\nADD x /app/ <<"EOF"\nFROM c\nEOF\n',
        # DF106 removed two neighbouring commands (`apk update && apk update`,
        # `apk update && rm -rf /var/cache/apk/*`) with overlapping edits:
        # each took the `&&` between them ("overlapping edit").
        "FROM ruby:3.3\nRUN apk update && apk update && cd /x & apk add y\n",
    ],
)
def test_fuzzer_regressions(text: str) -> None:
    check_fix_pipeline(text)


def test_no_cache_mount_on_a_target_that_cannot_be_written_bare() -> None:
    text = 'FROM node:20\nENV APP_USER="\\"app\\""\nENV HOME="/home/$APP_USER"\nRUN npm i && npm cache clean --force\n'
    result = dockfix.fix(text, path=PATH, select=["DF212"])
    assert result.output == text


def test_npm_clean_not_appended_when_cache_option_moves_the_cache() -> None:
    text = "FROM node:20\nRUN npm ci --cache /tmp/npm\n"
    result = dockfix.fix(text, path=PATH, select=["DF111"])
    assert result.output == text
    assert [f.message for f in result.findings] == [
        (
            "`npm cache clean --force` missing after `npm ci` (not fixed: `--cache` puts the cache where "
            "`npm cache clean --force` does not look)"
        )
    ]
    # with DF212 the cache mount holds that folder: nothing for DF111 to say
    both = dockfix.fix(text, path=PATH, select=["DF111", "DF212"])
    assert "--mount=type=cache,target=/tmp/npm npm ci --cache /tmp/npm" in both.output
    assert [f.code for f in both.fixes] == ["DF212"]
    assert not [f for f in both.findings if f.code == "DF111"]


def test_add_with_a_copy_only_flag_stays_add() -> None:
    for text in ("FROM debian:12\nADD --from a b\n", "FROM debian:12\nADD --from=build /a /b\n"):
        assert dockfix.fix(text, path=PATH, select=["DF504"]).output == text
    text = "FROM debian:12\nADD --chown=1:1 --link a /b\n"
    assert (
        dockfix.fix(text, path=PATH, select=["DF504"]).output
        == "FROM debian:12\nCOPY --chown=1:1 --link a /b\n"
    )


def test_legacy_env_key_with_a_unicode_space_is_not_joined() -> None:
    text = "FROM a\nENV x\u00a0y z\n"
    result = dockfix.fix(text, path=PATH, select=["DF502"])
    assert result.output == text
    assert [f.code for f in result.findings] == ["DF502"]  # still reported, without a fix
    assert result.findings[0].fix is None
    # a no-break space in the value is fine: it is quoted
    assert dockfix.fix("FROM a\nENV k a\u00a0b\n", path=PATH).output == 'FROM a\nENV k="a\u00a0b"\n'


def test_yarn_berry_context_given_apart_from_the_dockerfile(tmp_path) -> None:
    # DF111 looked for Yarn 2+ in the Dockerfile's folder, DF212 in the build
    # context: with `--context` elsewhere DF111 appended `yarn cache clean`,
    # which DF212 (Yarn 4: global cache mount) cut again, pass after pass.
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / ".yarnrc.yml").write_text("yarnPath: .yarn/releases/yarn-4.1.0.cjs\n")
    (ctx / "package.json").write_text('{"packageManager": "yarn@4.1.0"}')
    dockerfile = tmp_path / "docker" / "Dockerfile"
    dockerfile.parent.mkdir()
    text = "FROM node:20\nRUN yarn install\n"
    dockerfile.write_text(text)
    check_fix_pipeline(text, str(ctx))
    result = dockfix.fix(text, path=str(dockerfile), context=str(ctx), select=["DF111"])
    assert result.output == text  # Yarn 2+: reported, not fixed
    assert [f.fix for f in result.findings] == [None]


def test_heredoc_in_the_destination_place_is_left_alone() -> None:
    text = 'FROM a AS b\nCOPY x /app/ <<"EOF"\nFROM c\nEOF\n'
    assert dockfix.fix(text, path=PATH, select=["DF505"], unsafe=True).output == text
    # a heredoc source with a relative destination is still fixed
    text = "FROM a\nCOPY <<EOF app/\nx\nEOF\n"
    assert (
        dockfix.fix(text, path=PATH, select=["DF505"], unsafe=True).output
        == "FROM a\nCOPY <<EOF /app/\nx\nEOF\n"
    )


@pytest.mark.parametrize(
    ("run", "fixed"),
    [
        ("apk update && apk update && apk add x", "apk update && apk update && apk add --no-cache x"),
        (
            "apk update && rm -rf /var/cache/apk/* && apk add x",
            "rm -rf /var/cache/apk/* && apk add --no-cache x",
        ),
        ("apk update && apk add x", "apk add --no-cache x"),
        ("apk add x && rm -rf /var/cache/apk/* && rm -rf /var/cache/apk/*", "apk add --no-cache x"),
    ],
)
def test_apk_neighbouring_removals_do_not_overlap(run: str, fixed: str) -> None:
    text = f"FROM alpine:3.20\nRUN {run}\n"
    assert dockfix.fix(text, path=PATH, select=["DF106"]).output == f"FROM alpine:3.20\nRUN {fixed}\n"
