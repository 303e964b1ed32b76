"""Tool schemas, a conversation and a Hermes-style chat template shared by the tool-calling tests."""
from __future__ import annotations

from dosaku_llamacpp.tool_calls import offered_tools

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["C", "F"]}},
                   "required": ["city"]}}}
LEARN = {"type": "function", "function": {
    "name": "learn_task", "description": "Learn a task.",
    "parameters": {"type": "object", "properties": {"task": {"type": "string", "enum": ["PlayGo", "Tester"]}},
                   "required": ["task"]}}}
TOOLS = offered_tools([WEATHER, LEARN])

# A Hermes-style chat template (the Qwen 2.5 shape, written for these tests): tools in the system turn, calls as
# <tool_call> blocks, results as <tool_response> in a user turn.
HERMES_TEMPLATE = (
    "{%- if tools %}<|im_start|>system\n{% if messages[0].role == 'system' %}{{ messages[0].content }}\n\n{% endif %}"
    "# Tools\n<tools>{% for tool in tools %}\n{{ tool | tojson }}{% endfor %}\n</tools>\nFor each call, return "
    "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
    "{%- elif messages[0].role == 'system' %}<|im_start|>system\n{{ messages[0].content }}<|im_end|>\n{%- endif %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'user' or (message.role == 'system' and not loop.first) %}"
    "\n<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>"
    "{%- elif message.role == 'assistant' %}\n<|im_start|>assistant\n{{ message.content }}"
    "{%- for call in message.tool_calls or [] %}\n<tool_call>\n{\"name\": \"{{ call.function.name }}\", "
    "\"arguments\": {{ call.function.arguments | tojson }}}\n</tool_call>{%- endfor %}<|im_end|>"
    "{%- elif message.role == 'tool' %}\n<|im_start|>user\n<tool_response>\n{{ message.content }}\n"
    "</tool_response><|im_end|>{%- endif %}{%- endfor %}"
    "{%- if add_generation_prompt %}\n<|im_start|>assistant\n{%- endif %}"
)
CONVERSATION = [
    {"role": "system", "content": "You are Dosaku."},
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
    {"role": "tool", "tool_call_id": "call_1", "content": '{"result": "18 C, sunny"}'},
    {"role": "user", "content": "And now?"},
]
