"""The Dosaku agent's steps as collapsible "thoughts" in the chat (gradio message metadata), and its answer."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

import gradio as gr
from dosaku.agents.steps import Answer

ICONS = {"ok": "🛠️", "error": "⚠️", "refused": "⛔", "skipped": "⏭️"}


def step_message(step: Any) -> dict[str, Any]:
    """A collapsed assistant message titled with the call, holding its arguments and outcome: for a
    :class:`~dosaku.agents.steps.Step` as it happens, and for a logged step when a conversation is reopened (both have
    ``index``, ``call()``, ``arguments``, ``status``, ``summary``, ``error`` and ``duration_s``).

    Example::

        step_message(step)  # {'role': 'assistant', 'content': '...', 'metadata': {'title': '🛠️ Step 1: ...'}}
    """
    lines = [f"**Arguments:** `{json.dumps(step.arguments, default=str)}`"]
    if step.status == "ok":
        lines.append(f"**Result:** `{json.dumps(step.summary, default=str)}`")
    else:
        lines.append(f"**{step.status.capitalize()}:** {step.error}")
    return {
        "role": "assistant",
        "content": "\n\n".join(lines),
        "metadata": {"title": f"{ICONS.get(step.status, ICONS['ok'])} Step {step.index}: {step.call()}",
                     "status": "done", "duration": round(step.duration_s or 0.0, 3), "log": step.status},
    }


def _is_image(value: Any) -> bool:
    return hasattr(value, "size") and hasattr(value, "mode") and hasattr(value, "save")


def images_in(value: Any) -> list[Any]:
    """The images a step returned: the value itself, or the image fields of a result object."""
    if _is_image(value):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in dataclasses.fields(value) if _is_image(getattr(value, f.name))]
    return []


def answer_messages(answer: Answer) -> list[dict[str, Any]]:
    """The answer's text, then the images of the last step that made any (the request's result)."""
    messages: list[dict[str, Any]] = [{"role": "assistant", "content": str(answer)}]
    for step in reversed(answer.steps):
        found = images_in(step.value) if step.ok else []
        if found:
            messages += [{"role": "assistant", "content": gr.Image(image, format="png")} for image in found]
            break
    return messages
