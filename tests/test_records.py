"""dockfix._records: equality that leaves back references out."""

from __future__ import annotations

import pickle

import pytest
from msgspec import Struct

from dockfix._model_values import Variable
from dockfix._records import compare_without
from dockfix.runner import Options


@compare_without("ins")
class _Frozen(Struct, frozen=True):
    name: str
    value: int
    ins: object = None


@compare_without("ins")
class _Mutable(Struct):
    name: str
    ins: object = None


def test_every_field_but_the_named_ones_counts():
    a, b = _Frozen("a", 1, object()), _Frozen("a", 1, object())
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert _Frozen("a", 1) != _Frozen("a", 2) and _Frozen("a", 1) != _Frozen("b", 1)
    assert _Frozen("a", 1) != ("a", 1)  # another type is never equal


def test_a_mutable_record_is_not_hashable_like_a_dataclass():
    assert _Mutable("a", 1) == _Mutable("a", 2)
    with pytest.raises(TypeError):
        hash(_Mutable("a"))


def test_an_unknown_field_name_is_refused():
    with pytest.raises(TypeError, match="no field nope"):

        @compare_without("nope")
        class _Bad(Struct, frozen=True):
            x: int


def test_the_records_of_dockfix_keep_it_across_processes():
    v = Variable("HOME", "/root", "env", ins=None)
    assert pickle.loads(pickle.dumps(v)) == v
    assert Options(rule_options={"x": {"y": 1}}) == Options()
    assert Options(mode="diff") != Options()
