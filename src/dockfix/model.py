"""The semantic model of a Dockerfile: what is true at each instruction.

One :class:`SemanticModel` per parsed tree (``SemanticModel.of(tree)``,
built on first use and kept on the tree) answers, for any instruction, the
state of the build *before* it runs (``model.at(ins)``) or *after* it
(``model.after(ins)``): the stage and the stages it builds on, the ARG and
ENV values with BuildKit's scoping and expansion, the user, HOME, WORKDIR,
SHELL, the base image (from the one table in :mod:`dockfix.images`), the
parsed ``--mount`` flags and the parsed shell script of a RUN.

Whatever cannot be known is :data:`UNKNOWN` (one value, falsy, compared
with ``is``); a variable that is not set at all is ``None``.

How a rule reads a fact::

    from dockfix.model import UNKNOWN, SemanticModel

    model = SemanticModel.of(ctx.tree)
    for ins in ctx.tree.instructions:
        facts = model.at(ins)               # the state before ``ins``
        facts.env("PIP_CACHE_DIR")          # "/x", None (unset) or UNKNOWN
        facts.expand("$HOME/.cache")        # BuildKit's expansion, or UNKNOWN
        facts.user.uid, facts.home          # 1000, "/home/app" (or UNKNOWN)
        facts.workdir.path                  # "/app" or UNKNOWN
        facts.shell.posix                   # False after SHELL ["pwsh", "-c"]
        facts.image.family                  # Family.DEBIAN, Family.ALPINE...
        facts.image.package_manager         # "apt", "apk", None, UNKNOWN
        facts.stage.parent, facts.stage.is_final
        model.mounts(ins)                   # the parsed --mount flags of a RUN
        model.script(ins)                   # the shell.Script of a RUN
        facts.word_references("$A/${B:-x}") # {"A", "B"}: what BuildKit reads
    model.output_stages()                   # stages that may be run as an image
    model.created(stage, "user")            # users the chain's RUNs create (uid, gid)
    model.creates("app"), model.supplementary_groups("app")

BuildKit's rules, as this model applies them (moby/buildkit
``frontend/dockerfile/dockerfile2llb/convert.go``):

* ARGs before the first FROM (global) are seen by FROM lines only; inside a
  stage ``ARG NAME`` without a value takes the global one.  BuildKit's
  platform ARGs (``TARGETARCH``…) are global ARGs whose value is UNKNOWN.
* An ARG with a value is added to the build environment exactly like an
  ENV (``dispatchArg``: ``d.state.AddEnv``), so the *later* of an ENV and an
  ARG of the same name is what RUN and expansion see; only ENV reaches the
  image's config (:meth:`Facts.image_env`).
* ``--build-arg`` may override any ARG: with ``assume_defaults=True`` (the
  default, what the rules use) an ARG's declared default is taken as its
  value and an ARG declared without one is UNKNOWN (it is there to be
  passed in); with ``assume_defaults=False`` every ARG value is UNKNOWN.
* ENV values are expanded when the ENV is read, all pairs of one ENV with
  the environment before it (``ENV A=1 B=$A`` gives B the older A); the
  pairs of one ARG are read one after the other.
* A stage built FROM an earlier stage starts with its environment, user,
  WORKDIR and SHELL; the first stage of a chain starts with the base
  image's (known ENV values from the image table; any other name may be set
  by the image, so it is UNKNOWN — but HOME, which images leave to the
  runtime, is unset unless the image is one that likely runs as non-root).

The model is computed in one pass over the file, linear in its size: every
fact is kept as a timeline per stage (position → value) and read with a
binary search, falling back to the parent stage's final value (memoized);
nothing is copied per instruction.

The model lives in three modules: this one (:class:`SemanticModel` and
:class:`Facts`, the queries), :mod:`dockfix._model_values` (the values:
:class:`Variable`, :class:`User`, :class:`Workdir`, :class:`Shell`,
:class:`StageInfo`; all exported here) and :mod:`dockfix._model_build` (the
one walk over the file that fills the timelines).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from . import lexing
from ._model_build import build_model, created_in_chain, created_index, file_accounts, output_stages
from ._model_values import (
    DEFAULT_PATH,
    LINUX_SHELL,
    PLATFORM_ARGS,
    POSIX_SHELLS,
    PROXY_ARGS,
    WINDOWS_SHELL,
    Shell,
    StageInfo,
    User,
    Value,
    Variable,
    Workdir,
    _Timeline,
    is_posix_shell,
)
from .images import UNKNOWN, Family, ImageInfo, Unknown
from .mounts import Mount, parse_mount
from .shell import Script, script_of
from .users import Created, num

if TYPE_CHECKING:
    from .tree import Dockerfile, Instruction

__all__ = [
    "PLATFORM_ARGS",
    "POSIX_SHELLS",
    "PROXY_ARGS",
    "UNKNOWN",
    "Facts",
    "Family",
    "ImageInfo",
    "Mount",
    "SemanticModel",
    "Shell",
    "StageInfo",
    "Unknown",
    "User",
    "Variable",
    "Workdir",
    "is_posix_shell",
    "parse_mount",
]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class Facts:
    """The state of the build at one point: before an instruction
    (``model.at(ins)``) or after it (``model.after(ins)``).  Cheap: it
    reads the model's timelines on demand."""

    __slots__ = ("ins", "model", "pos", "stage")

    def __init__(self, model: SemanticModel, stage: StageInfo, pos: int, ins: Instruction | None) -> None:
        self.model = model
        self.stage = stage
        self.pos = pos  # the state before this position of the stage
        self.ins = ins

    def __repr__(self) -> str:
        return f"<Facts stage {self.stage.index} before #{self.pos}>"

    # variables
    def variable(self, name: str) -> Variable | None:
        """The variable as the build sees it here (RUN's environment and the
        expansion of Dockerfile words), None when not set."""
        return self.model._lookup(self.stage, self.pos, name, "_vars")

    def env(self, name: str) -> str | None | Unknown:
        """The variable's value: a str, None when not set, UNKNOWN."""
        v = self.variable(name)
        return None if v is None else v.value

    def image_env(self, name: str) -> str | None | Unknown:
        """The value in the image's config (ENV only; ARGs do not reach it)."""
        v = self.model._lookup(self.stage, self.pos, name, "_image_vars")
        return None if v is None else v.value

    def from_env(self, name: str) -> bool:
        """Set by an ENV of this file (not an ARG, not the image)."""
        v = self.variable(name)
        return v is not None and v.kind == "env"

    def expand(self, word: str) -> Value:
        """``word`` as BuildKit expands a Dockerfile word here (quotes and
        escapes processed, variables substituted); UNKNOWN when it depends
        on an unknown value or BuildKit would fail."""
        return self.model._expand(word, self.env)

    def word_references(self, word: str) -> set[str]:
        """The variables BuildKit's expansion of ``word`` reads (not those in
        single quotes); ``"\0"`` among them when the word cannot be read
        (it may refer to anything)."""
        names: set[str] = set()
        if "$" not in word:
            return names

        def lookup(name: str) -> str:
            names.add(name)
            return ""

        try:
            lexing.expand_word(word, lookup, self.model.escape)
        except lexing.ShellError:
            names.add("\0")
        return names

    # who, where, how
    @property
    def user(self) -> User:
        return self.model._user(self.stage, self.pos)

    @property
    def home(self) -> Value:
        """$HOME as a RUN sees it: the environment's, else the user's home
        (root's is /root; a user created in an earlier RUN or shipped by the
        image has its own); UNKNOWN otherwise."""
        h = self.env("HOME")
        if h is not None:
            return h
        return self.user.home

    @property
    def workdir(self) -> Workdir:
        found, wd = self.model._fact(self.stage, self.pos, "_workdir")
        if found and wd is not None:
            return wd  # type: ignore[return-value]
        return self.model._image_workdir(self.stage)

    @property
    def shell(self) -> Shell:
        found, sh = self.model._fact(self.stage, self.pos, "_shell")
        if found and sh is not None:
            return sh  # type: ignore[return-value]
        return WINDOWS_SHELL if self.stage.windows else LINUX_SHELL

    @property
    def probably_root(self) -> bool:
        """RUN runs as root, or no USER of this file says otherwise and the
        image is not one that likely drops root (the cache rules' reading:
        an unrecognised image is taken to run as root)."""
        user = self.user
        if user.root is True:
            return True
        return (
            isinstance(user.root, Unknown)
            and not user.explicit
            and isinstance(self.image.default_user, Unknown)
            and not self.image.nonroot_hint
        )

    @property
    def image(self) -> ImageInfo:
        """The external image the stage's chain is built on."""
        return self.stage.image

    @property
    def windows(self) -> bool:
        return self.stage.windows


