"""What the Dosaku agent did for a request: each :class:`Step` (one tool call) and the final :class:`Answer`.

Example::

    answer = dosk.do('Paint a red lighthouse, then restore the faces in it.')
    str(answer)        # the model's answer
    answer.plan        # ['TextToImage.text_to_image(prompt=...)', 'RestoreFaces.restore(image=artifact-1)']
    for step in answer.steps:
        print(step.task, step.action, step.arguments, step.summary, step.duration_s, step.error)
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

#: ``ok``: ran; ``error``: ran (or tried to) and failed; ``refused``: not allowed (permission, approval, repeat);
#: ``skipped``: not run because the step limit was reached.
StepStatus = Literal["ok", "error", "refused", "skipped"]
#: ``done``: the model answered; ``step_limit``: the step limit was reached first.
StopReason = Literal["done", "step_limit"]


@dataclass
class Step:
    """One tool call the model asked for, and what came of it.

    Attributes:
        index: 1 for the first step of the request.
        tool: The tool's name, e.g. ``'RestoreFaces__restore'`` or ``'learn_task'``.
        task: The task, e.g. ``'RestoreFaces'`` (for ``learn_task``: the task to learn).
        action: The action, e.g. ``'restore'`` (``'learn'`` for ``learn_task``).
        arguments: The arguments as the model gave them (artifact ids, not the values).
        kind: The kind of module doing it (``'module'``, ``'service'``, ``'executor'``), when known.
        status: ``'ok'``, ``'error'``, ``'refused'`` or ``'skipped'``.
        summary: The result as the model saw it (JSON; images and other values as artifact references).
        error: What went wrong (also what the model was told), or None.
        duration_s: Seconds the call took.
        value: The real result (e.g. a PIL image); not shown to the model.
        call_id: The model's id for the call.
    """

    index: int
    tool: str
    task: str
    action: str
    arguments: dict[str, Any]
    kind: str | None = None
    status: StepStatus = "ok"
    summary: Any = None
    error: str | None = None
    duration_s: float = 0.0
    value: Any = field(default=None, repr=False)
    call_id: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def call(self) -> str:
        """``'RestoreFaces.restore(image=artifact-1)'``."""
        arguments = ", ".join(f"{name}={_short(value)}" for name, value in self.arguments.items())
        name = f"learn_task({arguments})" if self.tool == "learn_task" else f"{self.task}.{self.action}({arguments})"
        return name if self.task or self.tool == "learn_task" else f"{self.tool}({arguments})"

    def for_model(self) -> str:
        """The tool result sent back to the model: ``{"result": ...}`` or ``{"error": ...}``."""
        if self.status == "ok":
            return json.dumps({"result": self.summary}, default=str)
        return json.dumps({"error": self.error}, default=str)

    def describe(self) -> str:
        """One Markdown paragraph: the call and its outcome."""
        outcome = f"→ `{_short(self.summary, 300)}`" if self.ok else f"**{self.status}:** {self.error}"
        return f"`{self.call()}` {outcome} ({self.duration_s:.2f} s)"


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Answer(str):
    """The agent's answer (the text), with the steps taken to reach it.

    Attributes:
        steps: Every :class:`Step`, in order.
        stopped: ``'done'``, or ``'step_limit'`` when the step limit cut the work short.
        artifacts: The values kept by reference (``{'artifact-1': <PIL image>, ...}``).

    Example::

        answer = dosk.do('Paint a red square.')
        answer.steps[0].value.show()       # the image
        answer.artifacts['artifact-1']     # the same image
    """

    steps: list[Step]
    stopped: StopReason
    artifacts: dict[str, Any]

    def __new__(
        cls, text: str, steps: list[Step] | None = None, stopped: StopReason = "done",
        artifacts: dict[str, Any] | None = None,
    ) -> Answer:
        answer = super().__new__(cls, text)
        answer.steps, answer.stopped, answer.artifacts = list(steps or []), stopped, dict(artifacts or {})
        return answer

    @property
    def plan(self) -> list[str]:
        """The calls made, in order, e.g. ``['TextToImage.text_to_image(prompt=red)', ...]``."""
        return [step.call() for step in self.steps]
