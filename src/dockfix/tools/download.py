"""The download tools, wget and curl: their grammars, and how a command of
one is written with the other (DF720 one-download-tool; DF510
wget-progress reads :func:`wget_quiet`).

How a rule asks::

    p = tools.parse(cmd, unwrap=True, tool="wget")   # wget -qO- https://x/i.sh
    r = tools.download.to_curl(p)                     # Rewrite: edits on the words, or a reason
    r.edits                                           # (Change(...), ...): `wget -qO-` → `curl -fsSL`
    r = tools.download.to_wget(p, busybox=False)      # curl → wget (GNU, or BusyBox's applet)
    tools.download.installs(p)                        # apt-get/apk/dnf... install: {"curl": <Token curl>}

The option tables below are the ONE place that says which option of one
tool means what in the other; an option missing from them has no
equivalent (the rewrite then gives a reason instead of edits).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping

from msgspec import Struct

from . import apk, apt, rpm
from ._grammar import Grammar, Option, Parsed, Token, opts

WGET = Grammar(
    "wget",
    ("wget",),
    opts(
        values=(
            "-O --output-document, -o --output-file, -a --append-output, -e --execute, -t --tries, "
            "-T --timeout, -w --wait, -i --input-file, -B --base, -P --directory-prefix, -U --user-agent, "
            "-D --domains, -R --reject, -A --accept, -X --exclude-directories, -I --include-directories, "
            "-l --level, -Q --quota, -Y, -n, --progress, --header, --user, --password, --http-user, "
            "--http-password, --post-data, --post-file, --method, --body-data, --body-file, "
            "--ca-certificate, --ca-directory, --certificate, --private-key, --limit-rate, --max-redirect, "
            "--connect-timeout, --dns-timeout, --read-timeout, --waitretry, --load-cookies, --save-cookies, "
            "--referer, --bind-address, --secure-protocol, --restrict-file-names"
        ),
        flags=(
            "-q --quiet, -v --verbose, --no-verbose, -c --continue, -N --timestamping, -S --server-response, "
            "--spider, -r --recursive, -k --convert-links, -p --page-requisites, -m --mirror, "
            "-x --force-directories, --no-check-certificate, -4 --inet4-only, -6 --inet6-only, "
            "--show-progress, --no-clobber, -h --help, -V --version"
        ),
    ),
)
CURL = Grammar(
    "curl",
    ("curl",),
    opts(
        values=(
            "-o --output, -d --data, --data-raw, --data-binary, --data-urlencode, -H --header, -u --user, "
            "-X --request, -A --user-agent, -e --referer, -x --proxy, -T --upload-file, -F --form, "
            "-b --cookie, -c --cookie-jar, -K --config, -m --max-time, -w --write-out, -r --range, "
            "-C --continue-at, -E --cert, -y --speed-time, -Y --speed-limit, -z --time-cond, "
            "-D --dump-header, -U --proxy-user, -Q --quote, -t --telnet-option, --retry, --retry-delay, "
            "--retry-max-time, --connect-timeout, --url, --proto, --proto-redir, --cacert, --capath, --key, "
            "--resolve, --limit-rate, --output-dir, --max-redirs, --interface, --dns-servers, --noproxy, "
            "--netrc-file"
        ),
        flags=(
            "-f --fail, --fail-with-body, -s --silent, -S --show-error, -L --location, -k --insecure, "
            "-I --head, -i --include, -v --verbose, -# --progress-bar, -O --remote-name, "
            "-J --remote-header-name, -g --globoff, -G --get, -N --no-buffer, -n --netrc, -l --list-only, "
            "-j --junk-session-cookies, -R --remote-time, -Z --parallel, -0 --http1.0, -1 --tlsv1, "
            "-2 --sslv2, -3 --sslv3, -4 --ipv4, -6 --ipv6, --compressed, --create-dirs, --retry-all-errors, "
            "--retry-connrefused, --http2, -q --disable"
        ),
    ),
)
GRAMMARS = (WGET, CURL)
TOOLS = ("wget", "curl")


def wget_quiet(p: Parsed) -> bool:
    """An option that already tames the progress output (what hadolint
    DL3047 accepts): --progress, -q, -nv/--no-verbose, -o, -a."""
    if p.has("--progress", "--quiet", "--no-verbose", "--output-file", "--append-output"):
        return True
    return any(o.name == "-n" and (o.value or "").startswith("v") for o in p.options)


# -- the packages that install them ------------------------------------------------------

_PIN = re.compile(r"[=~<>/:]")


def installs(p: Parsed) -> dict[str, Token]:
    """The download tools an ``apt-get``/``apt install``, ``apk add`` or
    yum/dnf/microdnf/tdnf/zypper ``install`` installs, with the package word
    (``wget``, ``curl=7.88*``, ``curl/bookworm``)."""
    if not (
        (p.tool in apt.APT and p.is_sub("install"))
        or (p.tool == "apk" and p.is_sub("add"))
        or (p.tool in rpm.FAMILY and p.is_sub("install"))
    ):
        return {}
    out: dict[str, Token] = {}
    for t in apk.packages(p) if p.tool == "apk" else p.operands:
        name = _PIN.split(t.value or "", 1)[0]
        if name in TOOLS:
            out.setdefault(name, t)
    return out


#: package-manager subcommands that uninstall packages (``clean`` only empties caches)
_UNINSTALL = frozenset({"remove", "purge", "autoremove", "erase", "del", "rm"})


def uninstalls(p: Parsed) -> bool:
    """May the command uninstall a download tool (``apt-get purge``,
    ``apk del .build-deps``, ``dnf remove``, ``autoremove``)?  Any package
    counts: a virtual package or an autoremove may take the tool along."""
    managers = (*apt.APT, "apk", *rpm.FAMILY)
    return p.tool in managers and any(s in _UNINSTALL for s in p.subcommand)


# -- rewriting one command with the other tool -------------------------------------------


class Change(Struct, frozen=True):
    """Replace ``[start, end)`` (offsets of the parsed words: script
    offsets for a shell command) with ``text``.  ``after_word``: ``start``
    is where a word ends (a removed word takes the blank before it)."""

    start: int
    end: int
    text: str
    after_word: bool = False


class Rewrite(Struct, frozen=True):
    """The other tool's spelling of one command (``changes``), or why
    there is none (``reason``, then no changes)."""

    changes: tuple[Change, ...] = ()
    reason: str = ""


class Keep(Struct, frozen=True):
    """The option becomes ``name``; its value stays as written."""

    name: str


Words = tuple[str, ...]
#: what an option becomes: words (``()``: dropped), :class:`Keep`, or a
#: function of its literal value giving words (None: no equivalent)
Spec = Words | Keep | Callable[[str], Words | None]


def _count(v: str) -> bool:
    return v.isdigit()


def _tries(v: str) -> Words | None:
    """wget ``--tries=N`` (N attempts, 0/inf: no limit) → curl ``--retry N-1``."""
    if not v.isdigit() or int(v) == 0:
        return None
    return ("--retry", str(int(v) - 1)) if int(v) > 1 else ()


def _timeout(v: str) -> Words | None:
    """wget ``-T N`` bounds the DNS lookup, the connection and every read."""
    return ("--connect-timeout", v, "--speed-limit", "1", "--speed-time", v) if _count(v) else None


def _read_timeout(v: str) -> Words | None:
    return ("--speed-limit", "1", "--speed-time", v) if _count(v) else None


def _no(v: str) -> Words | None:
    """``-nv`` (quiet); ``-nd``/``-nH`` only shape recursive downloads."""
    return () if v in ("v", "d", "H", "dH", "Hd") else None


#: wget option (canonical name) → curl.  Output options are handled apart.
WGET_TO_CURL: Mapping[str, Spec] = {
    "--quiet": (),
    "--verbose": (),
    "--no-verbose": (),
    "--progress": (),
    "--show-progress": (),
    "-n": _no,
    "--continue": ("-C", "-"),
    "--header": Keep("-H"),
    "--no-check-certificate": ("-k",),
    "--tries": _tries,
    "--timeout": _timeout,
    "--read-timeout": _read_timeout,
    "--connect-timeout": Keep("--connect-timeout"),
    "--user-agent": Keep("-A"),
    "--referer": Keep("-e"),
    "--max-redirect": Keep("--max-redirs"),
    "--limit-rate": Keep("--limit-rate"),
    "--ca-certificate": Keep("--cacert"),
    "--certificate": Keep("--cert"),
    "--private-key": Keep("--key"),
    "--post-data": Keep("--data-raw"),
    "--inet4-only": ("-4",),
    "--inet6-only": ("-6",),
}


def _retry(v: str) -> Words | None:
    return (f"--tries={int(v) + 1}",) if v.isdigit() else None


def _continue_at(v: str) -> Words | None:
    return ("-c",) if v == "-" else None


#: curl option (canonical name) → (wget, BusyBox's wget has it too).
CURL_TO_WGET: Mapping[str, tuple[Spec, bool]] = {
    "--fail": ((), True),
    "--fail-with-body": ((), True),
    "--silent": ((), True),
    "--show-error": ((), True),
    "--progress-bar": ((), True),
    "--verbose": ((), True),
    "--location": ((), True),
    "--globoff": ((), True),
    "--disable": ((), True),
    "--insecure": (("--no-check-certificate",), True),
    "--header": (Keep("--header"), True),
    "--user-agent": (Keep("-U"), True),
    "--continue-at": (_continue_at, True),
    "--data-raw": (Keep("--post-data"), True),
    "--retry": (_retry, False),
    "--connect-timeout": (Keep("--connect-timeout"), False),
    "--max-redirs": (Keep("--max-redirect"), False),
    "--limit-rate": (Keep("--limit-rate"), False),
    "--cacert": (Keep("--ca-certificate"), False),
    "--cert": (Keep("--certificate"), False),
    "--key": (Keep("--private-key"), False),
    "--referer": (Keep("--referer"), False),
    "--ipv4": (("-4",), False),
    "--ipv6": (("-6",), False),
}


def url_names_file(tok: Token) -> bool:
    """Does the URL end in a file name that wget and curl ``-O`` both save
    to (a last path segment, no query or fragment)?  Read from the word as
    written: ``https://x/${V}/a-${V}.tgz`` does; ``$URL``,
    ``https://x/dl?f=a`` and ``https://x/`` do not."""
    text = tok.text
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        text = text[1:-1]
    _, sep, rest = text.partition("://")
    if not sep or "/" not in rest or any(c in rest for c in "?#'\"\\"):
        return False
    return bool(rest.rsplit("/", 1)[1])


