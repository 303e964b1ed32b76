"""How a local model calls tools: the formats a reply takes, how the conversation is shown to the model, and
reading a reply back into :class:`dosaku.tool_calls.ToolCall` s.

Two formats (a :class:`ToolFormat` each):

``hermes``
    The chat template's own tool format, for GGUFs whose template has one in the Hermes / Qwen 2.5 style (the
    template mentions ``<tool_call>``): the template is given the tools and renders them itself, a call is
    ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>``, earlier calls are rendered by the template
    from the assistant messages' ``tool_calls`` and the results from ``tool`` messages. Any other reply is plain text.
``json``
    Dosaku's own format, for every other template (SmolLM2's has no tool format). The system prompt lists the
    tools and asks for exactly one JSON object per reply::

        {"tool": "TextToImage__text_to_image", "arguments": {"prompt": "a red fox"}}    # a call
        {"answer": "Here is your fox."}                                                # plain text

    Earlier calls are shown as the assistant's JSON; the results as a user turn, one line per result:
    ``Result of TextToImage__text_to_image: {"result": ...}``. Works with any template.

With the grammar (the default), the model can only produce these shapes, with one offered tool's name and arguments
valid under its schema, so every reply reads back; without it the same prompt is used and the reply is read
leniently, each failure counted in :class:`ParsedReply` (never raised).

Example::

    form = choose_format(template_text, 'auto')
    tools = offered_tools(agent_tools)                  # {'TextToImage__text_to_image': Tool(...), ...}
    parsed = form.parse('{"tool": "learn_task", "arguments": {"task": "PlayGo"}}', tools)
    parsed.calls[0].name, parsed.calls[0].arguments    # ('learn_task', {'task': 'PlayGo'})
"""
from __future__ import annotations

import copy
import itertools
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from dosaku.errors import DosakuError
from dosaku.tool_calls import ToolCall

from dosaku_llamacpp.tool_grammar import ARRAY_LIMIT, STRING_LIMIT, bounded, json_grammar, schema_errors

FORMATS = ("auto", "json", "hermes")
#: tool_choice values: the model may answer or call, must answer, or must call.
CHOICES = ("auto", "none", "required")
_DECODER = json.JSONDecoder(strict=False)
_ids = itertools.count(1)


@dataclass(frozen=True)
class Tool:
    """One offered tool: its name, description and JSON schema of its arguments (an object)."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def as_openai(self) -> dict[str, Any]:
        """The OpenAI form (what chat templates expect in ``tools``)."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.parameters}}

    def signature(self) -> str:
        """One line for a prompt: ``name(prompt: string, steps?: integer) - description``."""
        properties = self.parameters.get("properties") or {}
        required = set(self.parameters.get("required") or ())
        arguments = []
        for name, schema in properties.items():
            kind = schema.get("type", "any") if isinstance(schema, dict) else "any"
            if isinstance(schema, dict) and "enum" in schema:
                kind = " | ".join(json.dumps(option) for option in schema["enum"])
            arguments.append(f"{name}{'' if name in required else '?'}: {kind}")
        return f"{self.name}({', '.join(arguments)}) - {self.description}".strip()


def offered_tools(tools: list[dict[str, Any]] | None) -> dict[str, Tool]:
    """``{name: Tool}`` from OpenAI-style tool schemas (``{'type': 'function', 'function': {...}}``, or the inner
    ``{'name': ..., 'parameters': ...}``).

    Raises:
        DosakuError: a tool has no name, or two tools have the same name.
    """
    found: dict[str, Tool] = {}
    for tool in tools or ():
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not isinstance(name, str) or not name:
            raise DosakuError(f"LlamaCppChat: a tool has no name: {str(tool)[:200]}. Give OpenAI-style tool schemas.")
        if name in found:
            raise DosakuError(f"LlamaCppChat: two tools are named {name!r}; tool names must be unique.")
        parameters = function.get("parameters") or {"type": "object", "properties": {}}
        found[name] = Tool(name, str(function.get("description") or ""), parameters)
    return found


