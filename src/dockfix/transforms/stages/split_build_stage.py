from __future__ import annotations

from ...rules import Context, Rule, Safety
from ._ecosystems import ALL_IMAGES, ecosystems, final_stage_on


class SplitBuildStage(Rule):
    """
    ## What it does
    Splits a single-stage build on a language image — or the final stage of
    a multi-stage file — into a `builder` stage that installs and compiles,
    and a runtime stage that only runs the result:

    - **Python** (`python:*`): the builder installs with pip into a virtual
      environment (`/opt/venv`); the runtime is the `-slim` variant of the
      same Python version and distribution release, gets the venv (and the
      app folder when the build copied the sources), `PATH` pointing into
      the venv, and the run-time libraries of the `-dev` packages the build
      installed (`libpq-dev` → `libpq5`, Alpine `postgresql-dev` → `libpq`).
    - **Go** (`golang:*`): the binaries `go build`/`go install` write are
      copied where CMD/ENTRYPOINT run them; when the code does not need cgo
      (no `import "C"` in the context's sources, no cgo-only module in
      `go.mod`) the builder gets `CGO_ENABLED=0` and the runtime is
      `gcr.io/distroless/static-debian12:nonroot` (or `debian:<release>-slim`
      when something needs a shell); with cgo, the slim image of the Debian
      release the builder's tag names.
    - **Node** (`node:*`): the builder installs and builds, then drops the
      devDependencies (`npm prune --omit=dev`, `pnpm prune --prod`, Yarn 1
      `install --production`); the runtime is `node:<v>-slim` (the same
      image on Alpine) with the app folder, owned by the build's user.
    - **Rust** (`rust:*`): `cargo build --release` / `cargo install --path .`
      binaries, named from `Cargo.toml`, on the builder's Debian release's
      slim image, with `ca-certificates` and the libraries of `-sys` crates
      in `Cargo.lock` (`openssl-sys` → `libssl3`).
    - **Java** (Maven, Gradle, `javac` on `eclipse-temurin`, `maven`,
      `gradle`, `openjdk` images): the jar `java -jar` runs, on
      `eclipse-temurin:<same major>-jre`.

    ARG, ENV, WORKDIR and SHELL of the build are repeated in the runtime
    stage; LABEL, EXPOSE, HEALTHCHECK, STOPSIGNAL, VOLUME, CMD and
    ENTRYPOINT move there; instructions after the last build step stay as
    they are, in the runtime stage.

    Where it will not split it says why (report only): a `RUN` before the
    build does something the runtime might need (creates a user, downloads
    a file…), the container command installs or compiles at start
    (`pip install`, `go run`, `npm run dev`, a devDependency), the binary
    or jar the command runs is not one the build wrote, a `-dev` package has
    no known run-time library (or the build pins its package versions and
    the library's version is not known), the base image's tag does not say which
    Debian release a glibc binary needs, Yarn 2+ (no production-only install
    without a plugin), a debug Rust build.

    ## Why
    A language image carries compilers, headers and package caches: about
    1 GB for `python:3.12` or `golang:1.22` against 130 MB for
    `python:3.12-slim` and 2 MB for distroless `static`. None of it is used
    at run time, all of it is shipped, pulled and scanned for
    vulnerabilities. Docker's guide to multi-stage builds recommends this
    split; no hadolint rule or Docker build check looks for it.

    ## Example
    ```dockerfile
    FROM python:3.12
    RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    CMD ["python", "app.py"]
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12 AS builder
    RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
    WORKDIR /app
    COPY requirements.txt .
    RUN python -m venv /opt/venv
    ENV PATH="/opt/venv/bin:$PATH"
    RUN pip install --no-cache-dir -r requirements.txt

    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
    WORKDIR /app
    COPY --from=builder /opt/venv /opt/venv
    ENV PATH="/opt/venv/bin:$PATH"
    COPY . .
    CMD ["python", "app.py"]
    ```

    ## Fix safety
    Unsafe: the image runs on another base. Anything the build left outside
    what is copied (a tool installed with the compilers, a file written
    under `/etc`, a package the app calls at run time) is gone, the slim
    images lack tools such as `curl` or `git`, a distroless image has no
    shell and runs as `nonroot`, and a Go binary built without cgo resolves
    DNS and users in pure Go. dockfix refuses (with a report) where it can
    see such a need, but it cannot see everything a program does at run
    time: build and run the image before you ship it. A digest on the base
    image cannot be carried over to the new runtime image offline: it is
    dropped, and the message says so. The new stages need nothing at build
    time that the old file did not: no build flag changes.
    """

    code = "DF301"
    name = "split-build-stage"
    summary = "build and run in one stage → a builder stage and a slim runtime stage"
    safety = Safety.UNSAFE
    changes_stages = True

    def check(self, ctx: Context):
        if final_stage_on(ctx, ALL_IMAGES) is None:
            return  # not on a language image: the ecosystem modules stay unloaded
        from ...runtimes import Refusal
        from ._split import analyse, builder_name, render

        for eco in ecosystems():
            an = analyse(ctx, eco)
            if an is None:
                continue
            frm = ctx.model.final_stage.stage.from_  # type: ignore[union-attr]
            if isinstance(an, Refusal):
                yield ctx.finding(frm, f"no {eco.name} builder/runtime split: {an.reason}")
                return
            art = eco.artifacts(ctx, an)
            if isinstance(art, Refusal):
                yield ctx.finding(frm, f"no {eco.name} builder/runtime split: {art.reason}")
                return
            if art.base.same and not an.packages.build_only and not art.always_pays:
                return  # already on the small image, and no compiler to leave behind
            name = builder_name(ctx)
            edits, note = render(ctx, an, art, name)
            yield ctx.finding(
                frm,
                f"the {eco.name} build runs in the final image: build in `{name}`, run on `{art.base.text}`{note}",
                edits,
            )
            return
