"""LlamaCppChat calling tools with the real SmolLM2-135M-Instruct GGUF: grammar-held replies, the OpenAIChat
interface, and the Dosaku agent doing a request offline end to end."""
from __future__ import annotations

import json
import shutil

import pytest
from dosaku.config import Config
from dosaku.errors import DosakuError
from dosaku.tool_calls import ChatReply
from dosaku_llamacpp.chat import LlamaCppChat
from dosaku_llamacpp.tool_calls import offered_tools
from dosaku_llamacpp.tool_grammar import schema_errors
from tool_samples import HERMES_TEMPLATE, LEARN, WEATHER

CONFIG = Config(path="/nonexistent/dosaku-test-config.ini", environ={})


def tool(name, description, properties, required=None):
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": properties, "required": list(properties) if required is None else required}}}


#: Tools whose schemas use what tool schemas use: enums, integers, numbers, booleans, arrays, nested objects, optional
#: arguments, no arguments, and a pattern.
VARIED_TOOLS = [
    WEATHER, LEARN,
    tool("TextToImage__text_to_image", "TextToImage (Create an image from text.): Make an image.",
         {"prompt": {"type": "string", "description": "What to draw."}}),
    tool("Upscale__upscale", "Upscale (Enlarge an image.): Enlarge an image to a width and height.",
         {"image": {"type": "string", "description": "an artifact id such as 'artifact-1'"},
          "width": {"type": "integer"}, "height": {"type": "integer"}}),
    tool("PlayGo__play", "PlayGo (Play the game of Go.): Play a move for a colour.",
         {"color": {"type": "string", "enum": ["black", "white"]}, "vertex": {"type": "string"}}),
    tool("PlayGo__komi", "PlayGo (Play the game of Go.): Set the komi.", {"komi": {"type": "number"}}),
    tool("PlayGo__showboard", "PlayGo (Play the game of Go.): The board as text.", {}),
    tool("set_alarm", "Set an alarm.", {"hour": {"type": "integer"}, "minute": {"type": "integer"},
                                        "repeat": {"type": "boolean"}}, required=["hour"]),
    tool("send_email", "Send an email.", {"to": {"type": "array", "items": {"type": "string"}},
                                          "message": {"type": "object", "properties": {
                                              "subject": {"type": "string"}, "body": {"type": "string"}},
                                              "required": ["subject", "body"]}}),
    tool("lookup", "Look up a code.", {"code": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{2}$"}}),
]
PROMPTS = [
    "What is the weather in Paris?", "Weather in Tokyo in Fahrenheit, please.", "Paint a lighthouse at dawn.",
    "Make an image of a red fox in the snow.", "Enlarge artifact-1 to 1024 by 768.", "Play black at D4.",
    "White plays Q16.", "Set the komi to 6.5.", "Show me the Go board.", "Wake me at 7:30 every day.",
    "Set an alarm for 6 am.", "Email bob@example.com and ann@example.com: subject Lunch, body See you at noon.",
    "Look up the code AB1.", "I want to play Go: learn it.", "Learn the Tester task.", "What is 2 + 2?",
    "Tell me a joke.", "Hello!", "Translate 'good morning' into French.", "Who wrote Hamlet?",
    "Write a haiku about the sea.", "Summarise: the cat sat on the mat.", "List three fruits.",
    "Is it going to rain in London tomorrow?", "Draw a cat, then tell me about it.", "Thanks, that is all.",
    "{\"tool\": \"oops\"", "Reply with broken JSON please: {{{", "Ignore the tools and write a long story.",
    "Call a tool that does not exist.", "]]]\"\\", "Set the board size to 9 and play at the center.",
]


@pytest.fixture(scope="module")
def chat():
    module = LlamaCppChat(temperature=0.0, max_tokens=40, config=CONFIG)
    yield module
    module.unload()


def assert_valid(reply, tools):
    offered = offered_tools(tools)
    assert isinstance(reply, ChatReply)
    for call in reply.tool_calls:
        assert call.name in offered, call
        assert schema_errors(call.arguments, offered[call.name].parameters) == [], call
        assert json.loads(call.raw_arguments) == call.arguments


def test_a_tool_call_that_is_the_only_sensible_answer_is_made_and_schema_valid(chat):
    chat.reset()
    reply = chat.message("Get the weather in Paris.", tools=[WEATHER])
    assert [call.name for call in reply.tool_calls] == ["get_weather"], chat.tool_replies[-1].raw
    assert_valid(reply, [WEATHER])
    assert "paris" in reply.tool_calls[0].arguments["city"].lower()
    assert reply.finish_reason == "tool_calls" and chat.tool_replies[-1].valid == 1


def test_tool_results_go_back_through_the_template_and_the_history_keeps_them(chat):
    chat.reset()
    reply = chat.message("Get the weather in Paris.", tools=[WEATHER])
    call = reply.tool_calls[0]
    final = chat.message(None, tool_results={call.id: '{"result": "18 C and sunny"}'}, tools=[WEATHER])
    assert isinstance(final, ChatReply)
    history = chat.history()
    assert history[-3]["tool_calls"] == [call.as_message()] and history[-3]["content"] == ""
    assert history[-2] == {"role": "tool", "tool_call_id": call.id, "content": '{"result": "18 C and sunny"}'}
    assert history[-1]["role"] == "assistant" and history[-1]["content"] == str(final)
    with pytest.raises(DosakuError, match="no pending tool call has the id"):
        chat.message(None, tool_results={"call_nope": "x"}, tools=[WEATHER])


def test_an_unanswered_call_is_answered_not_run_when_the_user_goes_on(chat):
    chat.reset()
    reply = chat.message("Weather in Oslo?", tools=[WEATHER], tool_choice="required")
    assert reply.tool_calls
    chat.message("Never mind. Say hi.", max_tokens=8)
    tool_turn = chat.history()[-3]
    assert tool_turn["role"] == "tool" and tool_turn["content"].startswith("Not run")


def test_tool_choice_required_and_named_force_a_call(chat):
    chat.reset()
    forced = chat.message("Hello!", tools=[WEATHER, LEARN], tool_choice="required")
    assert len(forced.tool_calls) == 1 and forced.tool_calls[0].name in ("get_weather", "learn_task")
    assert_valid(forced, [WEATHER, LEARN])
    chat.reset()
    named = chat.message("Hello!", tools=[WEATHER, LEARN], tool_choice={"type": "function",
                                                                       "function": {"name": "learn_task"}})
    assert [call.name for call in named.tool_calls] == ["learn_task"]
    assert named.tool_calls[0].arguments["task"] in ("PlayGo", "Tester")


def test_no_request_ever_gives_an_unreadable_or_invalid_reply_with_the_grammar(chat):
    attempted = 0
    for index, prompt in enumerate(PROMPTS):
        chat.reset()
        max_tokens = 4 if index % 8 == 7 else 24  # some replies are cut by the token limit
        reply = chat.message(prompt, tools=VARIED_TOOLS, max_tokens=max_tokens)
        parsed = chat.tool_replies[-1]
        assert parsed.invalid == [], (prompt, parsed.raw, parsed.invalid)
        assert_valid(reply, VARIED_TOOLS)
        attempted += parsed.attempted
        if reply.tool_calls:  # and the conversation goes on
            results = {call.id: '{"result": "done"}' for call in reply.tool_calls}
            follow = chat.message(None, tool_results=results, tools=VARIED_TOOLS, max_tokens=24)
            assert chat.tool_replies[-1].invalid == [], chat.tool_replies[-1].raw
            assert_valid(follow, VARIED_TOOLS)
    assert attempted >= 8  # most requests that need a tool call one


def test_without_the_grammar_the_same_model_is_read_leniently_and_never_raises():
    chat = LlamaCppChat(temperature=0.0, max_tokens=40, tool_grammar=False, config=CONFIG)
    try:
        for prompt in PROMPTS[:8]:
            chat.reset()
            reply = chat.message(prompt, tools=VARIED_TOOLS)
            parsed = chat.tool_replies[-1]
            assert isinstance(reply, ChatReply) and parsed.valid >= 0
    finally:
        chat.unload()


def test_streaming_with_tools_yields_the_answer_text_then_the_reply(chat):
    chat.reset()
    parts = list(chat.message("What is 2 + 2?", tools=[WEATHER], stream=True))
    assert parts and isinstance(parts[-1], ChatReply)
    assert all(not part.lstrip().startswith("{") for part in parts), parts  # the answer's text, not its JSON
    chat.reset()
    parts = list(chat.message("Weather in Rome?", tools=[WEATHER], tool_choice="required", stream=True))
    assert parts[-1].tool_calls and len(parts) == 1


def test_hermes_template_format_with_the_templates_own_tool_rendering():
    chat = LlamaCppChat(temperature=0.0, max_tokens=40, chat_template=HERMES_TEMPLATE, config=CONFIG)
    try:
        assert chat.tool_format.name == "hermes"
        reply = chat.message("Get the weather in Paris.", tools=[WEATHER], tool_choice="required")
        assert chat.tool_replies[-1].raw.startswith("<tool_call>\n")
        assert [call.name for call in reply.tool_calls] == ["get_weather"]
        assert_valid(reply, [WEATHER])
        follow = chat.message(None, tool_results={reply.tool_calls[0].id: '{"result": "sunny"}'}, tools=[WEATHER])
        assert chat.tool_replies[-1].invalid == [] and isinstance(follow, ChatReply)
    finally:
        chat.unload()


def test_a_grammar_llama_cpp_cannot_parse_is_never_used(chat, monkeypatch):
    from dosaku_llamacpp.tool_calls import JsonToolFormat

    chat.reset()
    monkeypatch.setattr(JsonToolFormat, "grammar", lambda self, *args, **kwargs: "root ::= undefined-rule")
    reply = chat.message("Weather in Paris?", tools=[WEATHER], max_tokens=24)  # no crash: read leniently
    assert isinstance(reply, ChatReply)


def test_a_schema_the_grammar_cannot_hold_loosens_only_that_tool(chat):
    lookahead = tool("lookup", "Look up a code.", {"code": {"type": "string", "pattern": "^(?=[A-Z])[A-Z0-9]{3}$"}})
    grammar = chat._grammar(chat.tool_format, offered_tools([WEATHER, lookahead]), None, budget=1000)
    assert grammar is not None and '"\\"C\\""' in grammar._grammar  # get_weather's enum is still held
    chat.reset()
    reply = chat.message("Look up the code AB1.", tools=[WEATHER, lookahead], max_tokens=24)
    assert isinstance(reply, ChatReply)  # read back; a call against the pattern would be counted invalid


def dosaku_agent(**kwargs):
    from dosaku.agents import Dosaku

    dosk = Dosaku(chat_module="LlamaCppChat", config=CONFIG, max_steps=3, **kwargs)
    assert not dosk.enable_services
    dosk.Chat.module.options.update(temperature=0.0, max_tokens=48)
    return dosk


@pytest.mark.skipif(shutil.which("gnugo") is None and not shutil.os.path.exists("/usr/games/gnugo"),
                    reason="GNU Go is not installed (apt-get install gnugo)")
def test_dosaku_learns_go_and_plays_a_move_offline(monkeypatch):
    pytest.importorskip("dosaku_gnugo", reason="needs dosaku-modules-gnugo (the GnuGo module for PlayGo)")
    # only the packs this request is about: what else is installed changes the tools the tiny model is offered
    monkeypatch.setenv("DOSAKU_LOAD_PLUGINS", "dosaku-modules-llamacpp,dosaku-modules-gnugo")
    dosk = dosaku_agent()
    try:
        learned = dosk.do("Learn the PlayGo task so we can play Go.")
        assert learned.steps[0].call() == "learn_task(task=PlayGo)" and learned.steps[0].ok, learned.plan
        assert "PlayGo" in dosk.tasks
        dosk.Chat.reset()
        # SmolLM2-135M plans poorly (bench_planner measures how poorly): the request names the call, so that this test
        # checks the offline path end to end (grammar, call, GnuGo, result fed back), not the tiny model's judgement
        answer = dosk.do("Call PlayGo__play with color black and vertex D4.")
        assert answer.steps[0].call() == "PlayGo.play(color=black, vertex=D4)" and answer.steps[0].ok, answer.plan
        board = dosk.PlayGo.showboard()
        row = next(line for line in board.splitlines() if line.strip().startswith("4 "))
        assert "X" in row, board
        for step in answer.steps:
            assert step.status in ("ok", "error", "refused")  # every call read back and run or refused
    finally:
        for task in list(dosk.tasks):
            dosk.unlearn(task)
