"""The test kit's task and modules (real PIL images, real histories)."""
from __future__ import annotations

import abc
import json
from typing import Any

from dosaku import Module, Service, Task
from dosaku.tasks import Chat, TextToImage
from dosaku.tool_calls import ChatReply, ToolCall


class Shout(Task):
    """Shout a text."""

    default_action = "shout"

    @abc.abstractmethod
    def shout(self, text: str) -> str:
        """Shout ``text``.

        Args:
            text: What to shout.
        """


class CloudShouter(Service, Shout):
    def shout(self, text: str) -> str:
        return text.upper() + "!"


class SwatchPainter(Module, TextToImage):
    def text_to_image(self, prompt: str, **kwargs: Any) -> Any:
        from PIL import Image

        if not prompt:
            raise ValueError("the prompt is empty; describe the image")
        colour = next((c for c in ("red", "green", "blue") if c in prompt.lower()), "white")
        return Image.new("RGB", (64, 48), colour)


class HistoryBot(Module, Chat):
    """Answers with the user turns it remembers, so tests can see which conversation it had."""

    def __init__(self, system_prompt: str | None = None):
        self.system_prompt = system_prompt
        self.reset()

    def message(self, message: str, stream: bool | None = None, **kwargs: Any) -> Any:
        self._history.append({"role": "user", "content": message})
        users = [turn["content"] for turn in self._history if turn["role"] == "user"]
        systems = [turn["content"] for turn in self._history if turn["role"] == "system"]
        reply = f"turns={len(users)} users={'|'.join(users)} system={'|'.join(systems)}"
        self._history.append({"role": "assistant", "content": reply})
        if stream:
            words = reply.split(" ")
            return (" ".join(words[: end + 1]) for end in range(len(words)))
        return reply

    def history(self) -> list[dict[str, str]]:
        return [dict(turn) for turn in self._history]

    def reset(self) -> None:
        self._history = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []


class ToolCallerBot(Module, Chat):
    """A scripted tool-calling model: 'call TOOL {json}' makes that call; given the results, it answers with them."""

    def __init__(self, stream: bool = False, system_prompt: str | None = None, model: str | None = None,
                 config: Any = None):
        self.system_prompt = system_prompt
        self.reset()

    def message(self, message: str | None, tools: list[dict[str, Any]] | None = None,
                tool_results: dict[str, str] | None = None, stream: bool | None = None, **kwargs: Any) -> Any:
        if tool_results:
            self._history.append({"role": "tool", "content": json.dumps(tool_results)})
            reply = ChatReply("Result: " + " ".join(tool_results.values()))
        elif message and message.startswith("call "):
            _, name, *rest = message.split(" ", 2)
            offered = [tool["function"]["name"] for tool in tools or ()]
            if name not in offered:
                reply = ChatReply(f"No tool {name}; offered: {', '.join(offered)}")
            else:
                reply = ChatReply("", tool_calls=[ToolCall.from_json("call_1", name, rest[0] if rest else "{}")])
        else:
            users = [turn["content"] for turn in self._history if turn["role"] == "user"]
            reply = ChatReply(f"You said {message!r} after {users}")
        if message is not None:
            self._history.append({"role": "user", "content": message})
        self._history.append({"role": "assistant", "content": str(reply)})
        return reply

    def history(self) -> list[dict[str, str]]:
        return [dict(turn) for turn in self._history]

    def reset(self) -> None:
        self._history = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
