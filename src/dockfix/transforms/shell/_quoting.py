"""When quoting an expansion in a RUN script keeps its meaning (DF703
``$VAR``, DF704 ``$(cmd)``): dockfix's own reading, not ShellCheck's.

An unquoted expansion is split on IFS into words, each word globbed, and an
empty result is dropped.  Quoting it changes nothing exactly when the value
is one word: not empty, no blank, no glob character.  :func:`expansion` and
:func:`substitution` say, for the span ShellCheck flags, whether that is
proven (``SAFE``), possible (``UNSAFE``), or whether the author means the
split (``REPORT_ONLY``: a package list, a ``for`` list, an options string,
a value with blanks) — those are never quoted.

What is known for sure about a variable comes from the model read without
assuming ARG defaults (``SemanticModel.of(tree, assume_defaults=False)``:
``--build-arg`` can override any ARG that no later ENV shadows), and from
the script itself: its assignments, ``for`` loops, ``read`` & co, and
whether it may set anything (``eval``, ``.``/``source``).  The script facts
are worked out once per script (one walk of its tree).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import TYPE_CHECKING, Any, NamedTuple

from msgspec import Struct, field

from ... import lexing, tools
from ...model import UNKNOWN, SemanticModel, Unknown
from ...rules import Edit, Safety
from ...shell import Command, Script, walk

if TYPE_CHECKING:
    from ...model import Facts
    from ...rules import Context
    from ...tree import Instruction

#: node types of an expansion ShellCheck may flag
_EXPANSIONS = frozenset({"simple_expansion", "expansion", "command_substitution"})
#: what makes a value more than one word once unquoted (backslash: some
#: shells glob a word with one)
_BLANKS = frozenset(" \t\n")
_GLOB = frozenset("*?[\\")
#: names of variables that hold options or lists by convention
_SPLIT_NAME = re.compile(r"(FLAGS|OPTS|OPTIONS|ARGS|PKGS|PACKAGES|DEPS|DEPENDENCIES|LIST)\Z", re.IGNORECASE)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: special parameters that are always a number
_NUMBERS = frozenset({"#", "?", "$"})
#: commands that set the variables named by their operands
_SETTERS = frozenset({"read", "getopts", "unset", "mapfile", "readarray", "printf", "let", "typeset"})
#: commands that may set any variable
_OPAQUE = frozenset({"eval", "source", "."})
#: ``${NAME<op>word}`` operators whose word stands in for the value
_DEFAULTS = (":-", "-", ":=", "=", ":?", "?", ":+", "+")


class Verdict(NamedTuple):
    """What quoting one expansion does: ``safety`` (SAFE: nothing changes;
    UNSAFE: it may; REPORT_ONLY: the split is meant, never quote) and
    ``why``, a phrase for the finding's message."""

    safety: Safety
    why: str


def _safe(why: str) -> Verdict:
    return Verdict(Safety.SAFE, why)


def _unsafe(why: str) -> Verdict:
    return Verdict(Safety.UNSAFE, why)


def _report(why: str) -> Verdict:
    return Verdict(Safety.REPORT_ONLY, why)


# -- the script's facts ---------------------------------------------------------------


class _Def(Struct, frozen=True):
    """A place the script sets a variable: ``one_word`` when the value set is
    provably one word (None: it depends on the environment, the value is
    ``text`` to expand with it); ``value``: the literal value, when known;
    ``first``: it runs before anything after it in the text (a top-level
    statement, the left end of an ``&&``/``||`` list); ``spans``: script
    spans that run only after it did (the body of its ``for`` loop, what
    follows it in an ``&&`` chain)."""

    start: int
    end: int
    one_word: bool | None
    first: bool
    spans: tuple[tuple[int, int], ...] = ()
    value: str | None = None
    text: str = ""
    lists: str | None = None  # the program printing a list it holds (`$(apt-mark showmanual)`)


#: a tree-sitter node
_Node = Any
# a node's ancestors, innermost first, as a linked list: (parent, its link)
_Link = tuple[_Node, "_Link"] | None


