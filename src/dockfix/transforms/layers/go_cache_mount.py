from __future__ import annotations

import posixpath

from ... import tools
from ...shell import Command
from ._cache import UNKNOWN, Mount, Run, norm
from ._cache_rule import CacheMountRule, CutCommand, Fight, Use


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
    name = "go-cache-mount"
    summary = "Cache Go modules and builds with `RUN --mount=type=cache`"
    store = True
    runtime_tools = ("go",)

    def _sub(self, cmd: Command) -> str | None:
        """The subcommand of a ``go`` command that downloads modules
        (``build``, ``mod download``), else None (:mod:`dockfix.tools.go`)."""
        p = tools.parse(cmd, tool="go")
        return p.sub if p is not None and tools.go.fills_cache(p) else None

    def reads_offline(self, run: Run) -> bool:
        for cmd in run.script.commands:
            if self._sub(cmd) is not None and run.lookup("GOPROXY", cmd) == "off":
                return True
        return False

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        for cmd in run.script.commands:
            sub = self._sub(cmd)
            if sub is None:
                continue
            use = Use(cmd, f"go {sub}")
            targets = self._targets(run, cmd, sub) if run.who is not None else None
            out.append(use.known(targets) if targets is not None else use)
        if out and all(u.targets is not None for u in out):
            cleaners = self._cleaners(run)
            # a `go clean -modcache` that cannot go would fail on the mount point
            out[0] = out[0].unknown() if cleaners is None else out[0].fighting(cleaners)
        return out

    def _targets(self, run: Run, cmd: Command, sub: str) -> list[Mount] | None:
        """The module cache and, for the commands that compile, the build
        cache; None when one cannot be known."""
        modcache = run.env_dir("GOMODCACHE", cmd)
        if modcache is UNKNOWN:
            return None
        if modcache is None:
            gopath = run.lookup("GOPATH", cmd)
            if not isinstance(gopath, str) or not gopath:
                return None  # only the golang images are known to set GOPATH
            first = norm(gopath.split(":")[0])
            if first is None:
                return None
            modcache = posixpath.join(first, "pkg/mod")
        targets = [run.mount(modcache)]
        if sub not in tools.go.COMPILES:
            return targets
        gocache = run.env_dir("GOCACHE", cmd)
        if gocache is UNKNOWN:
            return None
        if gocache is None:
            golang = run.base == "golang"
            if not golang and run.lookup("XDG_CACHE_HOME", cmd) is None and run.lookup("HOME", cmd) is None:
                return None  # another image may set GOCACHE
            base = run.xdg("XDG_CACHE_HOME", ".cache", cmd)
            if base is None:
                return None
            gocache = posixpath.join(base, "go-build")
        if gocache == "off":
            return None
        return targets + [run.mount(gocache)]

    def _cleaners(self, run: Run) -> list[Fight] | None:
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
