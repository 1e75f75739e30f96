"""DF220 (lockfile first): the fix — which instructions may stand between
the copy and the install, the new COPY lines, the edits.  The rule itself is
:mod:`.lockfile_first_copy`."""

from __future__ import annotations

import json
import posixpath
import re

from ...analysis import word_value
from ...rules import Edit
from ...shell import Script, insert_after
from ...tree import Instruction
from .._util import keyword_like
from ._lockfile_independent import Where

#: top-level folders of a context that `COPY . /` would put over the image's own.
SYSTEM_DIRS = frozenset(
    ["bin", "boot", "etc", "home", "lib", "lib64", "opt", "root", "run", "sbin", "srv", "tmp", "usr", "var"]
)
#: file names that need no quoting in a COPY line.
SAFE_SOURCE = re.compile(r"^[A-Za-z0-9._+@%=,:/-]+$")


def whole_source(ins: Instruction) -> bool:
    """`COPY . <dir>` / `ADD ./ <dir>`: the whole build context."""
    if ins.keyword not in ("COPY", "ADD") or len(ins.args) != 2 or ins.heredocs:
        return False
    if any(f.name == "from" for f in ins.flags):
        return False
    src = ins.args[0].value if ins.json else word_value(ins.args[0].value)
    if src is None:
        return False
    return posixpath.normpath("/" + src) == "/"


def quote_dest(text: str) -> str | None:
    """``text`` when it can stand unquoted as a COPY destination."""
    return text if SAFE_SOURCE.match(text) or re.match(r"^[A-Za-z0-9._+@%=,:/${}-]+$", text) else None


#: instructions that neither read nor write files.
_NO_FILES = frozenset(
    ("LABEL", "EXPOSE", "USER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT", "MAINTAINER", "ONBUILD")
)


def how(splits: list, run_split: object) -> str:
    """How the install is done in the fix (for its message)."""
    if splits:
        inst = splits[0][1]
        if inst.family == "php":
            return "install with `--no-autoloader`, `composer dump-autoload` after the copy"
        return f"install with `{inst.split_flag}` (and the original install after the copy)"
    if run_split is not None:
        return "install (the RUN is split after the install)"
    return "install"


def between(ins: Instruction, copy: Instruction, where: Where) -> str:
    """Why an instruction between the copy and the install stops the
    reorder ('' when it is independent, 'stop' when the search ends)."""
    kw = ins.keyword
    if kw in _NO_FILES:
        return ""
    if kw in ("ENV", "ARG"):
        return "changes variables the COPY uses" if "$" in str(copy) else ""
    if kw == "WORKDIR":
        value = word_value(ins.args[0].value) if ins.args else None
        raw = copy.args[-1].value if copy.json else word_value(copy.args[-1].value)
        if value is None or not value.startswith("/") or raw is None or not raw.startswith("/"):
            return "changes the working directory the COPY destination is relative to"
        return ""
    if kw in ("COPY", "ADD"):
        if whole_source(ins):
            return "stop"
        other = None
        if not ins.heredocs and len(ins.args) >= 2:
            other = ins.args[-1].value if ins.json else word_value(ins.args[-1].value)
        if other is None or not other.startswith("/") or where.touches_absolute(other):
            return "may write into the copied folder"
        return ""
    return "may depend on the copied files"


def pragma_above(tree, copy: Instruction) -> bool:
    idx = tree.children.index(copy)
    for node in reversed(tree.children[:idx]):
        text = str(node)
        if not text.strip():
            return False
        if not text.lstrip().startswith("#"):
            return False
        if re.search(r"hadolint|dockfix:|check=", text):
            return True
    return False


def copy_lines(copy: Instruction, raw_dest: str, dest_value: str | None, files, dirs) -> list[str] | None:
    """The new COPY instructions (without indentation or line break)."""
    kw = keyword_like(copy, "COPY")
    flags = "".join(str(f) + " " for f in copy.flags)
    if copy.json:
        base = dest_value
    else:
        if word_value(raw_dest) is not None:
            base = word_value(raw_dest)
        elif quote_dest(raw_dest) is not None:
            base = raw_dest  # variables: same text, same expansion
        else:
            return None
    assert base is not None

    def target(sub: str) -> str:
        if base in (".", "./"):
            head = "./"
        else:
            head = base.rstrip("/") + "/"
        return head + (sub + "/" if sub else "")

    groups: dict[str, list[str]] = {}
    for f in files:
        groups.setdefault(posixpath.dirname(f), []).append(f)
    out = []
    items = [(groups[sub], target(sub)) for sub in sorted(groups, key=lambda g: (g != "", g))]
    items += [([d], target(d)) for d in dirs]
    for sources, dst in items:
        if copy.json or (quote_dest(dst) is None and "$" not in dst):
            out.append(f"{kw} {flags}{json.dumps(sources + [dst], ensure_ascii=False)}")
        elif quote_dest(dst) is None:
            return None
        else:
            out.append(f"{kw} {flags}{' '.join(sources)} {dst}")
    return out


def edits(ctx, copy: Instruction, run: Instruction, lines: list[str], script: Script, splits, run_split):
    text = ctx.text
    nl = ctx.newline
    indent = text[copy.start : copy.keyword_word.start] if copy.keyword_word else ""
    run_indent = text[run.start : run.keyword_word.start] if run.keyword_word else ""
    brk = copy.line_break or nl
    new_copy = "".join(indent + ln + brk for ln in lines)
    moved = text[copy.start : copy.content_end]
    extra = []
    edits = [Edit(copy.start, copy.end, new_copy)]
    if run_split is not None:
        # RUN install && build  ->  RUN install / COPY . . / RUN build
        a, b = run_split
        flags = "".join(str(f) + " " for f in run.flags)
        edits.append(Edit(a, b, f"{nl}{moved}{nl}{run_indent}{keyword_like(run, 'RUN')} {flags}"))
        return edits
    if splits:
        cmd, inst = splits[0]
        edits.append(insert_after(script, inst.split_at, " " + inst.split_flag))
        flags = "".join(str(f) + " " for f in run.flags)
        second = inst.second or ""
        if not re.search(r"[\"'\\]", second):
            second = " ".join(second.split())
        extra.append(f"{run_indent}{keyword_like(run, 'RUN')} {flags}{second}")
    if run.line_break:
        insert = moved + brk + "".join(e + nl for e in extra)
    else:
        insert = nl + moved + "".join(nl + e for e in extra)
    edits.append(Edit(run.end, run.end, insert))
    return edits