def new_call_id() -> str:
    """A fresh tool-call id (``call_<n>_<random>``)."""
    return f"call_{next(_ids)}_{uuid.uuid4().hex[:8]}"


@dataclass
class ParsedReply:
    """A reply read back: its text, its tool calls, and how the reading went.

    Attributes:
        text: The plain-text part (the answer).
        calls: The tool calls, each with an offered tool's name and its arguments.
        attempted: How many tool calls the model tried to make (valid or not).
        invalid: Why each attempted call that was not a valid call of an offered tool failed (unparseable, an
            unknown tool, arguments against the schema).
        truncated: The reply was cut by the token limit or the context window (and closed to read it).
        raw: What the model wrote.
    """

    text: str
    calls: list[ToolCall] = field(default_factory=list)
    attempted: int = 0
    invalid: list[str] = field(default_factory=list)
    truncated: bool = False
    raw: str = ""

    @property
    def valid(self) -> int:
        """How many attempted calls were valid (parseable, an offered tool, schema-valid arguments)."""
        return self.attempted - len(self.invalid)


# --- reading JSON that may be cut short ------------------------------------------------------------------------
def partial_string(text: str) -> str:
    """The value of a JSON string whose opening quote was already read, up to its closing quote or the end of
    ``text`` (an escape cut in half is dropped): ``'Hello \\\\"w'`` -> ``'Hello "w'``."""
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char == '"':
            break
        if char != "\\":
            out.append(char)
            index += 1
            continue
        if index + 1 >= len(text):
            break
        code = text[index + 1]
        if code == "u":
            digits = text[index + 2:index + 6]
            if len(digits) < 4 or not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                break
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(code, code))
        index += 2
    return "".join(out)


def close_json(text: str) -> str:
    """``text`` (the start of one JSON value) completed so that it parses: an open string is closed, a key
    left without a value gets ``null``, a trailing comma or half-written literal is dropped, open arrays and objects
    are closed. ``'{"a": [1, "x'`` -> ``'{"a": [1, "x"]}'``."""
    stack: list[str] = []
    in_string = escape = False
    # per open object: whether the next string is a key
    keys: list[bool] = []
    last_structural = -1
    for index, char in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif char == "\\":
                escape = True
            elif char == '"':
                in_string = False
                last_structural = index
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append(char)
            keys.append(char == "{")
            last_structural = index
        elif char in "}]":
            if stack:
                stack.pop()
                keys.pop()
            last_structural = index
        elif char in ",:":
            if char == "," and stack and stack[-1] == "{":
                keys[-1] = True
            elif char == ":" and keys:
                keys[-1] = False
            last_structural = index
    out = text
    if in_string:
        if escape:
            out = out[:-1]
        out += '"'
    else:
        out = out[: last_structural + 1] if _dangling_literal(out[last_structural + 1:]) else out
    stripped = out.rstrip()
    if stripped.endswith(","):
        out = stripped[:-1]
    elif stripped.endswith(":"):
        out = stripped + " null"
    elif stack and stack[-1] == "{" and stripped.endswith('"') and _ends_with_key(stripped):
        out = stripped + ": null"
    for opener in reversed(stack):
        out += "}" if opener == "{" else "]"
    return out


def _dangling_literal(tail: str) -> bool:
    """Whether ``tail`` (after the last structural character) is a number or literal cut short."""
    tail = tail.strip()
    if not tail:
        return False
    try:
        json.loads(tail)
    except ValueError:
        return True
    return False


def _ends_with_key(text: str) -> bool:
    """Whether the string ending ``text`` is an object key (preceded by ``{`` or ``,``), not a value."""
    index = len(text) - 2
    while index >= 0:  # find the opening quote of the last string
        if text[index] == '"' and (index == 0 or text[index - 1] != "\\"):
            break
        index -= 1
    before = text[:index].rstrip()
    return before.endswith(("{", ","))


