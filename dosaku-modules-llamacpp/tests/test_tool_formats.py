"""The tool formats, grammars and schema checks of dosaku_llamacpp, without a model (fast)."""
from __future__ import annotations

import json
import random

import pytest
from dosaku.errors import DosakuError
from dosaku_llamacpp.tool_calls import (
    HermesToolFormat,
    JsonToolFormat,
    choose_format,
    close_json,
    offered_tools,
    partial_string,
    tool_choice_name,
)
from dosaku_llamacpp.tool_grammar import bounded, count_strings, json_grammar, schema_errors
from tool_samples import CONVERSATION, HERMES_TEMPLATE, TOOLS, WEATHER

# --- schema checks ------------------------------------------------------------------------------------------------
CASES = [
    ({"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}, [{"a": 1}, {"a": 1.0}, {},
                                                                                        {"a": "1"}, {"a": True}]),
    ({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^[a-z]+$"}, ["ab", "a", "abcd", "AB", 3]),
    ({"enum": ["x", 1, None]}, ["x", 1, None, True, "y"]),
    ({"const": 1}, [1, 1.0, True, "1"]),
    ({"type": "array", "items": {"type": "number"}, "minItems": 1, "maxItems": 2, "uniqueItems": True},
     [[1], [1, 2.5], [], [1, 2, 3], [1, 1], ["a"]]),
    ({"type": "object", "properties": {"a": {}}, "additionalProperties": False}, [{"a": 1}, {"b": 1}]),
    ({"type": "object", "additionalProperties": {"type": "string"}}, [{"a": "x"}, {"a": 1}]),
    ({"type": "number", "minimum": 0, "exclusiveMaximum": 10, "multipleOf": 0.5}, [0, 9.5, 10, -1, 0.3]),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, ["a", 1, 1.5]),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, [1, 1.5]),
    ({"type": ["string", "null"]}, ["a", None, 1]),
    ({"not": {"type": "string"}}, [1, "a"]),
    ({"$defs": {"c": {"enum": ["b", "w"]}}, "type": "object", "properties": {"c": {"$ref": "#/$defs/c"}}},
     [{"c": "b"}, {"c": "x"}]),
    ({"type": "object", "properties": {"xs": {"type": "array", "prefixItems": [{"type": "string"}],
                                              "items": {"type": "integer"}}}}, [{"xs": ["a", 1]}, {"xs": [1]}]),
]


@pytest.mark.parametrize(("schema", "values"), CASES)
def test_schema_errors_agree_with_jsonschema(schema, values):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    for value in values:
        assert (not schema_errors(value, schema)) == validator.is_valid(value), (schema, value)


def test_schema_errors_say_what_is_wrong():
    schema = WEATHER["function"]["parameters"]
    assert schema_errors({"city": "Paris"}, schema) == []
    assert schema_errors({}, schema) == ["arguments: missing required argument(s) city"]
    assert schema_errors({"city": "Paris", "unit": "K"}, schema) == ['arguments.unit: "K" is not one of ["C", "F"]']


def test_bounded_limits_strings_and_arrays_and_keeps_tighter_limits():
    schema = {"type": "object", "properties": {
        "s": {"type": "string"}, "short": {"type": "string", "maxLength": 5}, "e": {"type": "string", "enum": ["a"]},
        "xs": {"type": "array", "items": {"type": "string"}}, "long": {"type": "string", "minLength": 900}}}
    limited = bounded(schema, string_limit=100, array_limit=4)
    props = limited["properties"]
    assert props["s"]["maxLength"] == 100 and props["short"]["maxLength"] == 5 and "maxLength" not in props["e"]
    assert props["xs"]["maxItems"] == 4 and props["xs"]["items"]["maxLength"] == 100
    assert props["long"]["maxLength"] == 900  # a minimum above the limit wins: still schema-valid
    assert "maxLength" not in schema["properties"]["s"]  # a copy
    assert count_strings(limited) == 3 + 4 + 1


