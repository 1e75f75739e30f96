"""The build context: which files a Dockerfile's COPY can see.

``BuildContext(root, dockerfile)`` answers "does this path exist in the
context and survive .dockerignore?" without ever following a path out of
the context (``..``, absolute paths, symlinks pointing outside) and without
executing anything.  ``.dockerignore`` follows Docker's own semantics
(moby/patternmatcher): patterns are relative to the context root — a
pattern without ``/`` matches only at the top, ``**`` crosses directories —,
a pattern that matches a directory excludes everything below it, ``!``
re-includes, and the last matching pattern wins.  A ``<Dockerfile>.dockerignore``
next to the Dockerfile takes precedence over the context's ``.dockerignore``.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class IgnorePattern:
    pattern: str
    exclude: bool  # False for `!pattern`
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        """The path or one of its parent directories matches."""
        if self.regex.match(path):
            return True
        parts = path.split("/")
        return any(self.regex.match("/".join(parts[:i])) for i in range(1, len(parts)))


def _compile(pattern: str) -> re.Pattern[str]:
    out = ["^"]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= n else "(.*/)?")
                continue
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i + 1 < n:
                out.append(re.escape(pattern[i + 1]))
                i += 1
            else:
                out.append(r"\\")
        elif ch in "[]":
            out.append(ch)
        else:
            out.append(re.escape(ch))
        i += 1
    out.append("$")
    try:
        return re.compile("".join(out))
    except re.error:
        return re.compile(re.escape(pattern) + "$")


def parse_dockerignore(text: str) -> list[IgnorePattern]:
    """Docker's ReadAll: comments, trimming, ``!`` exceptions, Clean()."""
    patterns = []
    for lineno, line in enumerate(text.split("\n")):
        if lineno == 0:
            line = line.lstrip("\ufeff")
        if line.startswith("#"):
            continue
        line = line.strip()
        if not line:
            continue
        exclude = not line.startswith("!")
        if not exclude:
            line = line[1:].strip()
        if not line:
            continue
        line = posixpath.normpath(line.replace("\\", "/") if os.sep == "\\" else line)
        if len(line) > 1 and line.startswith("/"):
            line = line.lstrip("/") or "/"
        patterns.append(IgnorePattern(line, exclude, _compile(line)))
    return patterns


def is_excluded(patterns: list[IgnorePattern], path: str) -> bool:
    excluded = False
    for p in patterns:
        if p.matches(path):
            excluded = p.exclude
    return excluded


class BuildContext:
    """The files of one build context, read-only and never outside ``root``."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        dockerfile: str | os.PathLike[str] | None = None,
        overlay: dict[str, str] | None = None,
    ):
        self.root = Path(root).resolve()
        self.dockerfile = Path(dockerfile).resolve() if dockerfile is not None else None
        #: contents proposed by fixes (relative path -> text), read before the disk
        self.overlay = dict(overlay or {})

    def read_text(self, path: str) -> str | None:
        """A context file's text (a proposed one first), or None."""
        rel = self.relative(path)
        if rel is None:
            return None
        if rel in self.overlay:
            return self.overlay[rel]
        p = self.root / rel
        if not p.is_file() or not self._inside(p):
            return None
        try:
            return p.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    @cached_property
    def ignore_file(self) -> str | None:
        """The ignore file in effect, relative to the root (or None)."""
        candidates = []
        if self.dockerfile is not None:
            own = self.dockerfile.with_name(self.dockerfile.name + ".dockerignore")
            try:
                candidates.append(own.relative_to(self.root).as_posix())
            except ValueError:
                pass
        candidates.append(".dockerignore")
        for rel in candidates:
            if self.read_text(rel) is not None:
                return rel
        return None

    @cached_property
    def patterns(self) -> list[IgnorePattern]:
        rel = self.ignore_file
        text = self.read_text(rel) if rel is not None else None
        return parse_dockerignore(text) if text is not None else []

    def relative(self, path: str) -> str | None:
        """``path`` (as written in COPY, relative to the root) cleaned, or
        None when it leaves the context."""
        clean = posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")
        return clean if clean != "." else ""

    def _inside(self, p: Path) -> bool:
        try:
            real = p.resolve()
        except (OSError, RuntimeError):
            return False
        return real == self.root or self.root in real.parents

    def excluded(self, path: str) -> bool:
        rel = self.relative(path)
        return bool(rel) and is_excluded(self.patterns, rel)

    def exists(self, path: str) -> bool:
        """The path is in the context, not excluded, and does not lead
        outside the context through a symlink."""
        rel = self.relative(path)
        if rel is None or (rel and self.excluded(rel)):
            return False
        p = self.root / rel
        return p.exists() and self._inside(p)

    def is_file(self, path: str) -> bool:
        rel = self.relative(path)
        return rel is not None and self.exists(rel) and (self.root / rel).is_file()

    def glob(self, pattern: str) -> list[str]:
        """Context paths matching a COPY source pattern (Go filepath.Match
        syntax per path segment), excluded ones left out."""
        rel = self.relative(pattern)
        if rel is None:
            return []
        if not any(c in rel for c in "*?["):
            return [rel] if self.exists(rel) else []
        regex = _compile(rel)
        out = []
        depth = rel.count("/") + 1
        for dirpath, dirnames, filenames in os.walk(self.root):
            reldir = os.path.relpath(dirpath, self.root)
            level = 0 if reldir == "." else reldir.count(os.sep) + 1
            if level >= depth:
                dirnames[:] = []
            for name in dirnames + filenames:
                candidate = name if reldir == "." else f"{reldir.replace(os.sep, '/')}/{name}"
                if regex.match(candidate) and self.exists(candidate):
                    out.append(candidate)
        return sorted(out)


def compose_contexts(compose_files: list[str]) -> dict[str, str]:
    """Map each Dockerfile a compose file builds (absolute path) to its build
    context (absolute path).  ``build: ./dir`` means context ``dir`` and its
    ``Dockerfile``; ``build: {context, dockerfile}`` names both (the
    Dockerfile relative to the context).  Remote contexts (URLs) and inline
    Dockerfiles are skipped; an unreadable compose file is ignored."""
    import yaml  # only paid for when a walk finds a compose file

    out: dict[str, str] = {}
    for compose in compose_files:
        base = os.path.dirname(os.path.abspath(compose))
        try:
            with open(compose, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        services = data.get("services") if isinstance(data, dict) else None
        if not isinstance(services, dict):
            continue
        for service in services.values():
            build = service.get("build") if isinstance(service, dict) else None
            if isinstance(build, str):
                context, dockerfile = build, "Dockerfile"
            elif isinstance(build, dict):
                context = build.get("context", ".")
                dockerfile = build.get("dockerfile", "Dockerfile")
            else:
                continue
            if not isinstance(context, str) or not isinstance(dockerfile, str) or "://" in context:
                continue
            if context.startswith("git@") or "dockerfile_inline" in (build if isinstance(build, dict) else {}):
                continue
            ctx_dir = os.path.normpath(os.path.join(base, context))
            df = os.path.normpath(os.path.join(ctx_dir, dockerfile))
            out.setdefault(df, ctx_dir)
    return out
