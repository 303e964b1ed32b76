"""llama.cpp grammars (GBNF) from the offered tools' JSON schemas, and a checker for the schemas tools use.

A grammar built here holds a reply to one of the shapes of a :class:`~dosaku_llamacpp.tool_calls.ToolFormat`
(plain text, or a call of one offered tool whose arguments match that tool's schema). The JSON parts are made by
llama-cpp-python's own converter (``llama_cpp.llama_grammar.SchemaConverter``, the port of llama.cpp's
``json_schema_to_grammar.py``) from a copy of each schema in which every string and array is bounded
(:func:`bounded`), so that a call always ends: a small model that starts repeating itself inside a string is stopped
by the grammar, not by the context window.

llama.cpp crashes the process on a grammar it cannot parse, so :func:`grammar_parses` tries each grammar on the
loaded model's vocabulary before it is used; :meth:`~dosaku_llamacpp.chat.LlamaCppChat.message` falls back to
simpler grammars when one does not parse.

Example::

    schema = {'type': 'object', 'properties': {'prompt': {'type': 'string'}}, 'required': ['prompt']}
    print(json_grammar(bounded(schema, string_limit=200)))     # root ::= "{" space "\\"prompt\\"" ...
    schema_errors({'prompt': 3}, schema)                       # ['arguments.prompt: 3 is not of type string']
"""
from __future__ import annotations

import copy
import json
import math
import re
from typing import Any

#: The longest string (characters) and array (items) a grammar lets a tool call's arguments have.
STRING_LIMIT, ARRAY_LIMIT = 500, 16
#: String schemas whose length the grammar already bounds, or that a bound would break.
_SHAPED_STRING = ("enum", "const", "pattern", "format")


def bounded(schema: Any, string_limit: int = STRING_LIMIT, array_limit: int = ARRAY_LIMIT) -> Any:
    """A copy of ``schema`` where every string is at most ``string_limit`` characters and every array at most
    ``array_limit`` items long (tighter limits already in the schema are kept; a ``minLength`` or ``minItems`` above
    the limit raises the limit to it). Every value the bounded schema accepts, the original accepts too.

    Example::

        bounded({'type': 'string'}, string_limit=100)   # {'type': 'string', 'maxLength': 100}
    """
    schema = copy.deepcopy(schema)
    _bound(schema, max(1, int(string_limit)), max(1, int(array_limit)))
    return schema


def _bound(schema: Any, string_limit: int, array_limit: int) -> None:
    if isinstance(schema, list):
        for item in schema:
            _bound(item, string_limit, array_limit)
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind == "string" and not any(key in schema for key in _SHAPED_STRING):
        limit = max(string_limit, int(schema.get("minLength", 0)))
        schema["maxLength"] = min(int(schema.get("maxLength", limit)), limit)
    if kind == "array" and "items" in schema and not isinstance(schema["items"], list):
        limit = max(array_limit, int(schema.get("minItems", 0)))
        schema["maxItems"] = min(int(schema.get("maxItems", limit)), limit)
    for key in ("properties", "$defs", "definitions"):
        for sub in (schema.get(key) or {}).values():
            _bound(sub, string_limit, array_limit)
    for key in ("items", "additionalProperties", "prefixItems", "anyOf", "oneOf", "allOf", "not"):
        if isinstance(schema.get(key), (dict, list)):
            _bound(schema[key], string_limit, array_limit)


def count_strings(schema: Any) -> int:
    """How many string values one value of ``schema`` can hold at most (arrays count their item limit), >= 1."""
    return max(1, _count_strings(schema))


def _count_strings(schema: Any) -> int:
    if not isinstance(schema, dict):
        return 0
    if schema.get("type") == "string":
        return 1
    total = sum(_count_strings(sub) for sub in (schema.get("properties") or {}).values())
    if isinstance(schema.get("items"), dict):
        total += int(schema.get("maxItems", ARRAY_LIMIT)) * _count_strings(schema["items"])
    for key in ("anyOf", "oneOf"):
        total += max((_count_strings(sub) for sub in schema.get(key) or ()), default=0)
    if not schema or schema.get("type") == "object" and "properties" not in schema:
        total += 4  # a free-form value: a few strings
    return total


# --- GBNF ----------------------------------------------------------------------------------------------------
def _converter() -> Any:
    from llama_cpp.llama_grammar import SchemaConverter

    return SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)


def json_grammar(schema: dict[str, Any], name: str = "root", extra: str = "") -> str:
    """The GBNF for JSON values matching ``schema``, as rule ``name`` (``root`` unless given), plus ``extra`` rules.

    Example::

        json_grammar({'enum': ['a', 'b']})                                  # 'root ::= "\\"a\\"" | "\\"b\\""...'
        json_grammar(schema, name='call', extra='root ::= "<x>" call "</x>"')
    """
    converter = _converter()
    resolved = converter.resolve_refs(copy.deepcopy(schema), "tool")
    # under a union, the value's rule takes ``name`` whatever its type (the converter names primitives by type)
    converter.visit(resolved if name == "root" else {"anyOf": [resolved]}, "" if name == "root" else name)
    grammar = converter.format_grammar()
    return f"{grammar}\n{extra}\n" if extra else grammar + "\n"


def grammar_parses(llama: Any, grammar: str, root: str = "root") -> bool:
    """Whether llama.cpp accepts ``grammar`` for ``llama``'s vocabulary (llama.cpp would crash on one it rejects;
    it prints why to stderr)."""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llama.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), root.encode("utf-8"))
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


# --- checking values against a schema --------------------------------------------------------------------------
_TYPES: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality (``True`` is not ``1``)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    return a == b


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:59] + "…"