class _Facts(Struct):
    spans: dict[tuple[int, int], tuple[_Node, _Link]] = field(default_factory=dict)
    defs: dict[str, list[_Def]] = field(default_factory=dict)
    commands: dict[int, Command] = field(default_factory=dict)
    opaque: bool = False  # eval / source: anything may be set
    ifs: bool = False  # the script sets IFS
    moves: bool = False  # cd / pushd / popd
    judged: dict[tuple[str, bool], Verdict | None] = field(default_factory=dict)  # per name, by _judge_defs
    reach: dict[str, tuple[int | None, list[int], list[int]]] = field(default_factory=dict)  # by _reached


def _one_word(value: str | None) -> bool:
    return bool(value) and not any(c in _BLANKS or c in _GLOB for c in value or "")


def _script_facts(script: Script) -> _Facts:
    cached = script.__dict__.get("_quoting")
    if isinstance(cached, _Facts):
        return cached
    facts = _Facts()
    for cmd in script.commands:
        facts.commands[cmd.start] = cmd
        prog = cmd.program
        if prog in _OPAQUE:
            facts.opaque = True
        elif prog in ("cd", "pushd", "popd"):
            facts.moves = True
        elif prog in _SETTERS or prog in ("local", "declare"):
            for a in cmd.args:
                name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", a.value or "")
                if name and (prog == "let" or name.group(0) == a.value):
                    facts.defs.setdefault(name.group(0), []).append(_Def(a.start, a.end, False, False))
    c = script._c
    # (node, its link, runs first, the span that runs only after it has)
    stack: list[tuple[_Node, _Link, bool, tuple[int, int] | None]] = [
        (script.tree.root_node, None, True, None)
    ]
    while stack:
        node, link, first, after = stack.pop()
        t = node.type
        if t == "heredoc_body":
            continue
        children = node.children
        if t in _EXPANSIONS:
            facts.spans[(c(node.start_byte), c(node.end_byte))] = (node, link)
        elif t == "variable_assignment" and (link is None or link[0].type != "command"):
            _assignment(script, facts, node, first, after)
        elif t == "declaration_command":
            for k in children:
                if k.type == "variable_name" and children[0].type in ("local", "declare", "typeset"):
                    facts.defs.setdefault(script.node_text(k), []).append(
                        _Def(c(k.start_byte), c(k.end_byte), False, False)
                    )
        elif t == "for_statement":
            _for_loop(script, facts, node)
        here: _Link = (node, link)
        afters = _afters(script, node, t, children, after)
        for i in range(len(children) - 1, -1, -1):
            keeps = first and (t in ("program", "declaration_command", "variable_assignments")
                               or (t in ("list", "redirected_statement") and i == 0))  # fmt: skip
            stack.append((children[i], here, keeps, afters[i] if afters else None))
    script.__dict__["_quoting"] = facts
    return facts


def _afters(script: Script, node, t: str, children, after: tuple[int, int] | None):
    """For each child of ``node``: the script span that runs only once the
    child has (None: none), given ``after``, the node's own.  In ``a && b``
    what follows ``a`` is ``b`` and then what follows the list; ``b`` (and
    ``a`` of ``a || b``) runs whenever the list succeeds, so what follows
    the list follows it.  Worked out top-down: linear in the script."""
    if t == "list" and len(children) == 3:
        a, op, b = children
        if op.type == "&&":
            start = script._c(b.start_byte)
            return [(start, after[1] if after else script._c(b.end_byte)), None, after]
        if op.type == "||":
            return [after, None, None]
        return None
    if t in ("declaration_command", "variable_assignments", "redirected_statement"):
        return [after] * len(children)
    return None


