"""``RUN --mount`` flags as BuildKit reads them (``parseMount`` in moby/buildkit
``frontend/dockerfile/instructions/commands_runmount.go``): one CSV record
of ``key=value`` fields, each value expanded like a Dockerfile word.

The one parser of ``--mount`` values; :meth:`dockfix.model.SemanticModel.mounts`
gives the mounts of a RUN with the values expanded where the RUN is, and
:func:`mount_key` the form in which two RUNs' mounts are compared."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from msgspec import Struct

from ._records import compare_without
from .images import UNKNOWN, Unknown

if TYPE_CHECKING:
    from .tree import Flag

Value = str | Unknown

MOUNT_KEYS: Final = frozenset(
    {"type", "from", "source", "src", "target", "dst", "destination", "readonly", "ro", "readwrite", "rw",
     "required", "size", "id", "sharing", "mode", "uid", "gid", "env"}
)  # fmt: skip


@compare_without("flag")
class Mount(Struct, frozen=True):
    """One ``RUN --mount=…`` as BuildKit reads it (``parseMount``): values
    expanded; UNKNOWN where a variable is; None where not given.  ``error``
    says why BuildKit would reject the flag (the other fields are then what
    could be read)."""

    type: Value = "bind"
    target: str | None | Unknown = None
    source: str | None | Unknown = None
    from_: str | None | Unknown = None
    id: str | None | Unknown = None
    sharing: str | None | Unknown = None
    readonly: bool | Unknown = True
    required: bool | Unknown = False
    mode: int | None | Unknown = None
    uid: int | None | Unknown = None
    gid: int | None | Unknown = None
    env: str | None | Unknown = None
    size: str | None | Unknown = None
    fields: tuple[tuple[str, str], ...] = ()  # (key lower-cased, raw value), in order
    error: str | None = None
    flag: Flag | None = None  # left out of ==/hash (compare_without)


def _csv_fields(value: str) -> list[str] | None:
    """One CSV record as Go's encoding/csv reads it (``"`` quotes a whole
    field, ``""`` inside is a quote); None where Go fails."""
    out: list[str] = []
    i, n = 0, len(value)
    while True:
        if i < n and value[i] == '"':
            buf: list[str] = []
            i += 1
            while True:
                j = value.find('"', i)
                if j < 0:
                    return None
                buf.append(value[i:j])
                if j + 1 < n and value[j + 1] == '"':
                    buf.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            if i < n and value[i] != ",":
                return None
            out.append("".join(buf))
        else:
            j = value.find(",", i)
            j = n if j < 0 else j
            if '"' in value[i:j]:
                return None
            out.append(value[i:j])
            i = j
        if i >= n:
            return out
        i += 1  # the comma


_BOOLS: Final = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
                 "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}  # fmt: skip


def parse_mount(value: str, expand: Callable[[str], Value] | None = None, flag: Flag | None = None) -> Mount:
    """A ``--mount`` flag's value read as BuildKit's ``parseMount`` does;
    ``expand`` (default: no variables) gives each value's expansion."""
    fields = _csv_fields(value)
    if fields is None:
        return Mount(type=UNKNOWN, error="failed to parse csv mounts", flag=flag)
    got: dict[str, object] = {}
    raw: list[tuple[str, str]] = []
    error: str | None = None
    ro_auto = True
    mtype: Value = "bind"

    def ex(v: str) -> Value:
        if expand is not None:
            return expand(v)
        return v if "$" not in v else UNKNOWN

    for f in fields:
        key, eq, val = f.partition("=")
        key = key.lower()
        raw.append((key, val))
        if not eq:
            if key in ("readonly", "ro"):
                got["readonly"], ro_auto = True, False
            elif key in ("readwrite", "rw"):
                got["readonly"], ro_auto = False, False
            elif key == "required" and mtype in ("secret", "ssh"):
                got["required"] = True
            else:
                error = error or f"invalid field '{f}' must be a key=value pair"
            continue
        if key not in MOUNT_KEYS:
            error = error or f"unexpected key '{key}' in '{f}'"
            continue
        v = ex(val)
        if key == "type":
            mtype = v.lower() if isinstance(v, str) else UNKNOWN
            if isinstance(mtype, str) and mtype not in ("bind", "cache", "tmpfs", "secret", "ssh"):
                error = error or f'unsupported mount type "{val}"'
        elif key in ("source", "src"):
            got["source"] = v
        elif key in ("target", "dst", "destination"):
            got["target"] = v
        elif key in ("readonly", "ro", "readwrite", "rw", "required"):
            b: bool | Unknown = _BOOLS.get(v, UNKNOWN) if isinstance(v, str) else UNKNOWN
            if isinstance(v, str) and v not in _BOOLS:
                error = error or f"invalid value for {key}: {val}"
            if key in ("readwrite", "rw"):
                b = (not b) if isinstance(b, bool) else UNKNOWN
            got["required" if key == "required" else "readonly"] = b
            ro_auto = ro_auto and key == "required"
        elif key in ("mode", "uid", "gid"):
            base = 8 if key == "mode" else 10
            num: int | Unknown = UNKNOWN
            if isinstance(v, str):
                try:
                    num = int(v, base)
                    if num < 0 or num >= 2**32 or not v.isascii() or not v.isdigit():
                        raise ValueError
                except ValueError:
                    num = UNKNOWN
                    error = error or f"invalid value {val} for {key}"
            got[key] = num
        elif key == "sharing":
            got["sharing"] = v.lower() if isinstance(v, str) else UNKNOWN
        else:  # from, id, env, size
            got["from_" if key == "from" else key] = v
    if ro_auto and isinstance(mtype, str):
        got["readonly"] = mtype not in ("cache", "tmpfs")
    return Mount(type=mtype, fields=tuple(raw), error=error, flag=flag, **got)  # type: ignore[arg-type]


#: A ``--mount`` value as two RUNs' mounts are compared (:func:`mount_key`):
#: its type and its other ``(key, value or None)`` fields
MountKey = tuple[str, frozenset[tuple[str, str | None]]]

#: The spellings of one key that :func:`mount_key` folds (``rw`` and
#: ``readwrite`` are compared as written)
_KEY_SYNONYMS: Final = {"dst": "target", "destination": "target", "src": "source", "ro": "readonly"}


def mount_key(value: str | None) -> MountKey | str | None:
    """A ``--mount`` value normalised for comparing the mounts of two RUNs
    (DF201, as hadolint's DL3059 compares their flags): ``(type, fields)``
    where ``type`` is the ``type=`` value lower-cased (``bind`` when not
    given) and ``fields`` the set of the other fields as ``(key, value)``,
    keys lower-cased and their synonyms folded, blanks around keys and
    values dropped, a field without ``=`` giving ``(key, None)``.  Values are
    compared as written (not expanded).  A value with a quote (or None) is
    returned as it is: only the raw text can be compared then."""
    if value is None or '"' in value:
        return value
    fields = _csv_fields(value)
    assert fields is not None  # without quotes Go's csv reader cannot fail
    parts: set[tuple[str, str | None]] = set()
    kind = "bind"
    for f in fields:
        k, sep, v = f.partition("=")
        k = k.strip().lower()
        k = _KEY_SYNONYMS.get(k, k)
        if k == "type":
            kind = v.strip().lower()
            continue
        parts.add((k, v.strip() if sep else None))
    return (kind, frozenset(parts))


__all__ = ["MOUNT_KEYS", "Mount", "MountKey", "mount_key", "parse_mount"]
