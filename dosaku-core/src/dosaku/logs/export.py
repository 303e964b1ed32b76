"""A logged conversation as JSON (everything, for programs) or Markdown (to read or share).

Example::

    from dosaku.logs import LogStore
    from dosaku.logs.export import to_markdown

    print(to_markdown(LogStore().show('01j9x3')))
"""
from __future__ import annotations

import datetime as _dt
import json

from dosaku.logs.records import ConversationRecord, LoggedStep

ROLE_TITLES = {"user": "User", "assistant": "Assistant", "tool": "Tool result", "system": "System"}


def when(seconds: float) -> str:
    """``seconds`` since the epoch as local ISO time, to the second."""
    return _dt.datetime.fromtimestamp(seconds).isoformat(sep=" ", timespec="seconds")


def to_json(record: ConversationRecord) -> str:
    """Every field of the conversation, its messages and steps (artifacts by path), as indented JSON."""
    return json.dumps(record.as_dict(), indent=2, ensure_ascii=False, default=str)


def _step_markdown(step: LoggedStep) -> list[str]:
    outcome = f"`{json.dumps(step.summary, ensure_ascii=False, default=str)}`" if step.status == "ok" else (
        f"**{step.status}:** {step.error}")
    lines = [f"> **Step {step.index}:** `{step.call()}` → {outcome} ({(step.duration_s or 0):.2f} s)"]
    lines += [f">\n> ![{artifact.label or artifact.hash[:12]}]({artifact.path})" for artifact in step.artifacts]
    return [*lines, ""]


def to_markdown(record: ConversationRecord) -> str:
    """The conversation to read: a title, what had it, then each message (and the steps after it) in turn."""
    summary = record.summary
    lines = [f"# {summary.title or '(untitled)'}", ""]
    facts = [("id", summary.id), ("started", when(summary.started)), ("agent", summary.agent),
             ("module", summary.module), ("model", summary.model)]
    lines += [f"- **{name}:** {value}" for name, value in facts if value]
    lines.append("")
    if record.system_prompt:
        lines += ["## System", "", record.system_prompt, ""]
    steps_after: dict[int, list[LoggedStep]] = {}
    for step in record.steps:
        steps_after.setdefault(step.after_position, []).append(step)
    for step in steps_after.pop(-1, []):
        lines += _step_markdown(step)
    for message in record.messages:
        calls = message.extra.get("tool_calls") or []
        if message.content or message.role != "assistant" or not calls:
            usage = ""
            if message.completion_tokens is not None or message.duration_s is not None:
                parts = []
                if message.prompt_tokens is not None or message.completion_tokens is not None:
                    parts.append(f"{message.prompt_tokens or 0}+{message.completion_tokens or 0} tokens")
                if message.cost_usd is not None:
                    parts.append(f"${message.cost_usd:.6f}")
                if message.duration_s is not None:
                    parts.append(f"{message.duration_s:.2f} s")
                usage = f" ({', '.join(parts)})"
            lines += [f"## {ROLE_TITLES.get(message.role, message.role)} · {when(message.created)}{usage}", "",
                      message.content, ""]
        for step in steps_after.get(message.position, []):
            lines += _step_markdown(step)
    return "\n".join(lines).rstrip() + "\n"
