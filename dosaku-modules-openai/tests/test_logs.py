"""OpenAIChat's conversations in the log, through the real openai client and the loopback OpenAI server: a resumed
conversation is what the model receives, usage and cost are kept, the key never is, and a process killed mid-stream
leaves a readable log."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

from dosaku.logs import LogStore
from dosaku_openai.testing import FakeOpenAIServer


def test_a_resumed_conversation_sends_the_earlier_messages_to_the_model(make_agent, openai_env):
    server = openai_env
    first = make_agent()
    first.learn("Chat", module="OpenAIChat", system_prompt="You are terse.")
    first.Chat.message("My name is Ada.")
    list(first.Chat.message("I live in Paris.", stream=True))
    ident = first.Chat.module.conversation.id

    later = make_agent()
    later.learn("Chat", module="OpenAIChat", conversation=ident)
    assert later.Chat.message("What is my name?") == "You said: What is my name?"
    assert server.chat_requests[-1].json["messages"] == [
        {"role": "system", "content": "You are terse."},  # the logged system prompt, since none was given
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": "You said: My name is Ada."},
        {"role": "user", "content": "I live in Paris."},
        {"role": "assistant", "content": "You said: I live in Paris."},
        {"role": "user", "content": "What is my name?"},
    ]
    record = LogStore().show(ident)
    assert [m.role for m in record.messages] == ["user", "assistant"] * 3
    assert (record.summary.module, record.summary.model) == ("OpenAIChat", "gpt-4o-mini")


def test_usage_cost_and_duration_are_kept_for_each_reply(make_agent, openai_env):
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat")
    agent.Chat.message("one two three")
    list(agent.Chat.message("four five", stream=True))
    messages = LogStore().show(agent.Chat.module.conversation.id).messages
    whole, streamed = messages[1], messages[3]
    # the loopback server counts a token per word: prompt = every word sent, completion = the reply's words
    assert (whole.prompt_tokens, whole.completion_tokens) == (3, 5)
    assert (streamed.prompt_tokens, streamed.completion_tokens) == (3 + 5 + 2, 4)
    assert whole.cost_usd is not None and whole.cost_usd > 0  # gpt-4o-mini has a price
    assert whole.duration_s is not None and whole.duration_s >= 0
    assert messages[0].completion_tokens is None


def test_tool_calls_and_their_results_come_back_as_the_api_needs_them(make_agent, openai_env):
    server = openai_env
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}}}}]
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat")
    server.call_tools(("get_weather", {"city": "Paris"}))
    reply = agent.Chat.message("Weather in Paris?", tools=tools)
    agent.Chat.message(None, tool_results={reply.tool_calls[0].id: "18 C"}, tools=tools)
    ident = agent.Chat.module.conversation.id

    later = make_agent()
    later.learn("Chat", module="OpenAIChat", conversation=ident)
    later.Chat.message("Thanks!")  # the server answers 400 unless every tool call is followed by its result
    sent = server.chat_requests[-1].json["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert sent[2] == {"role": "tool", "tool_call_id": reply.tool_calls[0].id, "content": "18 C"}
    assert sent[-1] == {"role": "user", "content": "Thanks!"}


def test_the_api_key_never_reaches_the_log(make_agent, openai_env, dosaku_home):
    agent = make_agent()
    agent.learn("Chat", module="OpenAIChat")
    agent.Chat.message(f"my key is {openai_env.api_key}, and the header is Authorization: Bearer "
                       f"{openai_env.api_key}")
    LogStore().close()
    data = b"".join(p.read_bytes() for p in (dosaku_home / "data").rglob("*") if p.is_file())
    assert len(data) > 1000
    assert openai_env.api_key.encode() not in data
    assert b"[secret]" in data


CHILD = textwrap.dedent("""
    from dosaku import Agent
    agent = Agent(enable_services=True)
    agent.learn('Chat', module='OpenAIChat', stream=True)
    for text in ('first message', 'second message'):
        list(agent.Chat.message(text))
    for partial in agent.Chat.message(' '.join(f'word{i}' for i in range(200))):
        print('STREAMING', flush=True)
""")


def test_a_process_killed_in_the_middle_of_a_streamed_reply_leaves_every_earlier_message(dosaku_home, monkeypatch):
    with FakeOpenAIServer(chunk_delay_s=0.05) as server:
        env = {**os.environ, "OPENAI_API_KEY": server.api_key, "OPENAI_BASE_URL": server.base_url}
        child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, env=env, text=True)
        try:
            deadline = time.monotonic() + 120
            while child.stdout.readline().strip() != "STREAMING":  # the third reply is streaming
                assert time.monotonic() < deadline and child.poll() is None
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    path = dosaku_home / "data" / "logs.db"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    [summary] = LogStore().list()
    record = LogStore().show(summary.id)
    assert [m.content for m in record.messages] == [
        "first message", "You said: first message", "second message", "You said: second message"]
