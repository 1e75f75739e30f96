"""Unit tests of the lossless parser, feature by feature.

Each test checks the exposed attributes and the exact source spans
(``text[node.start:node.end]``), and, where it helps, what BuildKit's own
parser (PyPI ``dockerfile``) says about the same input.
"""

from __future__ import annotations

import pytest
from conftest import buildkit_parse

import dockfix
from dockfix.tree import Directive, Flag, Heredoc, Instruction, Trivia, Word


def src(text: str, node) -> str:
    return text[node.start : node.end]


def bk_lines(text: str):
    res = buildkit_parse(text)
    assert not isinstance(res, Exception), res
    return [(c.cmd.upper(), c.start_line, c.end_line) for c in res]


def our_lines(tree):
    return [(i.keyword, i.start_line, i.end_line) for i in tree.instructions]


def parse_error(text: str) -> dockfix.ParseError:
    with pytest.raises(dockfix.ParseError) as exc:
        dockfix.parse(text)
    return exc.value


# -- parser directives ---------------------------------------------------------


def test_syntax_directive():
    text = "# syntax=docker/dockerfile:1.7\nFROM alpine\n"
    tree = dockfix.parse(text)
    d = tree.directive("syntax")
    assert isinstance(d, Directive)
    assert (d.name, d.value, d.line) == ("syntax", "docker/dockerfile:1.7", 1)
    assert src(text, d) == "# syntax=docker/dockerfile:1.7"
    assert (
        tree.children[0].kind == "directive"
        and src(text, tree.children[0]) == "# syntax=docker/dockerfile:1.7\n"
    )
    assert tree.escape == "\\"


def test_directive_spacing_and_case():
    text = "#  SYNTAX = docker/dockerfile:1  \n#escape=`\nFROM a\n"
    tree = dockfix.parse(text)
    assert [(d.name, d.value) for d in tree.directives] == [
        ("syntax", "docker/dockerfile:1"),
        ("escape", "`"),
    ]
    assert tree.escape == "`"


def test_escape_directive_backtick_continuation():
    text = "# escape=`\nFROM a\nRUN echo one `\n    two `\n    three\nRUN dir C:\\\n"
    tree = dockfix.parse(text)
    assert tree.escape == "`"
    assert our_lines(tree) == bk_lines(text) == [("FROM", 2, 2), ("RUN", 3, 5), ("RUN", 6, 6)]
    run = tree.instructions[1]
    assert run.arguments == ["echo one     two     three"]
    # `\` at the end of a line is not a continuation with escape=`.
    assert tree.instructions[2].arguments == ["dir C:\\"]


def test_check_directive():
    text = "# syntax=docker/dockerfile:1\n# check=skip=JSONArgsRecommended;error=true\n# escape=`\nFROM a `\n  AS b\n"
    tree = dockfix.parse(text)
    assert [(d.name, d.value, d.line) for d in tree.directives] == [
        ("syntax", "docker/dockerfile:1", 1),
        ("check", "skip=JSONArgsRecommended;error=true", 2),
        ("escape", "`", 3),
    ]
    # `check` is a directive in current BuildKit (v0.14+): the escape
    # directive after it still counts.
    assert our_lines(tree) == [("FROM", 4, 5)]
    assert tree.instructions[0].arguments == ["a", "AS", "b"]
    # ... and like the others it may appear only once (current BuildKit; the
    # `dockerfile` wrapper bundles v0.12.5, which predates `check`).
    err = parse_error("# check=skip=all\n# check=error=true\nFROM a\n")
    assert (err.line, err.col, err.message) == (2, 1, "only one check parser directive can be used")


@pytest.mark.parametrize("before", ["\n", "# a comment\n", "FROM a\n"])
def test_directives_only_at_the_top(before):
    text = before + "# escape=`\nFROM b \\\n  AS c\n"
    tree = dockfix.parse(text)
    assert tree.directives == []
    assert tree.escape == "\\"
    comment = next(c for c in tree.children if isinstance(c, Trivia) and "escape" in str(c))
    assert comment.kind == "comment"
    assert our_lines(tree) == bk_lines(text)
    assert tree.instructions[-1].arguments == ["b", "AS", "c"]


def test_unknown_directive_ends_the_directive_block():
    text = "# foo=bar\n# escape=`\nFROM a\n"
    tree = dockfix.parse(text)
    assert tree.directives == [] and tree.escape == "\\"
    assert [c.kind for c in tree.children[:2]] == ["comment", "comment"]