def _operands(p: Parsed) -> list[Token]:
    return [t for t in p.operands if t.value != "--"]


def _url(p: Parsed) -> Token:
    """The one URL (after :func:`_rewrite` checked there is one)."""
    return _operands(p)[0]


def _value_text(o: Option) -> str:
    """The option's value as shell text: the next word as written, or an
    attached value (re-quoted when literal)."""
    if o.value_token is not None:
        return o.value_token.text
    if o.expands:
        return o.raw or ""
    return shlex.quote(o.value or "")


def _rewrite(
    p: Parsed, program: str, front: Words, specs: Mapping[str, Spec], target: str, long_eq: bool
) -> Rewrite:
    """The changes writing ``p`` as ``program`` + ``front`` words + each
    option as ``specs`` says (operands kept)."""
    by_token: dict[int, list[Option]] = {}
    for o in p.options:
        by_token.setdefault(o.token.index, []).append(o)
    operands = _operands(p)
    if len(operands) != 1:
        return Rewrite(reason=f"`{p.program}` with {len(operands) or 'no'} URLs")
    if p.cmd is not None and p.start == 0:
        prog_start = p.cmd.name_start
    else:
        prog_start = p.args[p.start - 1].start
    changes = [Change(prog_start, p.name_end, " ".join((program, *front)))]
    prev_end = p.name_end
    skip: set[int] = set()
    for tok in p.args[p.start :]:
        if tok.index in skip:
            prev_end = tok.end
            continue
        found = by_token.get(tok.index)
        if found is None:  # an operand
            prev_end = tok.end
            continue
        words: list[str] = []
        end = tok.end
        for o in found:
            spec = specs.get(o.key)
            if spec is None:
                return Rewrite(reason=f"`{p.program} {o.name}` has no {target} equivalent")
            if isinstance(spec, Keep):
                if o.value_token is not None:
                    words.append(spec.name)
                    skip.add(o.value_token.index)
                elif o.takes_value:
                    sep = "=" if long_eq and spec.name.startswith("--") else " "
                    words.append(spec.name + sep + _value_text(o))
                else:
                    words.append(spec.name)
                continue
            if callable(spec):
                got = spec(o.value) if o.value is not None else None
                if got is None:
                    shown = o.value if o.value is not None else o.raw
                    return Rewrite(reason=f"`{p.program} {o.name} {shown}` has no {target} equivalent")
                spec = got
            words.extend(shlex.quote(w) for w in spec)
            if o.value_token is not None:
                end = o.value_token.end
                skip.add(o.value_token.index)
        if words:
            changes.append(Change(tok.start, end, " ".join(words)))
        else:
            changes.append(Change(prev_end, end, "", after_word=True))
        prev_end = tok.end
    return Rewrite(tuple(changes))


