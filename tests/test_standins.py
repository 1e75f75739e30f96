"""The local stand-ins for the official images (tests/images/, the table in
tests/standins.py) behave like the official ones, each fixture app in
tests/apps/ builds on them and prints what its case.json says, and the build
harness works: before and after ``dockfix --unsafe-fixes`` the app prints the
same and keeps its config but for what the case allows.

The tests marked ``build`` need buildah and the local debian:bookworm-slim
(``../shared/tools/buildah-setup.sh``; `.ci/run` runs it) and are skipped
otherwise; the stand-ins they need are built on first use (minutes from
scratch, seconds after).  Timings and sizes are printed (``pytest -rP``) —
measured, never asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import standins as si
from standins import standin_images as standin_images

from dockfix.images import UNKNOWN, Unknown, image_info

OS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
JAVA_ENV = {
    "JAVA_HOME": "/opt/java/openjdk",
    "PATH": f"/opt/java/openjdk/bin:{OS_PATH}",
    "LANG": "en_US.UTF-8",
    "LANGUAGE": "en_US:en",
    "LC_ALL": "en_US.UTF-8",
}
LIB_DIRS = ("/lib", "/usr/lib", "/lib64")


# -- the table and the harness, without buildah ---------------------------------


def test_canonical_names() -> None:
    assert si.canonical("python:3.11") == "docker.io/library/python:3.11"
    assert si.canonical("bitnami/redis:7") == "docker.io/bitnami/redis:7"
    assert si.canonical("gcr.io/distroless/static-debian12") == "gcr.io/distroless/static-debian12:latest"
    assert si.canonical("localhost:5000/x") == "localhost:5000/x:latest"
    assert si.standin("docker.io/library/python:3.11-bookworm").name == "python:3.11"
    assert si.standin("gcr.io/distroless/static:nonroot").name == "gcr.io/distroless/static-debian12:nonroot"
    with pytest.raises(KeyError):
        si.standin("python:3.12")


def test_closure_puts_bases_first() -> None:
    names = [s.name for s in si.closure(["maven:3-eclipse-temurin-17", "python:3.11"])]
    assert names == [
        "buildpack-deps:bookworm-curl", "buildpack-deps:bookworm-scm", "buildpack-deps:bookworm",
        "python:3.11", "eclipse-temurin:17-jdk", "maven:3-eclipse-temurin-17",
    ]  # fmt: skip
    order = [s.name for s in si.closure(None)]
    for s in si.STANDINS:
        if si.canonical(s.base) != si.canonical(si.LOCAL_BASE):
            assert order.index(si.standin(s.base).name) < order.index(s.name)


def test_images_folder_matches_the_table() -> None:
    """Every stand-in's Dockerfile exists and takes its base as BASE; every
    Dockerfile under tests/images/ is in the table; names and tags are unique."""
    used = {(s.folder, s.dockerfile) for s in si.STANDINS}
    on_disk = {(p.parent.name, p.name) for p in si.IMAGES.glob("*/*Dockerfile")}
    assert used == on_disk
    for s in si.STANDINS:
        text = (s.context / s.dockerfile).read_text()
        assert "ARG BASE\nFROM ${BASE}" in text, s.name
    tags = [t for s in si.STANDINS for t in s.tags]
    assert len(tags) == len(set(tags))


def test_digest_follows_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(si, "IMAGES", tmp_path)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "Dockerfile").write_text("ARG BASE\nFROM ${BASE}\n")
    s = si.StandIn("x:1", "x", si.LOCAL_BASE, "test")
    first = s.digest("base1")
    assert s.digest("base1") == first
    assert s.digest("base2") != first
    (tmp_path / "x" / "entry.sh").write_text('exec "$@"\n')
    second = s.digest("base1")
    assert second != first
    (tmp_path / "x" / "entry.sh").chmod(0o755)
    assert s.digest("base1") != second
    assert si.StandIn("x:1", "x", si.LOCAL_BASE, "test", args=(("A", "1"),)).digest("base1") != first


def test_config_diff() -> None:
    a = {"Cmd": ["node"], "Env": ["PATH=/bin", "A=1"], "User": None, "ExposedPorts": {"80/tcp": {}}}
    b = {
        "Cmd": ["node"],
        "Env": ["A=1", "PATH=/venv/bin:/bin"],
        "User": "1000:1000",
        "ExposedPorts": {"80/tcp": {}},
    }
    assert si.config_diff(a, b) == {"Env:PATH": ("/bin", "/venv/bin:/bin"), "User": (None, "1000:1000")}
    assert si.config_diff(a, b, allow=["User"], allow_env=["PATH"]) == {}
    assert si.config_diff(a, {**a, "Env": ["PATH=/bin"]}) == {"Env:A": ("1", None)}
    assert si.env_dict({"Env": ["A=b=c", "E"]}) == {"A": "b=c", "E": ""}


def test_image_config_normalises() -> None:
    info = {
        "OCIv1": {"config": {"Cmd": ["x"], "Env": [], "Labels": {"io.buildah.version": "1.28.2"}}},
        "Docker": {"config": {"Healthcheck": {"Test": ["CMD", "true"]}}},
    }
    config = si.image_config(info)
    assert config["Cmd"] == ["x"] and config["Env"] is None and config["Labels"] is None
    assert config["Healthcheck"] == {"Test": ["CMD", "true"]}
    assert set(config) == set(si.CONFIG_KEYS)


def test_imagefs_stays_inside_the_image(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/python3.11").write_text("")
    os.symlink("python3.11", root / "usr/bin/python3")
    (root / "usr/local/bin").mkdir(parents=True)
    os.symlink("/usr/bin/python3", root / "usr/local/bin/python")  # absolute: inside the image
    os.symlink("usr/bin", root / "bin")
    os.symlink("/nonexistent-on-purpose", root / "usr/local/bin/dangling")
    fs = si.ImageFS(root)
    assert fs.resolve("/usr/local/bin/python") == root / "usr/bin/python3.11"
    assert fs.exists("/bin/python3") and fs.exists("/usr/local/bin/../bin/python")
    assert not fs.exists("/usr/local/bin/dangling")
    assert fs.readlink("/usr/local/bin/python") == "/usr/bin/python3"
    assert fs.find("python3.11", "/bin", "/usr") == [str(root / "usr/bin/python3.11")]


def test_passwd_lookup() -> None:
    passwd = "root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\n"
    assert si._lookup(passwd, "node") == ["node", "x", "1000", "1000", "", "/home/node", "/bin/bash"]
    assert si._lookup(passwd, "1000") is not None and si._lookup(passwd, "1000")[0] == "node"
    assert si._lookup(passwd, "nobody") is None


def test_apps_are_well_formed() -> None:
    """Each app has a Dockerfile and a case.json naming known stand-ins, and
    is not in tests/builds/ (test_build.py builds every folder there)."""
    names = si.app_names()
    assert {"python", "node", "go", "rust", "java"} <= set(names)
    builds = {p.name for p in (si.ROOT / "tests" / "builds").iterdir()}
    for name in names:
        case = si.load_app(name)
        assert (case.folder / "Dockerfile").is_file()
        assert case.stdout.endswith("\n") and case.stand_ins
        for ref in case.stand_ins:
            si.standin(ref)
        first = (case.folder / "Dockerfile").read_text().splitlines()[0]
        assert first == f"FROM {case.stand_ins[0]}", "the app builds on its case's first stand-in"
        assert name not in builds


# -- the stand-ins, built ---------------------------------------------------------


@dataclass
class Expect:
    """What an official image is, as far as the stand-in mirrors it."""

    env: dict[str, str]
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    user: str | None = None
    workdir: str | None = None
    env_exact: bool = False
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    runs: tuple[tuple[tuple[str, ...], str], ...] = ()  # (args, text the output contains)
    libs: tuple[str, ...] = ()  # shared libraries present under LIB_DIRS
    no_libs: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)  # /etc/passwd lines


PY_RUNS = (
    (("python", "-c", "import os,platform; print(platform.python_version() == os.environ['PYTHON_VERSION'])"),
     "True"),
    (("python", "-c", "import pip, sysconfig; print(pip.__file__, sysconfig.get_path('purelib'))"),
     "/usr/local/lib/python3.11/dist-packages/pip/__init__.py /usr/local/lib/python3.11/dist-packages"),
    (("sh", "-c", "python -m venv /tmp/venv && /tmp/venv/bin/pip --version"), "/tmp/venv/lib/python3.11"),
)  # fmt: skip
PY_PRESENT = ("/usr/local/bin/python", "/usr/local/bin/python3", "/usr/local/bin/pip", "/usr/local/bin/pip3")
PY_ENV = {"PATH": f"/usr/local/bin:{OS_PATH}", "LANG": "C.UTF-8", "PYTHON_VERSION": "3.11.2"}
NODE_ENV = {"PATH": OS_PATH, "NODE_VERSION": "18.20.4", "YARN_VERSION": "1.22.22"}
NODE_RUNS = (
    (("-e", "console.log(process.version === 'v' + process.env.NODE_VERSION)"), "true"),  # via the entrypoint
    (("npm", "--version"), "10.8.2"),
    (("yarn", "--version"), "1.22.22"),
    (("npm", "config", "get", "prefix"), "/usr/local"),
)
NODE_PRESENT = tuple(
    f"/usr/local/bin/{b}" for b in ("node", "npm", "npx", "yarn", "yarnpkg", "docker-entrypoint.sh")
)
NODE_USER = {"node": "node:x:1000:1000::/home/node:/bin/bash"}
RUST_ENV = {
    "PATH": f"/usr/local/cargo/bin:{OS_PATH}",
    "CARGO_HOME": "/usr/local/cargo",
    "RUSTUP_HOME": "/usr/local/rustup",
    "RUST_VERSION": "1.63.0",
}
RUST_RUNS = ((("rustc", "--version"), "rustc 1.63.0"), (("cargo", "--version"), "cargo 1."))
DISTROLESS_ENV = {"PATH": OS_PATH, "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"}
DISTROLESS_FILES = (
    "/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo/UTC", "/etc/services", "/etc/os-release",
    "/etc/nsswitch.conf", "/home/nonroot", "/tmp", "/etc/mime.types",
)  # fmt: skip
NO_SHELL = ("/bin/sh", "/usr/bin/sh", "/bin/bash", "/usr/bin/apt-get", "/usr/bin/dpkg")
CC_LIBS = ("libc.so.6", "libssl.so.3", "libgcc_s.so.1", "libstdc++.so.6", "libgomp.so.1")

EXPECT: dict[str, Expect] = {
    "buildpack-deps:bookworm-curl": Expect(
        {"PATH": OS_PATH}, cmd=["bash"], env_exact=True,
        present=("/usr/bin/curl", "/usr/bin/wget", "/usr/bin/gpg", "/etc/ssl/certs/ca-certificates.crt"),
        absent=("/usr/bin/git",)),
    "buildpack-deps:bookworm-scm": Expect(
        {"PATH": OS_PATH}, cmd=["bash"], env_exact=True,
        present=("/usr/bin/git", "/usr/bin/hg", "/usr/bin/svn", "/usr/bin/ssh", "/usr/bin/ps"),
        absent=("/usr/bin/gcc",)),
    "buildpack-deps:bookworm": Expect(
        {"PATH": OS_PATH}, cmd=["bash"], env_exact=True,
        present=("/usr/bin/gcc", "/usr/bin/g++", "/usr/bin/make", "/usr/include/postgresql/libpq-fe.h",
                 "/usr/include/openssl/ssl.h", "/usr/include/libxml2/libxml/parser.h", "/usr/include/zlib.h")),
    "python:3.11": Expect(
        PY_ENV, cmd=["python3"], env_exact=True, runs=PY_RUNS,
        present=(*PY_PRESENT, "/usr/include/python3.11/Python.h", "/usr/bin/gcc",
                 "/usr/include/postgresql/libpq-fe.h"),
        absent=("/usr/lib/python3.11/EXTERNALLY-MANAGED",)),
    "python:3.11-slim": Expect(
        PY_ENV, cmd=["python3"], env_exact=True, runs=PY_RUNS, present=PY_PRESENT,
        absent=("/usr/lib/python3.11/EXTERNALLY-MANAGED", "/usr/bin/gcc", "/usr/include/python3.11/Python.h")),
    "node:18": Expect(
        NODE_ENV, cmd=["node"], entrypoint=["docker-entrypoint.sh"], env_exact=True, runs=NODE_RUNS,
        present=(*NODE_PRESENT, "/usr/bin/gcc", "/usr/bin/make", "/usr/bin/python3"), extra=NODE_USER),
    "node:18-slim": Expect(
        NODE_ENV, cmd=["node"], entrypoint=["docker-entrypoint.sh"], env_exact=True, runs=NODE_RUNS,
        present=NODE_PRESENT, absent=("/usr/bin/gcc", "/usr/bin/python3", "/usr/bin/make"), extra=NODE_USER),
    "golang:1.19": Expect(
        {"PATH": f"/go/bin:/usr/local/go/bin:{OS_PATH}", "GOPATH": "/go", "GOLANG_VERSION": "1.19.8"},
        cmd=["bash"], workdir="/go", env_exact=True,
        present=("/usr/local/go/bin/go", "/usr/local/go/bin/gofmt", "/go/src", "/go/bin", "/usr/bin/gcc"),
        runs=((("go", "version"), "go version go1.19.8 linux/"), (("go", "env", "GOPATH"), "/go"))),
    "rust:1.63": Expect(
        RUST_ENV, cmd=["bash"], env_exact=True, runs=RUST_RUNS,
        present=("/usr/local/cargo/bin/cargo", "/usr/local/cargo/bin/rustc", "/usr/local/rustup", "/usr/bin/git")),
    "rust:1.63-slim": Expect(
        RUST_ENV, cmd=["bash"], env_exact=True, runs=RUST_RUNS,
        present=("/usr/local/cargo/bin/cargo", "/usr/local/cargo/bin/rustc", "/usr/bin/gcc"),
        absent=("/usr/bin/git", "/usr/bin/make")),
    "eclipse-temurin:17-jdk": Expect(
        JAVA_ENV, cmd=["jshell"], entrypoint=["/__cacert_entrypoint.sh"], env_exact=True,
        present=("/opt/java/openjdk/bin/java", "/opt/java/openjdk/bin/javac", "/opt/java/openjdk/bin/jshell",
                 "/etc/ssl/certs/java/cacerts"),
        runs=((("java", "-version"), 'version "17.'), (("javac", "-version"), "javac 17."),
              (("locale", "-a"), "en_US.utf8"), (("sh", "-c", "command -v java"), "/opt/java/openjdk/bin/java"))),
    "eclipse-temurin:17-jre": Expect(
        JAVA_ENV, entrypoint=["/__cacert_entrypoint.sh"], env_exact=True,
        present=("/opt/java/openjdk/bin/java", "/etc/ssl/certs/java/cacerts"),
        absent=("/opt/java/openjdk/bin/javac", "/opt/java/openjdk/bin/jshell"),
        runs=((("java", "-version"), 'version "17.'),)),
    "maven:3-eclipse-temurin-17": Expect(
        {**JAVA_ENV, "MAVEN_HOME": "/usr/share/maven", "MAVEN_CONFIG": "/root/.m2"}, env_exact=True,
        cmd=["mvn"], entrypoint=["/usr/local/bin/mvn-entrypoint.sh"],
        present=("/usr/share/maven/bin/mvn", "/usr/bin/mvn", "/opt/java/openjdk/bin/javac",
                 "/usr/share/maven-repo/org/apache/maven/plugins/maven-compiler-plugin"),
        runs=((("mvn", "-v"), "Apache Maven 3.8.7"),)),
    "gcr.io/distroless/static-debian12": Expect(
        DISTROLESS_ENV, env_exact=True, user="0", workdir="/", present=DISTROLESS_FILES, absent=NO_SHELL,
        no_libs=("libc.so.6",)),
    "gcr.io/distroless/static-debian12:nonroot": Expect(
        DISTROLESS_ENV, env_exact=True, user="65532", workdir="/home/nonroot", present=DISTROLESS_FILES,
        absent=NO_SHELL, no_libs=("libc.so.6",)),
    "gcr.io/distroless/cc-debian12": Expect(
        DISTROLESS_ENV, env_exact=True, user="0", workdir="/", present=DISTROLESS_FILES, absent=NO_SHELL,
        libs=CC_LIBS),
    "gcr.io/distroless/cc-debian12:nonroot": Expect(
        DISTROLESS_ENV, env_exact=True, user="65532", workdir="/home/nonroot", present=DISTROLESS_FILES,
        absent=NO_SHELL, libs=CC_LIBS),
}  # fmt: skip
DISTROLESS_PASSWD = [
    "root:x:0:0:root:/root:/sbin/nologin",
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin",
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin",
]


def test_every_standin_has_expectations() -> None:
    assert set(EXPECT) == {s.name for s in si.STANDINS}


@pytest.mark.build
@pytest.mark.parametrize("name", [s.name for s in si.STANDINS])
def test_standin_is_like_the_official_image(name: str, standin_images: si.StandIns) -> None:
    standin_images.ensure(name)
    s, want = si.standin(name), EXPECT[name]
    ids = si.local_images()
    assert {ids.get(tag) for tag in s.tags} == {ids[s.ref]}, "every tag names the same image"
    config = si.image_config(si.inspect_image(s.ref))
    env = si.env_dict(config)
    if want.env_exact:
        assert env == want.env
    else:
        assert {k: env.get(k) for k in want.env} == want.env
    assert config["Cmd"] == want.cmd
    assert config["Entrypoint"] == want.entrypoint
    assert config["User"] == want.user
    assert config["WorkingDir"] == want.workdir
    with si.container(s.ref) as c:
        fs = c.fs
        missing = [p for p in want.present if not fs.exists(p)]
        assert not missing, f"missing: {missing}"
        unwanted = [p for p in want.absent if fs.exists(p)]
        assert not unwanted, f"should not be there: {unwanted}"
        for lib in want.libs:
            assert fs.find(lib, *LIB_DIRS), f"no {lib}"
        for lib in want.no_libs:
            assert not fs.find(lib, *LIB_DIRS), f"{lib} should not be there"
        passwd = fs.read_text("/etc/passwd").splitlines()
        for user, line in want.extra.items():
            assert line in passwd, f"user {user}"
        if name.startswith("gcr.io/distroless/"):
            assert passwd == DISTROLESS_PASSWD
            assert stat.S_IMODE(fs.stat("/tmp").st_mode) == 0o1777
            home = fs.stat("/home/nonroot")
            assert (home.st_uid, home.st_gid) == (65532, 65532)
        if want.extra.get("node"):
            home = fs.stat("/home/node")
            assert (home.st_uid, home.st_gid) == (1000, 1000)
        for folder in env.get("PATH", "").split(":"):
            prefix = ""
            for part in filter(None, folder.split("/")):
                prefix += "/" + part
                target = fs.readlink(prefix)
                # buildah run finds no command in a folder reached that way
                assert target is None or not target.startswith("/"), f"{prefix} -> {target} (on PATH)"
        for args, text in want.runs:
            ran = c.run(list(args))
            assert ran.returncode == 0, f"{args}: {ran.stderr}"
            assert text in ran.stdout + ran.stderr, f"{args}: {ran.stdout}{ran.stderr}"


@pytest.mark.build
@pytest.mark.parametrize("name", [s.name for s in si.STANDINS])
def test_standin_agrees_with_dockfix_image_table(name: str, standin_images: si.StandIns) -> None:
    """What dockfix.images believes of the official image holds for the
    stand-in: its users (uid, gid, home), default user, ENV, WORKDIR, shell,
    package manager, libc.  (The family is not compared: eclipse-temurin and
    maven are Ubuntu upstream and Debian here.)"""
    standin_images.ensure(name)
    s, info = si.standin(name), image_info(name)
    assert info.known
    config = si.image_config(si.inspect_image(s.ref))
    env = si.env_dict(config)
    for key, value in info.env:
        assert env.get(key) == value, key
    if info.env_complete:
        assert set(env) == {k for k, _ in info.env}
    if not isinstance(info.workdir, Unknown):
        assert (config["WorkingDir"] or "/") == info.workdir
    with si.container(s.ref) as c:
        if not isinstance(info.default_user, Unknown):
            user = info.user(info.default_user)
            assert user is not None and c.ids()[0] == user.uid
        fs = c.fs
        passwd = {f[0]: f for f in (line.split(":") for line in fs.read_text("/etc/passwd").splitlines())}
        for u in info.users:
            entry = passwd.get(u.name)
            assert entry is not None, u.name
            assert (int(entry[2]), int(entry[3]), entry[5]) == (u.uid, u.gid, u.home), u.name
        if info.has_shell is not UNKNOWN:
            assert fs.exists("/bin/sh") == info.has_shell
        if info.package_manager is not UNKNOWN:
            assert fs.exists("/usr/bin/apt-get") == (info.package_manager == "apt")
        if info.libc == "glibc":
            assert fs.find("libc.so.6", *LIB_DIRS)
        elif info.libc is None:
            assert not fs.find("libc.so.6", *LIB_DIRS)


@pytest.mark.build
def test_distroless_runs_static_and_dynamic_binaries(standin_images: si.StandIns, tmp_path: Path) -> None:
    """A CGO_ENABLED=0 Go binary runs on static:nonroot as 65532 in
    /home/nonroot; a Rust binary (glibc, libgcc_s) runs on cc:nonroot —
    which also shows Container.run honours the image's User and WorkingDir."""
    standin_images.ensure(
        "golang:1.19", "rust:1.63", "gcr.io/distroless/static-debian12:nonroot",
        "gcr.io/distroless/cc-debian12:nonroot",
    )  # fmt: skip
    go, rust = tmp_path / "go", tmp_path / "rust"
    shutil.copytree(si.APPS / "go", go)
    shutil.copytree(si.APPS / "rust", rust)
    (go / "multi.Dockerfile").write_text(
        "FROM golang:1.19 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /hello .\n"
        "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /hello /usr/local/bin/hello\n"
        'CMD ["hello"]\n'
    )
    (rust / "multi.Dockerfile").write_text(
        "FROM rust:1.63 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\n"
        "FROM gcr.io/distroless/cc-debian12:nonroot\nCOPY --from=build /src/target/release/hello /hello\n"
        'ENTRYPOINT ["/hello"]\n'
    )
    for app, folder in (("go", go), ("rust", rust)):
        built = si.build_image(folder, f"localhost/dockfix-standin-test-{app}:distroless", "multi.Dockerfile")
        with si.container(built.tag) as c:
            ran = c.run()
            assert ran.returncode == 0, ran.stderr
            assert ran.stdout == si.load_app(app).stdout
            assert (ran.user, ran.workdir) == ("65532", "/home/nonroot")
            assert c.ids() == (65532, 65532)
        print(f"\n{app} on distroless: {built.size / 1e6:.1f} MB, built in {built.seconds:.1f}s")


