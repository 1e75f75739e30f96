"""The go command.

How a rule asks::

    p = tools.parse(cmd)
    if p and p.tool == "go" and tools.go.fills_cache(p):      # go build, go mod download...
        mods = tools.cache_dir(tools.go.MODCACHE, facts, p)    # $GOMODCACHE, ${GOPATH%%:*}/pkg/mod, ~/go/pkg/mod
        if tools.go.compiles(p):
            build = tools.cache_dir(tools.go.BUILDCACHE, facts, p)  # $GOCACHE, $XDG_CACHE_HOME/go-build, ~/.cache/go-build

Go's flag package: ``-flag`` and ``--flag`` alike, ``-flag=value`` or
``-flag value``, no clusters, and the first operand (a package) ends the
flags.  ``GOPROXY=off`` makes the command read the module cache only;
``go env -w`` writes settings to ``$GOENV`` (``~/.config/go/env``) that a
rule cannot read — treat the folders as unknown after one.
"""

from __future__ import annotations

from ._dirs import CacheSpec, FromEnv, FromHome
from ._files import Install, OnPath, ProjectFiles
from ._grammar import Grammar, Parsed, Syntax, opts, sub, words

#: build flags shared by build, install, run, test, vet, list, get, generate.
BUILD_FLAGS = opts(
    values=(
        "-o, -p, -C, -ldflags, -gcflags, -asmflags, -gccgoflags, -tags, -mod, -modfile, -overlay, -pgo, "
        "-pkgdir, -toolexec, -compiler, -buildmode, -installsuffix, -covermode, -coverpkg, -exec, -run, "
        "-bench, -benchtime, -count, -cpu, -parallel, -timeout, -coverprofile, -cpuprofile, -memprofile, "
        "-blockprofile, -mutexprofile, -outputdir, -skip, -fuzz, -fuzztime, -shuffle, -f, -reuse, -vettool"
    ),
    flags=(
        "-a, -n, -x, -v, -work, -race, -msan, -asan, -cover, -trimpath, -linkshared, -modcacherw, -buildvcs, "
        "-json, -i, -u, -t, -d, -e, -m, -short, -failfast, -modcache, -cache, -testcache, -fuzzcache, -w"
    ),
)
_MOD_SUBS = tuple(
    sub(n, options=BUILD_FLAGS) for n in words("download tidy vendor graph why verify edit init")
)
_WORK_SUBS = tuple(sub(n, options=BUILD_FLAGS) for n in ("sync", "init", "use", "edit", "vendor"))
_SUBS = (
    *(
        sub(n, options=BUILD_FLAGS)
        for n in words(
            "build install get test run vet list generate clean env fmt doc fix tool version bug "
            "telemetry help"
        )
    ),
    sub("mod", subs=_MOD_SUBS),
    sub("work", subs=_WORK_SUBS),
)
GO = Grammar("go", ("go",), opts(values="-C"), _SUBS, syntax=Syntax.SINGLE_DASH, stop_at_operand=True)
GRAMMARS = (GO,)

#: commands that download modules (into the module cache).
FILLS_CACHE = (
    "build",
    "install",
    "get",
    "test",
    "run",
    "vet",
    "list",
    "generate",
    "mod download",
    "mod tidy",
    "mod vendor",
    "mod graph",
    "mod why",
    "mod verify",
    "work sync",
)
#: commands that also compile (and use the build cache).
COMPILES = ("build", "install", "test", "run", "vet", "generate")

MODCACHE = CacheSpec(
    "go",
    "modules",
    (FromEnv("GOMODCACHE"), FromEnv("GOPATH", "pkg/mod", first_of_list=True), FromHome("go/pkg/mod")),
    config=("go env -w GOMODCACHE/GOPATH", "$GOENV"),
)
BUILDCACHE = CacheSpec(
    "go",
    "build",
    (FromEnv("GOCACHE"), FromEnv("XDG_CACHE_HOME", "go-build"), FromHome(".cache/go-build")),
    off_env=(),
    config=("go env -w GOCACHE", "$GOENV"),
)
CACHES = {"go": (MODCACHE, BUILDCACHE)}
#: ``go clean`` flags that empty a cache (``-modcache`` removes the whole folder).
#: subcommands that delete files.
REMOVES = {"go": frozenset({"clean"})}
CLEAN_FLAGS = ("-modcache", "-cache", "-testcache", "-fuzzcache")


def fills_cache(p: Parsed) -> bool:
    return p.tool == "go" and p.is_sub(*FILLS_CACHE)


def on_path(p: Parsed) -> OnPath | None:
    """``go install`` puts binaries in ``$GOBIN`` / ``$GOPATH/bin``."""
    return OnPath() if p.tool == "go" and p.is_sub("install") else None


def compiles(p: Parsed) -> bool:
    return p.tool == "go" and p.is_sub(*COMPILES)


def is_cache_clean(p: Parsed) -> bool:
    """``go clean`` with only cache flags (and no packages)."""
    return (
        p.tool == "go"
        and p.is_sub("clean")
        and not p.operands
        and p.has(*CLEAN_FLAGS)
        and all(o.key in CLEAN_FLAGS for o in p.options)
    )


INSTALLS = {
    "go": Install(
        "go",
        ("mod download",),
        ProjectFiles(("go.mod",), ("go.sum",), refuses=("go.work",)),
        other_project=("-C", "-modfile", "-reuse"),  # -C: run in another folder
        sources=("replace directives with local paths", "a go.work workspace"),
    ),
}
MARKERS = ("go.mod",)
PROGRAMS = ("go",)

__all__ = [
    "BUILDCACHE",
    "CACHES",
    "CLEAN_FLAGS",
    "COMPILES",
    "FILLS_CACHE",
    "GO",
    "GRAMMARS",
    "INSTALLS",
    "MARKERS",
    "MODCACHE",
    "PROGRAMS",
    "REMOVES",
    "compiles",
    "fills_cache",
    "is_cache_clean",
    "on_path",
]
