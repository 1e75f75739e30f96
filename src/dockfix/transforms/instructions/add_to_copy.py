from __future__ import annotations

import re

from ...rules import Context, Edit, Rule, Safety
from .._util import keyword_like
from .copy_relative_destination import relative_destination

_URL = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://|git@)")
_ARCHIVE_SUFFIXES = (
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz",
    ".tbz2",
    ".tar.xz",
    ".txz",
    ".tar.zst",
    ".tzst",
    ".tar.lz",
    ".tar.lzma",
    ".gz",
    ".bz2",
    ".xz",
    ".zst",
    ".lz",
    ".lzma",
    ".z",
)
# The flags both ADD and COPY take: with any other (ADD-only `--checksum`,
# `--keep-git-dir`, `--unpack`; COPY-only `--from`, which BuildKit rejects on
# ADD) the instruction cannot become COPY with the same meaning.
_SHARED_FLAGS = {"chown", "chmod", "link", "exclude"}
_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"\x5d\x00\x00")


def _is_archive_file(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError:
        return False
    return head.startswith(_MAGIC) or head[257:262] == b"ustar"


def _context_has_archive(ctx: Context, source: str) -> bool:
    """Does the build context hold an archive (by content) matching source?"""
    bc = ctx.build_context
    if bc is None:
        return False
    found = bc.glob(source)
    if getattr(found, "truncated", False):
        return True  # too many files to look at all: one may be an archive
    return any(bc.is_file(p) and _is_archive_file(str(bc.root / p)) for p in found)


class AddToCopy(Rule):
    """
    ## What it does
    Replaces `ADD` with `COPY` when every source is a local file or folder
    that `ADD` would copy as-is: no URL, no git repository, no archive.

    ## Why
    `ADD` does more than copy: it downloads URLs and unpacks local tar
    archives. Using it for plain files hides that magic from readers and
    makes a later change of a source (say, to a `.tar.gz`) silently change
    the image. `COPY` says exactly what happens (hadolint DL3020).

    ## Example
    ```dockerfile
    ADD requirements.txt /app/
    ADD https://example.com/tool.tar.gz /opt/
    ```

    Use instead:
    ```dockerfile
    COPY requirements.txt /app/
    ADD https://example.com/tool.tar.gz /opt/
    ```

    ## Fix safety
    Safe. The fix is only made when no source is a URL or git address, no
    source name looks like an archive or compressed file, no source contains
    a variable, no flag but `--chown`, `--chmod`, `--link` and `--exclude`
    (which both take) is used, and — when the build context is on disk — no
    matching context file is an archive by content. For such sources `ADD` and `COPY` produce
    the same files, owners and modes.

    A relative destination with no `WORKDIR` set (`ADD local.deb .`) is
    made absolute in the same fix, as DF505 does (hadolint checks DL3045
    only for `COPY`, so `COPY local.deb .` would newly fail it): the fix is
    then as safe as DF505's (unsafe unless the stage is built `FROM
    scratch`), and when the destination cannot be made absolute (a
    variable, a Windows image, an `ONBUILD`) the `ADD` is reported, not
    fixed.
    """

    code = "DF504"
    looks_at = ("ADD",)
    name = "add-to-copy"
    summary = "Use `COPY` instead of `ADD` for local files and folders"
    safety = Safety.SAFE
    covers = ("DL3020",)

    def check(self, ctx: Context):
        for outer in ctx.tree.instructions:
            ins = outer.inner if outer.inner is not None else outer
            if ins.keyword != "ADD" or ins.keyword_word is None or len(ins.args) < 2:
                continue
            if any(f.name not in _SHARED_FLAGS for f in ins.flags):
                continue
            sources = [w.value for w in ins.args[:-1]]
            heredoc_names = {"<<" + ("-" if h.chomp else "") + h.name for h in ins.heredocs}
            local = [s for s in sources if not s.startswith("<<")]
            if any(_URL.match(s) for s in local):
                continue
            if any(s.lower().endswith(_ARCHIVE_SUFFIXES) for s in local):
                continue
            if any("$" in s for s in local) or not (local or heredoc_names):
                continue
            if any(_context_has_archive(ctx, s) for s in local):
                continue
            kw = ins.keyword_word
            edit = Edit(kw.start, kw.end, keyword_like(ins, "COPY"))
            rel = relative_destination(ctx, outer) if ctx.model.stage_of(outer) is not None else None
            if rel is None:
                yield ctx.finding(kw, "Use COPY instead of ADD for files and folders", [edit])
            elif rel.edit is not None:
                # hadolint checks DL3045 for COPY only: COPY with this relative
                # destination would newly fail it, so the destination becomes
                # absolute in the same fix (DF505's edit, with its safety).
                yield ctx.finding(
                    kw,
                    f"Use COPY instead of ADD for files and folders (with the destination {rel.new}: "
                    "no WORKDIR is set)",
                    [edit, rel.edit],
                    safety=rel.safety,
                )
            else:
                yield ctx.finding(
                    kw,
                    "Use COPY instead of ADD for files and folders (not fixed: the relative destination "
                    f"without WORKDIR cannot be made absolute: {rel.reason})",
                )