def first_json_object(text: str, truncated: bool = False) -> tuple[Any, str] | None:
    """The first JSON object in ``text`` and the text before it, or None (a cut-short object is closed first)."""
    start = text.find("{")
    while start != -1:
        candidate = text[start:]
        for attempt in (candidate, close_json(candidate)) if truncated else (candidate,):
            try:
                value, _ = _DECODER.raw_decode(attempt)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value, text[:start]
        start = text.find("{", start + 1)
    return None


# --- the formats -------------------------------------------------------------------------------------------------
class ToolFormat:
    """How replies call tools, for one kind of chat template. See the module docstring."""

    name = ""
    #: Whether the chat template renders the tools itself (they are passed to it as ``tools``).
    template_renders_tools = False

    def grammar(self, tools: dict[str, Tool], choice: str | None = None, string_limit: int = STRING_LIMIT,
                array_limit: int = ARRAY_LIMIT, loose: bool = False) -> str:
        """The GBNF for a reply: plain text (unless ``choice`` is ``'required'`` or a tool's name) or a call of
        one of ``tools`` (only the named one, when ``choice`` names one). ``loose`` lets the arguments be any JSON
        object (the fallback when a tool's schema gives a grammar llama.cpp cannot parse)."""
        raise NotImplementedError

    def call_schema(self, tools: dict[str, Tool], choice: str | None, name_key: str, arguments_key: str,
                    string_limit: int, array_limit: int, loose: bool) -> dict[str, Any]:
        chosen = [tools[choice]] if choice in tools else list(tools.values())
        shapes = []
        for tool in chosen:
            arguments = {"type": "object"} if loose else _convertible(
                bounded(_object_schema(tool.parameters), string_limit, array_limit))
            shapes.append({"type": "object", "properties": {name_key: {"const": tool.name}, arguments_key: arguments},
                           "required": [name_key, arguments_key]})
        return {"oneOf": shapes} if len(shapes) > 1 else shapes[0]

    def instructions(self, tools: dict[str, Tool], choice: str | None = None) -> str:
        """What the system prompt says about the tools (empty when the template renders them)."""
        return ""

    def render(self, messages: list[dict[str, Any]], tools: dict[str, Tool], choice: str | None = None,
               offering: bool = True) -> list[dict[str, Any]]:
        """The conversation as the chat template is given it (Dosaku keeps it in OpenAI's form)."""
        raise NotImplementedError

    def is_call(self, raw: str) -> bool | None:
        """Whether the reply so far is a tool call (None: cannot tell yet)."""
        raise NotImplementedError

    def visible(self, raw: str) -> str | None:
        """The plain text of the reply so far, for streaming (None while it is, or may be, a call)."""
        raise NotImplementedError

    def parse(self, raw: str, tools: dict[str, Tool], truncated: bool = False) -> ParsedReply:
        """Read a reply back. Never raises: what cannot be read is counted in ``invalid``."""
        raise NotImplementedError

    # shared
    def _call(self, name: Any, arguments: Any, tools: dict[str, Tool], parsed: ParsedReply) -> None:
        parsed.attempted += 1
        if not isinstance(name, str) or name not in tools:
            parsed.invalid.append(f"{name!r} is not an offered tool")
            if not isinstance(name, str):
                return
        if not isinstance(arguments, dict):
            parsed.invalid.append(f"the arguments of {name} are not a JSON object: {str(arguments)[:100]}")
            arguments = {}
        elif name in tools:
            errors = schema_errors(arguments, tools[name].parameters)
            if errors:
                parsed.invalid.append(f"{name}: {'; '.join(errors)}")
        parsed.calls.append(ToolCall(new_call_id(), name, arguments, json.dumps(arguments, ensure_ascii=False)))


def tool_listing(tools: dict[str, Tool]) -> str:
    """The tools for a prompt, one line each: ``- name(argument: type, optional?: type) - description``. (Each
    line keeps its whole description: SmolLM2 picks tools worse when a task's summary is said only once.)"""
    return "\n".join(f"- {tool.signature()}" for tool in tools.values())


def _without(schema: Any, keys: frozenset[str]) -> Any:
    if isinstance(schema, list):
        return [_without(item, keys) for item in schema]
    if isinstance(schema, dict):
        return {key: _without(value, keys) for key, value in schema.items() if key not in keys}
    return schema