def schema_errors(value: Any, schema: Any, path: str = "arguments", root: Any = None) -> list[str]:
    """Why ``value`` does not match ``schema`` (empty when it does), for the JSON-schema keywords tools use: type,
    enum, const, properties, required, additionalProperties, items, prefixItems, min/maxItems, uniqueItems,
    min/maxLength, pattern, minimum, maximum, exclusiveMinimum/Maximum, multipleOf, min/maxProperties, anyOf, oneOf,
    allOf, not and local ``$ref``. Other keywords (format, ...) are not checked, as in most validators.

    Example::

        schema_errors({'task': 'Go'}, {'type': 'object', 'properties': {'task': {'enum': ['PlayGo']}}})
        # ['arguments.task: "Go" is not one of ["PlayGo"]']
    """
    root = schema if root is None else root
    if schema is True or schema is None or schema == {}:
        return []
    if schema is False:
        return [f"{path}: no value is allowed here"]
    if not isinstance(schema, dict):
        return []
    if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#"):
        target: Any = root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            if part:
                target = target.get(part, {}) if isinstance(target, dict) else {}
        return schema_errors(value, target, path, root)
    errors: list[str] = []
    if "const" in schema and not _same(value, schema["const"]):
        errors.append(f"{path}: {_short(value)} is not {_short(schema['const'])}")
    if "enum" in schema and not any(_same(value, option) for option in schema["enum"]):
        errors.append(f"{path}: {_short(value)} is not one of {_short(schema['enum'])}")
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_TYPES.get(kind, lambda v: True)(value) for kind in kinds):
            return [*errors, f"{path}: {_short(value)} is not of type {' or '.join(kinds)}"]
    if isinstance(value, str):
        errors += _string_errors(value, schema, path)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        errors += _number_errors(value, schema, path)
    elif isinstance(value, list):
        errors += _array_errors(value, schema, path, root)
    elif isinstance(value, dict):
        errors += _object_errors(value, schema, path, root)
    for sub in schema.get("allOf") or ():
        errors += schema_errors(value, sub, path, root)
    if "anyOf" in schema and not any(not schema_errors(value, sub, path, root) for sub in schema["anyOf"]):
        errors.append(f"{path}: {_short(value)} matches none of the allowed shapes (anyOf)")
    if "oneOf" in schema:
        matching = sum(not schema_errors(value, sub, path, root) for sub in schema["oneOf"])
        if matching != 1:
            errors.append(f"{path}: {_short(value)} matches {matching} of the shapes in oneOf, not exactly one")
    if "not" in schema and not schema_errors(value, schema["not"], path, root):
        errors.append(f"{path}: {_short(value)} matches a shape it must not (not)")
    return errors


def _string_errors(value: str, schema: dict[str, Any], path: str) -> list[str]:
    errors = []
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{path}: {_short(value)} is shorter than {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{path}: {_short(value)} is longer than {schema['maxLength']} characters")
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        errors.append(f"{path}: {_short(value)} does not match the pattern {schema['pattern']!r}")
    return errors


def _number_errors(value: float, schema: dict[str, Any], path: str) -> list[str]:
    errors = []
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{path}: {value} is less than the minimum {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{path}: {value} is more than the maximum {schema['maximum']}")
    if isinstance(schema.get("exclusiveMinimum"), (int, float)) and value <= schema["exclusiveMinimum"]:
        errors.append(f"{path}: {value} is not more than {schema['exclusiveMinimum']}")
    if isinstance(schema.get("exclusiveMaximum"), (int, float)) and value >= schema["exclusiveMaximum"]:
        errors.append(f"{path}: {value} is not less than {schema['exclusiveMaximum']}")
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0 and not math.isclose(value / step, round(value / step)):
        errors.append(f"{path}: {value} is not a multiple of {step}")
    return errors


def _array_errors(value: list[Any], schema: dict[str, Any], path: str, root: Any) -> list[str]:
    errors = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        errors.append(f"{path}: has {len(value)} items, fewer than {schema['minItems']}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errors.append(f"{path}: has {len(value)} items, more than {schema['maxItems']}")
    if schema.get("uniqueItems"):
        seen = [json.dumps(item, sort_keys=True) for item in value]
        if len(set(seen)) != len(seen):
            errors.append(f"{path}: has repeated items")
    prefix = schema.get("prefixItems") or (schema["items"] if isinstance(schema.get("items"), list) else [])
    for index, (item, sub) in enumerate(zip(value, prefix)):
        errors += schema_errors(item, sub, f"{path}[{index}]", root)
    rest = schema.get("items") if isinstance(schema.get("items"), (dict, bool)) else None
    if rest is not None:
        for index in range(len(prefix), len(value)):
            errors += schema_errors(value[index], rest, f"{path}[{index}]", root)
    return errors


def _object_errors(value: dict[str, Any], schema: dict[str, Any], path: str, root: Any) -> list[str]:
    errors = []
    properties = schema.get("properties") or {}
    missing = [name for name in schema.get("required") or () if name not in value]
    if missing:
        errors.append(f"{path}: missing required argument(s) {', '.join(missing)}")
    if "minProperties" in schema and len(value) < schema["minProperties"]:
        errors.append(f"{path}: has fewer than {schema['minProperties']} properties")
    if "maxProperties" in schema and len(value) > schema["maxProperties"]:
        errors.append(f"{path}: has more than {schema['maxProperties']} properties")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            errors += schema_errors(item, properties[name], f"{path}.{name}", root)
        elif extra is False:
            errors.append(f"{path}: unexpected argument {name!r} (allowed: {', '.join(properties) or 'none'})")
        elif isinstance(extra, dict):
            errors += schema_errors(item, extra, f"{path}.{name}", root)
    return errors
