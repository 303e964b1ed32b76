"""``dosaku chat`` on a real pseudo-terminal with OpenAIChat streaming slowly from the loopback OpenAI server:
Ctrl-C stops a reply mid-way and the conversation (the part written so far included) goes on and is kept."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("dosaku_openai", reason="needs dosaku-modules-openai")
from dosaku.logs import LogStore  # noqa: E402
from dosaku.testing.terminal import Terminal  # noqa: E402
from dosaku_openai.testing import FakeOpenAIServer  # noqa: E402

LONG = " ".join(f"w{index}" for index in range(300))


def dosaku_script() -> str:
    beside = Path(sys.executable).parent / "dosaku"
    return str(beside) if beside.exists() else shutil.which("dosaku")


def test_ctrl_c_mid_reply_keeps_the_conversation_and_it_goes_on(dosaku_home):
    with FakeOpenAIServer(chunk_delay_s=0.02) as server:
        env = {**os.environ, "OPENAI_API_KEY": server.api_key, "OPENAI_BASE_URL": server.base_url}
        with Terminal([dosaku_script(), "chat", "--module", "OpenAIChat", "--enable-services"], env=env) as term:
            term.expect("Chatting with OpenAIChat.")
            term.expect("> ")
            term.send_line("short one")
            term.expect("You said: short one")
            term.expect("> ")
            term.send_line(LONG)
            term.expect("You said: w0 w1 w2")  # streaming has begun
            term.send_ctrl_c()
            term.expect("[reply stopped]")
            term.expect("> ")
            term.send_line("after the stop")
            term.expect("You said: after the stop")
            term.expect("> ")
            term.send_eof()
            assert term.wait() == 0
            assert "Traceback" not in term.output
        third = server.chat_requests[-1].json["messages"]
    [summary] = LogStore().list()
    record = LogStore().show(summary.id)
    contents = [m.content for m in record.messages]
    assert contents[:3] == ["short one", "You said: short one", LONG]
    stopped = contents[3]
    assert stopped.startswith("You said: w0 w1 w2") and len(stopped) < len("You said: " + LONG)  # cut mid-way
    assert contents[4:] == ["after the stop", "You said: after the stop"]
    assert third[-2]["content"] == stopped  # the model was sent the stopped reply as it was shown


def test_chat_continues_the_latest_conversation_with_its_module(dosaku_home):
    with FakeOpenAIServer() as server:
        env = {**os.environ, "OPENAI_API_KEY": server.api_key, "OPENAI_BASE_URL": server.base_url}
        with Terminal([dosaku_script(), "chat", "-m", "OpenAIChat", "--enable-services"], env=env) as term:
            term.expect("> ")
            term.send_line("remember the number 42")
            term.expect("> ")
            term.send_line("exit")
            assert term.wait() == 0
        with Terminal([dosaku_script(), "chat", "-c", "--enable-services"], env=env) as term:
            term.expect("Chatting with OpenAIChat, continuing a conversation of 2 messages.")
            term.expect("> ")
            term.send_line("which number?")
            term.expect("You said: which number?")
            term.expect("> ")
            term.send_eof()
            assert term.wait() == 0
        assert [m["content"] for m in server.chat_requests[-1].json["messages"]] == [
            "remember the number 42", "You said: remember the number 42", "which number?"]
