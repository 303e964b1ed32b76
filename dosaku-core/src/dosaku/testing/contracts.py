"""Contract test suites: what every module of a task must do. Subclass one and provide its fixture.

Each suite takes the object under test from a fixture (a module instance, or ``agent.TaskName`` so the agent's
path is tested too), and asserts the behaviour the task's docstrings promise.
"""
from __future__ import annotations

import re
from typing import Any

import pytest

from dosaku.errors import DosakuError


def _has(obj: Any, action: str) -> bool:
    from dosaku.task import implements

    target = getattr(obj, "module", obj)
    return implements(type(target), action)


class ChatContract:
    """Contract of the ``Chat`` task. Provide a ``chat`` fixture (module or ``agent.Chat``)."""

    @pytest.fixture
    def chat(self) -> Any:  # pragma: no cover - to be overridden
        raise NotImplementedError("provide a `chat` fixture")

    def test_message_returns_text(self, chat: Any) -> None:
        reply = chat.message("Hello, what's your name?")
        assert isinstance(reply, str) and reply.strip()

    def test_stream_yields_growing_partial_responses(self, chat: Any) -> None:
        reply = chat.message("Count to five.", stream=True)
        if isinstance(reply, str):  # a module that does not stream answers with the whole reply
            assert reply.strip()
            return
        parts = list(reply)
        assert len(parts) >= 2, parts
        assert all(isinstance(part, str) for part in parts)
        for before, after in zip(parts, parts[1:]):
            assert after.startswith(before), (before, after)
        assert parts[-1].strip()

    def test_history_grows_and_reset_clears(self, chat: Any) -> None:
        if not (_has(chat, "history") and _has(chat, "reset")):
            pytest.skip("this module keeps no history")
        chat.reset()
        start = len(chat.history())
        chat.message("Remember the word apple.")
        history = chat.history()
        assert len(history) == start + 2
        assert history[-2] == {"role": "user", "content": "Remember the word apple."}
        assert history[-1]["role"] == "assistant" and history[-1]["content"]
        chat.reset()
        assert len(chat.history()) == start

    def test_non_text_message_is_refused(self, chat: Any) -> None:
        with pytest.raises((TypeError, DosakuError)):
            chat.message(None)


class TextToImageContract:
    """Contract of the ``TextToImage`` task. Provide a ``text_to_image`` fixture."""

    @pytest.fixture
    def text_to_image(self) -> Any:  # pragma: no cover
        raise NotImplementedError("provide a `text_to_image` fixture")

    def test_returns_an_image(self, text_to_image: Any) -> None:
        from PIL import Image

        image = text_to_image.text_to_image("a red circle on white")
        assert isinstance(image, Image.Image)
        assert image.width > 0 and image.height > 0

    def test_empty_prompt_is_refused(self, text_to_image: Any) -> None:
        with pytest.raises((ValueError, DosakuError)):
            text_to_image.text_to_image("")


class RestoreFacesContract:
    """Contract of the ``RestoreFaces`` task. Provide ``restorer`` and ``face_image`` (a PIL image) fixtures."""

    @pytest.fixture
    def restorer(self) -> Any:  # pragma: no cover
        raise NotImplementedError("provide a `restorer` fixture")

    @pytest.fixture
    def face_image(self) -> Any:  # pragma: no cover
        raise NotImplementedError("provide a `face_image` fixture")

    def test_restore_returns_restored_image(self, restorer: Any, face_image: Any) -> None:
        from PIL import Image

        from dosaku.tasks import RestoreFaces

        result = restorer.restore(face_image)
        assert isinstance(result, RestoreFaces.RestoredImage)
        assert isinstance(result.restored_image, Image.Image)
        assert result.restored_image.width >= face_image.width
        assert len(result.cropped_faces) == len(result.restored_faces)

    def test_not_an_image_is_refused(self, restorer: Any) -> None:
        with pytest.raises((TypeError, ValueError, DosakuError)):
            restorer.restore(12345)


class PlayGoContract:
    """Contract of the ``PlayGo`` task. Provide a ``go`` fixture (a fresh engine per test)."""

    @pytest.fixture
    def go(self) -> Any:  # pragma: no cover
        raise NotImplementedError("provide a `go` fixture")

    def test_protocol(self, go: Any) -> None:
        assert go.protocol_version() == "2"
        assert go.name()
        assert "play" in go.list_commands()
        assert go.known_command("genmove") is True
        assert go.known_command("no_such_command") is False

    def test_play_genmove_undo_score(self, go: Any) -> None:
        go.boardsize(9)
        go.clear_board()
        go.komi(6.5)
        go.play("black", "E5")
        move = go.genmove("white")
        assert re.fullmatch(r"(?i)[A-HJ-T](1[0-9]|[1-9])|pass|resign", move), move
        assert "X" in go.showboard()
        go.undo()
        assert re.fullmatch(r"[BW]\+\d+(\.\d+)?|0", go.final_score())

    def test_illegal_move_is_refused(self, go: Any) -> None:
        go.boardsize(9)
        go.clear_board()
        go.play("black", "E5")
        with pytest.raises(DosakuError):
            go.play("white", "E5")


class TesterContract:
    """Contract of the ``Tester`` task. Provide a ``tester`` fixture."""

    @pytest.fixture
    def tester(self) -> Any:  # pragma: no cover
        raise NotImplementedError("provide a `tester` fixture")

    def test_run_captures_output(self, tester: Any) -> None:
        result = tester.run("print(6 * 7)")
        assert result.stdout == "42\n"

    def test_exec_defines_in_namespace(self, tester: Any) -> None:
        namespace: dict[str, Any] = {}
        tester.exec("def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a", globals=namespace)
        assert namespace["gcd"](10, 15) == 5
