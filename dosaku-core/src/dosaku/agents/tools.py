"""Every learned task's actions as tools (JSON-schema functions, the OpenAI format) for a chat model.

A tool is named ``Task__action``; its description is the action's docstring summary and its parameters come from
the type hints and the docstring's ``Args:`` section. Arguments that are not JSON (images...) are artifact ids.
"""
from __future__ import annotations

import inspect
import re
from typing import Any

SEPARATOR = "__"
ARTIFACT = "an artifact id such as 'artifact-1' (a result of an earlier step)"
_SIMPLE = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


def tool_name(task: str, action: str) -> str:
    """``'RestoreFaces__restore'``."""
    return f"{task}{SEPARATOR}{action}"


def split_tool_name(name: str) -> tuple[str, str]:
    """``('RestoreFaces', 'restore')`` from ``'RestoreFaces__restore'`` (``('', name)`` if it is not one)."""
    task, separator, action = name.partition(SEPARATOR)
    return (task, action) if separator else ("", name)


def docstring_args(doc: str) -> dict[str, str]:
    """The descriptions in a Google-style ``Args:`` section."""
    match = re.search(r"^\s*Args:\s*$(.*?)(?=^\s*(Returns|Raises|Example|Examples|Yields)\b|\Z)", doc, re.M | re.S)
    if not match:
        return {}
    found: dict[str, str] = {}
    current = None
    for line in match.group(1).splitlines():
        item = re.match(r"^\s{2,}\**(\w+)(\s*\([^)]*\))?:\s*(.*)$", line)
        if item and (current is None or len(line) - len(line.lstrip()) <= _indent(match.group(1))):
            current = item.group(1)
            found[current] = item.group(3).strip()
        elif current and line.strip():
            found[current] += " " + line.strip()
    return found


def _indent(block: str) -> int:
    lines = [line for line in block.splitlines() if line.strip()]
    return min((len(line) - len(line.lstrip()) for line in lines), default=0)


def json_schema(annotation: Any) -> dict[str, Any]:
    """A JSON schema for a parameter's annotation (a string under ``from __future__ import annotations``)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    parts = [part.strip() for part in text.split("|") if part.strip() != "None"]
    text = parts[0] if len(parts) == 1 else text
    if text in _SIMPLE:
        return {"type": _SIMPLE[text]}
    if text.startswith(("list", "tuple", "Sequence")):
        inner = re.search(r"\[(.*)\]", text)
        items = json_schema(inner.group(1).split(",")[0]) if inner else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if text.startswith(("dict", "Mapping")):
        return {"type": "object"}
    if text in ("Any", "inspect._empty", "_empty"):
        return {}
    return {"type": "string", "description": ARTIFACT}


def action_tool(task: str, task_class: type, action: str) -> dict[str, Any]:
    """The tool describing ``task.action``."""
    function = getattr(task_class, action)
    doc = inspect.getdoc(function) or ""
    described = docstring_args(doc)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, parameter in inspect.signature(function).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        schema = json_schema(parameter.annotation)
        if name in described:
            description = described[name]
            if schema.get("description") == ARTIFACT:
                description = f"{description} Give {ARTIFACT}."
            schema["description"] = description
        properties[name] = schema
        if parameter.default is parameter.empty:
            required.append(name)
    summary = doc.split("\n\n")[0].replace("\n", " ").strip()
    task_summary = (inspect.getdoc(task_class) or "").split("\n")[0]
    return {
        "type": "function",
        "function": {
            "name": tool_name(task, action),
            "description": f"{task} ({task_summary}): {summary}"[:1000],
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


def learn_tool(learnable: dict[str, str]) -> dict[str, Any]:
    """A tool that learns one more task, listing those that can be learned."""
    listing = "; ".join(f"{name}: {summary}" for name, summary in sorted(learnable.items()))
    return {
        "type": "function",
        "function": {
            "name": "learn_task",
            "description": f"Learn a task so its actions become tools you can use. Learnable tasks: {listing}"[:1000],
            "parameters": {
                "type": "object",
                "properties": {"task": {"type": "string", "enum": sorted(learnable)}},
                "required": ["task"],
            },
        },
    }