def test_directive_after_bom_and_indentation():
    text = "\ufeff  # escape=`\nFROM a `\n b\n"
    tree = dockfix.parse(text)
    assert tree.bom
    assert [c.kind for c in tree.children[:2]] == ["bom", "directive"]
    assert tree.escape == "`"
    assert our_lines(tree) == bk_lines(text) == [("FROM", 2, 3)]


# -- comments, blank lines, continuations ---------------------------------------


def test_comments_and_blank_lines_between_instructions():
    text = "# head\n\nFROM a\n  # indented\n\t\nRUN x # not a comment\n"
    tree = dockfix.parse(text)
    kinds = [c.kind if isinstance(c, Trivia) else c.keyword for c in tree.children]
    assert kinds == ["comment", "blank", "FROM", "comment", "blank", "RUN"]
    assert tree.instructions[1].arguments == ["x # not a comment"]
    assert src(text, tree.children[3]) == "  # indented\n"


def test_comments_and_blank_lines_inside_a_continuation():
    text = "FROM a\nRUN apt-get update \\\n  # install things\n\n    && apt-get install -y curl \\\n  # done\n    && true\nCMD x\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 7), ("CMD", 8, 8)]
    run = tree.instructions[1]
    assert run.arguments == ["apt-get update     && apt-get install -y curl     && true"]
    # The instruction owns all its physical lines, comments included.
    assert src(text, run) == text[text.index("RUN") : text.index("CMD")]
    assert run.content_end == text.index("true") + 4
    # The argument word spans from its first to its last character.
    assert src(text, run.args[0]).startswith("apt-get update \\\n  # install")
    assert src(text, run.args[0]).endswith("&& true")


@pytest.mark.parametrize("trailer", [" ", "  \t", "\t"])
def test_continuation_with_trailing_whitespace(trailer):
    text = f"FROM a\nRUN echo a \\{trailer}\n  b\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 3)]
    assert tree.instructions[1].arguments == ["echo a   b"]


def test_escaped_escape_is_not_a_continuation():
    text = "FROM a\nENV DIR=C:\\\\\nRUN b\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("ENV", 2, 2), ("RUN", 3, 3)]
    assert tree.instructions[1].arguments == ["DIR", "C:\\\\"]


def test_continuation_at_end_of_file():
    text = "FROM a\nRUN something \\"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 2)]
    run = tree.instructions[1]
    assert run.arguments == ["something"]
    assert run.line_break == "" and run.end == len(text)


def test_lone_continuation_at_end_of_file_is_an_error():
    # BuildKit's parser makes an instruction with an empty name of it; the
    # build then fails.  dockfix says where.
    err = parse_error("FROM a\n  \\\n")
    assert (err.line, err.col) == (2, 3)
    assert "continuation" in err.message


# -- heredocs ------------------------------------------------------------------


def test_heredoc_in_run():
    text = "FROM a\nRUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nCMD x\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 5), ("CMD", 6, 6)]
    run = tree.instructions[1]
    assert run.arguments == ["<<EOF"]
    [h] = run.heredocs
    assert isinstance(h, Heredoc)
    assert (h.name, h.chomp, h.expand, h.fd) == ("EOF", False, True, 0)
    assert src(text, h) == "<<EOF"
    assert h.content == "apt-get update\napt-get install -y curl\n"
    assert text[h.body_start : h.body_end] == h.content
    assert text[h.terminator_start : h.terminator_end] == "EOF"
    assert src(text, run) == "RUN <<EOF\napt-get update\napt-get install -y curl\nEOF\n"
    bk = buildkit_parse(text)[1]
    assert [(d.name, d.content) for d in bk.heredocs] == [("EOF", h.content)]


def test_heredoc_chomp_with_tab_indented_terminator():
    text = "FROM a\nRUN <<-EOT\n\techo hi\n\tEOT\nRUN next\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 4), ("RUN", 5, 5)]
    [h] = tree.instructions[1].heredocs
    assert h.chomp and h.name == "EOT"
    assert h.content == "\techo hi\n"  # raw, as BuildKit keeps it
    assert text[h.terminator_start : h.terminator_end] == "\tEOT"