class SemanticModel:
    """What is true at each instruction of one file (see the module doc).

    ``SemanticModel.of(tree)`` builds it once per tree and mode and keeps it
    on the tree (``tree.memo``); the tree is never changed after parsing."""

    def __init__(
        self, tree: Dockerfile, assume_defaults: bool = True, build_args: Mapping[str, str] | None = None
    ) -> None:
        self.tree = tree
        self.assume_defaults = assume_defaults
        #: the ``--build-arg`` values of one concrete build (None: not known)
        self.build_args = dict(build_args) if build_args is not None else None
        self.escape = tree.escape
        #: global ARGs (before the first FROM): name -> value (UNKNOWN for
        #: BuildKit's platform ARGs and, unless assumed, every ARG)
        given = self.build_args or {}
        self.global_args: dict[str, Value] = {n: given.get(n, UNKNOWN) for n in PLATFORM_ARGS}
        self.steps = 0  # lookup steps taken (for cost tests)
        self.stages: list[StageInfo] = []
        self._where: dict[int, tuple[StageInfo, int]] = {}
        self._mounts: dict[int, tuple[Mount, ...]] = {}
        self._defined: set[str] = set()  # names some ENV/ARG of the file sets
        self._roots: dict[int, StageInfo] = {}
        self._outputs: tuple[StageInfo, ...] | None = None
        self._accounts: tuple[frozenset[str], frozenset[str]] | None = None
        self.expansions = 0  # calls of the expander (for cost tests)
        build_model(self)

    @classmethod
    def of(
        cls, tree: Dockerfile, assume_defaults: bool = True, build_args: Mapping[str, str] | None = None
    ) -> SemanticModel:
        """The model of ``tree`` (built on first use, then shared).

        ``assume_defaults``: an ARG's declared default is its value (else
        every ARG is UNKNOWN: ``--build-arg`` may override it).
        ``build_args``: model one concrete build, ``docker build
        --build-arg K=V…`` (an ARG without a value and no ``--build-arg``
        is then unset, as in BuildKit)."""
        key = (cls, assume_defaults, None if build_args is None else frozenset(build_args.items()))
        model = tree.memo.get(key)
        if not isinstance(model, SemanticModel):
            model = tree.memo[key] = cls(tree, assume_defaults, build_args)
        return model

    # -- public queries ----------------------------------------------------------

    def at(self, ins: Instruction) -> Facts:
        """The state before ``ins`` runs (for a FROM: the stage's start; for
        an ONBUILD trigger: the end of its stage)."""
        stage, pos = self._locate(ins)
        return Facts(self, stage, pos, ins)

    def after(self, ins: Instruction) -> Facts:
        """The state after ``ins`` has run."""
        stage, pos = self._locate(ins)
        return Facts(self, stage, pos + 1, ins)

    def end(self, stage: StageInfo) -> Facts:
        """The state at the end of a stage."""
        return Facts(self, stage, len(stage.stage.instructions), None)

    def stage_of(self, ins: Instruction) -> StageInfo | None:
        where = self._where.get(id(ins))
        return where[0] if where is not None else None

    @property
    def final_stage(self) -> StageInfo | None:
        return self.stages[-1] if self.stages else None

    def script(self, ins: Instruction) -> Script | None:
        """The parsed shell script of a RUN (cached once per instruction)."""
        return script_of(ins)

    def mounts(self, ins: Instruction) -> tuple[Mount, ...]:
        """The ``--mount`` flags of a RUN, parsed, values expanded."""
        got = self._mounts.get(id(ins))
        if got is None:
            facts = self.at(ins)
            got = tuple(
                parse_mount(f.value, facts.expand, f)
                for f in ins.flags
                if f.name == "mount" and f.value is not None
            )
            self._mounts[id(ins)] = got
        return got

    def output_stages(self) -> tuple[StageInfo, ...]:
        """The stages that may be built as an image, in file order: the final
        one and every stage no other stage uses (``FROM``, ``COPY --from``,
        ``RUN --mount=from=``), which is only built with ``--target``."""
        if self._outputs is None:
            self._outputs = output_stages(self)
        return self._outputs

    def created(self, stage: StageInfo, kind: str = "user") -> list[Created]:
        """The users (``kind="user"``) or groups (``"group"``) the RUNs of
        the chain of ``stage`` create, in order, each with its RUN
        (``ins``) and ``gid`` resolved (a user's primary group given as a
        number or created earlier; a group's own id)."""
        return created_in_chain(stage, kind)

    def creates(self, name: str) -> bool:
        """Does a RUN of the file create user ``name``?"""
        return name in self._file_accounts()[0]

    def supplementary_groups(self, name: str) -> bool | Unknown:
        """Does a RUN of the file add user ``name`` to a group other than
        its own (``useradd -G``, ``usermod -aG``, ``adduser NAME GROUP``,
        ``gpasswd -a``)?  UNKNOWN when a RUN that may do so cannot be read."""
        made, added = self._file_accounts()
        if name in added:
            return True
        return UNKNOWN if "*" in added else False

    def _file_accounts(self) -> tuple[frozenset[str], frozenset[str]]:
        if self._accounts is None:
            self._accounts = file_accounts(self)
        return self._accounts

    def expand_global(self, word: str) -> Value:
        """``word`` expanded with the global ARGs (as in a FROM line)."""
        return self._expand(word, self._global)

    # -- expansion (also used by the builder, :mod:`dockfix._model_build`) ----

    def _global(self, name: str) -> str | None | Unknown:
        return self.global_args.get(name)

    def _expand(self, word: str, lookup: Callable[[str], str | None | Unknown]) -> Value:
        self.expansions += 1
        if "$" not in word and "'" not in word and '"' not in word and self.escape not in word:
            return word
        try:
            got = lexing.expand_word(word, lookup, self.escape)
        except lexing.ShellError:
            return UNKNOWN
        return UNKNOWN if got is None else got

    # -- lookups -----------------------------------------------------------------

    def _locate(self, ins: Instruction) -> tuple[StageInfo, int]:
        where = self._where.get(id(ins))
        if where is None:
            raise KeyError("the instruction is not in a stage of this file")
        return where

    def _fact(self, st: StageInfo, pos: int, which: str) -> tuple[bool, object]:
        """The last value of a single-valued fact before ``pos``, through the
        parent stages."""
        self.steps += 1
        timeline: _Timeline[object] = getattr(st, which)
        found, val = timeline.at(pos)
        if found or st.parent is None:
            return found, val
        return self._final_fact(st.parent, which)

    def _up(
        self,
        st: StageInfo,
        key: tuple[str, str],
        own: Callable[[StageInfo], tuple[bool, object]],
        at_root: Callable[[StageInfo], object],
    ) -> object:
        """A fact at the end of ``st``: ``own(stage)`` of the nearest stage of
        the chain (``st``, its parent…) that sets it, else ``at_root(root)``;
        memoized per stage under ``key``.  A loop, not a recursion: chains
        of thousands of ``FROM previous`` stages are fine."""
        path: list[StageInfo] = []
        cur = st
        while True:
            if key in cur._final_memo:
                result = cur._final_memo[key]
                break
            self.steps += 1
            path.append(cur)
            found, val = own(cur)
            if found:
                result = val
                break
            if cur.parent is None:
                result = at_root(cur)
                break
            cur = cur.parent
        for s in path:
            s._final_memo[key] = result
        return result

    def _final_fact(self, st: StageInfo, which: str) -> tuple[bool, object]:
        """A single-valued fact at the end of ``st`` (memoized per stage)."""

        def own(s: StageInfo) -> tuple[bool, object]:
            timeline: _Timeline[object] = getattr(s, which)
            got = timeline.last()
            return got[0], got

        return self._up(st, (which, ""), own, lambda _root: (False, None))  # type: ignore[return-value]

    def _lookup(self, st: StageInfo, pos: int, name: str, which: str) -> Variable | None:
        self.steps += 1
        timeline = getattr(st, which).get(name)
        if timeline is not None:
            found, var = timeline.at(pos)
            if found:
                return var  # type: ignore[no-any-return]
        if st.parent is None:
            return self._from_image(st, name)
        if name not in self._defined:  # no stage sets it: skip the walk up the chain
            return self._from_image(self._root(st), name)
        return self._final(st.parent, name, which)

    def _root(self, st: StageInfo) -> StageInfo:
        """``st.root``, memoized (chains can be long)."""
        root = self._roots.get(st.index)
        if root is None:
            path = [st]
            while path[-1].parent is not None and path[-1].index not in self._roots:
                path.append(path[-1].parent)
            top = path[-1]
            root = self._roots.get(top.index, top)
            for s in path:
                self._roots[s.index] = root
        return root

    def _final(self, st: StageInfo, name: str, which: str) -> Variable | None:
        """The variable at the end of ``st`` (memoized per stage)."""

        def own(s: StageInfo) -> tuple[bool, object]:
            timeline = getattr(s, which).get(name)
            return timeline.last() if timeline is not None else (False, None)

        return self._up(st, (which, name), own, lambda root: self._from_image(root, name))  # type: ignore[return-value]

    def _from_image(self, root: StageInfo, name: str) -> Variable | None:
        """A variable the file does not set, as the base image sets it."""
        image = root.image
        known = image.env_value(name)
        if known is not None:
            return Variable(name, known, "image")
        if not _NAME.match(name):
            return None  # $1, $@...: never set
        if image.family is Family.SCRATCH:
            return Variable(name, DEFAULT_PATH, "image") if name == "PATH" else None
        if image.env_complete:
            return None
        if name == "HOME" and (not image.nonroot_hint or isinstance(image.default_user, str)):
            return None  # the runtime sets HOME; images leave it out of their config
        return Variable(name, UNKNOWN, "image")

    def _image_workdir(self, st: StageInfo) -> Workdir:
        root = st.root
        wd = root.image.workdir
        if isinstance(wd, str):
            return Workdir(wd, False, from_image=root.image.family is not Family.SCRATCH)
        return Workdir(UNKNOWN, False, ".")

    def _user(self, st: StageInfo, pos: int) -> User:
        found, got = self._fact(st, pos, "_user")
        image = st.image
        if not found or got is None:
            name = image.default_user
            if isinstance(name, Unknown):
                return User(UNKNOWN)
            u = image.user(name)
            if u is None:
                return User(name, None, 0 if name == "root" else UNKNOWN, 0 if name == "root" else UNKNOWN,
                            "/root" if name == "root" else UNKNOWN)  # fmt: skip
            return User(name, None, u.uid, u.gid, u.home)
        assert isinstance(got, tuple)
        value: Value = got[0]
        ins: Instruction = got[1]
        if isinstance(value, Unknown) or not value:
            return User(UNKNOWN, explicit=True, ins=ins)
        name, colon, group = value.partition(":")
        grp: str | None = group if colon else None
        uid: int | Unknown = UNKNOWN
        gid: int | Unknown = num(grp) if grp is not None else UNKNOWN
        home: Value = UNKNOWN

        def created_get(key: tuple[str, str]) -> Created | None:
            return self._created(st, pos, key)

        if name in ("root", "0"):
            uid, home = 0, "/root"
            if grp is None:
                gid = 0
        if name.isascii() and name.isdigit():
            uid = int(name)
        user = created_get(("user", name))
        shipped = image.user(name) if image.known else None
        if user is not None:
            uid = user.id if isinstance(uid, Unknown) else uid
            home = user.home
            if grp is None and user.group is not None:
                grp_id = num(user.group)
                if isinstance(grp_id, Unknown) and isinstance(user.group, str):
                    g = created_get(("group", user.group))
                    grp_id = g.id if g is not None else UNKNOWN
                gid = grp_id
        elif shipped is not None and name not in ("root", "0"):
            uid, home = shipped.uid, shipped.home
            if grp is None:
                gid = shipped.gid
        if grp is not None and isinstance(gid, Unknown):
            g = created_get(("group", grp))
            if g is not None:
                gid = g.id
            elif grp == "root":
                gid = 0  # the root group is gid 0 in every Linux image
        return User(name, grp, uid, gid, home, True, ins)

    def _created(self, st: StageInfo, pos: int, key: tuple[str, str]) -> Created | None:
        """The user (``("user", name)``) or group a RUN of the chain before
        ``pos`` created last, if any."""
        self.steps += 1
        timeline = created_index(st).get(key)
        if timeline is not None:
            found, got = timeline.at(pos)
            if found:
                return got
        if st.parent is None:
            return None

        def own(s: StageInfo) -> tuple[bool, object]:
            timeline = created_index(s).get(key)
            return timeline.last() if timeline is not None else (False, None)

        return self._up(st.parent, ("created", "\0".join(key)), own, lambda _root: None)  # type: ignore[return-value]