_UNHOLDABLE = frozenset({"pattern", "format"})


def _convertible(arguments: dict[str, Any]) -> dict[str, Any]:
    """``arguments`` if the grammar converter can read it; else without patterns and formats (which it reads only
    in part: no look-arounds...); else any JSON object. What the grammar cannot hold, the schema check after still
    catches."""
    for candidate in (arguments, _without(arguments, _UNHOLDABLE)):
        try:
            json_grammar(candidate)
        except Exception:  # noqa: BLE001 - the converter asserts on what it does not support
            continue
        return candidate
    return {"type": "object"}


def _object_schema(parameters: dict[str, Any]) -> dict[str, Any]:
    """A tool's parameters schema, made an object schema if it does not say so (an empty one takes ``{}``)."""
    schema = dict(parameters or {})
    if "type" not in schema and not any(key in schema for key in ("anyOf", "oneOf", "allOf", "$ref")):
        schema["type"] = "object"
    if schema.get("type") == "object" and "properties" not in schema and "additionalProperties" not in schema:
        schema["properties"] = {}
    return schema


def _call_name(messages: list[dict[str, Any]], call_id: str) -> str:
    for message in messages:
        for call in message.get("tool_calls") or ():
            if call.get("id") == call_id:
                return call.get("function", {}).get("name", "")
    return ""