def test_heredoc_tab_indented_terminator_without_chomp_does_not_end_it():
    text = "FROM a\nRUN <<EOT\n\tEOT\nEOT\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 4)]
    assert tree.instructions[1].heredocs[0].content == "\tEOT\n"


@pytest.mark.parametrize(
    "marker, name", [('<<"EOF"', "EOF"), ("<<'EOF'", "EOF"), ("<<'E O'", "E O"), ('<<E"O"F', "EOF")]
)
def test_quoted_heredoc_delimiters_do_not_expand(marker, name):
    text = f"FROM a\nRUN {marker}\necho $HOME\n{name}\n"
    tree = dockfix.parse(text)
    [h] = tree.instructions[1].heredocs
    assert (h.name, h.expand) == (name, False)
    assert src(text, h) == marker
    assert h.content == "echo $HOME\n"
    assert our_lines(tree) == bk_lines(text)


def test_several_heredocs_on_one_copy():
    text = "FROM a\nCOPY <<one.txt <<two.txt /dst/\nfirst\none.txt\nsecond\ntwo.txt\nRUN x\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("COPY", 2, 6), ("RUN", 7, 7)]
    copy = tree.instructions[1]
    assert copy.arguments == ["<<one.txt", "<<two.txt", "/dst/"]
    assert [(h.name, h.content) for h in copy.heredocs] == [("one.txt", "first\n"), ("two.txt", "second\n")]
    assert [src(text, h) for h in copy.heredocs] == ["<<one.txt", "<<two.txt"]
    assert copy.heredocs[0].terminator_end < copy.heredocs[1].body_start


def test_heredoc_in_add_with_fd_and_flags():
    text = "FROM a\nADD --chmod=644 <<EOF /etc/motd\nhello\nEOF\nRUN 3<<EOF cat /dev/fd/3\nx\nEOF\n"
    tree = dockfix.parse(text)
    add, run = tree.instructions[1:]
    assert [(f.name, f.value) for f in add.flags] == [("chmod", "644")]
    assert add.heredocs[0].content == "hello\n"
    assert run.heredocs[0].fd == 3 and src(text, run.heredocs[0]) == "3<<EOF"
    assert our_lines(tree) == bk_lines(text)


def test_heredoc_not_in_json_form_or_other_instructions():
    text = 'FROM a\nRUN ["cat", "<<EOF"]\nCMD cat <<EOF\nEOF\n'
    # Neither the JSON RUN nor CMD reads a body, so `EOF` is an instruction
    # of its own (unknown: BuildKit's parser takes it, the build fails).
    bk = buildkit_parse(text)
    assert [c.cmd for c in bk] == ["FROM", "RUN", "CMD", "EOF"]
    err = parse_error(text)
    assert (err.line, err.col) == (4, 1) and "unknown instruction: EOF" in err.message


def test_onbuild_run_heredoc():
    text = "FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nRUN x\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("ONBUILD", 2, 4), ("RUN", 5, 5)]
    onbuild = tree.instructions[1]
    assert onbuild.inner is not None and onbuild.inner.keyword == "RUN"
    assert [(h.name, h.content) for h in onbuild.heredocs] == [("EOF", "echo hi\n")]
    assert onbuild.inner.heredocs == onbuild.heredocs


def test_heredoc_with_crlf():
    text = "FROM a\r\nRUN <<EOF\r\necho hi\r\nEOF\r\nRUN x\r\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text)
    h = tree.instructions[1].heredocs[0]
    assert h.content == "echo hi\r\n"
    assert text[h.terminator_start : h.terminator_end] == "EOF"
    assert tree.instructions[1].line_break == "\r\n"


def test_heredoc_markers_are_found_by_the_shell_lexer():
    # BuildKit splits the line with its shell lexer: quoted or escaped `<<`
    # is not a marker, and a marker can follow other text on the line.
    text = "FROM a\nRUN echo '<<NO' \\<<NO2 && cat <<YES > f\nbody\nYES\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 4)]
    assert [h.name for h in tree.instructions[1].heredocs] == ["YES"]


