"""DF703/DF704 safety analysis (transforms/shell/_quoting.py): when quoting
an expansion or a command substitution in a RUN keeps its meaning."""

from __future__ import annotations

import pytest

import dockfix
from dockfix.rules import Context, Safety
from dockfix.transforms.shell import _quoting

SAFE, UNSAFE, REPORT = Safety.SAFE, Safety.UNSAFE, Safety.REPORT_ONLY


def _verdict(dockerfile: str, target: str, nth: int = 0, kind: str = "expansion") -> _quoting.Verdict:
    """The verdict on the ``nth`` occurrence of ``target`` in the last RUN."""
    tree = dockfix.parse(dockerfile)
    ctx = Context(tree)
    ins = [i for i in tree.instructions if i.keyword == "RUN"][-1]
    script = ctx.model.script(ins)
    assert script is not None
    at = -1
    for _ in range(nth + 1):
        at = script.text.index(target, at + 1)
    judge = _quoting.expansion if kind == "expansion" else _quoting.substitution
    return judge(ctx, ins, script, at, at + len(target))


def _sub(dockerfile: str, target: str, nth: int = 0) -> _quoting.Verdict:
    return _verdict(dockerfile, target, nth, "substitution")


@pytest.mark.parametrize(
    ("dockerfile", "target", "expected"),
    [
        # ENV with a literal one-word value
        ("FROM debian\nENV A=foo\nRUN echo $A\n", "$A", SAFE),
        ("FROM debian\nENV A=foo\nRUN echo ${A}/x\n", "${A}", SAFE),
        ("FROM debian\nENV A=foo\nRUN [ $A = foo ]\n", "$A", SAFE),
        ("FROM debian\nENV A=foo\nRUN export X=$A\n", "$A", SAFE),
        # an ARG can always be overridden; an ENV shadowing it cannot
        ("FROM debian\nARG A=foo\nRUN echo $A\n", "$A", UNSAFE),
        ("FROM debian\nARG A=foo\nENV A=bar\nRUN echo $A\n", "$A", SAFE),
        ("FROM debian\nENV A=bar\nARG A=foo\nRUN echo $A\n", "$A", UNSAFE),
        ("FROM debian\nARG V=1\nENV A=x$V\nRUN echo $A\n", "$A", UNSAFE),
        # values that split, glob or vanish
        ('FROM debian\nENV A="a b"\nRUN echo $A\n', "$A", REPORT),
        ("FROM debian\nENV A=*.txt\nRUN echo $A\n", "$A", UNSAFE),
        ("FROM debian\nENV A=\nRUN echo $A\n", "$A", UNSAFE),
        ("FROM debian\nENV A=\nRUN echo x$A\n", "$A", SAFE),
        ("FROM debian\nRUN echo $UNSET_SOMEWHERE\n", "$UNSET_SOMEWHERE", UNSAFE),
        # ${VAR:-default}
        ("FROM debian\nENV A=foo\nRUN echo ${A:-bar}\n", "${A:-bar}", SAFE),
        ("FROM debian\nENV A=\nRUN echo ${A:-bar}\n", "${A:-bar}", SAFE),
        ("FROM debian\nENV A=\nRUN echo ${A-bar}\n", "${A-bar}", UNSAFE),
        ("FROM debian\nENV A=x\nRUN echo ${A:+a b}\n", "${A:+a b}", REPORT),
        ("FROM debian\nENV A=x\nRUN echo ${#A}\n", "${#A}", SAFE),
        # lists of words: never quoted
        ("FROM debian\nENV PKGS=curl\nRUN apt-get install -y $PKGS\n", "$PKGS", REPORT),
        ("FROM debian\nENV P=curl\nRUN apt-get install -y $P\n", "$P", REPORT),
        ("FROM debian\nENV P=curl\nRUN sudo apt-get install -y $P\n", "$P", REPORT),
        ("FROM python\nENV P=x\nRUN pip install $P\n", "$P", REPORT),
        ("FROM alpine\nENV P=x\nRUN apk del $P\n", "$P", REPORT),
        ("FROM debian\nENV CFLAGS=-O2\nRUN echo $CFLAGS\n", "$CFLAGS", REPORT),
        ("FROM debian\nENV L=a,b\nRUN apt-get install ${L//,/ }\n", "${L//,/ }", REPORT),
        ("FROM debian\nENV PKG_LIST=a,b\nRUN echo ${PKG_LIST//,/ }\n", "${PKG_LIST//,/ }", REPORT),
        ("FROM debian\nENV F=a.tgz\nRUN echo ${F%.tgz}\n", "${F%.tgz}", UNSAFE),
        ("FROM debian\nENV JAVA_OPTS=-Xmx1g\nRUN java $JAVA_OPTS -jar x.jar\n", "$JAVA_OPTS", REPORT),
        ("FROM debian\nRUN touch $HOME/x\n", "$HOME", SAFE),
        ("FROM debian\nRUN m=$(apt-mark showmanual) && apt-mark manual $m\n", "$m", REPORT),
        ('FROM debian\nRUN m="$(find / -name x)"; echo $m\n', "$m", REPORT),
        # a package manager's option value is not a list
        ("FROM python\nENV R=req.txt\nRUN pip install -r $R\n", "$R", SAFE),
        # HOME
        ("FROM debian\nRUN cd $HOME\n", "$HOME", SAFE),
        ("FROM debian\nUSER $U\nRUN cd $HOME\n", "$HOME", UNSAFE),
        # IFS
        ("FROM debian\nENV A=foo\nRUN IFS=o; echo $A\n", "$A", UNSAFE),
        ("FROM debian\nENV A=foo\nENV IFS=o\nRUN echo $A\n", "$A", UNSAFE),
        # special and positional parameters
        ("FROM debian\nRUN f() { echo $1; }; f x\n", "$1", UNSAFE),
        ("FROM debian\nRUN echo $#\n", "$#", SAFE),
        ("FROM debian\nRUN echo $?\n", "$?", SAFE),
        # script-local variables
        ("FROM debian\nRUN x=abc; echo $x\n", "$x", SAFE),
        ("FROM debian\nRUN x=abc && echo $x\n", "$x", SAFE),
        ('FROM debian\nRUN x="a b"; echo $x\n', "$x", REPORT),
        ("FROM debian\nRUN x='*'; echo $x\n", "$x", UNSAFE),
        ("FROM debian\nENV V=1.2\nRUN x=$V-linux && echo $x\n", "$x", SAFE),
        ('FROM debian\nENV V=1.2\nRUN x="${V}" && echo $x\n', "$x", SAFE),
        ("FROM debian\nARG V=1.2\nRUN x=$V-linux && echo $x\n", "$x", UNSAFE),
        ('FROM debian\nENV V="1 2"\nRUN x=$V && echo $x\n', "$x", UNSAFE),
        ("FROM debian\nRUN x=$(date +%s)-$RANDOM && echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN x=${HOME}/bin && echo $x\n", "$x", SAFE),
        ("FROM debian\nRUN a=$(uname -m) && echo $a\n", "$a", SAFE),
        ("FROM debian\nRUN a=$(cat f) && echo $a\n", "$a", UNSAFE),
        ("FROM debian\nRUN a=$(uname -m | sed 's/x86_64/amd64/') && echo $a\n", "$a", SAFE),
        ("FROM debian\nRUN a=$((1 + 2)); echo $a\n", "$a", SAFE),
        ("FROM debian\nRUN true || x=abc; echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN true && x=abc && echo $x\n", "$x", SAFE),
        ("FROM debian\nRUN true && x=abc && true && echo $x\n", "$x", SAFE),
        ("FROM debian\nRUN true && x=abc; echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN { true || x=abc; } && echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN true || x=abc && echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN x=abc || true && echo $x\n", "$x", SAFE),
        ("FROM debian\nRUN { true && x=abc; } && echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN echo $x; x=abc\n", "$x", UNSAFE),
        ("FROM debian\nRUN x=abc; read x; echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN x=abc; eval y=1; echo $x\n", "$x", UNSAFE),
        ("FROM debian\nRUN for f in a b; do echo $f; done\n", "$f", SAFE),
        ("FROM debian\nRUN for f in a 'b c'; do echo $f; done\n", "$f", UNSAFE),
        ("FROM debian\nRUN for f in $(ls); do echo $f; done\n", "$f", UNSAFE),
        ("FROM debian\nENV L=a\nRUN for f in $L; do :; done\n", "$L", REPORT),
        # heredoc
        ("FROM debian\nENV A=foo\nRUN <<EOF\necho $A\nEOF\n", "$A", SAFE),
        # secret mounted as an environment variable
        ("# syntax=docker/dockerfile:1\nFROM debian\nENV T=x\nRUN --mount=type=secret,id=t,env=T echo $T\n", "$T",
         UNSAFE),
    ],
)  # fmt: skip
def test_expansion(dockerfile: str, target: str, expected: Safety) -> None:
    got = _verdict(dockerfile, target)
    assert got.safety is expected, got.why
    assert got.why