def _assignment(script: Script, facts: _Facts, node, first: bool, after: tuple[int, int] | None) -> None:
    kids = node.children
    if not kids or kids[0].type != "variable_name":
        return  # `a[0]=x`: an array element
    name = script.node_text(kids[0])
    value = kids[2] if len(kids) > 2 else None
    if name == "IFS":
        facts.ifs = True
    one: bool | None = False
    literal = text = None
    if value is not None:
        if value.type == "arithmetic_expansion":
            one = True
        elif value.type == "command_substitution":
            one = _one_word_command(script, value) is not None
        else:
            literal = script._literal(value)
            text = script.node_text(value)
            if literal is not None:
                one = _one_word(literal)
            elif "$(" not in text and "`" not in text:
                one = None  # `x=$V-linux`: known once V is
    c = script._c
    spans = (after,) if after else ()
    d = _Def(
        c(node.start_byte), c(node.end_byte), one, first, spans, literal, text or "", _lister(script, value)
    )
    facts.defs.setdefault(name, []).append(d)


def _lister(script: Script, value: _Node | None) -> str | None:
    """The program of :data:`tools.posix.LIST_OUTPUT` whose output a
    command substitution in ``value`` holds, if any."""
    if value is None or "$(" not in script.node_text(value) and "`" not in script.node_text(value):
        return None
    for n in walk(value):
        if n.type == "command_name":
            prog = script.node_text(n).rsplit("/", 1)[-1]
            if prog in tools.posix.LIST_OUTPUT:
                return prog
    return None


def _for_loop(script: Script, facts: _Facts, node) -> None:
    kids = node.children
    var = next((k for k in kids if k.type == "variable_name"), None)
    if var is None:
        return
    has_in = any(k.type == "in" for k in kids)
    values = [k for k in kids if k.type in ("word", "string", "raw_string", "concatenation", "number")]
    others = [k for k in kids if k.type in _EXPANSIONS or k.type == "expansion"]
    body = next((k for k in kids if k.type == "do_group"), None)
    one = has_in and bool(values) and not others and all(_one_word(script._literal(v)) for v in values)
    name = script.node_text(var)
    if name == "IFS":
        facts.ifs = True
    c = script._c
    spans = ((c(body.start_byte), c(body.end_byte)),) if body is not None else ()
    facts.defs.setdefault(name, []).append(_Def(c(var.start_byte), c(var.end_byte), one, False, spans))


def _one_word_command(script: Script, subst: _Node) -> str | None:
    """The command line of a ``$(cmd)`` whose output is one word (None:
    not provably): a command of :data:`tools.posix.ONE_WORD_OUTPUT`
    (``uname -m``), maybe piped through filters that keep one word
    (``uname -m | sed 's/x86_64/amd64/'``: :func:`tools.posix.keeps_one_word`)."""
    inner = [k for k in subst.children if k.type not in ("$(", ")", "`")]
    if len(inner) != 1:
        return None
    return _prints_one_word(script, inner[0])


def _prints_one_word(script: Script, node: _Node) -> str | None:
    """:func:`_one_word_command` of the command (pipeline, ``||`` list)
    ``node``: a list ``a || b`` prints one word when each part does and
    prints nothing when it fails (the table's commands), the last one may be
    ``echo WORD``."""
    if node.type == "list":
        kids = node.children
        if len(kids) != 3 or kids[1].type != "||":
            return None
        last = _literal_words(script, kids[2]) if kids[2].type == "command" else None
        if last is not None and len(last) == 2 and last[0] == "echo" and _one_word(last[1]):
            right: str | None = script.node_text(kids[2])
        else:
            right = _prints_one_word(script, kids[2])
        return script.node_text(node) if right and _prints_one_word(script, kids[0]) else None
    if node.type == "command":
        parts = [node]
    elif node.type == "pipeline" and all(k.type in ("command", "|") for k in node.children):
        parts = [k for k in node.children if k.type == "command"]
    else:
        return None
    argvs = [_literal_words(script, p) for p in parts]
    if not argvs or argvs[0] is None or any(a is None for a in argvs):
        return None
    first = (argvs[0][0].rsplit("/", 1)[-1], *argvs[0][1:])
    if first not in tools.posix.ONE_WORD_OUTPUT:
        return None
    if not all(a is not None and tools.posix.keeps_one_word(a) for a in argvs[1:]):
        return None
    return script.node_text(node)