@pytest.mark.parametrize("bad", ['"${"', "${X", "'unterminated", '"also'])
def test_shell_syntax_error_in_the_line_means_no_heredocs(bad):
    # BuildKit ignores the lexer's error and finds no heredoc at all: the
    # would-be body lines are instructions of their own.
    text = f"FROM a\nRUN cat <<EOF {bad}\nRUN x\nEOF\n"
    bk = buildkit_parse(text)
    assert [c.cmd for c in bk] == ["FROM", "RUN", "RUN", "EOF"]
    err = parse_error(text)  # EOF is not an instruction `docker build` knows
    assert (err.line, err.col) == (4, 1)
    tree = dockfix.parse(text.replace("EOF\n", "CMD y\n"))
    assert [i.heredocs for i in tree.instructions] == [[], [], [], []]


def test_heredoc_name_the_lexer_cannot_process_is_an_error():
    text = "FROM a\nRUN <<${X:-a b}\nx\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 5)
    assert err.message == "failed to process \"${X:-a\": syntax error: missing '}'"
    assert err.message in str(buildkit_parse(text))


def test_heredoc_names_with_variables_stay_as_written():
    text = "FROM a\nRUN cat <<$END\nx\n$END\nCOPY <<${F:-f} /f\ny\n${F:-f}\n"
    tree = dockfix.parse(text)
    assert [[h.name for h in i.heredocs] for i in tree.instructions] == [[], ["$END"], ["${F:-f}"]]
    assert our_lines(tree) == bk_lines(text)


def _table(path):
    if not path.is_file():
        pytest.skip(f"corpus not found at {path}")
    return path.read_text(encoding="utf-8").split("\n")


def test_shell_lexer_against_buildkit_words_table():
    # buildkit-testfiles/shell/wordsTest: `input | word,word,...` for
    # ProcessWords.  The cases without variables (we never expand any).
    from conftest import BUILDKIT_TESTFILES

    from dockfix import lexing

    cases = 0
    for line in _table(BUILDKIT_TESTFILES / "shell" / "wordsTest"):
        if not line or line.startswith(("#", "ENV ")) or "$" in line:
            continue
        test, expected = line.split("|")
        got = lexing.shell_words(test.strip(), raw=False)
        assert (["error"] if got is None else [w for w, _, _ in got]) == expected.lstrip(" ").split(","), line
        cases += 1
    assert cases >= 10


