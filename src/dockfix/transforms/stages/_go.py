"""The Go side of a stage split: the binaries ``go build``/``go install``
write, copied to where CMD/ENTRYPOINT expect them, on distroless
``static`` when cgo is off (or can be turned off: no ``import "C"`` in the
sources, no cgo-only module in go.mod) and nothing needs a shell, else on
the builder's Debian release's slim image."""

from __future__ import annotations

import posixpath
import re

from ... import tools
from ...rules import Context, Edit
from ...runtimes import Refusal, runtime_base
from ..instructions._shell_rules import insertion_point
from ._ecosystems import IMAGES
from ._split import Analysis, Artifacts, Ecosystem, asset_paths, health_tools, place_binaries

#: modules that only build with cgo (they wrap C libraries)
_CGO_MODULES = (
    "github.com/mattn/go-sqlite3",
    "github.com/confluentinc/confluent-kafka-go",
    "github.com/gographics/imagick",
    "gopkg.in/gographics/imagick",
    "github.com/go-gl/",
    "github.com/linxGnu/grocksdb",
    "github.com/tecbot/gorocksdb",
    "github.com/DataDog/zstd",
    "github.com/google/gopacket/pcap",
    "github.com/shirou/w32",
)
_IMPORT_C = re.compile(r'^\s*import\s*(\(\s*)?"C"', re.M)
_MODULE = re.compile(r"^\s*module\s+(\S+)", re.M)
#: files a Go program does not read at run time
_SOURCE = re.compile(r"(\.go|\.mod|\.sum|\.work)$")
_GOPATH_BINS = ("/go/bin", "/usr/local/go/bin")


def _exec_name(import_path: str) -> str:
    """The binary name ``go build`` gives a package (a ``/vN`` major
    version suffix skipped)."""
    parts = [p for p in import_path.split("/") if p]
    if len(parts) > 1 and re.fullmatch(r"v\d+", parts[-1]):
        return parts[-2]
    return parts[-1] if parts else ""


class Go(Ecosystem):
    name = "go"
    images = IMAGES["go"]

    def builds(self, ctx: Context, p: tools.Parsed) -> bool:
        return p.tool == "go" and p.is_sub("build", "install", "mod download", "mod tidy", "mod verify",
                                           "get", "generate", "test", "vet")  # fmt: skip

    def runtime_needs_tools(self, words: list[str]) -> str | None:
        for i, w in enumerate(words[:-1]):
            if posixpath.basename(w) == "go" and words[i + 1] in ("run", "build", "test", "generate"):
                return f"`go {words[i + 1]}` at start"
        return None

    # -- where the binaries go ---------------------------------------------------

    def _module_name(self, ctx: Context) -> str | None:
        bc = ctx.build_context
        text = bc.read_text("go.mod") if bc is not None else None
        m = _MODULE.search(text or "")
        return _exec_name(m.group(1)) if m else None

    def _binary(self, ctx: Context, p: tools.Parsed, cwd: str) -> str | Refusal:
        ops = [t.value for t in p.operands]
        if any(o is None for o in ops) or p.option("-C") is not None:
            return Refusal(f"the packages of `{p.label}` are not literal")
        names = [o for o in ops if o is not None]
        out = p.value("-o")
        if p.is_sub("build") and out is not None:
            if "$" in out or out.endswith("/") or out in (".", ".."):
                return Refusal(f"`{p.label} -o {out}` writes to a folder or a variable")
            return posixpath.normpath(posixpath.join(cwd, out))
        if len(names) > 1 or any("..." in n for n in names):
            return Refusal(f"`{p.label}` builds several packages")
        target = names[0] if names else "."
        if target.endswith(".go"):
            name = posixpath.basename(target)[:-3]
        elif target in (".", "./"):
            name = self._module_name(ctx) or ""
        else:
            name = _exec_name(target.split("@", 1)[0])
        if not name:
            return Refusal(
                f"the name of the binary `{p.label}` writes is not known (no go.mod in the context)"
            )
        if p.is_sub("install"):
            return posixpath.join("/go/bin", name)
        return posixpath.join(cwd, name)

    def _binaries(self, ctx: Context, an: Analysis) -> list[str] | Refusal:
        out: list[str] = []
        for ins in an.builds:
            script = ctx.model.script(ins)
            facts = ctx.facts(ins)
            cwd = facts.workdir.path
            assert script is not None
            for cmd in script.commands:
                p = tools.parse(cmd, unwrap=True)
                if p is None or p.tool != "go" or not p.is_sub("build", "install"):
                    continue
                if not isinstance(cwd, str):
                    return Refusal("the working directory of the build is not known")
                for var in ("GOBIN", "GOOS", "GOFLAGS"):
                    if isinstance(facts.env(var), str) or any(a.startswith(var + "=") for a in p.assignments):
                        return Refusal(f"`{var}` is set: the binary's place or kind is not known")
                found = self._binary(ctx, p, cwd)
                if isinstance(found, Refusal):
                    return found
                out.append(found)
        if not out:
            return Refusal("nothing is built (`go build`/`go install`): there is no binary to copy")
        return out

    def _cgo(self, ctx: Context, an: Analysis) -> str | Refusal:
        """``"off"`` (the build turns cgo off), ``"needed"``, or
        ``"unneeded"`` (on, but the code does not need it)."""
        for ins in an.builds:
            for cmd in ctx.model.script(ins).commands:  # type: ignore[union-attr]
                p = tools.parse(cmd, unwrap=True)
                if p is not None and p.tool == "go" and p.is_sub("build", "install"):
                    if "CGO_ENABLED=0" not in p.assignments and ctx.facts(ins).env("CGO_ENABLED") != "0":
                        break
            else:
                continue
            break
        else:
            return "off"
        bc = ctx.build_context
        if bc is None:
            return Refusal("without the build context dockfix cannot tell whether the code needs cgo")
        gomod = bc.read_text("go.mod") or ""
        if any(m in gomod for m in _CGO_MODULES):
            return "needed"
        files = bc.glob("**/*.go")
        if files.truncated:
            return Refusal("the build context is too large to tell whether the code needs cgo")
        return "needed" if any(_IMPORT_C.search(bc.read_text(f) or "") for f in files) else "unneeded"

    def artifacts(self, ctx: Context, an: Analysis) -> Artifacts | Refusal:
        binaries = self._binaries(ctx, an)
        if isinstance(binaries, Refusal):
            return binaries
        copies = place_binaries(ctx, an, binaries, _GOPATH_BINS)
        if isinstance(copies, Refusal):
            return copies
        assets = asset_paths(ctx, an, _SOURCE)
        if isinstance(assets, Refusal):
            return assets
        copies = [(p, p) for p in assets] + [
            c for c in copies if not any(c[0].startswith(p.rstrip("/") + "/") for p in assets)
        ]
        cgo = self._cgo(ctx, an)
        if isinstance(cgo, Refusal):
            return cgo
        tools_needed = health_tools(an)
        shell = (
            any(i.keyword == "RUN" for i in an.after)
            or any(i.keyword in ("CMD", "ENTRYPOINT") and not i.json for i in an.instructions())
            or bool(an.packages.runtime or tools_needed)  # distroless cannot install them
        )
        base = runtime_base(an.ref, static=cgo != "needed", needs_shell=shell)
        if isinstance(base, Refusal):
            return base
        edits: list[Edit] = []
        if cgo == "unneeded":
            at = insertion_point(ctx.tree, an.builds[0])
            edits.append(Edit(at, at, f"ENV CGO_ENABLED=0{ctx.newline}"))
        return Artifacts(base=base, copies=copies, builder_edits=edits)
