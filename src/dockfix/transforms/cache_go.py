from __future__ import annotations

import posixpath

from ..shell import Command
from ._cache import UNKNOWN, CacheMountRule, Run, Use, first_operand

# subcommands that download modules, and those that also compile
_MOD = {"build", "install", "get", "test", "run", "vet", "list", "generate", "mod", "work"}
_BUILD = {"build", "install", "test", "run", "vet", "generate"}
_MOD_SUBS = {"download", "tidy", "vendor", "graph", "why", "verify"}


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
        if cmd.program != "go":
            return None
        op = first_operand(cmd)
        if op is None or op[1] not in _MOD:
            return None
        if op[1] in ("mod", "work"):
            rest = [a.value for a in cmd.args[op[0] + 1 :] if a.value and not a.value.startswith("-")]
            if not rest or (op[1] == "mod" and rest[0] not in _MOD_SUBS) or (op[1] == "work" and rest[0] != "sync"):
                return None
            return f"{op[1]} {rest[0]}"
        return op[1]

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
            use = Use(cmd, f"go {sub}", None)
            out.append(use)
            if run.who is None:
                continue
            golang = run.base == "golang"
            modcache = run.env_dir("GOMODCACHE", cmd)
            if modcache is UNKNOWN:
                continue
            if modcache is None:
                gopath = run.lookup("GOPATH", cmd)
                if gopath is UNKNOWN:
                    continue
                if isinstance(gopath, str) and gopath:
                    from ._cache import norm

                    first = norm(gopath.split(":")[0])
                    if first is None:
                        continue
                    modcache = posixpath.join(first, "pkg/mod")
                else:
                    continue  # only the golang images are known to set GOPATH
            targets = [run.mount(modcache)]
            if sub.split()[0] in _BUILD:
                gocache = run.env_dir("GOCACHE", cmd)
                if gocache is UNKNOWN:
                    continue
                if gocache is None:
                    if not golang and run.lookup("XDG_CACHE_HOME", cmd) is None and run.lookup("HOME", cmd) is None:
                        continue  # another image may set GOCACHE
                    base = run.xdg("XDG_CACHE_HOME", ".cache", cmd)
                    if base is None:
                        continue
                    gocache = posixpath.join(base, "go-build")
                if gocache == "off":
                    continue
                targets.append(run.mount(gocache))
            use.targets = targets
        if out and all(u.targets is not None for u in out):
            cleaners = self._cleaners(run)
            if cleaners is None:
                out[0].targets = None  # a `go clean -modcache` that cannot go would fail on the mount point
            else:
                out[0].fights.extend(cleaners)
        return out

    def _cleaners(self, run: Run) -> list | None:
        out: list = []
        for cmd in run.script.commands:
            if cmd.program != "go":
                continue
            vals = [a.value for a in cmd.args]
            if vals[:1] != ["clean"] or len(vals) < 2:
                continue
            flags = [v.lstrip("-") if v else None for v in vals[1:]]
            if all(f in ("modcache", "cache", "testcache", "fuzzcache") for f in flags):
                out.append(("cmd", cmd))
            elif any(f in ("modcache", "cache") for f in flags):
                return None
        return out