def test_shell_lexer_against_buildkit_env_var_table():
    # buildkit-testfiles/shell/envVarTest: `A|input | result` for
    # ProcessWord, the cases without variables.
    from conftest import BUILDKIT_TESTFILES

    from dockfix import lexing

    cases = 0
    for line in _table(BUILDKIT_TESTFILES / "shell" / "envVarTest"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, test, expected = (part.strip() for part in line.split("|"))
        if kind == "W" or "$" in test:
            continue
        got = lexing.process_word(test)
        assert ("error" if got is None else got) == expected, line
        cases += 1
    assert cases >= 20


# -- JSON (exec) form ------------------------------------------------------------


def test_exec_form_values_and_spans():
    text = 'FROM a\nCMD ["python", "-m", "app", "\\u00e9\\n"]\n'
    tree = dockfix.parse(text)
    cmd = tree.instructions[1]
    assert cmd.json
    assert cmd.arguments == ["python", "-m", "app", "é\n"]
    assert [src(text, w) for w in cmd.args] == ['"python"', '"-m"', '"app"', '"\\u00e9\\n"']
    assert all(isinstance(w, Word) for w in cmd.args)


@pytest.mark.parametrize(
    "rest",
    [
        "['sh', '-c', 'echo hi']",  # single quotes: not JSON
        '["sh", "-c"',  # unterminated array
        '["sh", "-c]',  # unterminated string
        '["a", "b",]',  # trailing comma
        '["a"] && echo',  # text after the array (BuildKit >= 0.15: shell form)
        "[1e999]",  # out of float64 range: Go's decoder fails
    ],
)
def test_invalid_json_falls_back_to_shell_form(rest):
    text = f"FROM a\nRUN {rest}\n"
    tree = dockfix.parse(text)
    run = tree.instructions[1]
    assert not run.json
    assert run.arguments == [rest]
    assert src(text, run.args[0]) == rest


def test_json_followed_by_a_heredoc_marker_is_shell_form_with_a_heredoc():
    # Current BuildKit (json.Unmarshal): not JSON, so COPY splits on
    # whitespace and reads the heredoc.  (BuildKit < 0.15 took the JSON and
    # no heredoc.)
    text = 'FROM a\nCOPY ["a", "b"] <<EOF\nbody\nEOF\n'
    copy = dockfix.parse(text).instructions[1]
    assert not copy.json
    assert copy.arguments == ['["a",', '"b"]', "<<EOF"]
    assert [(h.name, h.content) for h in copy.heredocs] == [("EOF", "body\n")]
    assert (copy.start_line, copy.end_line) == (2, 4)


def test_json_form_for_copy_volume_shell_entrypoint():
    text = 'FROM a\nCOPY ["a b", "/c d/"]\nVOLUME ["/data"]\nSHELL ["powershell", "-Command"]\nENTRYPOINT [ "x" ]  \n'
    tree = dockfix.parse(text)
    assert [i.json for i in tree.instructions] == [False, True, True, True, True]
    assert tree.instructions[1].arguments == ["a b", "/c d/"]
    assert tree.instructions[4].arguments == ["x"]


# -- ONBUILD -------------------------------------------------------------------


def test_onbuild_wraps_an_instruction():
    text = "FROM a\nONBUILD COPY --from=builder --chown=app:app /src /dst\n"
    tree = dockfix.parse(text)
    ob = tree.instructions[1]
    assert ob.keyword == "ONBUILD" and ob.flags == [] and ob.args == []
    inner = ob.inner
    assert isinstance(inner, Instruction) and inner.keyword == "COPY"
    assert src(text, inner) == "COPY --from=builder --chown=app:app /src /dst"
    assert [(f.name, f.value, src(text, f)) for f in inner.flags] == [
        ("from", "builder", "--from=builder"),
        ("chown", "app:app", "--chown=app:app"),
    ]
    assert [(w.value, src(text, w)) for w in inner.args] == [("/src", "/src"), ("/dst", "/dst")]
    assert (inner.start_line, inner.end_line) == (2, 2)
    bk = buildkit_parse(text)[1]
    assert (bk.cmd, bk.sub_cmd, bk.value) == ("ONBUILD", "COPY", ("/src", "/dst"))


@pytest.mark.parametrize("trigger", ["ONBUILD", "FROM", "MAINTAINER"])
def test_onbuild_triggers_not_allowed(trigger):
    text = f"FROM a\nONBUILD {trigger} b\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 9)
    assert f"{trigger} isn't allowed as an ONBUILD trigger" in err.message
    # BuildKit's parser takes it; the build rejects it.
    assert not isinstance(buildkit_parse(text), Exception)


# -- flags -----------------------------------------------------------------------


def test_run_flags_repeated_mount_network_security():
    text = (
        "FROM a\nRUN --mount=type=cache,target=/root/.cache/pip "
        "--mount=type=secret,id=token --network=none --security=insecure pip install x\n"
    )
    tree = dockfix.parse(text)
    run = tree.instructions[1]
    got = [(f.name, f.value, src(text, f)) for f in run.flags]
    assert got == [
        ("mount", "type=cache,target=/root/.cache/pip", "--mount=type=cache,target=/root/.cache/pip"),
        ("mount", "type=secret,id=token", "--mount=type=secret,id=token"),
        ("network", "none", "--network=none"),
        ("security", "insecure", "--security=insecure"),
    ]
    assert all(isinstance(f, Flag) for f in run.flags)
    assert run.flag("network").value == "none"
    assert run.flag("mount").value.startswith("type=cache")  # the first one
    assert run.arguments == ["pip install x"]
    assert src(text, run.rest) == "pip install x"
    bk = buildkit_parse(text)[1]
    assert list(bk.flags) == ["--" + f.name + "=" + f.value for f in run.flags]


def test_copy_flags_from_chown_chmod_link():
    text = "FROM a\nCOPY --from=build --chown=1000:1000 --chmod=0755 --link /app /app\n"
    copy = dockfix.parse(text).instructions[1]
    assert [(f.name, f.value) for f in copy.flags] == [
        ("from", "build"),
        ("chown", "1000:1000"),
        ("chmod", "0755"),
        ("link", None),
    ]
    assert src(text, copy.flags[3]) == "--link"
    assert copy.arguments == ["/app", "/app"]


def test_from_platform_flag():
    text = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n"
    ins = dockfix.parse(text).instructions[0]
    [f] = ins.flags
    assert (f.name, f.value, src(text, f)) == ("platform", "$BUILDPLATFORM", "--platform=$BUILDPLATFORM")
    assert ins.arguments == ["golang:1.22", "AS", "build"]


def test_quoted_flag_value_and_double_dash():
    text = 'FROM a\nCOPY --chown="app user" -- --weird /dst\n'
    copy = dockfix.parse(text).instructions[1]
    [f] = copy.flags
    assert (f.name, f.value, src(text, f)) == ("chown", "app user", '--chown="app user"')
    assert copy.arguments == ["--weird", "/dst"]
    assert list(buildkit_parse(text)[1].flags) == ["--chown=app user"]


def test_flags_across_a_continuation():
    text = "FROM a\nRUN --mount=type=cache,target=/x \\\n    --network=host \\\n    make\n"
    run = dockfix.parse(text).instructions[1]
    assert [src(text, f) for f in run.flags] == ["--mount=type=cache,target=/x", "--network=host"]
    assert run.arguments == ["make"]


def test_non_ascii_flag_values_as_buildkit_sees_them():
    # BuildKit's flag loop works on bytes and appends each byte as a rune:
    # `é` comes out as `Ã©`.  We report the value BuildKit uses; the span is
    # still the source text.
    text = "FROM a\nCOPY --from=stagé x y\n"
    copy = dockfix.parse(text).instructions[1]
    assert copy.flags[0].value == "stagÃ©"
    assert src(text, copy.flags[0]) == "--from=stagé"
    assert list(buildkit_parse(text)[1].flags) == ["--from=stagÃ©"]


# -- stages, preamble ------------------------------------------------------------


def test_stages_and_preamble():
    text = (
        "ARG PY=3.12\nARG BASE\n"
        "FROM python:${PY} AS build\nRUN pip wheel .\n"
        "FROM python:${PY}-slim as runtime\nCOPY --from=build /w /w\nCMD x\n"
        "FROM scratch\n"
    )
    tree = dockfix.parse(text)
    assert [i.arguments for i in tree.preamble] == [["PY=3.12"], ["BASE"]]
    assert [s.index for s in tree.stages] == [0, 1, 2]
    build, runtime, last = tree.stages
    assert (build.name, build.base.value) == ("build", "python:${PY}")
    assert src(text, build.base) == "python:${PY}"
    assert build.from_ is tree.instructions[2]
    assert [i.keyword for i in build.instructions] == ["RUN"]
    assert runtime.name == "runtime"
    assert [i.keyword for i in runtime.instructions] == ["COPY", "CMD"]
    assert (last.name, last.base.value, last.instructions) == (None, "scratch", [])
    assert tree.stage_of(tree.instructions[5]) is runtime
    assert tree.stage_of(tree.instructions[0]) is None


def test_no_from_no_stages():
    tree = dockfix.parse("ARG A\n")
    assert tree.stages == [] and [i.keyword for i in tree.preamble] == ["ARG"]


# -- line endings, BOM, tabs, case ---------------------------------------------


def test_crlf_line_endings():
    text = "FROM a\r\nRUN b \\\r\n  c\r\n\r\nCMD d\r\n"
    tree = dockfix.parse(text)
    assert tree.newline == "\r\n"
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1), ("RUN", 2, 3), ("CMD", 5, 5)]
    run = tree.instructions[1]
    assert run.line_break == "\r\n"
    assert text[run.start : run.content_end] == "RUN b \\\r\n  c"
    assert run.arguments == ["b   c"]
    assert str(tree) == text