@pytest.mark.parametrize(
    ("dockerfile", "target", "expected"),
    [
        ("FROM debian\nRUN echo $(uname -m)\n", "$(uname -m)", SAFE),
        ("FROM debian\nRUN echo $(/bin/uname -m)-x\n", "$(/bin/uname -m)", SAFE),
        ("FROM debian\nRUN echo deb $(lsb_release -cs) main\n", "$(lsb_release -cs)", SAFE),
        ("FROM debian\nRUN chown $(id -u) f\n", "$(id -u)", SAFE),
        ("FROM debian\nRUN echo `uname -m`\n", "`uname -m`", SAFE),
        ("FROM debian\nRUN echo $(cat f)\n", "$(cat f)", UNSAFE),
        ("FROM debian\nRUN echo $(uname -a)\n", "$(uname -a)", UNSAFE),
        ("FROM debian\nRUN echo $(uname -m | tr a b)\n", "$(uname -m | tr a b)", SAFE),
        ("FROM debian\nRUN echo $(uname -m | tr a ' ')\n", "$(uname -m | tr a ' ')", UNSAFE),
        (
            "FROM debian\nRUN echo $(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')\n",
            "$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')",
            SAFE,
        ),
        (
            "FROM debian\nRUN echo $(uname -m | sed -e 's/x86_64/amd64/' -e s,a,b,g)\n",
            "$(uname -m | sed -e 's/x86_64/amd64/' -e s,a,b,g)",
            SAFE,
        ),
        ("FROM debian\nRUN echo $(uname -m | sed 's/x86_64//')\n", "$(uname -m | sed 's/x86_64//')", UNSAFE),
        ("FROM debian\nRUN echo $(uname -m | sed 's/_/ /')\n", "$(uname -m | sed 's/_/ /')", UNSAFE),
        ("FROM debian\nRUN echo $(uname -m | sed 's/a/b/' f)\n", "$(uname -m | sed 's/a/b/' f)", UNSAFE),
        ("FROM debian\nRUN echo $(uname -m | sed 'y/a/b/')\n", "$(uname -m | sed 'y/a/b/')", UNSAFE),
        ("FROM debian\nRUN echo $(cat f | tr a b)\n", "$(cat f | tr a b)", UNSAFE),
        (
            "FROM debian\nRUN make -j$(nproc || sysctl -n hw.ncpu || echo 1)\n",
            "$(nproc || sysctl -n hw.ncpu || echo 1)",
            SAFE,
        ),
        ("FROM debian\nRUN make -j$(nproc || echo 1 2)\n", "$(nproc || echo 1 2)", UNSAFE),
        ("FROM debian\nRUN make -j$(echo 1 || nproc)\n", "$(echo 1 || nproc)", UNSAFE),
        ("FROM debian\nRUN make -j$(nproc && nproc)\n", "$(nproc && nproc)", UNSAFE),
        ("FROM debian\nRUN echo $(git rev-parse HEAD)\n", "$(git rev-parse HEAD)", SAFE),
        ('FROM debian\nRUN echo `echo "a"`\n', '`echo "a"`', REPORT),
        ("FROM debian\nRUN apt-get install -y $(cat pkgs.txt)\n", "$(cat pkgs.txt)", REPORT),
        ("FROM python\nRUN pip install $(cat r)\n", "$(cat r)", REPORT),
        ("FROM debian\nRUN rm $(find . -name x)\n", "$(find . -name x)", REPORT),
        ("FROM debian\nRUN kill $(pidof x)\n", "$(pidof x)", REPORT),
        ("FROM debian\nRUN rm /tmp/$(cat f).tgz\n", "$(cat f)", UNSAFE),
        ("FROM debian\nRUN echo $(ls)\n", "$(ls)", REPORT),
        ("FROM debian\nRUN for x in $(cat f); do :; done\n", "$(cat f)", REPORT),
        ("FROM debian\nRUN IFS=_; echo $(uname -m)\n", "$(uname -m)", UNSAFE),
        ("FROM debian\nWORKDIR /app\nRUN echo $(pwd)\n", "$(pwd)", SAFE),
        ('FROM debian\nWORKDIR "/my app"\nRUN echo $(pwd)\n', "$(pwd)", UNSAFE),
        ("FROM debian\nWORKDIR /app\nRUN cd x && echo $(pwd)\n", "$(pwd)", UNSAFE),
    ],
)
def test_substitution(dockerfile: str, target: str, expected: Safety) -> None:
    got = _sub(dockerfile, target)
    assert got.safety is expected, got.why
    assert got.why


