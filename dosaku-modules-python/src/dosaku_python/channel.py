"""The result channel, read on the agent's side: a pipe the sandboxed code can write anything to.

What arrives is: a header the runner wrote *before* the code ran (``R`` and the layers that held, one JSON line:
trusted), or ``F`` and why the set-up failed; then the result, which the code controls completely. The collector
stops reading at ``result_kb`` (so a flood costs bounded memory), and :func:`read_channel` parses the result only
after cheap checks (size, number of containers), and then checks its depth and its shape field by field. Whatever
is wrong comes back as a problem (a sentence) that the sandbox turns into a ``RunResult`` with a ``ResultInvalid``
error; nothing here raises anything but :class:`~dosaku_python.errors.SandboxError`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MAX_HEADER = 64 * 1024
MAX_CONTAINERS = 20_000
MAX_DEPTH = 64
MAX_TEXT = 20_000
FIELDS = {"value", "value_repr", "json", "error", "exit_code", "limit"}
ERROR_FIELDS = {"type": str, "message": str, "line": (int, type(None)), "traceback": str}
CODE_LIMITS = {None, "memory"}


@dataclass
class Channel:
    """What the channel carried.

    Attributes:
        started: The runner wrote its header: the sandbox was up and the code ran.
        setup_error: Why the sandbox's set-up failed (the runner's own report), when it did.
        layers: The layers the runner reports as held (written before the code ran).
        data: The code's result, validated (None when it sent none or an invalid one).
        problem: What was wrong with the result, when something was.
    """

    started: bool = False
    setup_error: str | None = None
    layers: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    problem: str | None = None


def read_channel(raw: bytes, limit_bytes: int) -> Channel:
    """Parse what the channel carried (``raw`` is already cut at ``limit_bytes`` plus the header)."""
    if raw[:1] not in (b"R", b"F"):
        return Channel()
    header, newline, rest = raw[1:MAX_HEADER].partition(b"\n")
    if not newline:
        return Channel(setup_error="the sandbox's set-up report was cut short")
    try:
        report = json.loads(header)
    except ValueError:
        return Channel(setup_error="the sandbox's set-up report is not JSON")
    if raw[:1] == b"F":
        return Channel(setup_error=str(report.get("error", report))[:4000] if isinstance(report, dict) else "?")
    channel = Channel(started=True, layers=report if isinstance(report, dict) else {})
    rest = raw[1 + len(header) + 1:]
    if not rest:
        return channel
    channel.data, channel.problem = parse_result(rest, limit_bytes)
    return channel


def parse_result(raw: bytes, limit_bytes: int) -> tuple[dict[str, Any] | None, str | None]:
    """The code's result as a validated dict, or None and what was wrong with it."""
    if len(raw) > limit_bytes:
        return None, (f"the result is larger than {limit_bytes // 1024} KiB (result_kb): return a smaller value, "
                      f"or print it")
    containers = raw.count(b"[") + raw.count(b"{")
    if containers > MAX_CONTAINERS:
        return None, f"the result holds more than {MAX_CONTAINERS} lists and objects: return a smaller value"
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        return None, f"the result is nested deeper than {MAX_DEPTH} levels"
    except (ValueError, UnicodeDecodeError) as error:
        return None, f"the result is not valid JSON ({str(error)[:200]})"
    problem = shape_problem(data)
    return (None, problem) if problem else (data, None)


def depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def shape_problem(data: Any) -> str | None:
    """What is wrong with the shape of a result, or None."""
    if not isinstance(data, dict):
        return f"the result must be a JSON object, not a {type(data).__name__}"
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        return f"the result has unknown fields {unknown[:5]}"
    if depth(data.get("value")) > MAX_DEPTH:
        return f"the result is nested deeper than {MAX_DEPTH} levels"
    if not isinstance(data.get("value_repr"), (str, type(None))) or len(data.get("value_repr") or "") > MAX_TEXT:
        return "the result's value_repr must be a string of at most 20000 characters"
    if not isinstance(data.get("json", True), bool):
        return "the result's json field must be true or false"
    code = data.get("exit_code", 0)
    if not _is_int(code) or not -(2**31) <= code < 2**31:
        return f"the result's exit_code must be a whole number, not {str(code)[:50]!r}"
    if data.get("limit") not in CODE_LIMITS:
        return f"the result's limit must be null or 'memory', not {str(data.get('limit'))[:50]!r}"
    error = data.get("error")
    if error is not None:
        if not isinstance(error, dict) or set(error) != set(ERROR_FIELDS):
            return f"the result's error must be an object with exactly the fields {sorted(ERROR_FIELDS)}"
        for name, kind in ERROR_FIELDS.items():
            value = error[name]
            if not isinstance(value, kind) or isinstance(value, bool) or (
                    isinstance(value, str) and len(value) > MAX_TEXT):
                return f"the result's error.{name} has the wrong type or is too long"
    return None