def to_curl(p: Parsed) -> Rewrite:
    """``p`` (a wget command) written with curl: ``curl -fsSL`` (fail on
    HTTP errors and follow redirects as wget does, no progress meter, but
    errors shown), ``-o FILE`` for ``-O FILE``, stdout for ``-O -``, ``-O``
    when wget names the file after the URL."""
    specs = dict(WGET_TO_CURL)
    outs = p.options_named("--output-document")
    front: Words = ("-fsSL",)
    if len(outs) > 1:
        return Rewrite(reason="`wget` with several `-O` (it concatenates the downloads)")
    if outs:
        specs["--output-document"] = () if outs[0].value == "-" else Keep("-o")
        specs["--directory-prefix"] = ()  # -O FILE is not under -P DIR
    elif p.has("--directory-prefix"):
        return Rewrite(reason="`wget -P DIR` without `-O`")
    else:
        front = (*front, "-O")
    done = _rewrite(p, "curl", front, specs, "curl", long_eq=False)
    if not done.reason and not outs and not url_names_file(_url(p)):
        return Rewrite(reason="`wget` without `-O`: the file name it saves to cannot be told from the URL")
    return done


def to_wget(p: Parsed, busybox: bool) -> Rewrite:
    """``p`` (a curl command) written with wget (BusyBox's applet when
    ``busybox``): ``-O FILE`` for ``-o FILE``, ``-O-`` for stdout, the URL's
    name for ``-O``; ``-q`` for ``-s``, ``-nv`` for ``-sS`` and
    ``--progress=dot:giga`` otherwise (GNU wget; BusyBox: ``-q``)."""
    flavour = "BusyBox wget" if busybox else "wget"
    specs: dict[str, Spec] = {k: s for k, (s, bb) in CURL_TO_WGET.items() if bb or not busybox}
    silent, errors = p.has("--silent"), p.has("--show-error")
    quiet = "-q" if busybox or (silent and not errors) else "-nv" if silent else "--progress=dot:giga"
    outs = p.options_named("--output", "--remote-name")
    if len(outs) > 1:
        return Rewrite(reason="`curl` with several `-o`/`-O`")
    to_stdout = not outs or (outs[0].key == "--output" and outs[0].value == "-")
    front: Words = ("-qO-",) if to_stdout and quiet == "-q" else (quiet, "-O-") if to_stdout else (quiet,)
    if outs and outs[0].key == "--output":
        specs["--output"] = () if to_stdout else Keep("-O")
        if outs[0].value is not None and "/" not in outs[0].value:
            specs["--create-dirs"] = ()  # no folder to create
    elif outs:
        specs["--remote-name"] = ()
        specs["--output-dir"] = Keep("-P")
    done = _rewrite(p, "wget", front, specs, flavour, long_eq=True)
    if not done.reason and outs and outs[0].key == "--remote-name" and not url_names_file(_url(p)):
        return Rewrite(reason="`curl -O`: the file name it saves to cannot be told from the URL")
    return done


__all__ = [
    "CURL",
    "CURL_TO_WGET",
    "GRAMMARS",
    "TOOLS",
    "WGET",
    "WGET_TO_CURL",
    "Change",
    "Keep",
    "Rewrite",
    "installs",
    "to_curl",
    "to_wget",
    "uninstalls",
    "url_names_file",
    "wget_quiet",
]