def test_quote_edits_map_through_continuations() -> None:
    text = "FROM debian\nRUN echo \\\n  $(uname -m)\n"
    tree = dockfix.parse(text)
    ins = tree.instructions[-1]
    script = Context(tree).model.script(ins)
    assert script is not None
    at = script.text.index("$(")
    a, b = _quoting.quote(script, at, at + len("$(uname -m)"))
    out = text[: a.start] + a.replacement + text[a.end : b.start] + b.replacement + text[b.end :]
    assert out == 'FROM debian\nRUN echo \\\n  "$(uname -m)"\n'


def test_long_and_chain_of_assignments_is_linear() -> None:
    # each assignment's "runs after it" region is one span, worked out top-down
    n = 3000
    text = "FROM debian\nRUN " + " && ".join(f"v{i}=x" for i in range(n)) + " && echo $v0\n"
    tree = dockfix.parse(text)
    script = Context(tree).model.script(tree.instructions[-1])
    assert script is not None
    facts = _quoting._script_facts(script)
    assert sum(len(d.spans) for defs in facts.defs.values() for d in defs) == n
    assert _verdict(text, "$v0").safety is SAFE


def test_many_assignments_and_uses_of_one_name() -> None:
    # the assignments of a name are judged once, and each use is a binary search
    n = 2000
    body = "; ".join(f"x=v{i}; echo $x" for i in range(n))
    text = f"FROM debian\nRUN {body}\n"
    tree = dockfix.parse(text)
    ctx = Context(tree)
    ins = tree.instructions[-1]
    script = ctx.model.script(ins)
    assert script is not None
    at = 0
    for _ in range(n):
        at = script.text.index("$x", at + 1)
        assert _quoting.expansion(ctx, ins, script, at, at + 2).safety is SAFE
    assert len(_quoting._script_facts(script).judged) == 1


def test_script_facts_are_worked_out_once() -> None:
    text = "FROM debian\nENV A=x\nRUN " + " && ".join(f"echo $A{i}" for i in range(200)) + "\n"
    tree = dockfix.parse(text)
    ctx = Context(tree)
    ins = tree.instructions[-1]
    script = ctx.model.script(ins)
    assert script is not None
    first = _quoting._script_facts(script)
    assert _quoting._script_facts(script) is first
    assert len(first.spans) == 200