def _call_arguments(call: dict[str, Any]) -> dict[str, Any]:
    raw = call.get("function", {}).get("arguments") or "{}"
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class JsonToolFormat(ToolFormat):
    """Dosaku's own format: one JSON object per reply, ``{"tool": ..., "arguments": ...}`` or ``{"answer": ...}``."""

    name = "json"
    ANSWER, TOOL, ARGUMENTS = "answer", "tool", "arguments"
    _CALL_START = re.compile(r'^\s*\{\s*"tool"')
    _ANSWER_START = re.compile(r'^\s*\{\s*"answer"\s*:\s*"')
    _CALL_HEAD, _ANSWER_HEAD = '{"tool"', '{"answer":"'

    def grammar(self, tools: dict[str, Tool], choice: str | None = None, string_limit: int = STRING_LIMIT,
                array_limit: int = ARRAY_LIMIT, loose: bool = False) -> str:
        answer = {"type": "object", "properties": {self.ANSWER: {"type": "string"}}, "required": [self.ANSWER]}
        if not tools:
            return json_grammar(answer)
        call = self.call_schema(tools, choice, self.TOOL, self.ARGUMENTS, string_limit, array_limit, loose)
        if choice == "required" or choice in tools:
            return json_grammar(call)
        shapes = call["oneOf"] if "oneOf" in call else [call]
        return json_grammar({"oneOf": [answer, *shapes]})

    def instructions(self, tools: dict[str, Tool], choice: str | None = None) -> str:
        if not tools:
            return ('No tools can be used now. Reply with exactly one JSON object and nothing else: '
                    '{"answer": "<your answer>"}.')
        listing = tool_listing(tools)
        if choice == "required" or choice in tools:
            rule = ('Reply with exactly one JSON object that calls a tool: {"tool": "<tool name>", "arguments": '
                    '{<argument name>: <value>, ...}}.')
        else:
            rule = ('Reply with exactly one JSON object and nothing else. To call a tool: {"tool": "<tool name>", '
                    '"arguments": {<argument name>: <value>, ...}}. To answer the user: {"answer": "<your answer>"}.')
        return (f"{rule} Call one tool at a time: its result comes back to you, then call the next tool or answer. "
                f"Use a tool only when the request needs it.\nTools:\n{listing}")

    def render(self, messages: list[dict[str, Any]], tools: dict[str, Tool], choice: str | None = None,
               offering: bool = True) -> list[dict[str, Any]]:
        rendered: list[dict[str, Any]] = []
        results: list[str] = []

        def flush(after: str | None = None) -> None:
            if results:
                text = "\n".join(results)
                rendered.append({"role": "user", "content": f"{text}\n\n{after}" if after else text})
                results.clear()
            elif after is not None:
                rendered.append({"role": "user", "content": after})

        for message in messages:
            role = message.get("role")
            if role == "tool":
                name = _call_name(messages, message.get("tool_call_id", "")) or "the tool"
                results.append(f"Result of {name}: {message.get('content', '')}")
                continue
            if role == "user":
                flush(str(message.get("content") or ""))
                continue
            flush()
            if role == "assistant" and message.get("tool_calls"):
                parts = [json.dumps({self.TOOL: call.get("function", {}).get("name", ""),
                                     self.ARGUMENTS: _call_arguments(call)}, ensure_ascii=False)
                         for call in message["tool_calls"]]
                rendered.append({"role": "assistant", "content": "\n".join(parts)})
            elif role == "assistant" and offering:
                answer = json.dumps({self.ANSWER: message.get("content") or ""}, ensure_ascii=False)
                rendered.append({"role": "assistant", "content": answer})
            else:
                rendered.append({"role": role, "content": str(message.get("content") or "")})
        flush()
        if offering:
            note = self.instructions(tools, choice)
            if rendered and rendered[0]["role"] == "system":
                rendered[0] = {"role": "system", "content": f"{rendered[0]['content']}\n\n{note}"}
            else:
                rendered.insert(0, {"role": "system", "content": note})
        return rendered

    def is_call(self, raw: str) -> bool | None:
        if self._CALL_START.match(raw):
            return True
        if self._ANSWER_START.match(raw):
            return False
        head = re.sub(r"\s+", "", raw[:64])
        return None if self._CALL_HEAD.startswith(head) or self._ANSWER_HEAD.startswith(head) else False

    def visible(self, raw: str) -> str | None:
        match = self._ANSWER_START.match(raw)
        if match:
            return partial_string(raw[match.end():])
        return None if self.is_call(raw) is not False else raw

    def parse(self, raw: str, tools: dict[str, Tool], truncated: bool = False) -> ParsedReply:
        parsed = ParsedReply("", raw=raw, truncated=truncated)
        found = first_json_object(raw, truncated)
        if found is None:
            parsed.text = raw.strip()
            if '"tool"' in raw or self._CALL_START.match(raw):
                parsed.attempted, parsed.invalid = 1, ["the call is not valid JSON"]
            return parsed
        value, before = found
        if self.TOOL in value or "name" in value and ("arguments" in value or "parameters" in value):
            name = value.get(self.TOOL, value.get("name"))
            arguments = value.get(self.ARGUMENTS, value.get("parameters", {}))
            self._call(name, arguments, tools, parsed)
            parsed.text = before.strip()
        elif isinstance(value.get(self.ANSWER), str):
            parsed.text = (before + value[self.ANSWER]).strip()
        else:
            parsed.text = raw.strip()
        return parsed