# --- JSON that is cut short -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cut", "closed"), [
    ('{"a": [1, "x', {"a": [1, "x"]}),
    ('{"a": "b\\', {"a": "b"}),
    ('{"a":', {"a": None}),
    ('{"a": 1,', {"a": 1}),
    ('{"a": tr', {"a": None}),
    ('{"a": {"b": 12', {"a": {"b": 12}}),
    ('{"a"', {"a": None}),
    ('{', {}),
])
def test_close_json_completes_a_cut_value(cut, closed):
    assert json.loads(close_json(cut)) == closed


def test_partial_string_decodes_escapes_and_drops_a_half_escape():
    assert partial_string('Hello \\"w\\u00e9') == 'Hello "wé'
    assert partial_string('line\\nnext" tail') == "line\nnext"
    assert partial_string("half \\u00") == "half "


# --- the JSON format -------------------------------------------------------------------------------------------------
def test_json_format_reads_calls_answers_and_plain_text():
    form = JsonToolFormat()
    parsed = form.parse('{ "tool": "get_weather", "arguments": { "city": "Paris" } }', TOOLS)
    assert [(c.name, c.arguments) for c in parsed.calls] == [("get_weather", {"city": "Paris"})]
    assert parsed.attempted == 1 and parsed.valid == 1 and parsed.text == ""
    assert json.loads(parsed.calls[0].raw_arguments) == {"city": "Paris"} and parsed.calls[0].id.startswith("call_")
    assert form.parse('{"answer": "It is sunny."}', TOOLS).text == "It is sunny."
    plain = form.parse("It is sunny.", TOOLS)
    assert plain.text == "It is sunny." and plain.attempted == 0 and not plain.calls


def test_json_format_counts_bad_calls_without_raising():
    form = JsonToolFormat()
    unknown = form.parse('{"tool": "fly", "arguments": {}}', TOOLS)
    assert unknown.attempted == 1 and unknown.valid == 0 and "not an offered tool" in unknown.invalid[0]
    wrong = form.parse('{"tool": "learn_task", "arguments": {"task": "Chess"}}', TOOLS)
    assert wrong.calls and wrong.valid == 0 and "not one of" in wrong.invalid[0]
    broken = form.parse('{"tool": "get_weather", "arguments": {"city": Paris}}', TOOLS)
    assert broken.attempted == 1 and broken.valid == 0 and not broken.calls


def test_json_format_reads_a_cut_reply():
    form = JsonToolFormat()
    assert form.parse('{"answer": "It is sun', TOOLS, truncated=True).text == "It is sun"
    call = form.parse('{"tool": "get_weather", "arguments": {"city": "Par', TOOLS, truncated=True)
    assert call.calls[0].arguments == {"city": "Par"} and call.valid == 1


def test_json_format_streams_only_answer_text():
    form = JsonToolFormat()
    assert form.visible('{"') is None and form.is_call('{"') is None
    assert form.visible('{"answer": "Hel') == "Hel" and form.is_call('{"answer": "Hel') is False
    assert form.visible('{"tool": "get_') is None and form.is_call('{ "tool"') is True
    assert form.visible("Plain text") == "Plain text"


def test_parsing_never_raises_on_any_prefix_or_mangling():
    form, hermes = JsonToolFormat(), HermesToolFormat()
    replies = ['{"tool": "get_weather", "arguments": {"city": "Paris", "unit": "C"}}', '{"answer": "a \\"b\\" c"}',
               '<tool_call>\n{"name": "learn_task", "arguments": {"task": "PlayGo"}}\n</tool_call>', "text {"]
    rng = random.Random(7)
    for reply in replies:
        for end in range(len(reply) + 1):
            for text in (reply[:end], "".join(rng.sample(reply, len(reply)))):
                for truncated in (False, True):
                    for parsed in (form.parse(text, TOOLS, truncated), hermes.parse(text, TOOLS, truncated)):
                        assert parsed.valid >= 0 and isinstance(parsed.text, str)