def test_mixed_line_endings():
    text = "FROM a\nRUN b\r\nRUN c\nRUN d"
    tree = dockfix.parse(text)
    assert tree.newline == "\n"
    assert [i.line_break for i in tree.instructions] == ["\n", "\r\n", "\n", ""]
    assert [i.arguments for i in tree.instructions[1:]] == [["b"], ["c"], ["d"]]
    assert our_lines(tree) == bk_lines(text)


def test_lone_carriage_return_is_not_a_line_break():
    # Go's scanner splits on \n only: "FROM a\rRUN b" is one FROM line.
    text = "FROM a\rRUN b\n"
    tree = dockfix.parse(text)
    assert our_lines(tree) == bk_lines(text) == [("FROM", 1, 1)]
    assert tree.instructions[0].arguments == ["a", "RUN", "b"]


def test_utf8_bom():
    text = "\ufeffFROM alpine\nRUN x\n"
    tree = dockfix.parse(text)
    assert tree.bom
    bom = tree.children[0]
    assert isinstance(bom, Trivia) and bom.kind == "bom" and src(text, bom) == "\ufeff"
    first = tree.instructions[0]
    assert first.start == 1 and first.keyword == "FROM" and first.keyword_word.value == "FROM"
    assert our_lines(tree) == bk_lines(text)
    assert str(tree) == text


