"""OpenAIChat through the agent, against a real HTTP server speaking OpenAI's wire format."""
from __future__ import annotations

import logging
from typing import Any

import pytest
from dosaku.errors import DosakuError, MissingAPIKey, ServicePermissionRequired
from dosaku.testing import ChatContract
from dosaku.tool_calls import NOT_ANSWERED
from dosaku_openai.chat import OpenAIChat
from dosaku_openai.testing import FakeOpenAIServer

WEATHER = [{"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]


class TestOpenAIChatContract(ChatContract):
    @pytest.fixture
    def chat(self, make_agent: Any) -> Any:
        agent = make_agent()
        agent.learn("Chat", module="OpenAIChat", model="gpt-4o-mini")
        return agent.Chat


def test_non_streamed_reply_is_a_string(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", model="gpt-4o-mini", stream=False)
    reply = agent.Chat("Hi, I'm Edward.")
    assert isinstance(reply, str) and reply == "You said: Hi, I'm Edward."
    sent = openai_env.chat_requests[-1]
    assert sent.headers["authorization"] == f"Bearer {openai_env.api_key}"
    assert sent.json["model"] == "gpt-4o-mini" and "stream" not in sent.json


def test_readme_gradio_predict_streams_growing_responses(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", model="gpt-3.5-turbo", stream=True)

    def predict(message, _):  # the README's gradio example, verbatim
        for partial_response in agent.Chat(message):  # noqa: UP028 - __call__() defaults to message()
            yield partial_response

    parts = list(predict("Write a tic tac toe program", []))
    assert parts[-1] == "You said: Write a tic tac toe program"
    assert len(parts) == 8 and all(b.startswith(a) for a, b in zip(parts, parts[1:], strict=False))
    sent = openai_env.chat_requests[-1].json
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    assert sent["model"] == "gpt-3.5-turbo"


def test_system_prompt_and_history_are_sent(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", stream=False, system_prompt="You are Agent Smith.")
    agent.Chat("first")
    list(agent.Chat.message("second", stream=True))
    assert openai_env.chat_requests[-1].json["messages"] == [
        {"role": "system", "content": "You are Agent Smith."},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "You said: first"},
        {"role": "user", "content": "second"},
    ]
    agent.Chat.reset()
    assert agent.Chat.history() == [{"role": "system", "content": "You are Agent Smith."}]
    agent.Chat("third")
    assert [m["role"] for m in openai_env.chat_requests[-1].json["messages"]] == ["system", "user"]


def test_temperature_and_max_tokens_are_sent(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", temperature=0.3, max_tokens=77)
    agent.Chat("a")
    assert openai_env.chat_requests[-1].json["temperature"] == 0.3
    assert openai_env.chat_requests[-1].json["max_tokens"] == 77
    agent.Chat.message("b", temperature=0.9, max_tokens=5)
    assert openai_env.chat_requests[-1].json["temperature"] == 0.9
    assert openai_env.chat_requests[-1].json["max_tokens"] == 5


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_round_trip(make_agent: Any, openai_env: FakeOpenAIServer, stream: bool) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", tools=WEATHER)
    openai_env.call_tools(("get_weather", {"city": "Paris"}))
    if stream:
        reply = list(agent.Chat.message("Weather in Paris?", stream=True))[-1]
    else:
        reply = agent.Chat("Weather in Paris?")
    assert openai_env.chat_requests[-1].json["tools"] == WEATHER
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert reply.finish_reason == "tool_calls"
    final = agent.Chat.message(None, tool_results={reply.tool_calls[0].id: "18C and sunny"})
    sent = openai_env.chat_requests[-1].json["messages"]
    assert sent[-2]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert sent[-1] == {"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": "18C and sunny"}
    assert final == "You said: Weather in Paris?" and final.tool_calls == []


def test_the_loopback_server_refuses_unanswered_tool_calls_as_the_api_does(openai_env: FakeOpenAIServer) -> None:
    import openai

    client = openai.OpenAI(base_url=openai_env.base_url, api_key=openai_env.api_key, max_retries=0)
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    with pytest.raises(openai.BadRequestError, match="did not have response messages: call_1"):
        client.chat.completions.create(model="gpt-4o-mini", messages=[
            {"role": "user", "content": "Weather?"}, {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "user", "content": "Never mind."}])


def test_tool_calls_left_unanswered_are_answered_not_run(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", tools=WEATHER, stream=False)
    openai_env.call_tools(("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome"}))
    paris, rome = (call.id for call in agent.Chat("Weather in Paris and Rome?").tool_calls)
    agent.Chat.message(None, tool_results={paris: "18C"})  # Rome's result never came
    assert openai_env.chat_requests[-1].json["messages"][-2:] == [
        {"role": "tool", "tool_call_id": paris, "content": "18C"},
        {"role": "tool", "tool_call_id": rome, "content": NOT_ANSWERED},
    ]
    openai_env.call_tools(("get_weather", {"city": "Oslo"}))
    oslo = agent.Chat("And Oslo?").tool_calls[0].id
    assert agent.Chat("Never mind, thanks.") == "You said: Never mind, thanks."  # the conversation goes on
    assert openai_env.chat_requests[-1].json["messages"][-2:] == [
        {"role": "tool", "tool_call_id": oslo, "content": NOT_ANSWERED},
        {"role": "user", "content": "Never mind, thanks."},
    ]
    with pytest.raises(TypeError, match="needs a message"):
        agent.Chat.message(None)


def test_answering_an_unknown_tool_call_is_refused(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat")
    with pytest.raises(DosakuError, match=r"no pending tool call has the id\(s\) \['nope'\]"):
        agent.Chat.message(None, tool_results={"nope": "x"})
    assert openai_env.requests == []


def test_base_url_from_config_and_argument(dosaku_config: Any, server: FakeOpenAIServer) -> None:
    dosaku_config.set("OPENAI", "BASE_URL", server.base_url)
    dosaku_config.set("API_KEYS", "OPENAI", server.api_key)
    chat = OpenAIChat(config=dosaku_config)
    assert chat.message("from config") == "You said: from config"
    with FakeOpenAIServer(api_key=None) as other:  # an endpoint that needs no key (Ollama, llama.cpp...)
        assert OpenAIChat(base_url=other.base_url, config=dosaku_config).message("x") == "You said: x"
        assert len(other.requests) == 1
    assert len(server.requests) == 1


def test_missing_key_is_a_clear_error_before_any_request(make_agent: Any, monkeypatch: pytest.MonkeyPatch,
                                                         openai_env: FakeOpenAIServer) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("OPENAI_BASE_URL")  # OpenAI itself: a key is required
    agent = make_agent()
    with pytest.raises(MissingAPIKey, match=r"No API key for OPENAI.*OPENAI_API_KEY.*dosaku keys set OPENAI"):
        agent.learn("Chat", module="OpenAIChat")
    assert agent.tasks == [] and openai_env.requests == []


def test_service_without_permission_sends_nothing(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent(enable_services=False)
    with pytest.raises(ServicePermissionRequired, match="services have not been enabled"):
        agent.learn("Chat", module="OpenAIChat")
    with pytest.raises(ServicePermissionRequired):
        agent.learn("TextToImage", module="OpenAITextToImage")
    assert agent.tasks == [] and openai_env.requests == []


def test_key_never_in_repr_or_logs(make_agent: Any, openai_env: FakeOpenAIServer,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat", stream=True)
    list(agent.Chat("hello"))
    agent.Chat.message("again", stream=False)
    chat = agent.Chat.module
    shown = " ".join([repr(chat), repr(chat.connection), repr(agent), repr(agent.Chat), caplog.text])
    assert openai_env.api_key not in shown
    assert "127.0.0.1" in caplog.text  # the client's logs were captured
