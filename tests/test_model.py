"""The semantic model (dockfix.model) and the image table (dockfix.images)
against BuildKit's behaviour: its shell-lexer test files, its dispatcher and
integration tests (moby/buildkit frontend/dockerfile/shell/lex_test.go,
dockerfile2llb/convert.go, dockerfile_args_test.go)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockfix import lexing
from dockfix.images import TINI_PATHS, Family, image_info, parse_ref, tini_package
from dockfix.model import UNKNOWN, SemanticModel, is_posix_shell, parse_mount
from dockfix.parser import parse

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ENV_VAR_TEST = CORPUS / "buildkit-testfiles" / "shell" / "envVarTest"


def model(src: str, **kw) -> tuple[SemanticModel, list]:
    tree = parse(src)
    m = SemanticModel.of(tree, **kw)
    return m, [i for i in tree.instructions if m.stage_of(i) is not None]


def last(src: str, **kw):
    """The facts after the last instruction of the file."""
    m, ins = model(src, **kw)
    return m.after(ins[-1])


# -- BuildKit's shell lexer with variables ------------------------------------------


def _env_var_cases() -> list[tuple[str, str]]:
    if not ENV_VAR_TEST.exists():
        return []
    out = []
    for line in ENV_VAR_TEST.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        platform, source, expected = (w.strip() for w in line.strip().split("|"))
        if platform in ("A", "U"):  # W: Windows only (case-insensitive names)
            out.append((source, expected))
    return out


# TestShellParser4EnvVars sets up this environment
_LEX_ENV = {"PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""}


@pytest.mark.skipif(not ENV_VAR_TEST.exists(), reason="BuildKit test files not present")
@pytest.mark.parametrize("source,expected", _env_var_cases())
def test_envvartest(source: str, expected: str) -> None:
    try:
        got = lexing.expand_word(source, _LEX_ENV.get)
    except lexing.ShellError:
        got = "error"
    assert got == expected


# TestProcessWithMatches (lex_test.go): the pattern forms
@pytest.mark.parametrize(
    "word,env,expected",
    [
        ("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", {"FOO": "xxx", "BAR": ""}, "xxx  ccc"),
        ("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", {"FOO": "xxx", "BAR": ""}, "xxx bbb ccc"),
        ("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", {"FOO": "xxx", "BAR": ""}, "aaa bbb "),
        ("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", {"FOO": "xxx", "BAR": ""}, "aaa  "),
        ("${BAR?bbb}", {"BAR": ""}, ""),
        ("${FOO#()[]{\\}^$.\\*\\?|\\\\}", {"FOO": "()[]{}^$.*?|\\x"}, "x"),
        ("${FOO%%\\**}", {"FOO": "xx**"}, "xx"),
        ("${FOO#*x*y}", {"FOO": "xxyy"}, "y"),
        ("${FOO#*}", {"FOO": "xxyy"}, "xxyy"),
        ("${FOO#$BAR}", {"FOO": "xxyy", "BAR": "x"}, "xyy"),
        ("${FOO##*x}", {"FOO": "xxyy"}, "yy"),
        ("${FOO#?\\?}", {"FOO": "???y"}, "?y"),
        ("${ABC:-.}${FOO%x}${ABC:-.}", {"FOO": "xxyy"}, ".xxyy."),
        ("${FOO%%\\**\\*}", {"FOO": "a***yy*"}, "a"),
        (
            "${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}",
            {"FOO": "/foo*/*/*.txt", "NEEDLE": "\\*/"},
            "/foo.*/*.txt - /foo..*.txt",
        ),
        (
            "${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}",
            {"FOO": "/tmp/tmp/bar.txt", "NEEDLE": "/tmp"},
            "/tmp/bar.txt - /bar.txt",
        ),
        ("${FOO//\\//\\/}", {"FOO": "/tmp/foo.txt"}, "\\/tmp\\/foo.txt"),
        ("${FOO/$BAR/ww}", {"FOO": "xxyy", "BAR": ""}, "wwxxyy"),
        ("${FOO///}", {}, ""),
        ("${FOO:?message here$ARG}", {"FOO": "plain"}, "plain"),
    ],
)
def test_pattern_forms(word: str, env: dict[str, str], expected: str) -> None:
    assert lexing.expand_word(word, env.get) == expected


@pytest.mark.parametrize("word", ["${BAZ?ccc}", "${BAR:?bbb}", "${FOO=aaa}", "${FOO//ww}", "${X:?}"])
def test_pattern_errors(word: str) -> None:
    with pytest.raises(lexing.ShellError):
        lexing.expand_word(word, {"FOO": "xxyy", "BAR": ""}.get)


@pytest.mark.parametrize(
    "word,expected",
    [
        ("$U", None),  # unknown value: unknown result
        ("a${U}b", None),
        ("${K:-$U}", "k"),  # the default is not used: known
        ("${U:-x}", None),
        ("${N:-$U}", None),  # the default is used and unknown
        ("${N:+$U}", ""),  # unset: the alternative is not used
        ("${K#$U}", None),
        ("'$U'", "$U"),  # single quotes: no expansion
        ("\\$U", "$U"),
    ],
)
def test_unknown_propagates(word: str, expected: str | None) -> None:
    values = {"K": "k", "U": UNKNOWN}
    assert lexing.expand_word(word, values.get) == expected


def test_escape_directive_is_the_lexer_escape() -> None:
    f = last('# escape=`\nFROM scratch\nENV A=x`$B C=`"q`"\n')
    assert f.env("A") == "x$B" and f.env("C") == '"q"'


# -- ARG and ENV -------------------------------------------------------------------


def test_arg_after_env_of_the_same_name_is_unknown_only_env_reaches_the_image() -> None:
    # BuildKit's dispatchArg adds the ARG to the build state like an ENV
    # (llb AddEnv -> EnvList.AddOrReplace), so the later ARG wins there;
    # Docker's documentation says an ENV always wins.  Builders disagree:
    # what a RUN sees is unknown.  Only ENV goes to the image config.
    f = last("FROM scratch\nENV X=/from-env\nARG X=/from-arg\n")
    assert f.env("X") is UNKNOWN
    assert f.image_env("X") == "/from-env"
    assert not f.from_env("X")
    assert last("FROM scratch\nENV X=/same\nARG X=/same\n").env("X") == "/same"


def test_env_after_arg_wins() -> None:
    f = last("FROM scratch\nARG X=/from-arg\nENV X=/from-env\n")
    assert f.env("X") == "/from-env" and f.from_env("X")


def test_arg_without_value_after_env() -> None:
    src = "FROM scratch\nENV X=/e\nARG X\n"
    assert last(src).env("X") is UNKNOWN  # --build-arg X=... may override it
    assert last(src, build_args={}).env("X") == "/e"  # BuildKit, no --build-arg
    assert last(src, build_args={"X": "/b"}).env("X") is UNKNOWN  # /b (BuildKit) or /e (the docs)


def test_global_arg_only_in_from_unless_redeclared() -> None:
    src = "ARG V=1\nFROM scratch\nENV A=$V\nARG V\nENV B=$V\n"
    f = last(src)
    assert f.env("A") == ""  # BuildKit: a global ARG is not seen after FROM
    assert f.env("B") == "1"  # redeclared: takes the global default
    assert last(src, assume_defaults=False).env("B") is UNKNOWN


def test_buildkit_multi_args() -> None:
    # dockerfile_args_test.go testMultiArgs
    src = 'ARG a1="foo bar" a2=box\nARG a3="$a2-foo"\nFROM busy$a2 AS build\nARG a3 a4="123 456" a1\nRUN x\n'
    m, ins = model(src)
    f = m.at(ins[-1])
    assert (f.env("a1"), f.env("a3"), f.env("a4")) == ("foo bar", "box-foo", "123 456")
    assert f.stage.base == "busybox" and f.image.family is Family.BUSYBOX


def test_buildkit_quoted_meta_args() -> None:
    # testQuotedMetaArgs
    src = 'ARG a1="box"\nARG a2="$a1-foo"\nFROM busy$a1 AS build\nARG a2\nARG a3="bar-$a2"\nRUN x\n'
    assert last(src).env("a3") == "bar-box-foo"


@pytest.mark.parametrize(
    "build_args,expected",
    [({}, ("my_arg=def_val", "my_arg=d")), ({"my_arg": "override"}, ("my_arg=override", "my_arg=ov"))],
)
def test_buildkit_default_env_with_args(build_args, expected) -> None:
    # testDefaultEnvWithArgs
    src = (
        "ARG image=idlebox\nFROM busy${image#idle} AS build\nARG my_arg\n"
        'ENV my_arg "my_arg=${my_arg:-def_val}"\nENV my_trimmed_arg "${my_arg%%e*}"\n'
    )
    m, ins = model(src, build_args=build_args)
    f = m.after(ins[-1])
    assert (f.env("my_arg"), f.env("my_trimmed_arg")) == expected
    assert m.stages[0].base == "busybox"
    assert last(src).env("my_arg") is UNKNOWN  # which --build-arg is unknown


def test_empty_arg_is_set_bare_arg_is_not() -> None:
    # testEmptyStringArgInEnv: `ARG BAR=` sets BAR, `ARG FOO` does not
    f = last("FROM scratch\nARG FOO\nARG BAR=\n", build_args={})
    assert f.env("BAR") == "" and f.env("FOO") is None


def test_env_pairs_expand_with_the_env_before_the_instruction() -> None:
    f = last("FROM scratch\nENV abc=hello\nENV abc=bye def=$abc\nARG x=1 y=$x\n")
    assert f.env("def") == "hello" and f.env("y") == "1"


def test_platform_args_are_unknown_and_need_a_declaration() -> None:
    f = last("FROM scratch\nENV A=${TARGETARCH:-none}\nARG TARGETARCH\nENV B=$TARGETARCH\n")
    assert f.env("A") == "none" and f.env("B") is UNKNOWN
    m, _ = model("FROM --platform=$BUILDPLATFORM golang:1.22-$TARGETOS\nRUN x\n")
    assert m.stages[0].base is UNKNOWN


def test_names_the_file_never_sets() -> None:
    f = last("FROM python:3.12\nRUN x\n")
    assert f.env("FOO") is UNKNOWN  # the image may set it
    assert f.env("HOME") is None  # images leave HOME to the runtime
    assert f.expand("$HOME/x") == "/x"
    assert (
        last("FROM scratch\n").env("PATH") == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    )
    d = last("FROM debian:12\n")  # sets nothing but PATH
    assert (
        d.env("FOO") is None
        and d.env("PATH") == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    )
    g = last("FROM golang:1.22\n")
    assert g.env("GOPATH") == "/go" and g.variable("GOPATH").kind == "image"


def test_quotes_in_env_values() -> None:
    # issue 7: HOME built from an ENV whose value carries literal quotes
    f = last('FROM debian\nENV APP_USER="\\"app\\""\nENV HOME="/home/$APP_USER"\n')
    assert f.env("APP_USER") == '"app"' and f.env("HOME") == '/home/"app"'


def test_env_and_args_are_inherited_through_from_stage() -> None:
    src = "FROM scratch AS a\nENV E=1\nARG G=2\nFROM a AS b\nFROM B\nRUN x\n"
    f = last(src)
    assert f.stage.index == 2 and f.stage.parent.index == 1 and f.stage.root.index == 0
    assert f.env("E") == "1" and f.env("G") == "2"


# -- stages ----------------------------------------------------------------------


def test_stage_chains() -> None:
    src = (
        "ARG B=base\nFROM alpine AS base\nFROM base AS x\nFROM $B AS y\nFROM node AS z\n"
        "FROM 0 AS idx\nFROM scratch\n"
    )
    m, _ = model(src)
    base, x, y, z, idx, fin = m.stages
    assert x.parent is base and y.parent is base  # by name, after the global ARGs
    assert z.parent is None and z.image.family is Family.DEBIAN
    assert idx.parent is None  # BuildKit resolves FROM by stage name only
    assert [s.index for s in base.descendants] == [1, 2]
    assert m.final_stage is fin and fin.is_final and fin.scratch
    assert y.chain == (base, y) and y.image.family is Family.ALPINE


def test_later_stage_of_the_same_name_is_the_parent() -> None:
    m, _ = model("FROM alpine AS a\nFROM debian AS a\nFROM a\n")
    assert m.stages[2].parent is m.stages[1]  # BuildKit's statesByName is overwritten


# -- USER, HOME, WORKDIR, SHELL -------------------------------------------------------


def test_user_and_home_after_useradd() -> None:
    src = (
        "FROM debian:12\nRUN groupadd -g 1001 app && useradd -u 1001 -g app -m app\n"
        "RUN useradd -d /srv/web --uid=2000 web && adduser -D -u 3000 -h /opt/b bb\n"
        "USER app\nRUN a\nUSER web:0\nRUN b\nUSER bb\nRUN c\nUSER 4000\nRUN d\nUSER root\nRUN e\n"
    )
    m, ins = model(src)
    runs = [i for i in ins if i.keyword == "RUN"][2:]
    got = [(m.at(r).user.uid, m.at(r).user.gid, m.at(r).home) for r in runs]
    assert got == [
        (1001, 1001, "/home/app"),
        (2000, 0, "/srv/web"),
        (3000, UNKNOWN, "/opt/b"),
        (4000, UNKNOWN, UNKNOWN),
        (0, 0, "/root"),
    ]


def test_env_home_wins_and_image_users() -> None:
    f = last("FROM node:20\nUSER node\nRUN x\n")
    assert (f.user.uid, f.user.gid, f.home) == (1000, 1000, "/home/node")
    assert last("FROM node:20\nUSER node\nENV HOME=/h\n").home == "/h"
    d = last("FROM gcr.io/distroless/static-debian12:nonroot\n")
    assert (d.user.name, d.user.uid, d.home) == ("nonroot", 65532, "/home/nonroot")
    assert last("FROM debian\nUSER www-data\n").user.uid == 33
    assert last("FROM debian\n").user.root is True
    assert last("FROM quay.io/jupyter/base-notebook\n").user.root is UNKNOWN
    assert not last("FROM quay.io/jupyter/base-notebook\n").probably_root
    assert last("FROM example.com/app\n").probably_root  # the cache rules' reading
    assert last("FROM debian\nUSER $WHO\n").user.name is UNKNOWN


def test_adduser_with_two_operands_creates_nobody() -> None:
    f = last("FROM alpine\nRUN adduser app wheel\nUSER app\n")
    assert f.user.uid is UNKNOWN


def test_workdir_chains() -> None:
    src = "FROM python:3 AS a\nWORKDIR app\nENV D=src\nWORKDIR $D/../lib//x/\nFROM a\nWORKDIR /opt/$NOPE\n"
    m, ins = model(src)
    assert m.at(ins[1]).workdir.path == "/"  # python sets no WORKDIR
    assert m.after(ins[1]).workdir.path == "/app"
    assert m.after(ins[3]).workdir.path == "/app/lib/x"
    assert m.at(ins[4]).workdir.path == "/app/lib/x"  # inherited through FROM a
    assert m.after(ins[5]).workdir.path is UNKNOWN  # $NOPE may come from the image
    u = last("FROM example.com/app\nWORKDIR a\nWORKDIR ../b\n").workdir
    assert u.path is UNKNOWN and u.under_image == "b" and u.explicit
    assert last("FROM golang:1.22\n").workdir.path == "/go"
    # whether a known path rests on the image table's WORKDIR (DF506/DF511 only trust the file's)
    assert m.after(ins[3]).workdir.from_image and not m.after(ins[5]).workdir.from_image
    assert not last("FROM python\nWORKDIR /srv\nWORKDIR app\n").workdir.from_image
    assert not last("FROM scratch\nWORKDIR app\n").workdir.from_image


def test_shell() -> None:
    src = 'FROM debian AS a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nFROM a\nSHELL ["pwsh", "-c"]\nRUN x\n'
    m, ins = model(src)
    assert m.at(ins[0]).shell.argv == ("/bin/sh", "-c") and m.at(ins[0]).shell.default
    inherited = m.at(ins[2]).shell
    assert inherited.program == "bash" and inherited.posix and inherited.errexit and inherited.pipefail
    assert not m.at(ins[4]).shell.posix
    assert last("FROM mcr.microsoft.com/windows/servercore:ltsc2022\n").shell.argv == ("cmd", "/S", "/C")
    assert last("FROM debian\nSHELL /bin/bash -c\n").shell.argv is UNKNOWN
    assert [
        is_posix_shell(a) for a in (["sh"], ["/usr/bin/zsh"], ["busybox", "sh"], ["cmd"], ["python3"])
    ] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_windows_stages() -> None:
    assert last("FROM mcr.microsoft.com/windows/nanoserver:ltsc2022\n").windows
    assert last("# escape=`\nFROM example.com/x\n").windows
    assert last("FROM --platform=windows/amd64 example.com/x\n").windows
    assert not last("FROM python:3.12\n").windows


# -- images -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref,family,pm,user",
    [
        ("python:3.12", Family.DEBIAN, "apt", "root"),
        ("python:3.12-slim-bookworm", Family.DEBIAN, "apt", "root"),
        ("python:3.12-alpine3.20", Family.ALPINE, "apk", "root"),
        ("python:3.12-windowsservercore-ltsc2022", Family.WINDOWS, None, "ContainerAdministrator"),
        ("docker.io/library/node:20-slim", Family.DEBIAN, "apt", "root"),
        ("node:20-alpine", Family.ALPINE, "apk", "root"),
        ("golang:1.22-alpine", Family.ALPINE, "apk", "root"),
        ("rust:1", Family.DEBIAN, "apt", "root"),
        ("eclipse-temurin:21-jre", Family.UBUNTU, "apt", "root"),
        ("eclipse-temurin:21-jre-ubi9-minimal", Family.RHEL, "microdnf", "root"),
        ("maven:3-eclipse-temurin-21", Family.UBUNTU, "apt", "root"),
        ("maven:3-amazoncorretto-21", Family.RHEL, "yum", "root"),
        ("gradle:8-jdk21-alpine", Family.ALPINE, "apk", "root"),
        ("openjdk:17", Family.RHEL, "microdnf", "root"),
        ("openjdk:11-jre-slim", Family.DEBIAN, "apt", "root"),
        ("ruby:3.3-alpine", Family.ALPINE, "apk", "root"),
        ("php:8.3-apache", Family.DEBIAN, "apt", "root"),
        ("nginx:1.27", Family.DEBIAN, "apt", "root"),
        ("httpd:2.4-alpine", Family.ALPINE, "apk", "root"),
        ("ubuntu:24.04", Family.UBUNTU, "apt", "root"),
        ("debian:bookworm-slim", Family.DEBIAN, "apt", "root"),
        ("alpine", Family.ALPINE, "apk", "root"),
        ("busybox:1.36", Family.BUSYBOX, None, "root"),
        ("bash:5", Family.ALPINE, "apk", "root"),
        ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", Family.RHEL, "microdnf", "root"),
        ("registry.access.redhat.com/ubi9/ubi", Family.RHEL, "dnf", "root"),
        ("amazonlinux:2", Family.RHEL, "yum", "root"),
        ("fedora:40", Family.RHEL, "dnf", "root"),
        ("opensuse/leap:15.6", Family.SUSE, "zypper", "root"),
        ("gcr.io/distroless/static-debian12", Family.DISTROLESS, None, "root"),
        ("gcr.io/distroless/base-debian12:nonroot", Family.DISTROLESS, None, "nonroot"),
        ("mcr.microsoft.com/windows/servercore:ltsc2022", Family.WINDOWS, None, "ContainerAdministrator"),
        ("mcr.microsoft.com/dotnet/sdk:8.0", Family.DEBIAN, "apt", "root"),
        ("mcr.microsoft.com/dotnet/aspnet:8.0-alpine", Family.ALPINE, "apk", "root"),
        ("mcr.microsoft.com/dotnet/framework/sdk:4.8", Family.WINDOWS, None, UNKNOWN),
        ("cgr.dev/chainguard/python:latest-dev", Family.WOLFI, "apk", UNKNOWN),
        ("scratch", Family.SCRATCH, None, "root"),
        ("example.com/team/app:1", Family.UNKNOWN, UNKNOWN, UNKNOWN),
    ],
)
def test_image_families(ref, family, pm, user) -> None:
    info = image_info(ref)
    assert (info.family, info.package_manager, info.default_user) == (family, pm, user)


def test_image_shells_and_users() -> None:
    assert image_info("gcr.io/distroless/static").has_shell is False
    assert image_info("gcr.io/distroless/base:debug").has_shell is False  # /busybox/sh only
    assert image_info("python:3.12-slim").has_shell is True
    assert image_info("node:20").user("node").uid == 1000
    assert image_info("php:8-fpm-alpine").user("www-data").uid == 82
    assert image_info("php:8-fpm").user("www-data").uid == 33


def test_refs() -> None:
    r = parse_ref("docker.io/library/Python:3.12@sha256:" + "a" * 64)
    assert (r.registry, r.path, r.tag, r.digest, r.official) == (
        None,
        "python",
        "3.12",
        "sha256:" + "a" * 64,
        True,
    )
    r = parse_ref("localhost:5000/team/app")
    assert (r.registry, r.path, r.tag) == ("localhost:5000", "team/app", None)


def test_variables_in_refs() -> None:
    m, _ = model("ARG V\nFROM python:${V}-slim\nFROM python:$V\nFROM $IMG\n")
    slim, any_variant, nothing = m.stages
    assert slim.ref.tag is UNKNOWN and slim.ref.pattern_tag == "*-slim"
    assert slim.image.family is Family.DEBIAN  # every -slim variant is Debian
    assert any_variant.image.family is Family.UNKNOWN  # could be -alpine
    assert nothing.ref.path is UNKNOWN and nothing.image.family is Family.UNKNOWN


# -- mounts ------------------------------------------------------------------------


def test_mount_parsing() -> None:
    m = parse_mount("type=cache,target=/root/.cache,sharing=LOCKED,uid=1000,mode=0755,id=x")
    assert (m.type, m.target, m.sharing, m.uid, m.mode, m.id, m.readonly) == (
        "cache", "/root/.cache", "locked", 1000, 0o755, "x", False,
    )  # fmt: skip
    b = parse_mount('src=.,"dst=/a,b",ro')
    assert (b.type, b.source, b.target, b.readonly) == ("bind", ".", "/a,b", True)
    s = parse_mount("type=secret,id=tok,env=TOKEN,required")
    assert (s.env, s.required, s.readonly) == ("TOKEN", True, True)
    assert parse_mount("type=bind,rw=true").readonly is False
    assert parse_mount('type=cache,target="/x').error == "failed to parse csv mounts"
    assert parse_mount("type=cache,target=/x,bogus=1").error is not None
    assert parse_mount("type=cache,target=$DIR").target is UNKNOWN


def test_mounts_of_a_run_are_expanded() -> None:
    m, ins = model(
        "FROM python:3.12\nENV D=/cache\nRUN --mount=type=cache,target=$D/pip,from=$NOPE pip install x\n"
    )
    (mount,) = m.mounts(ins[-1])
    assert mount.target == "/cache/pip" and mount.from_ is UNKNOWN and mount.flag is ins[-1].flags[0]
    assert m.mounts(ins[-1]) is m.mounts(ins[-1])
    assert m.script(ins[-1]).commands[0].program == "pip"


# -- the whole corpus, and the cost ---------------------------------------------------

REAL_WORLD = CORPUS / "real-world"


@pytest.mark.skipif(not REAL_WORLD.is_dir(), reason="real-world corpus not present")
def test_every_real_world_file() -> None:
    from dockfix.tree import ParseError

    done = 0
    for path in sorted(REAL_WORLD.rglob("*")):
        if not path.is_file() or path.suffix in (".tsv", ".md"):
            continue
        try:
            tree = parse(path.read_bytes().decode("utf-8", "surrogateescape"))
        except (ParseError, ValueError):
            continue
        m = SemanticModel.of(tree)
        for ins in tree.instructions:
            if m.stage_of(ins) is None:
                continue
            f = m.at(ins)
            (
                f.user,
                f.home,
                f.workdir,
                f.shell,
                f.env("PATH"),
                f.expand(str(ins.args[0].value) if ins.args else ""),
            )
            if ins.keyword == "RUN":
                m.mounts(ins)
        assert SemanticModel.of(tree) is m
        done += 1
    assert done > 300


def _file(n: int) -> str:
    """A file of about 10·n instructions over n/4 stages, each built on
    the one before, using every fact the model tracks."""
    out = ["ARG BASE=debian:12\n"]
    for s in range(max(1, n // 4)):
        out.append(f"FROM {'$BASE' if s == 0 else f's{s - 1}'} AS s{s}\n")
        for k in range(4):
            i = s * 4 + k
            out.append(f"ENV V{i}=/v{i} P=$P:/v{i}\nARG A{i}=${{V{i}}}/a\nWORKDIR d{i}\n")
            out.append(f"RUN useradd -u {1000 + i} u{i} && echo $A{i}\nUSER u{i}\n")
            out.append(f"RUN --mount=type=cache,target=$V{i}/c echo\n")
        out.append('SHELL ["/bin/bash", "-c"]\n')
    return "".join(out)


def _cost(n: int) -> int:
    tree = parse(_file(n))
    m = SemanticModel(tree)
    for ins in tree.instructions:
        if m.stage_of(ins) is None:
            continue
        f = m.at(ins)
        f.env("P"), f.env("V0"), f.user, f.home, f.workdir, f.shell
        if ins.keyword == "RUN":
            m.mounts(ins)
    return m.steps + m.expansions


def test_linear() -> None:
    small, big = _cost(16), _cost(128)
    assert big <= 8 * small * 1.2, (small, big)


def test_an_empty_tag_is_no_known_image() -> None:
    # an undeclared ARG expands to nothing (BuildKit), leaving `node:`: an
    # invalid reference, not node's default (Debian) variant
    tree = parse("FROM node:${VARIANT}\nRUN true\n")
    assert SemanticModel.of(tree).stages[0].image.family is Family.UNKNOWN


# -- long chains, the file's users, output stages -------------------------------------


def test_a_chain_of_3000_stages_is_walked_without_recursion() -> None:
    # each stage FROM the one before: every query walks up the chain (on
    # HEAD the walks recursed once per stage and raised RecursionError)
    n = 3000
    src = "FROM debian:12 AS s0\nENV A=1\nRUN groupadd -g 7 g && useradd -u 5 -g g app\nWORKDIR /w\n"
    src += "".join(f"FROM s{i} AS s{i + 1}\nRUN true\n" for i in range(n))
    src += "USER app\n"
    m, _ = model(src)
    final = m.stages[-1]
    end = m.end(final)
    assert (end.env("A"), end.env("UNSET"), end.workdir.path, end.shell.argv) == (
        "1",
        None,
        "/w",
        ("/bin/sh", "-c"),
    )
    assert (end.user.uid, end.user.gid, end.user.home) == (5, 7, "/home/app")
    assert m._root(final) is m.stages[0] and final.root is m.stages[0]
    assert [(c.name, c.id, c.gid) for c in m.created(final)] == [("app", 5, 7)]
    assert m.output_stages() == (final,)


def test_created_users_with_their_gid() -> None:
    src = (
        "FROM debian:12 AS base\n"
        "RUN groupadd -g 2000 web && useradd -u 1000 -g web www && useradd -u 1001 -g 3000 n\n"
        "FROM base\n"
        "RUN useradd -u 1002 -g later l && groupadd -g 4000 later && useradd x\n"
    )
    m, ins = model(src)
    final = m.stages[-1]
    got = [(c.name, c.id, c.gid, c.ins is ins[-1]) for c in m.created(final)]
    assert got == [
        ("www", 1000, 2000, False),
        ("n", 1001, 3000, False),
        ("l", 1002, UNKNOWN, True),  # its group is created after it
        ("x", UNKNOWN, UNKNOWN, True),
    ]
    assert [(c.name, c.gid) for c in m.created(final, "group")] == [("web", 2000), ("later", 4000)]
    assert [c.name for c in m.created(m.stages[0])] == ["www", "n"]  # the chain of the first stage only


def test_creates_and_supplementary_groups() -> None:
    m, _ = model(
        "FROM alpine:3 AS a\nRUN adduser -D x && addgroup x wheel\n"
        "FROM debian:12\nRUN useradd -u 5 y && useradd -u 6 -G audio z\n"
    )
    assert [n for n in ("x", "y", "z", "wheel", "audio") if m.creates(n)] == ["x", "y", "z"]
    assert (m.supplementary_groups("x"), m.supplementary_groups("y"), m.supplementary_groups("z")) == (
        True,
        False,
        True,
    )
    unreadable, _ = model(
        'FROM debian:12\nSHELL ["pwsh", "-c"]\nRUN ["sh", "-c", "usermod -aG docker app"]\n'
    )
    assert unreadable.supplementary_groups("y") is UNKNOWN


def test_the_root_group_is_gid_0() -> None:
    assert last("FROM debian:12\nRUN useradd -u 5 app\nUSER app:root\n").user.gid == 0
    assert last("FROM alpine:3\nUSER 1000:root\n").user.gid == 0
    assert last("FROM alpine:3\nUSER 1000:staff\n").user.gid is UNKNOWN


def test_output_stages() -> None:
    m, _ = model(
        "FROM node:20 AS deps\nRUN npm ci\n"
        "FROM deps AS build\nRUN npm run build\n"
        "FROM node:20 AS dev\nCMD npm run dev\n"
        "FROM node:20 AS cache\nRUN true\n"
        "FROM node:20 AS assets\nRUN true\n"
        "FROM node:20-slim\nCOPY --from=build /app /app\nRUN --mount=from=cache,target=/c true\n"
        "COPY --from=4 /x /x\n"
    )
    assert [st.index for st in m.output_stages()] == [2, 5]


def test_word_references() -> None:
    f = last("FROM debian:12\nRUN true\n")
    assert f.word_references("${A:-$B}/${C:+x}$D") == {"A", "B", "C", "D"}
    assert f.word_references("'$A'\\$B") == set()
    assert f.word_references("${A") == {"\0"}  # cannot be read: may refer to anything
    assert last("# escape=`\nFROM debian:12\nRUN true\n").word_references("`$A$B") == {"B"}


# -- what the image table says about running an image -------------------------------


@pytest.mark.parametrize(
    "ref, entrypoint",
    [
        ("python:3.12-slim", ()),
        ("golang:1.22-alpine", ()),
        ("node:20-slim", ("docker-entrypoint.sh",)),
        ("node:20-alpine", ("docker-entrypoint.sh",)),
        ("scratch", ()),
        ("nginx:1.27", UNKNOWN),  # not in the table: not known
        ("myorg/python:3.12", UNKNOWN),
        ("python:${V}", UNKNOWN),
    ],
)
def test_image_entrypoints(ref, entrypoint) -> None:
    assert image_info(ref.replace("${V}", "\x00")).entrypoint == entrypoint


@pytest.mark.parametrize(
    "ref, service",
    [
        ("nginx:1.27-alpine", "nginx starts as root"),
        ("php:8.3-apache", "www-data"),
        ("php:8.3-fpm-alpine", "www-data"),
        ("php:8.3-cli", None),
        ("postgres:16", "switches to `postgres`"),
        ("python:3.12", None),
        ("ghcr.io/acme/nginx:1", None),  # not Docker Hub's nginx
    ],
)
def test_servers_that_start_as_root(ref, service) -> None:
    got = image_info(ref).starts_as_root
    assert (got is None) if service is None else (got is not None and service in got)


@pytest.mark.parametrize(
    "ref, manager",
    [
        ("debian:12", "apt"),
        ("python:3.12-slim-bookworm", "apt"),
        ("ubuntu:24.04", "apt"),
        ("node:20-alpine", "apk"),
        ("debian:stretch", None),
        ("ubuntu:bionic", None),
        ("registry.access.redhat.com/ubi9/ubi", None),
        ("gcr.io/distroless/base-debian12", None),
        ("scratch", None),
    ],
)
def test_tini_package(ref, manager) -> None:
    info = image_info(ref)
    got, why = tini_package(info.family, info.ref)
    assert got == manager and (why == "") == (manager is not None)
    if got is not None:
        assert TINI_PATHS[got].endswith("/tini")
