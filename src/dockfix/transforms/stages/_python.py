"""The Python side of a stage split: pip installs into a venv
(``/opt/venv``) in the builder; the runtime copies the venv (and the app
folder when the build copied the sources) onto the ``-slim`` image."""

from __future__ import annotations

import posixpath

from ... import tools
from ...rules import Context, Edit
from ...runtimes import Refusal, runtime_base
from ..instructions._shell_rules import insertion_point
from ._ecosystems import IMAGES
from ._split import Analysis, Artifacts, Ecosystem, copied_paths, is_manifest

VENV = "/opt/venv"
_PLACES = ("--user", "--target", "--prefix", "--root", "--system", "--break-system-packages")
#: container commands that install or build at start
_AT_START = (("pip", "install"), ("pip3", "install"), ("python", "setup.py"), ("python3", "setup.py"))


class Python(Ecosystem):
    name = "python"
    images = IMAGES["python"]

    def builds(self, ctx: Context, p: tools.Parsed) -> bool:
        return p.tool == "pip" and p.is_sub("install", "wheel")

    def runtime_needs_tools(self, words: list[str]) -> str | None:
        for i, w in enumerate(words[:-1]):
            base = posixpath.basename(w)
            if (base, words[i + 1]) in _AT_START or (
                base.startswith("python") and words[i + 1 : i + 4] == ["-m", "pip", "install"]
            ):
                return f"`{' '.join(words[i : i + 3])}` at start"
        return None

    def artifacts(self, ctx: Context, an: Analysis) -> Artifacts | Refusal:
        first = None
        for ins in an.builds:
            script = ctx.model.script(ins)
            assert script is not None
            for cmd in script.commands:
                p = tools.parse(cmd, unwrap=True)
                if p is None or not self.builds(ctx, p):
                    continue
                if cmd.name is not None and "/" in cmd.name:
                    return Refusal(
                        f"`{cmd.name}` (line {ins.start_line}) is outside the venv the split makes"
                    )
                if p.has(*_PLACES) or p.via.startswith("sudo"):
                    return Refusal(f"`{p.label}` (line {ins.start_line}) installs outside a venv")
                first = first or ins
        env = ctx.facts(an.last_build)
        for name in ("PIP_USER", "PIP_TARGET", "PIP_PREFIX", "VIRTUAL_ENV", "PYTHONUSERBASE"):
            if isinstance(env.env(name), str):
                return Refusal(f"`{name}` is set: pip installs outside the venv the split makes")
        base = runtime_base(an.ref)
        if isinstance(base, Refusal):
            return base
        paths = copied_paths(ctx, an, lambda src: not is_manifest(src))
        if isinstance(paths, Refusal):
            return paths
        if "/" in paths:
            return Refusal("the sources are copied to `/`: the runtime would need the builder's whole tree")
        copies = [(VENV, VENV)] + [(p, p) for p in paths]
        assert first is not None
        at = insertion_point(ctx.tree, first)
        nl = ctx.newline
        venv = f'RUN python -m venv {VENV}{nl}ENV PATH="{VENV}/bin:$PATH"{nl}'
        return Artifacts(
            base=base,
            copies=copies,
            env=[f'PATH="{VENV}/bin:$PATH"'],
            builder_edits=[Edit(at, at, venv)],
        )
