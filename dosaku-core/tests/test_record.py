"""Frozen records and the specs built on them: they behave like frozen dataclasses."""
from __future__ import annotations

import copy
import pickle

import pytest
from dosaku.record import Record
from dosaku.spec import ModuleSpec, TaskSpec


class Point(Record):
    __slots__ = ("x", "y", "label")
    _DEFAULTS = {"y": 0, "label": ""}
    _UNCOMPARED = ("label",)


def test_fields_by_position_keyword_and_default():
    assert Point(1, 2).y == 2 and Point(x=1).y == 0 and Point(1, label="a").label == "a"
    assert repr(Point(1, 2, "a")) == "Point(x=1, y=2, label='a')"
    assert Point(1, 2).as_dict() == {"x": 1, "y": 2, "label": ""}


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "Point is missing field(s) x"),
    ((1, 2, "a", 4), {}, "Point takes 3 fields, got 4"),
    ((1,), {"z": 2}, "Point has no field 'z'"),
    ((1,), {"x": 2}, "Point got field 'x' twice"),
])
def test_bad_fields_are_type_errors(args, kwargs, message):
    with pytest.raises(TypeError) as caught:
        Point(*args, **kwargs)
    assert str(caught.value) == message


def test_frozen():
    point = Point(1)
    with pytest.raises(AttributeError, match=r"Point is frozen: use \.replace\(x=\.\.\.\) for a changed copy\."):
        point.x = 2
    with pytest.raises(AttributeError, match="Point is frozen"):
        del point.x
    with pytest.raises(AttributeError):
        point.other = 1  # slots: no other attributes either
    assert point.replace(x=2) == Point(2) and point == Point(1)


def test_equality_and_hash_skip_uncompared_fields():
    assert Point(1, 2, "a") == Point(1, 2, "b") and hash(Point(1, 2, "a")) == hash(Point(1, 2, "b"))
    assert Point(1, 2) != Point(1, 3) and Point(1) != (1, 0, "")
    assert len({Point(1), Point(1, label="x"), Point(2)}) == 2


def test_pickles_and_copies_with_every_field():
    point = Point(1, 2, "a")
    for clone in (pickle.loads(pickle.dumps(point)), copy.deepcopy(point), copy.copy(point)):
        assert clone == point and clone.label == "a" and type(clone) is Point


def test_specs_are_records_with_their_documented_signatures():
    spec = ModuleSpec("GFPGAN", "RestoreFaces", "dosaku_tencent.gfpgan:GFPGAN", device="auto", memory_mb=1500)
    assert spec.tasks == ("RestoreFaces",) and spec.kind == "module" and spec.priority == 0
    assert ModuleSpec("M", ["A", "B"], "m:M").tasks == ("A", "B")
    assert spec.replace(plugin="tencent") == spec and spec.replace(plugin="tencent").plugin == "tencent"
    assert pickle.loads(pickle.dumps(spec.replace(plugin="p"))).plugin == "p"
    task = TaskSpec("Chat", "dosaku.tasks.chat:Chat", default_module="EchoBot")
    assert task.summary == "" and task.default_module == "EchoBot" and task.load().__name__ == "Chat"


def test_a_module_spec_of_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="ModuleSpec 'M': kind must be module, service or executor, not 'remote'"):
        ModuleSpec("M", ("Chat",), "m:M", kind="remote")
