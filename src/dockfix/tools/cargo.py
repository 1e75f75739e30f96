"""Cargo.

How a rule asks::

    p = tools.parse(cmd)                      # cargo build, cargo +nightly b, cargo chef cook
    if p and p.tool == "cargo" and tools.cargo.fills_cache(p):
        home = tools.cache_dir(tools.cargo.REGISTRY, facts, p)   # $CARGO_HOME/registry, ~/.cargo/registry

``cargo +toolchain`` (rustup's proxy) is read as a global option; the
aliases ``b``, ``c``, ``d``, ``t``, ``r``, ``rm`` are cargo's own;
``chef``, ``zigbuild``, ``nextest``... are external subcommands (their own
grammar is not known beyond the next word).  ``--offline``, ``--frozen`` and
``CARGO_NET_OFFLINE=true`` read the caches without filling them.
"""

from __future__ import annotations

from ._dirs import CacheSpec, FromEnv, FromHome
from ._files import Install, OnPath, ProjectFiles
from ._grammar import Grammar, Parsed, Token, opts, sub

CARGO_OPTIONS = opts(
    values=(
        "--manifest-path, -p --package, --target, -F --features, --bin, --example, --test, --bench, "
        "--profile, -j --jobs, --root, --target-dir, --config, -Z, --color, --git, --branch, --tag, --rev, "
        "--path, --version --vers, --index, --registry, --lockfile-path, --message-format, --exclude, "
        "--recipe-path, -C, --explain"
    ),
    flags=(
        "--release -r, --locked, --offline, --frozen, --all-features, --no-default-features, "
        "--workspace --all, --lib, --bins, --examples, --tests, --benches, --all-targets, -q --quiet, "
        "-v --verbose, --force -f, --no-track, --debug, --list, -V, -h --help, --timings"
    ),
)
_SUBS = (
    sub("build", "b"),
    sub("check", "c"),
    sub("doc", "d"),
    sub("test", "t"),
    sub("run", "r"),
    sub("bench"),
    sub("install"),
    sub("fetch"),
    sub("vendor"),
    sub("update"),
    sub("generate-lockfile"),
    sub("clean"),
    sub("remove", "rm"),
    sub("add"),
    sub("new"),
    sub("init"),
    sub("publish"),
    sub("package"),
    sub("tree"),
    sub("metadata"),
    sub("rustc"),
    sub("rustdoc"),
    sub("clippy"),
    sub("fmt"),
    sub("fix"),
    sub("search"),
    sub("uninstall"),
    sub("login"),
    sub("version"),
    sub("help"),
    sub("chef", subs=(sub("cook"), sub("prepare"))),
    sub("zigbuild"),
    sub("auditable"),
    sub("leptos"),
    sub("nextest"),
    sub("binstall"),
)
CARGO = Grammar("cargo", ("cargo",), CARGO_OPTIONS, _SUBS)
GRAMMARS = (CARGO,)

FILLS_CACHE = (
    "build",
    "check",
    "doc",
    "test",
    "run",
    "bench",
    "install",
    "fetch",
    "vendor",
    "update",
    "generate-lockfile",
    "tree",
    "metadata",
    "rustc",
    "rustdoc",
    "clippy",
    "chef cook",
    "zigbuild",
    "auditable",
    "leptos",
    "nextest",
    "add",
    "binstall",
)
OFFLINE = ("--offline", "--frozen")
OFFLINE_ENV = ("CARGO_NET_OFFLINE",)

REGISTRY = CacheSpec(
    "cargo",
    "registry",
    (FromEnv("CARGO_HOME", "registry"), FromHome(".cargo/registry")),
    config=("$CARGO_HOME/config.toml",),
)
GIT = CacheSpec("cargo", "git", (FromEnv("CARGO_HOME", "git"), FromHome(".cargo/git")))
TARGET = CacheSpec("cargo", "target", (FromEnv("CARGO_TARGET_DIR"),))  # build output: stays in the image
CACHES = {"cargo": (REGISTRY, GIT)}
#: subcommands that delete files.
REMOVES = {"cargo": frozenset({"clean"})}


def launch(program: str, args: tuple[Token, ...]) -> tuple[str, int, str] | None:
    """``cargo +nightly build``: rustup's toolchain word before cargo's own."""
    first = args[0].value if args else None
    if program != "cargo" or first is None or not first.startswith("+"):
        return None
    return "cargo", 1, f"cargo {first}"


def toolchain(p: Parsed) -> str | None:
    """``cargo +nightly build`` → "nightly"."""
    head = p.via.split()
    return head[1][1:] if len(head) == 2 and head[0] == "cargo" and head[1].startswith("+") else None


def fills_cache(p: Parsed) -> bool:
    return p.tool == "cargo" and p.is_sub(*FILLS_CACHE)


def on_path(p: Parsed) -> OnPath | None:
    """``cargo install`` / ``uninstall`` put binaries in ``$CARGO_HOME/bin``."""
    return OnPath(own=("cargo",)) if p.tool == "cargo" and p.is_sub("install", "uninstall") else None


def offline(p: Parsed) -> bool:
    return p.has(*OFFLINE)


INSTALLS = {
    "cargo": Install(
        "cargo",
        ("fetch", "build"),
        ProjectFiles(("Cargo.toml",), ("Cargo.lock",)),
        other_project=("--manifest-path",),
        sources=("every build and fetch: cargo needs the crate's targets (use cargo-chef or stub targets)",),
    ),
}
MARKERS = ("Cargo.toml",)
PROGRAMS = ("cargo",)

__all__ = [
    "CACHES",
    "CARGO",
    "FILLS_CACHE",
    "GIT",
    "GRAMMARS",
    "INSTALLS",
    "MARKERS",
    "OFFLINE",
    "OFFLINE_ENV",
    "PROGRAMS",
    "REGISTRY",
    "REMOVES",
    "TARGET",
    "fills_cache",
    "launch",
    "offline",
    "on_path",
    "toolchain",
]
