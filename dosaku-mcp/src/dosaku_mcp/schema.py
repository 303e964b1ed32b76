"""An MCP tool's JSON schema as a Python action: a signature whose annotations are type names (what
:func:`dosaku.agents.tools.json_schema` reads back), and a Google-style docstring whose ``Args:`` carry the
properties' descriptions (what :func:`dosaku.agents.tools.docstring_args` reads back).

Example::

    action = Action.from_tool({'name': 'get-time', 'description': 'The time.', 'input_schema': {
        'type': 'object', 'properties': {'timezone': {'type': 'string', 'description': 'IANA name.'}},
        'required': ['timezone']}}, taken=set())
    action.name                   # 'get_time'
    str(action.signature)         # "(self, timezone: 'str') -> 'Any'"
"""
from __future__ import annotations

import inspect
import json
import keyword
import re
from typing import Any

_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "object": "dict", "array": "list"}
#: An argument left out of a call: the server's own default applies.
OMITTED: Any = None


def identifier(name: str, taken: set[str]) -> str:
    """``name`` as a Python identifier not in ``taken`` (``'get-time'`` -> ``'get_time'``, ``'from'`` ->
    ``'from_'``, ``'9lives'`` -> ``'tool_9lives'``, duplicates get ``_2``, ``_3``...)."""
    text = re.sub(r"\W", "_", name).strip("_") or "tool"
    if text[0].isdigit():
        text = f"tool_{text}"
    if keyword.iskeyword(text) or keyword.issoftkeyword(text):
        text += "_"
    candidate, number = text, 2
    while candidate in taken:
        candidate, number = f"{text}_{number}", number + 1
    return candidate


def annotation(schema: Any) -> str:
    """The Python type name standing for a property's JSON schema (``'str'``, ``'list[int]'``, ``'dict'``,
    ``'Any'``...); ``| None`` when null is allowed."""
    if not isinstance(schema, dict):
        return "Any"
    types = schema.get("type")
    options = schema.get("anyOf") or schema.get("oneOf")
    if types is None and isinstance(options, list):
        names = [annotation(option) for option in options]
        nullable = "None" in names
        names = [name for name in dict.fromkeys(names) if name != "None"]
        base = names[0] if len(names) == 1 else "Any"
        return f"{base} | None" if nullable and base != "Any" else base
    if types is None and "enum" in schema:
        values = schema["enum"]
        kinds = {type(value).__name__ for value in values if value is not None}
        return {"str": "str", "int": "int", "float": "float", "bool": "bool"}.get(kinds.pop(), "Any") if len(
            kinds) == 1 else "Any"
    if isinstance(types, list):
        names = [_TYPES.get(name, "Any") for name in types if name != "null"]
        base = names[0] if len(names) == 1 else "Any"
        return f"{base} | None" if "null" in types and base != "Any" else base
    if types == "null":
        return "None"
    base = _TYPES.get(types, "Any")
    if base == "list" and isinstance(schema.get("items"), dict):
        inner = annotation(schema["items"])
        return f"list[{inner}]" if inner not in ("Any", "None") else "list"
    return base


def describe(schema: Any) -> str:
    """A property's description, with what its Python annotation cannot say (allowed values, format, default)."""
    if not isinstance(schema, dict):
        return ""
    text = " ".join(str(schema.get("description") or schema.get("title") or "").split())
    notes = []
    if isinstance(schema.get("enum"), list):
        notes.append("one of " + ", ".join(json.dumps(value) for value in schema["enum"]))
    if schema.get("format"):
        notes.append(f"format {schema['format']}")
    if "default" in schema:
        notes.append(f"default {json.dumps(schema['default'])}")
    if schema.get("type") == "object" and isinstance(schema.get("properties"), dict):
        notes.append("an object with " + ", ".join(schema["properties"]))
    if notes:
        text = f"{text} ({'; '.join(notes)})" if text else "; ".join(notes).capitalize()
    return text


class Action:
    """One tool as an action.

    Attributes:
        name: The action's Python name.
        tool: The tool's MCP name.
        parameters: ``{python name: JSON property name}``, in signature order.
        signature: ``(self, required..., optional=None...) -> Any``.
        doc: The docstring (description, Args, Returns, Example).
        idempotent: The server says calling it twice does no more than once (so a call lost to a crash may be
            repeated).
    """

    def __init__(self, name: str, tool: str, parameters: dict[str, str], signature: inspect.Signature, doc: str,
                 idempotent: bool):
        self.name, self.tool, self.parameters, self.signature = name, tool, parameters, signature
        self.doc, self.idempotent = doc, idempotent

    @classmethod
    def from_tool(cls, tool: dict[str, Any], taken: set[str], task: str = "Task") -> Action:
        """The action for ``tool`` (a :class:`~dosaku_mcp.tool_cache.ToolListing` entry), named apart from
        ``taken`` (which it joins)."""
        name = identifier(tool["name"], taken)
        taken.add(name)
        schema = tool.get("input_schema") or {}
        properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = [prop for prop in schema.get("required") or () if prop in properties]
        order = required + [prop for prop in properties if prop not in required]
        names: dict[str, str] = {}
        taken_parameters = {"self"}
        parameters = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        args = []
        for prop in order:
            python = identifier(prop, taken_parameters)
            taken_parameters.add(python)
            names[python] = prop
            default = inspect.Parameter.empty if prop in required else OMITTED
            kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
            parameters.append(inspect.Parameter(python, kind, default=default, annotation=annotation(properties[prop])))
            text = describe(properties[prop]) or "(no description)"
            args.append(f"    {python}: {text}" + ("" if prop in required else " Optional."))
        signature = inspect.Signature(parameters, return_annotation="Any")
        doc = " ".join(str(tool.get("description") or f"The MCP tool {tool['name']!r}.").split("\n\n")[0].split())
        rest = str(tool.get("description") or "").split("\n\n", 1)[1:]
        sections = [doc] + [part.strip() for part in rest if part.strip()]
        if args:
            sections.append("Args:\n" + "\n".join(args))
        sections.append("Returns:\n    The tool's result: its structured result (a dict) or text, an image as a PIL "
                        "image, several content items as a list.")
        example_args = ", ".join(f"{python}=..." for python, prop in names.items() if prop in required)
        sections.append(f"Example::\n\n    agent.{task}.{name}({example_args})   # the MCP tool {tool['name']!r}")
        annotations = tool.get("annotations") or {}
        idempotent = bool(annotations.get("read_only_hint") or annotations.get("idempotent_hint"))
        return cls(name, tool["name"], names, signature, "\n\n".join(sections), idempotent)

    def arguments(self, bound: inspect.BoundArguments) -> dict[str, Any]:
        """The JSON arguments of a call bound to :attr:`signature` (arguments left at their default are omitted, so
        the server's own defaults apply)."""
        return {self.parameters[name]: value for name, value in bound.arguments.items()
                if name != "self" and not (value is OMITTED and self.signature.parameters[name].default is OMITTED)}