def _literal_words(script: Script, cmd: _Node) -> tuple[str, ...] | None:
    """The words of a simple command when all are literal (no redirects,
    no assignments), else None."""
    words: list[str] = []
    for k in cmd.children:
        if k.type == "command_name":
            k = k.children[0] if k.children else k
        elif k.type not in ("word", "string", "raw_string", "concatenation", "number"):
            return None
        v = script._literal(k)
        if v is None:
            return None
        words.append(v)
    return tuple(words) if words else None


# -- where the expansion is --------------------------------------------------------------


class _Place(NamedTuple):
    node: _Node
    whole_word: bool  # the expansion is a whole word (not part of a concatenation)
    word_start: int
    word_end: int
    command: Command | None  # the simple command it is an argument of
    in_for_list: bool
    in_substitution: bool


def _place(script: Script, facts: _Facts, start: int, end: int) -> _Place | None:
    got = facts.spans.get((start, end))
    if got is None:
        return None
    node, link = got
    word: _Node = node
    whole = True
    cur = link
    while cur is not None and cur[0].type in ("concatenation",):
        whole = False
        word = cur[0]
        cur = cur[1]
    c = script._c
    w_start, w_end = c(word.start_byte), c(word.end_byte)
    command = None
    in_for = False
    parent = cur[0] if cur is not None else None
    if parent is not None and parent.type == "command":
        command = facts.commands.get(c(parent.start_byte))
    elif parent is not None and parent.type == "for_statement":
        in_for = True
    in_subst = False
    while cur is not None:
        if cur[0].type == "command_substitution":
            in_subst = True
            break
        cur = cur[1]
    return _Place(node, whole, w_start, w_end, command, in_for, in_subst)


def _list_use(place: _Place, substitution: bool = False) -> str | None:
    """Why the word is a list of words by its place (None: it is not); a
    whole-word ``substitution`` among the operands of ``rm``/``kill``… is
    one too."""
    if place.in_for_list:
        return "the words of a `for` list"
    cmd = place.command
    if cmd is None:
        return None
    p = tools.parse(cmd, unwrap=True)
    if p is not None and any(t.start <= place.word_start < t.end for t in p.operands):
        if tools.fills_cache(p) or tools.on_path(p) is not None or tools.removes(p):
            return f"a package list of `{p.label}`"
    if substitution and place.whole_word and cmd.program in tools.posix.LIST_OPERANDS:
        return f"a list of operands of `{cmd.program}`"
    return None


# -- values -------------------------------------------------------------------------------


def _strict(ctx: Context, ins: Instruction) -> Facts:
    """The facts before ``ins`` with every ARG taken as overridable."""
    return SemanticModel.of(ctx.tree, assume_defaults=False).at(ins)


def _env_value(ctx: Context, ins: Instruction, name: str) -> tuple[str | None | Unknown, str]:
    """The value a RUN's environment gives ``name`` for sure (None: unset;
    UNKNOWN), and where it comes from (for messages)."""
    if any(m.env == name for m in ctx.model.mounts(ins)):
        return UNKNOWN, "a secret mount"
    facts = _strict(ctx, ins)
    var = facts.variable(name)
    if name == "HOME" and var is None:
        home = facts.home
        if isinstance(home, Unknown):
            return home, "the home of a user dockfix cannot tell"
        return home, "the user's home"
    if var is None:
        return None, "unset"
    if isinstance(var.value, Unknown):
        if var.kind == "arg":
            return var.value, "an ARG (`--build-arg` may change it)"
        if var.kind == "env":
            return var.value, "an ENV whose value depends on an ARG or an unknown variable"
        return var.value, "not set by this file (the base image may set it)"
    return var.value, "the ENV" if var.kind == "env" else "the base image's ENV"


def _judge_defs(
    ctx: Context, ins: Instruction, facts: _Facts, name: str, defs: list[_Def], whole: bool
) -> Verdict | None:
    """What the script's assignments of ``name`` say (None: every one sets
    one word); worked out once per name."""
    for d in defs:
        if d.lists is not None:
            return _report(f"`${name}` holds what `{d.lists}` prints: a list of words, split on purpose")
        if d.value is not None and not _one_word(d.value):
            got = _judge_value(d.value, "set in the script", name, whole)
            if got.safety is not Safety.SAFE:
                return got
    if not all(d.one_word or (d.one_word is None and _expands_to_one_word(ctx, ins, facts, d)) for d in defs):
        return _unsafe(f"`${name}` is set in the script to what may be several words or none")
    return None