class HermesToolFormat(ToolFormat):
    """The Hermes / Qwen 2.5 template format: ``<tool_call>{"name": ..., "arguments": ...}</tool_call>``."""

    name = "hermes"
    template_renders_tools = True
    OPEN, CLOSE = "<tool_call>", "</tool_call>"
    # plain text: anything that does not start with '<' and never has '<t' (so no <tool_call> in it)
    TEXT_RULES = 'text ::= [^<] text-char*\ntext-char ::= [^<] | "<" [^t]'

    def grammar(self, tools: dict[str, Tool], choice: str | None = None, string_limit: int = STRING_LIMIT,
                array_limit: int = ARRAY_LIMIT, loose: bool = False) -> str:
        call = self.call_schema(tools, choice, "name", "arguments", string_limit, array_limit, loose)
        block = r'"<tool_call>\n" call "\n</tool_call>"'
        if choice == "required" or choice in tools:
            return json_grammar(call, name="call", extra=f"root ::= {block}")
        return json_grammar(call, name="call", extra=f"root ::= {block} | text\n{self.TEXT_RULES}")

    def render(self, messages: list[dict[str, Any]], tools: dict[str, Tool], choice: str | None = None,
               offering: bool = True) -> list[dict[str, Any]]:
        rendered = []
        for message in messages:
            message = copy.deepcopy(message)
            if message.get("role") == "assistant" and message.get("tool_calls"):
                message["content"] = message.get("content") or ""
                message["tool_calls"] = [
                    {"id": call.get("id"), "type": "function",
                     "function": {"name": call.get("function", {}).get("name", ""), "arguments": _call_arguments(call)}}
                    for call in message["tool_calls"]
                ]
            elif message.get("role") == "tool":
                message["name"] = _call_name(messages, message.get("tool_call_id", ""))
            message["content"] = "" if message.get("content") is None else message["content"]
            rendered.append(message)
        if offering and (choice == "required" or choice in tools):
            note = ("Call a tool now." if choice == "required" else f"Call the tool {choice} now.")
            if rendered and rendered[0]["role"] == "system":
                rendered[0]["content"] = f"{rendered[0]['content']}\n\n{note}"
        return rendered

    def is_call(self, raw: str) -> bool | None:
        text = raw.lstrip()
        if text.startswith(self.OPEN):
            return True
        return None if self.OPEN.startswith(text) else False

    def visible(self, raw: str) -> str | None:
        if self.is_call(raw) is not False:
            return None
        return raw.split(self.OPEN, 1)[0]

    def parse(self, raw: str, tools: dict[str, Tool], truncated: bool = False) -> ParsedReply:
        parsed = ParsedReply("", raw=raw, truncated=truncated)
        text, _, rest = raw.partition(self.OPEN)
        parsed.text = text.strip()
        blocks = [rest] if _ else []
        while blocks and self.OPEN in blocks[-1]:
            last = blocks.pop()
            head, _, tail = last.partition(self.OPEN)
            blocks += [head, tail]
        for block in blocks:
            body = block.split(self.CLOSE, 1)[0]
            found = first_json_object(body, truncated or self.CLOSE not in block)
            if found is None:
                parsed.attempted += 1
                parsed.invalid.append("the call is not valid JSON")
                continue
            value = found[0]
            self._call(value.get("name"), value.get("arguments", value.get("parameters", {})), tools, parsed)
        return parsed


def template_has_hermes_tools(template: str | None) -> bool:
    """Whether a chat template has the Hermes / Qwen 2.5 tool format."""
    return bool(template) and "<tool_call>" in template and "tools" in template


def choose_format(template: str | None, requested: str = "auto") -> ToolFormat:
    """The tool format for a model whose chat template is ``template``: the template's own when it has one (and
    ``requested`` is ``'auto'``), else Dosaku's JSON format.

    Raises:
        DosakuError: ``requested`` is not one of :data:`FORMATS`.
    """
    if requested not in FORMATS:
        raise DosakuError(f"LlamaCppChat: tool_format must be one of {', '.join(FORMATS)}, not {requested!r}.")
    if requested == "hermes" or requested == "auto" and template_has_hermes_tools(template):
        return HermesToolFormat()
    return JsonToolFormat()


def tool_choice_name(tool_choice: str | dict[str, Any] | None, tools: dict[str, Tool]) -> str | None:
    """``tool_choice`` as a string: None/'auto', 'none', 'required', or the name of the one tool to call.

    Raises:
        DosakuError: an unknown value, or a tool that is not offered.
    """
    if tool_choice is None or tool_choice == "auto":
        return None
    if isinstance(tool_choice, str) and tool_choice in CHOICES:
        return tool_choice
    name = tool_choice.get("function", {}).get("name") if isinstance(tool_choice, dict) else None
    if not isinstance(name, str):
        raise DosakuError(f"LlamaCppChat: tool_choice must be 'auto', 'none', 'required' or "
                          f"{{'type': 'function', 'function': {{'name': ...}}}}, not {tool_choice!r}.")
    if name not in tools:
        raise DosakuError(f"LlamaCppChat: tool_choice names {name!r}, which is not one of the offered tools "
                          f"({', '.join(tools) or 'none'}).")
    return name