def test_no_final_newline():
    text = 'FROM a\nCMD ["x"]'
    tree = dockfix.parse(text)
    last = tree.instructions[-1]
    assert last.line_break == "" and last.end == last.content_end == len(text)
    assert tree.instructions[0].line_break == "\n"


def test_tabs_and_indentation():
    text = "FROM\tubuntu\n\t RUN\techo\t hi \t\nLABEL\ta=b\n"
    tree = dockfix.parse(text)
    frm, run, label = tree.instructions
    assert frm.arguments == ["ubuntu"]
    assert run.start == text.index("\t RUN") and src(text, run.keyword_word) == "RUN"
    assert run.arguments == ["echo\t hi"]
    assert label.arguments == ["a", "b"]
    assert our_lines(tree) == bk_lines(text)


def test_lowercase_keywords():
    text = "from alpine as base\nrun echo hi\nCopy a b\n"
    tree = dockfix.parse(text)
    assert [i.keyword for i in tree.instructions] == ["FROM", "RUN", "COPY"]
    assert [i.keyword_word.value for i in tree.instructions] == ["from", "run", "Copy"]
    assert [src(text, i.keyword_word) for i in tree.instructions] == ["from", "run", "Copy"]
    assert tree.stages[0].name == "base"
    assert [c.cmd for c in buildkit_parse(text)] == ["from", "run", "Copy"]


def test_keyword_case_folding_is_gos_not_pythons():
    # BuildKit looks keywords up with strings.ToLower: the Kelvin sign and
    # the dotted capital I lower to ASCII; the long s does not (though
    # Python's "ſhell".upper() is "SHELL").
    text = "FROM a\nWOR\u212aDIR /x\nENTRYPO\u0130NT x\n"
    tree = dockfix.parse(text)
    assert [i.keyword for i in tree.instructions] == ["FROM", "WORKDIR", "ENTRYPOINT"]
    assert [i.arguments for i in tree.instructions[1:]] == [["/x"], ["x"]]
    assert [c.value for c in buildkit_parse(text)[1:]] == [("/x",), ("x",)]
    err = parse_error('FROM a\n\u017fHELL ["sh"]\n')
    assert (err.line, err.col) == (2, 1) and "unknown instruction" in err.message
    # `AS` compares like Go's strings.EqualFold.
    assert dockfix.parse("FROM a A\u017f b\n").stages[0].name == "b"


def test_windows_paths_with_backtick_escape():
    text = (
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "COPY C:\\src\\app\\ C:\\app\\\n"
        "WORKDIR C:\\app\n"
        "RUN powershell -Command `\n"
        "    New-Item -ItemType Directory C:\\data\n"
    )
    tree = dockfix.parse(text)
    assert (
        our_lines(tree)
        == bk_lines(text)
        == [("FROM", 2, 2), ("COPY", 3, 3), ("WORKDIR", 4, 4), ("RUN", 5, 6)]
    )
    _, copy, workdir, run = tree.instructions
    assert copy.arguments == ["C:\\src\\app\\", "C:\\app\\"]
    assert workdir.arguments == ["C:\\app"]
    assert run.arguments == ["powershell -Command     New-Item -ItemType Directory C:\\data"]


# -- ENV / LABEL / ARG ----------------------------------------------------------


def test_env_forms_and_spans():
    text = 'FROM a\nENV A=1 B="two words" C=x\\ y\nENV LEGACY value with spaces\n'
    tree = dockfix.parse(text)
    env, legacy = tree.instructions[1:]
    assert not env.legacy_format and legacy.legacy_format
    assert [(k.value, v.value) for k, v in env.pairs()] == [("A", "1"), ("B", '"two words"'), ("C", "x\\ y")]
    assert [src(text, v) for _, v in env.pairs()] == ["1", '"two words"', "x\\ y"]
    assert legacy.arguments == ["LEGACY", "value with spaces"]
    assert src(text, legacy.args[1]) == "value with spaces"
    assert list(buildkit_parse(text)[1].value) == env.arguments


