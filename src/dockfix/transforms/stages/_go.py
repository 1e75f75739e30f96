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
from ._split import Analysis, Artifacts, Ecosystem, command_words, container_command, copied_paths

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
_SOURCE = re.compile(
    r"(\.go|\.md|\.mod|\.sum|\.work|(^|/)LICENSE[^/]*|(^|/)Makefile|(^|/)Dockerfile[^/]*|\.dockerignore|"
    r"(^|/)\.git[^/]*(/.*)?|(^|/)\.github/.*|\.gitignore)$"
)
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
    images = ("golang",)

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

    def _assets(self, ctx: Context, source: str) -> bool:
        """Might the program read, at run time, files the build copies from
        ``source`` (not Go sources, go.mod, docs…)?"""
        bc = ctx.build_context
        if bc is None:
            return True
        if _SOURCE.search(source.rstrip("/")) and not any(c in source for c in "*?["):
            return False
        top = source.rstrip("/")
        pattern = "**/*" if top in ("", ".") else f"{top}/**/*"
        files = bc.glob(pattern)
        if bc.is_file(top):
            files.append(top)
        return files.truncated or any(not _SOURCE.search(f) for f in files if bc.is_file(f))

    def artifacts(self, ctx: Context, an: Analysis) -> Artifacts | Refusal:
        binaries = self._binaries(ctx, an)
        if isinstance(binaries, Refusal):
            return binaries
        ep, cmd = container_command(an)
        first = ep or cmd
        words = command_words(first) if first is not None else None
        if not words:
            return Refusal("the container command is not in exec form: it needs a shell to find the binary")
        end = ctx.model.after(an.last_build)
        wd = end.workdir.path
        program = words[0]
        if "/" in program:
            if not program.startswith("/") and not isinstance(wd, str):
                return Refusal("the working directory is not known")
            path = posixpath.normpath(posixpath.join(wd if isinstance(wd, str) else "/", program))
            if path not in binaries:
                return Refusal(f"the container runs `{program}`, not a binary the build wrote")
            copies = [(b, b) for b in binaries]
        else:
            match = [b for b in binaries if posixpath.basename(b) == program]
            if not match or posixpath.dirname(match[0]) not in (*_GOPATH_BINS, "/usr/local/bin", "/usr/bin"):
                return Refusal(f"the container runs `{program}`, not a binary the build wrote")
            copies = [(b, posixpath.join("/usr/local/bin", posixpath.basename(b))) if b == match[0] and
                      posixpath.dirname(b) in _GOPATH_BINS else (b, b) for b in binaries]  # fmt: skip
        assets = copied_paths(ctx, an, lambda src: self._assets(ctx, src))
        if isinstance(assets, Refusal):
            return assets
        if "/" in assets:
            return Refusal(
                "files the program may read are copied to `/`: the runtime would need the whole tree"
            )
        copies = [(p, p) for p in assets] + [
            c for c in copies if not any(c[0].startswith(p.rstrip("/") + "/") for p in assets)
        ]
        cgo = self._cgo(ctx, an)
        if isinstance(cgo, Refusal):
            return cgo
        shell = any(i.keyword in ("RUN", "HEALTHCHECK") for i in an.after) or any(
            i.keyword in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and not i.json for i in an.before + an.after
        )
        base = runtime_base(an.ref, static=cgo != "needed", needs_shell=shell)
        if isinstance(base, Refusal):
            return base
        edits: list[Edit] = []
        if cgo == "unneeded":
            at = insertion_point(ctx.tree, an.builds[0])
            edits.append(Edit(at, at, f"ENV CGO_ENABLED=0{ctx.newline}"))
        return Artifacts(base=base, copies=copies, builder_edits=edits)