# -- the fixture apps -------------------------------------------------------------


def _context(app: si.AppCase, tmp_path: Path) -> Path:
    folder = tmp_path / app.name
    shutil.copytree(app.folder, folder, ignore=shutil.ignore_patterns("case.json"))
    return folder


@pytest.mark.build
@pytest.mark.parametrize("name", si.app_names())
def test_app_builds_and_runs(name: str, standin_images: si.StandIns, tmp_path: Path) -> None:
    """The app's ORIGINAL Dockerfile builds on the stand-ins and its command
    prints the expected output."""
    app = si.load_app(name)
    standin_images.ensure(*app.stand_ins)
    built = si.build_image(_context(app, tmp_path), f"localhost/dockfix-app-{name}:original")
    with si.container(built.tag) as c:
        ran, uid = c.run(), c.ids()[0]
    print(f"\n{name}: built in {built.seconds:.1f}s, {built.size / 1e6:.1f} MB, uid {uid}")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == app.stdout


@pytest.mark.build
@pytest.mark.parametrize("name", si.app_names())
def test_app_before_and_after_dockfix(name: str, standin_images: si.StandIns, tmp_path: Path) -> None:
    """The harness end to end: the app built before and after
    ``dockfix --unsafe-fixes`` prints the same, and the config is the same
    but for what case.json allows.  (Smaller images and a non-root user are
    for the rules' own tests to demand.)"""
    app = si.load_app(name)
    standin_images.ensure(*app.stand_ins)
    ba = si.build_before_after(app.folder, tmp_path, f"localhost/dockfix-app-{name}")
    with si.container(ba.before.tag) as c:
        before, uid_before = c.run(), c.ids()[0]
    with si.container(ba.after.tag) as c:
        after, uid_after = c.run(), c.ids()[0]
    uids = uid_before, uid_after
    print(f"\n{ba.summary(name)}; uid {uids[0]} -> {uids[1]}")
    print("rewritten Dockerfile:\n" + ba.rewritten)
    assert before.returncode == 0, before.stderr
    assert before.stdout == app.stdout
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout
    diff = si.config_diff(
        ba.before.config, ba.after.config, allow=app.config_may_differ, allow_env=app.env_may_differ
    )
    assert not diff, json.dumps(diff, indent=1)
    # issue #8's proof: a builder/runtime split (DF301), a smaller image, not root
    assert " AS builder" in ba.rewritten, "the build was not split into a builder and a runtime stage"
    assert ba.after.size < ba.before.size, "the rewritten image is not smaller"
    assert uid_after != 0, "the rewritten image runs as root"