def test_arg_words():
    text = 'ARG A B=2 C="x y"\n'
    ins = dockfix.parse(text).instructions[0]
    assert ins.arguments == ["A", "B=2", 'C="x y"']
    assert [src(text, w) for w in ins.args] == ["A", "B=2", 'C="x y"']


# -- errors --------------------------------------------------------------------


def test_error_unterminated_heredoc():
    text = "FROM a\nRUN <<EOF\necho hi\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 5)  # the <<EOF marker
    assert "unterminated heredoc" in err.message and "EOF" in err.message
    assert "unterminated heredoc" in str(buildkit_parse(text))


def test_error_unknown_instruction():
    text = "FROM a\n  FOO bar\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 3)
    assert err.message == "unknown instruction: FOO"
    assert str(err) == "2:3: unknown instruction: FOO"
    # BuildKit's parser keeps it (parseIgnore); `docker build` rejects it.
    assert [c.cmd for c in buildkit_parse(text)] == ["FROM", "FOO"]


def test_error_flag_without_value():
    text = "FROM a\nCOPY --from /a /b\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 6)
    assert "--from" in err.message and "value" in err.message
    # The parser takes `--from` as a bare flag; BuildKit's instruction
    # parser then fails ("missing a value on flag").
    assert list(buildkit_parse(text)[1].flags) == ["--from"]


def test_bare_boolean_flag_is_fine():
    assert dockfix.parse("FROM a\nCOPY --link a b\n").instructions[1].flags[0].value is None


@pytest.mark.parametrize("rest", ['["a", 1]', '["a", ["b"]]', "[null]", '[{"a": "b"}]', "[true]"])
def test_error_json_array_with_non_strings(rest):
    text = f"FROM a\nCMD {rest}\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 5)
    assert "arrays must be comprised of strings only" in err.message
    assert "comprised of strings only" in str(buildkit_parse(text))


def test_error_env_with_one_argument():
    text = "FROM a\nENV PATH\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 5)
    assert err.message == "ENV must have two arguments"
    assert "ENV must have two arguments" in str(buildkit_parse(text))


def test_error_env_missing_equals():
    text = "FROM a\nENV A=1 B\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 9)  # at the word without "="
    assert err.message == 'Syntax error - can\'t find = in "B". Must be of the form: name=value'
    assert err.message == str(buildkit_parse(text))


def test_error_duplicate_directive():
    text = "# syntax=a\n# syntax=b\nFROM a\n"
    err = parse_error(text)
    assert (err.line, err.col) == (2, 1)
    assert err.message == "only one syntax parser directive can be used"
    assert "only one syntax parser directive" in str(buildkit_parse(text))


def test_error_invalid_escape_token():
    text = "# escape=x\nFROM a\n"
    err = parse_error(text)
    assert (err.line, err.col) == (1, 1)
    assert "invalid escape token 'x'" in err.message
    assert "invalid escape token" in str(buildkit_parse(text))


@pytest.mark.parametrize(
    "size, newline, ok",
    [(65536, "\n", True), (65537, "\n", False), (65535, "", True), (65536, "", False)],
)
def test_line_length_limit(size, newline, ok):
    # Go's bufio.Scanner holds at most 64 KiB: a longer line (in UTF-8 bytes,
    # line break included) makes BuildKit fail.
    line = "RUN " + "x" * (size - 4 - len(newline) - 2) + "é"
    text = "FROM a\n" + line + newline
    assert len(line.encode()) + len(newline) == size
    assert (not isinstance(buildkit_parse(text), Exception)) == ok
    if ok:
        assert str(dockfix.parse(text)) == text
    else:
        err = parse_error(text)
        assert (err.line, err.col) == (2, 1)
        assert err.message == "dockerfile line greater than max allowed size of 65535"


def test_error_is_a_value_error_with_position():
    err = parse_error("FROM a\nBAD\n")
    assert isinstance(err, ValueError)
    assert (err.line, err.col) == (2, 1)


def test_bytes_are_refused():
    with pytest.raises(TypeError):
        dockfix.parse(b"FROM a\n")  # type: ignore[arg-type]


def test_empty_and_comment_only_files_have_no_instructions():
    for text in ("", "# just a comment\n", "\n\n"):
        tree = dockfix.parse(text)
        assert tree.instructions == [] and str(tree) == text
