"""The plan Ponder asks the model for first: the names and actions of the new task and module, and where its files
go (a plugin distribution of its own)."""
from __future__ import annotations

import json
import keyword
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from dosaku_openai.pondering.replies import json_block

CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]{1,62}$")
SNAKE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: Names a pondered task or module may not take (core's tasks and modules, the agent's own attributes).
RESERVED = {"Chat", "RestoreFaces", "TextToImage", "PlayGo", "Ponder", "Tester", "EchoBot", "Task", "Module",
            "Service", "Executor", "Agent"}


def snake_case(name: str) -> str:
    """``'TicTacToe'`` -> ``'tic_tac_toe'``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def file_stem(save_filename: str | None, task_name: str) -> str:
    """The stem of the generated files: ``'tic_tac_toe.py'`` -> ``'tic_tac_toe'`` (default: from the task name)."""
    if not save_filename:
        return snake_case(task_name)
    stem = re.sub(r"\.py$", "", save_filename.strip().rsplit("/", 1)[-1])
    stem = re.sub(r"[^a-z0-9_]", "_", stem.lower()).strip("_")
    if not stem or not stem[0].isalpha():
        stem = f"p_{stem}"
    return stem


@dataclass(frozen=True)
class Action:
    name: str
    description: str = ""


@dataclass(frozen=True)
class Plan:
    """What the model decided to build.

    Attributes:
        task_name: The task class, ``CamelCase`` (e.g. ``TicTacToe``).
        module_name: The module class implementing it (e.g. ``PerfectTicTacToe``).
        summary: One line saying what the task is.
        actions: The actions (methods) the task declares.
        default_action: The action ``agent.TaskName(...)`` calls, if any.
    """

    task_name: str
    module_name: str
    summary: str
    actions: tuple[Action, ...] = field(default_factory=tuple)
    default_action: str | None = None

    def as_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


def parse_plan(reply: str) -> Plan:
    """The plan in the model's reply.

    Raises:
        ValueError: it is not a valid plan (the message says what to fix; it is sent back to the model).
    """
    try:
        data: Any = json.loads(json_block(reply))
    except ValueError as error:
        raise ValueError(f"the plan is not valid JSON ({error}); reply with one JSON object only") from None
    if not isinstance(data, dict):
        raise ValueError("the plan must be a JSON object")
    task, module = str(data.get("task_name") or ""), str(data.get("module_name") or "")
    for what, name in (("task_name", task), ("module_name", module)):
        if not CAMEL.match(name):
            raise ValueError(f"{what} {name!r} must be a CamelCase Python class name (letters and digits)")
        if name in RESERVED:
            raise ValueError(f"{what} {name!r} is already taken by Dosaku; choose another name")
    if task == module:
        raise ValueError("task_name and module_name must differ")
    actions = []
    for item in data.get("actions") or []:
        name = str(item.get("name") if isinstance(item, dict) else item)
        if not SNAKE.match(name) or keyword.iskeyword(name) or name.startswith("_"):
            raise ValueError(f"action {name!r} must be a snake_case method name")
        actions.append(Action(name, str(item.get("description", "")) if isinstance(item, dict) else ""))
    if not actions:
        raise ValueError("the plan needs at least one action")
    default = data.get("default_action") or None
    if default is not None and default not in {a.name for a in actions}:
        raise ValueError(f"default_action {default!r} is not one of the actions")
    summary = "".join(ch for ch in " ".join(str(data.get("summary") or task).split()) if ch.isprintable())[:200]
    return Plan(task, module, summary, tuple(actions), default)
