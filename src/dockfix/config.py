"""Configuration files: ``[tool.dockfix]`` in ``pyproject.toml``, or
``.dockfix.toml`` / ``dockfix.toml`` (the same keys at the top level).

As in ruff, each file processed uses the nearest configuration file found
walking up from its folder (in each folder ``.dockfix.toml``, then
``dockfix.toml``, then a ``pyproject.toml`` that has a ``[tool.dockfix]``
table); no merging with files further up.  ``--config FILE`` uses that file
for every path, ``--isolated`` none.  The command line overrides the file
(:func:`effective`).  Paths in ``exclude``, ``extend-exclude`` and
``per-file-ignores`` are gitignore-style patterns relative to the folder of
the configuration file.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from msgspec import Struct, field
from msgspec.structs import replace

from . import files, gitignore
from ._records import compare_without
from .cli import UsageProblem

if TYPE_CHECKING:
    from .runner import Options

CONFIG_NAMES = (".dockfix.toml", "dockfix.toml", "pyproject.toml")
_CODE_LISTS = ("select", "ignore", "extend-select")
_PATTERN_LISTS = ("exclude", "extend-exclude")
KEYS = (*_CODE_LISTS, "unsafe-fixes", *_PATTERN_LISTS, "per-file-ignores", "lint", "cache-dir")


class ConfigError(UsageProblem):
    """A configuration file that cannot be used: one line, exit 2."""


@compare_without("rule_options")
class Settings(Struct, frozen=True):
    """What one configuration file says (``path`` None: no file)."""

    path: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: rule name -> option -> value
    #: left out of ==/hash (compare_without)
    rule_options: dict[str, dict[str, object]] = field(default_factory=dict)
    #: the cache folder (absolute: a relative one is taken from the file's folder)
    cache_dir: str | None = None

    @property
    def root(self) -> str:
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def _matches(self, patterns: tuple[str, ...], path: str) -> bool:
        if not patterns:
            return False
        rel = os.path.relpath(os.path.abspath(path), self.root)
        if rel.startswith(".."):
            return False
        parsed = gitignore._parse_ignore_file("\n".join(patterns).encode(), self.path or "", None)
        ignores = gitignore.Ignores().add(parsed, 0)
        parts = rel.replace(os.sep, "/").split("/")
        for k in range(1, len(parts)):
            if ignores.ignored("/".join(parts[:k]), True):
                return True
        return ignores.ignored("/".join(parts), False)

    def excluded(self, path: str) -> bool:
        """Whether ``exclude``/``extend-exclude`` leave ``path`` out."""
        return self._matches(self.exclude + self.extend_exclude, path)

    def ignored_for(self, path: str) -> tuple[str, ...]:
        """The codes ``per-file-ignores`` turns off for ``path``."""
        out: list[str] = []
        for pattern, codes in self.per_file_ignores:
            if self._matches((pattern,), path):
                out.extend(codes)
        return tuple(out)


def _where(path: str, key: str) -> str:
    return f"{path}: {key}"


def _codes(path: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{_where(path, key)}: expected a list of rule codes, got {_show(value)}")
    from .rules import registry

    codes = tuple(v.strip().upper() for v in value if v.strip())
    bad = registry().unknown_codes(codes)
    if bad:
        raise ConfigError(
            f"{_where(path, key)}: unknown rule code{'s' if len(bad) > 1 else ''} {', '.join(bad)}"
        )
    return codes


def _patterns(path: str, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{_where(path, key)}: expected a list of path patterns, got {_show(value)}")
    problems: list[str] = []
    gitignore._parse_ignore_file("\n".join(value).encode(), path, problems)
    if problems:
        raise ConfigError(f"{_where(path, key)}: {problems[0].split(': ', 1)[-1]}")
    return tuple(value)


def _show(value: object) -> str:
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return kinds.get(type(value), type(value).__name__)


def _rule_options(path: str, table: object) -> dict[str, dict[str, object]]:
    from .rules import registry

    if not isinstance(table, dict):
        raise ConfigError(f"{_where(path, 'lint')}: expected a table of rule tables, got {_show(table)}")
    by_name = {r.name: r for r in registry().rules.values()} | dict(registry().rules)
    out: dict[str, dict[str, object]] = {}
    for name, values in table.items():
        rule = by_name.get(name) or by_name.get(name.upper())
        if rule is None:
            raise ConfigError(f"{_where(path, f'lint.{name}')}: unknown rule")
        if not isinstance(values, dict):
            raise ConfigError(f"{_where(path, f'lint.{name}')}: expected a table, got {_show(values)}")
        for key, value in values.items():
            where = _where(path, f"lint.{name}.{key}")
            if key not in rule.option_defaults:
                known = ", ".join(sorted(rule.option_defaults)) or "none"
                raise ConfigError(f"{where}: unknown option of {rule.code} {rule.name} (options: {known})")
            default = rule.option_defaults[key]
            if type(value) is not type(default):
                raise ConfigError(f"{where}: expected {_show(default)}, got {_show(value)}")
            if isinstance(value, int) and not isinstance(value, bool) and not 0 < value < 2**31:
                raise ConfigError(f"{where}: out of range: {value}")
            out.setdefault(rule.name, {})[key] = value
    return out


def load(path: str) -> Settings:
    """Read and check one configuration file."""
    toml = files.toml()
    try:
        with open(path, "rb") as f:
            data = toml.load(f)
    except toml.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
    prefix = ""
    if os.path.basename(path) == "pyproject.toml":
        data = data.get("tool", {}).get("dockfix", {})
        prefix = "tool.dockfix."
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {prefix.rstrip('.')}: expected a table")
    kw: dict = {}
    for key, value in data.items():
        where = prefix + key
        if key not in KEYS:
            raise ConfigError(f"{_where(path, where)}: unknown key (keys: {', '.join(KEYS)})")
        if key in _CODE_LISTS:
            kw[key.replace("-", "_")] = _codes(path, where, value)
        elif key in _PATTERN_LISTS:
            kw[key.replace("-", "_")] = _patterns(path, where, value)
        elif key == "unsafe-fixes":
            if not isinstance(value, bool):
                raise ConfigError(f"{_where(path, where)}: expected a boolean, got {_show(value)}")
            kw["unsafe_fixes"] = value
        elif key == "cache-dir":
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{_where(path, where)}: expected a folder name, got {_show(value)}")
            folder = os.path.dirname(os.path.abspath(path))
            kw["cache_dir"] = os.path.join(folder, os.path.expanduser(value))
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{_where(path, where)}: expected a table of pattern = [codes], got {_show(value)}"
                )
            pfi = []
            for pattern, codes in value.items():
                _patterns(path, f"{where}.{pattern!r}", [pattern])
                pfi.append((pattern, _codes(path, f"{where}.{pattern!r}", codes)))
            kw["per_file_ignores"] = tuple(pfi)
        else:
            kw["rule_options"] = _rule_options(path, value)
    return Settings(path=path, **kw)


def find(directory: str) -> str | None:
    """The nearest configuration file at or above ``directory``."""
    d = os.path.abspath(directory)
    while True:
        for name in CONFIG_NAMES:
            candidate = os.path.join(d, name)
            if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_table(candidate)):
                return candidate
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _has_table(pyproject: str) -> bool:
    """Whether a pyproject.toml has ``[tool.dockfix]`` (one that does not
    parse is reported when it is read, so it counts)."""
    toml = files.toml()
    try:
        with open(pyproject, "rb") as f:
            data = toml.load(f)
    except (OSError, toml.TOMLDecodeError, UnicodeDecodeError):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "dockfix" in tool


class Resolver:
    """The settings of each file of a run: ``--config`` for all, none with
    ``--isolated``, else the nearest configuration file (each read once)."""

    def __init__(self, config: str | None = None, isolated: bool = False):
        if config is not None and not os.path.isfile(config):
            raise ConfigError(f"{config}: --config: no such file")
        self.config = config
        self.isolated = isolated
        self._loaded: dict[str | None, Settings] = {}
        self._found: dict[str, str | None] = {}

    def settings_for(self, path: str) -> Settings:
        """The settings for a file (``-``: the current folder's)."""
        if self.isolated:
            where: str | None = None
        elif self.config is not None:
            where = self.config
        else:
            folder = os.path.dirname(os.path.abspath(path)) if path != "-" else os.getcwd()
            if os.path.isdir(path):
                folder = os.path.abspath(path)
            if folder not in self._found:
                self._found[folder] = find(folder)
            where = self._found[folder]
        if where not in self._loaded:
            self._loaded[where] = load(where) if where is not None else Settings()
        return self._loaded[where]


def effective(base: Options, settings: Settings, path: str, cli_select: bool) -> Options:
    """The options for ``path``: the file's settings under the command
    line's (``base``).  As in ruff, ``--select`` replaces the file's
    selection (its ``ignore`` too); otherwise ``--ignore`` and
    ``--extend-select`` add to the file's.  ``per-file-ignores`` always
    apply."""
    if cli_select:
        select, ignore, extend = base.select, base.ignore, base.extend_select
    else:
        select = settings.select
        ignore = settings.ignore + base.ignore
        extend = settings.extend_select + base.extend_select
    return replace(
        base,
        select=select,
        ignore=ignore,
        extend_select=extend,
        unsafe=base.unsafe or bool(settings.unsafe_fixes),
        per_file_ignore=settings.ignored_for(path) if path != "-" else (),
        rule_options=settings.rule_options,
    )


def show(settings: Settings, options: Options, path: str) -> str:
    """``--show-settings``: what is in effect for ``path``."""
    from .rules import registry

    rules = [r for r in registry().select(options.select, options.ignore, options.extend_select)]
    rules = [r for r in rules if not any(r.code.startswith(p) for p in options.per_file_ignore)]
    lines = [
        f"path: {path}",
        f"config: {settings.path or '(none)'}",
        f"select: {', '.join(options.select) if options.select else 'ALL'}",
        f"ignore: {', '.join(options.ignore) or '(none)'}",
        f"extend-select: {', '.join(options.extend_select) or '(none)'}",
        f"per-file-ignores: {', '.join(options.per_file_ignore) or '(none)'}",
        f"unsafe-fixes: {'true' if options.unsafe else 'false'}",
        f"exclude: {', '.join(settings.exclude + settings.extend_exclude) or '(none)'}",
        f"excluded from directory walks: {'yes' if path != '-' and settings.excluded(path) else 'no'}",
        f"rules ({len(rules)}): {', '.join(r.code for r in rules)}",
    ]
    for rule in rules:
        if rule.option_defaults:
            values = dict(rule.option_defaults) | options.rule_options.get(rule.name, {})
            shown = ", ".join(f"{k} = {_toml(v)}" for k, v in sorted(values.items()))
            lines.append(f"lint.{rule.name} ({rule.code}): {shown}")
    return "".join(line + "\n" for line in lines)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)