def test_json_format_renders_calls_and_results_for_any_template():
    rendered = JsonToolFormat().render(CONVERSATION, TOOLS)
    assert rendered[0]["role"] == "system" and "You are Dosaku." in rendered[0]["content"]
    assert '{"tool": "<tool name>"' in rendered[0]["content"] and "- get_weather(city: string" in rendered[0]["content"]
    assert rendered[2] == {"role": "assistant", "content": '{"tool": "get_weather", "arguments": {"city": "Paris"}}'}
    assert rendered[3] == {"role": "user", "content": 'Result of get_weather: {"result": "18 C, sunny"}\n\nAnd now?'}
    assert [m["role"] for m in rendered] == ["system", "user", "assistant", "user"]


def test_json_grammar_has_every_shape():
    grammar = JsonToolFormat().grammar(TOOLS)
    assert '"\\"answer\\""' in grammar and '"\\"get_weather\\""' in grammar and '"\\"PlayGo\\""' in grammar
    required = JsonToolFormat().grammar(TOOLS, choice="required")
    assert '"\\"answer\\""' not in required and '"\\"learn_task\\""' in required
    only = JsonToolFormat().grammar(TOOLS, choice="learn_task")
    assert '"\\"get_weather\\""' not in only
    assert '"\\"answer\\""' in JsonToolFormat().grammar({})


# --- the Hermes format ---------------------------------------------------------------------------------------------
def test_hermes_is_chosen_for_a_template_with_its_own_tool_format():
    assert choose_format(HERMES_TEMPLATE).name == "hermes"
    assert choose_format("{{ messages }}").name == "json" and choose_format(None).name == "json"
    assert choose_format(HERMES_TEMPLATE, "json").name == "json"
    with pytest.raises(DosakuError, match="tool_format must be one of"):
        choose_format(None, "xml")


def test_hermes_conversation_is_rendered_by_the_template_itself():
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    form = HermesToolFormat()
    formatter = Jinja2ChatFormatter(template=HERMES_TEMPLATE, eos_token="<|im_end|>", bos_token="")
    prompt = formatter(messages=form.render(CONVERSATION, TOOLS), tools=[t.as_openai() for t in TOOLS.values()]).prompt
    assert '"name": "get_weather"' in prompt.split("</tools>")[0]  # the template listed the tools
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>' in prompt
    assert '<tool_response>\n{"result": "18 C, sunny"}\n</tool_response>' in prompt
    assert prompt.endswith("<|im_end|><|im_start|>assistant")


def test_hermes_format_reads_calls_and_text():
    form = HermesToolFormat()
    parsed = form.parse('<tool_call>\n{"name": "learn_task", "arguments": {"task": "PlayGo"}}\n</tool_call>', TOOLS)
    assert [(c.name, c.arguments) for c in parsed.calls] == [("learn_task", {"task": "PlayGo"})] and parsed.valid == 1
    two = form.parse('Sure.<tool_call>{"name": "learn_task", "arguments": {"task": "Tester"}}</tool_call>'
                     '<tool_call>{"name": "get_weather", "arguments": {"city": "Oslo"}}</tool_call>', TOOLS)
    assert two.text == "Sure." and [c.name for c in two.calls] == ["learn_task", "get_weather"]
    assert form.parse("Just text.", TOOLS).text == "Just text."
    assert form.visible("<tool") is None and form.visible("Hello") == "Hello"
    grammar = form.grammar(TOOLS)
    assert "root ::= " in grammar and "text ::= " in grammar and "call ::= " in grammar


def test_tool_choice_and_tool_schemas_are_checked():
    assert tool_choice_name(None, TOOLS) is None and tool_choice_name("required", TOOLS) == "required"
    assert tool_choice_name({"type": "function", "function": {"name": "learn_task"}}, TOOLS) == "learn_task"
    with pytest.raises(DosakuError, match="not one of the offered tools"):
        tool_choice_name({"type": "function", "function": {"name": "fly"}}, TOOLS)
    with pytest.raises(DosakuError, match="two tools are named"):
        offered_tools([WEATHER, WEATHER])
    with pytest.raises(DosakuError, match="has no name"):
        offered_tools([{"type": "function", "function": {}}])


def test_json_grammar_names_its_rule():
    grammar = json_grammar({"type": "integer"}, name="call", extra='root ::= "<" call ">"')
    assert "call ::= " in grammar and 'root ::= "<" call ">"' in grammar
