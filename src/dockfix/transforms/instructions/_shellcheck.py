"""What hadolint's ShellCheck would newly say about a RUN script read in
another shell dialect (not a rule module: the name starts with ``_``).

hadolint lints each shell-form ``RUN`` with ShellCheck, as the shell of the
``SHELL`` in effect: ``sh`` by default, ``bash`` for a bash ``SHELL``, and
``dash`` for ``ash`` (ShellCheck reads busybox ash as dash).  A fix that
sets a ``SHELL`` (DF512) changes that dialect for the ``RUN``s after it,
and a few ShellCheck checks only run in the new one (koalaman/shellcheck,
``src/ShellCheck/Checks/ShellSupport.hs`` and ``Analytics.hs``):

* bash only: SC2001 (``echo "$x" | sed 's/a/b/'``, ``sed … <<< $x``),
  SC2051 (``{1..$n}``), SC2025 (escapes in ``PS1``), SC2332
  (``[ ! -o opt ]``, ``[ ! -a file ]``);
* bash and dash, not sh: SC2071, SC2073, SC2122 (``<``, ``>``, ``<=``,
  ``>=`` in a test);
* dash only: SC3036 (``echo`` flags but ``-n``), where sh says SC3037.

Going from sh to bash or dash otherwise only removes findings (the SC3xxx
"undefined in POSIX sh" ones).  This is a static test, conservative: it
says "may newly fail" for any script that has one of these shapes, without
running ShellCheck (dockfix must give the same output on every machine).
"""

from __future__ import annotations

import re

from ...shell import Command, Script, walk
from ...shellcheck import Dialect, dialect  # noqa: F401  (the one copy; pipefail imports it from here)

_BRACE_VAR = re.compile(r"\{[^{}\s]*\.\.[^{}\s]*\$[^{}\s]*\}|\{[^{}\s]*\$[^{}\s]*\.\.[^{}\s]*\}")
_PS1 = re.compile(r"(?:^|[\s;&|(])PS1=")
_ECHO_FLAGS = re.compile(r"-[eEsn]+")
_SIMPLE_SED = re.compile(r"s(.)([^\n]*)g?\Z")
_COMPARE = frozenset({"<", ">", "<=", ">=", "\\<", "\\>", "\\<=", "\\>=", "=~"})


def _test_compares(script: Script) -> bool:
    """A comparison operator (or ``! -a``/``! -o``) as a word of a command
    (``[``, ``test``, or what the shell parser could not name: it reads
    ``if [ "$a" \\< b ]`` as one nameless command), or a ``[[ ]]`` with
    ``<``/``>``/``=~``."""
    for cmd in script.commands:
        values = [a.text for a in cmd.args]
        if any(v in _COMPARE for v in values):
            return True
        if any(a == "!" and b in ("-a", "-o") for a, b in zip(values, values[1:], strict=False)):
            return True
    return any(
        n.type == "test_command" and any(op in script.node_text(n) for op in ("<", ">", "=~"))
        for n in walk(script.tree.root_node)
    )


def _simple_sed(cmd: Command) -> bool:
    """ShellCheck's ``checkEchoSed`` test of the sed: ``sed EXPR`` or
    ``sed -e EXPR`` with EXPR ``s/a/b/`` (any delimiter, twice more, and an
    optional ``g``); an expanding EXPR counts (it might be one)."""
    values = cmd.values
    if values[:1] == ["-e"]:
        values = values[1:]
    if len(values) != 1:
        return False
    expr = values[0]
    if expr is None:
        return True
    m = _SIMPLE_SED.match(expr)
    return m is not None and m.group(2).count(m.group(1)) == 2


def _bash_only(script: Script) -> str | None:
    text = script.text
    commands = script.commands
    for k, cmd in enumerate(commands):
        if cmd.name != "sed" or not _simple_sed(cmd):
            continue
        if "<<<" in text:
            return "SC2001"  # `sed … <<< "$x"`
        # the command before it at its own depth (`echo "$(x)"` lists x between)
        prev = next((c for c in reversed(commands[:k]) if len(c.ancestors) <= len(cmd.ancestors)), None)
        if cmd.prev_op != "|":
            prev = None
        if prev is not None and prev.name == "echo" and len(prev.args) == 1 and prev.args[0].value is None:
            return "SC2001"  # `echo "$x" | sed …` (a word that expands: ShellCheck's ${VAR})
    if _BRACE_VAR.search(text):
        return "SC2051"
    if _PS1.search(text):
        return "SC2025"
    return None


def _dash_only(script: Script) -> str | None:
    for cmd in script.commands:
        if cmd.name == "echo" and cmd.args:
            first = cmd.args[0].value
            if first is not None and first != "-n" and _ECHO_FLAGS.fullmatch(first):
                return "SC3036"
    return None


def new_findings(script: Script, before: Dialect, after: Dialect) -> str | None:
    """A ShellCheck code the script may newly get when read as ``after``
    rather than ``before`` (None when it cannot)."""
    if before == after or after not in ("bash", "dash"):
        return None
    if after == "bash":
        found = _bash_only(script)
        if found:
            return found
    if after == "dash":
        found = _dash_only(script)
        if found:
            return found
    if before == "sh" and _test_compares(script):
        return "SC2071/SC2073/SC2122"
    return None