def _reached(facts: _Facts, name: str, defs: list[_Def], at: int) -> bool:
    """Has an assignment of ``name`` surely run before script offset
    ``at``: a top-level one that ends before it, or one whose "runs only
    after it" span holds it?  (Spans sorted once per name, then a binary
    search per use.)"""
    reach = facts.reach.get(name)
    if reach is None:
        firsts = [d.end for d in defs if d.first]
        spans = sorted(span for d in defs for span in d.spans)
        ends: list[int] = []
        for _a, b in spans:
            ends.append(max(b, ends[-1]) if ends else b)
        reach = facts.reach[name] = (min(firsts, default=None), [a for a, _b in spans], ends)
    first_end, starts, ends = reach
    if first_end is not None and first_end <= at:
        return True
    k = bisect_right(starts, at)
    return k > 0 and ends[k - 1] > at


def _expands_to_one_word(ctx: Context, ins: Instruction, facts: _Facts, d: _Def) -> bool:
    """Is a script assignment's value (``x=$V-linux``) one word, by the
    values the RUN's environment gives for sure (of variables the script
    does not set)?"""

    def lookup(name: str) -> object:
        if name in facts.defs:
            return UNKNOWN
        return _env_value(ctx, ins, name)[0]

    try:
        got = lexing.expand_word(d.text, lookup)
    except lexing.ShellError:
        return False
    return _one_word(got)


def _file_sets_ifs(ctx: Context, ins: Instruction) -> bool:
    """An ENV or ARG of the file sets IFS for the RUN (no image does)."""
    var = ctx.facts(ins).variable("IFS")
    return var is not None and var.kind != "image"


def _judge_value(value: str | None | Unknown, source: str, name: str, whole: bool) -> Verdict:
    if isinstance(value, Unknown):
        return _unsafe(f"`${name}`: {source}")
    text = value or ""
    if any(ch in _BLANKS for ch in text):
        return _report(f"`${name}` is `{text}` ({source}): several words, split on purpose")
    if not text and whole:
        return _unsafe(f"`${name}` is empty ({source}): unquoted it is no word at all")
    if any(ch in _GLOB for ch in text):
        return _unsafe(f"`${name}` is `{text}` ({source}): a glob pattern unquoted")
    return _safe(f"`${name}` is `{text}` ({source}): one word")


def _parameter(script: Script, node) -> tuple[str, str | None, str | None] | None:
    """(name, operator, literal word) of ``$NAME``/``${NAME}``/``${NAME<op>word}``;
    the operator is ``#`` for ``${#NAME}``; None for other forms."""
    kids = node.children
    if node.type == "simple_expansion":
        names = [k for k in kids if k.type in ("variable_name", "special_variable_name")]
        return (script.node_text(names[0]), None, None) if len(names) == 1 else None
    inner = [k for k in kids if k.type not in ("${", "}")]
    if not inner:
        return None
    if inner[0].type == "#" and len(inner) == 2:
        return script.node_text(inner[1]), "#", None
    if inner[0].type not in ("variable_name", "special_variable_name"):
        return None
    name = script.node_text(inner[0])
    if len(inner) == 1:
        return name, None, None
    op = inner[1].type
    if op not in _DEFAULTS:
        return None
    if len(inner) == 2:
        return name, op, ""
    if len(inner) != 3:
        return None
    word = script._literal(inner[2])
    return (name, op, word) if word is not None else None


def _apply(op: str | None, word: str | None, value: str | None) -> str | None:
    """``${NAME<op>word}`` of a known value (None: unset) in the shell."""
    if op is None:
        return value
    colon = op.startswith(":")
    empty = value is None or (colon and value == "")
    kind = op[-1]
    if kind in "-=":
        return word if empty else value
    if kind == "+":
        return "" if empty else word
    return value  # `?`: the value, or the script stops


# -- the verdicts -------------------------------------------------------------------------


