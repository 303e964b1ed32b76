"""The core task specs: abstract, documented actions with examples, default actions."""
from __future__ import annotations

import inspect

import pytest
from dosaku import Task
from dosaku.task import optional_actions, required_actions
from dosaku.tasks import Chat, PlayGo, Ponder, RestoreFaces, Tester, TextToImage

ALL = [Chat, PlayGo, Ponder, RestoreFaces, Tester, TextToImage]


@pytest.mark.parametrize("task", ALL, ids=lambda t: t.__name__)
def test_tasks_are_abstract(task):
    with pytest.raises(TypeError):
        task()
    assert issubclass(task, Task)


@pytest.mark.parametrize("task", ALL, ids=lambda t: t.__name__)
def test_every_action_is_documented_with_an_example(task):
    assert inspect.getdoc(task)
    for action in required_actions(task) + optional_actions(task):
        doc = inspect.getdoc(getattr(task, action))
        assert doc and "Example::" in doc, f"{task.__name__}.{action} needs a docstring with an example"


def test_actions():
    assert required_actions(Chat) == ["message"] and optional_actions(Chat) == ["history", "reset"]
    assert required_actions(RestoreFaces) == ["restore"]
    assert required_actions(TextToImage) == ["text_to_image"]
    assert required_actions(Tester) == ["run", "exec"]
    assert required_actions(Ponder) == ["ponder"]
    assert required_actions(PlayGo) == [
        "protocol_version", "name", "version", "known_command", "list_commands", "boardsize", "clear_board",
        "komi", "play", "genmove", "undo", "showboard", "final_score", "quit",
    ]
    assert optional_actions(PlayGo) == ["level"]


def test_default_actions():
    assert Chat.default_action == "message"
    assert TextToImage.default_action == "text_to_image"
    assert RestoreFaces.default_action == "restore"
    assert PlayGo.default_action is None


def test_restored_image_result():
    result = RestoreFaces.RestoredImage(restored_image="image")
    assert result.cropped_faces == [] and result.restored_faces == []


def test_module_call_uses_default_action():
    from dosaku.modules import EchoBot

    assert EchoBot()("hi") == "Hi, I'm EchoBot. You said: hi"
