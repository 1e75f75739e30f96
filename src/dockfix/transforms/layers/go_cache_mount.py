from __future__ import annotations

from ... import tools
from ...shell import Command
from ._cache import Run
from ._cache_rule import CacheMountRule, CutCommand, Fight, Use, filling, with_dirs


class GoCacheMount(CacheMountRule):
    """
    ## What it does
    Adds BuildKit cache mounts to RUNs that run `go build`, `go install`,
    `go get`, `go test`, `go run`, `go vet`, `go generate`, `go list` or
    `go mod download`/`tidy`/`vendor`: the module cache (`$GOMODCACHE`, else
    `$GOPATH/pkg/mod`: `/go/pkg/mod` in the official `golang` images) and,
    for the commands that compile, the build cache (`$GOCACHE`, else
    `$XDG_CACHE_HOME/go-build` or `~/.cache/go-build`: `/root/.cache/go-build`
    for root). It also removes `go clean -modcache` / `go clean -cache` and
    `rm -rf` of these directories from the same RUN.

    ## Why
    Without cache mounts, any change to the source (or to `go.mod`) makes
    the build download every module again and recompile every package.
    With them, the next build reuses both. No hadolint rule covers this.

    ## Example
    ```dockerfile
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN go build -o /out/app ./cmd/app
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build go build -o /out/app ./cmd/app
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer and
    the go command produces the same binaries whatever its caches hold (the
    build cache is content-addressed, modules are checked against go.sum),
    so the image is the same except that the module and build caches are no
    longer in it. A RUN that reads modules without downloading them (with
    `GOPROXY=off`) gets no mount, and neither does an earlier RUN whose
    modules such a RUN, a later `COPY --from`, or a `go` command in
    `CMD`/`ENTRYPOINT` (which would have to download them at run time)
    relies on. A later `go` command without the mount downloads again what
    it needs. Nothing is added outside the official `golang` images unless
    `GOPATH`/`GOMODCACHE` (and `GOCACHE`, `HOME` or `XDG_CACHE_HOME`) are set
    in the file — other images may put Go's caches elsewhere —, for another
    user without a known `HOME` or numeric uid, or when another mount is
    there already. These cases are not reported: a cache mount is an
    optimisation, not a defect.
    """

    code = "DF213"
    looks_at = ("RUN",)
    name = "go-cache-mount"
    summary = "Cache Go modules and builds with `RUN --mount=type=cache`"
    store = True
    runtime_tools = ("go",)

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        return filling(cmd, "go") is not None and run.lookup("GOPROXY", cmd) == "off"

    def use(self, run: Run, cmd: Command) -> Use | None:
        """The module cache and, for the commands that compile, the build
        cache.  Only the golang images are known to set ``GOPATH``: Go's
        default folders are taken only when the file sets ``GOPATH``/
        ``GOMODCACHE`` (and, outside the golang images, ``GOCACHE``,
        ``XDG_CACHE_HOME`` or ``HOME``) — another image may move them."""
        p = filling(cmd, "go")
        if p is None:
            return None
        use = Use(cmd, f"go {p.sub}")
        dirs = [run.cache_dir(tools.go.MODCACHE, cmd, p)]
        if tools.go.compiles(p):
            dirs.append(run.cache_dir(tools.go.BUILDCACHE, cmd, p))
            if (
                not dirs[-1].set_by("GOCACHE")
                and run.base != "golang"
                and run.lookup("XDG_CACHE_HOME", cmd) is None
                and run.lookup("HOME", cmd) is None
            ):
                return use
        if dirs[0].by_default:
            return use
        return with_dirs(run, use, dirs)

    def cleaners(self, run: Run, uses: list[Use]) -> list[Fight] | None:
        """``go clean -modcache``/``-cache`` commands to cut; None when one
        also cleans packages (it cannot go, and would fail on the mount)."""
        out: list[Fight] = []
        for cmd in run.script.commands:
            p = tools.parse(cmd, tool="go")
            if p is None or not p.is_sub("clean"):
                continue
            if tools.go.is_cache_clean(p):
                out.append(CutCommand(cmd))
            elif p.has("-modcache", "-cache"):
                return None
        return out