@pytest.mark.build
def test_slim_variants_are_smaller(standin_images: si.StandIns) -> None:
    """The runtime variants the rewrites move to are smaller than the build
    images, as upstream; prints every stand-in's size and build time (-rP)."""
    standin_images.ensure(*(s.name for s in si.STANDINS))
    sizes = {s.name: si.image_size(si.inspect_image(s.ref)) for s in si.STANDINS}
    built = {r.name: r.seconds for r in standin_images.reports if r.built}
    lines = [
        f"{n:45} {f'built in {built[n]:6.1f}s' if n in built else 'already there  '}  {size / 1e6:8.1f} MB"
        for n, size in sizes.items()
    ]
    print("\n" + "\n".join(lines) + f"\nbuilt this session: {sum(built.values()):.1f}s")
    for big, small in (
        ("python:3.11", "python:3.11-slim"), ("node:18", "node:18-slim"), ("rust:1.63", "rust:1.63-slim"),
        ("eclipse-temurin:17-jdk", "eclipse-temurin:17-jre"),
        ("gcr.io/distroless/cc-debian12", "gcr.io/distroless/static-debian12"),
        ("python:3.11-slim", "gcr.io/distroless/cc-debian12"),
    ):  # fmt: skip
        assert sizes[small] < sizes[big], (big, small)