def expansion(ctx: Context, ins: Instruction, script: Script, start: int, end: int) -> Verdict:
    """DF703: quoting the ``$NAME``/``${NAME…}`` at script span ``start:end``."""
    facts = _script_facts(script)
    place = _place(script, facts, start, end)
    if place is None:
        return _report("the expansion could not be read")
    text = script.text[start:end]
    listed = _list_use(place)
    if listed is not None:
        return _report(f"`{text}` is {listed}")
    names = [k for k in place.node.children if k.type == "variable_name"]
    if names and _SPLIT_NAME.search(script.node_text(names[0])):
        return _report(f"`{text}` is named as options or a list: split on purpose")
    param = _parameter(script, place.node)
    if param is None:
        return _unsafe(f"`{text}` is an expansion dockfix does not evaluate")
    name, op, word = param
    if op == "#":
        return _safe(f"`${{#{name}}}` is a number")
    if name in _NUMBERS:
        return _safe(f"`${name}` is a number")
    if _IDENT.match(name) is None:
        return _unsafe(f"`${name}` is a parameter of the script or function")
    if facts.ifs or _file_sets_ifs(ctx, ins):
        return _unsafe("IFS is changed: what splits the value is not the default")
    if facts.opaque:
        return _unsafe("the script runs `eval` or `source`: it may set any variable")
    defs = facts.defs.get(name)
    if defs:
        key = (name, place.whole_word)
        if key not in facts.judged:
            facts.judged[key] = _judge_defs(ctx, ins, facts, name, defs, place.whole_word)
        got = facts.judged[key]
        if got is not None:
            return got
        if _reached(facts, name, defs, start):
            if op is None or op[-1] in "-=?":
                return _safe(f"`${name}` is set in the script to one word")
            return _judge_value(word, "the word after `+`", name, place.whole_word)
    value, source = _env_value(ctx, ins, name)
    if defs:
        source += ", until the script sets it"
    if op is not None and not isinstance(value, Unknown):
        value = _apply(op, word, value)
    return _judge_value(value, source, name, place.whole_word)


def substitution(ctx: Context, ins: Instruction, script: Script, start: int, end: int) -> Verdict:
    """DF704: quoting the ``$(cmd)`` (or backquoted command) at script span
    ``start:end``."""
    facts = _script_facts(script)
    place = _place(script, facts, start, end)
    if place is None:
        return _unsafe("the substitution could not be read")
    text = script.text[start:end]
    node = place.node
    ifs = facts.ifs or _file_sets_ifs(ctx, ins)
    line = _one_word_command(script, node)
    if line is not None and not ifs:
        return _safe(f"`{line}` prints one word")
    listed = _list_use(place, substitution=True)
    if listed is not None:
        return _report(f"`{text}` is {listed}")
    inner = [k for k in node.children if k.type not in ("$(", ")", "`")]
    if len(inner) == 1 and inner[0].type == "command":
        cmd = facts.commands.get(script._c(inner[0].start_byte))
        if cmd is not None and cmd.program in tools.posix.LIST_OUTPUT:
            return _report(f"`{cmd.program}` prints a list of words")
    if text.startswith("`") and ('"' in text or "\\" in text):
        return _report("a backquoted command holding quotes or backslashes (`$(…)` first: DF701)")
    if ifs:
        return _unsafe("IFS is changed: what splits the output is not the default")
    if len(inner) == 1 and inner[0].type == "command":
        cmd = facts.commands.get(script._c(inner[0].start_byte))
        if cmd is not None and cmd.program == "pwd" and all(v in ("-P", "-L") for v in cmd.values):
            wd = _strict(ctx, ins).workdir.path
            if not facts.moves and isinstance(wd, str) and _one_word(wd):
                return _safe(f"`pwd` prints the WORKDIR `{wd}`: one word")
    return _unsafe("its output may be several words or none")


def quote(script: Script, start: int, end: int) -> tuple[Edit, Edit]:
    """Edits that put double quotes around script span ``start:end``."""
    a, b = script.source(start), script.source_end(end)
    return Edit(a, a, '"'), Edit(b, b, '"')
