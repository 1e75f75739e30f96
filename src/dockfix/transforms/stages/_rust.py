"""The Rust side of a stage split: the binaries ``cargo build --release``
(or ``cargo install``) writes, named from ``Cargo.toml``, copied where
CMD/ENTRYPOINT run them, on the slim image of the builder's Debian release
(the binary links to its glibc) with ``libssl3`` when the crate links
OpenSSL; on Alpine, plain ``alpine``."""

from __future__ import annotations

import posixpath
import re

from ... import tools
from ...rules import Context
from ...runtimes import Refusal, runtime_base
from ._ecosystems import IMAGES
from ._split import Analysis, Artifacts, Ecosystem, asset_paths, place_binaries

CARGO_BIN = "/usr/local/cargo/bin"  # $CARGO_HOME/bin of the rust image, on its PATH
#: crates that link a system library at run time: (crate in Cargo.lock, Debian package, Alpine package)
_NATIVE = (("openssl-sys", "libssl3", "libssl3"), ("libsqlite3-sys", "libsqlite3-0", "sqlite-libs"),
           ("pq-sys", "libpq5", "libpq"), ("libz-sys", "zlib1g", "zlib"))  # fmt: skip
_LOCK_NAME = re.compile(r'^name\s*=\s*"([^"]+)"', re.M)


class Rust(Ecosystem):
    name = "rust"
    images = IMAGES["rust"]

    def builds(self, ctx: Context, p: tools.Parsed) -> bool:
        return p.tool == "cargo" and p.is_sub("build", "install", "fetch", "test", "check", "vendor")

    def runtime_needs_tools(self, words: list[str]) -> str | None:
        for i, w in enumerate(words[:-1]):
            if posixpath.basename(w) == "cargo" and words[i + 1] in ("run", "build", "test"):
                return f"`cargo {words[i + 1]}` at start"
        return None

    def _manifest(self, ctx: Context) -> dict | Refusal:
        bc = ctx.build_context
        data = bc.read_toml("Cargo.toml") if bc is not None else None
        if data is None:
            return Refusal("no readable Cargo.toml in the build context: the binary's name is not known")
        if "workspace" in data and "package" not in data:
            return Refusal("a Cargo workspace: which member's binary runs is not known")
        return data

    def _names(self, data: dict, p: tools.Parsed) -> list[str] | Refusal:
        bins = [b.get("name") for b in data.get("bin", []) if isinstance(b, dict)]
        wanted = p.value("--bin")
        if wanted is not None:
            return [wanted]
        if p.has("--bins") or bins:
            return [b for b in bins if isinstance(b, str)] or Refusal("the [[bin]] targets have no names")
        name = data.get("package", {}).get("name")
        return [name] if isinstance(name, str) else Refusal("Cargo.toml names no package")

    def _binaries(self, ctx: Context, an: Analysis) -> list[str] | Refusal:
        out: list[str] = []
        for ins in an.builds:
            facts = ctx.facts(ins)
            for cmd in ctx.model.script(ins).commands:  # type: ignore[union-attr]
                p = tools.parse(cmd, unwrap=True)
                if p is None or p.tool != "cargo" or not p.is_sub("build", "install"):
                    continue
                cwd = facts.workdir.path
                if not isinstance(cwd, str) or p.value("--manifest-path") is not None:
                    return Refusal("the crate's folder is not known")
                if p.is_sub("build") and not (p.has("--release") or p.value("--profile")):
                    return Refusal(
                        "`cargo build` without `--release` builds a debug binary: build a release first"
                    )
                if p.value("--target") is not None or isinstance(facts.env("CARGO_BUILD_TARGET"), str):
                    return Refusal("`--target` builds for another platform")
                data = self._manifest(ctx)
                names = data if isinstance(data, Refusal) else self._names(data, p)
                if isinstance(names, Refusal):
                    return names
                if p.is_sub("install"):
                    if (p.value("--path") or "") not in (".", "./") or isinstance(
                        facts.env("CARGO_INSTALL_ROOT"), str
                    ):
                        return Refusal("`cargo install` of another crate or root")
                    root = p.value("--root")
                    folder = posixpath.join(posixpath.join(cwd, root), "bin") if root else CARGO_BIN
                else:
                    # an official image does not set CARGO_TARGET_DIR: only this file can
                    env = facts.env("CARGO_TARGET_DIR")
                    target = p.value("--target-dir") or (env if isinstance(env, str) else None)
                    profile = p.value("--profile") or "release"
                    profile = "debug" if profile == "dev" else profile
                    folder = posixpath.join(cwd, target or "target", profile)
                out += [posixpath.normpath(posixpath.join(folder, n)) for n in names]
        return out or Refusal("nothing is built (`cargo build --release`): there is no binary to copy")

    def _native(self, ctx: Context, manager: str | None) -> list[str]:
        bc = ctx.build_context
        lock = (bc.read_text("Cargo.lock") if bc is not None else None) or ""
        crates = set(_LOCK_NAME.findall(lock))
        return [deb if manager == "apt" else apk for crate, deb, apk in _NATIVE if crate in crates]

    def artifacts(self, ctx: Context, an: Analysis) -> Artifacts | Refusal:
        binaries = self._binaries(ctx, an)
        if isinstance(binaries, Refusal):
            return binaries
        copies = place_binaries(ctx, an, binaries, (CARGO_BIN,))
        if isinstance(copies, Refusal):
            return copies
        assets = asset_paths(ctx, an, _SOURCE)
        if isinstance(assets, Refusal):
            return assets
        for folder in assets:
            if folder == "/" or any(b.startswith(folder.rstrip("/") + "/") for b in binaries):
                return Refusal(
                    f"the program may read files copied to `{folder}`, which also holds the build's output: "
                    "copy them to the runtime yourself"
                )
        copies = [(p, p) for p in assets] + copies
        base = runtime_base(an.ref)
        if isinstance(base, Refusal):
            return base
        return Artifacts(base=base, copies=copies, packages=self._native(ctx, base.manager))


_SOURCE = re.compile(
    r"(\.rs|(^|/)Cargo\.(toml|lock)|(^|/)(src|benches|tests|examples)(/.*)?|"
    r"(^|/)(\.?rustfmt|clippy|rust-toolchain)\.toml|(^|/)rust-toolchain)$"
)
