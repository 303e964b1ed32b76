"""LlamaCppChat's conversations in the log, with the real SmolLM2 GGUF: a resumed conversation is in the prompt the
model evaluates (read back from llama.cpp's own context), and each reply is logged with its duration."""
from __future__ import annotations

import dosaku_llamacpp.plugin
from dosaku.agent import Agent
from dosaku.config import Config
from dosaku.logs import LogStore
from dosaku.testing import make_plugin_manager

OPTIONS = {"temperature": 0.0, "max_tokens": 8}


def make_agent() -> Agent:
    return Agent(config=Config(), plugin_manager=make_plugin_manager(dosaku_llamacpp.plugin), log=True)


def evaluated_text(chat) -> str:
    """What the model has in its context now: the prompt it was given and the reply it wrote."""
    llama = chat.llama
    return llama.detokenize(list(llama.input_ids[: llama.n_tokens])).decode("utf-8", errors="replace")


def test_a_resumed_conversation_is_in_the_models_prompt(dosaku_home):
    first = make_agent()
    first.learn("Chat", module="LlamaCppChat", system_prompt="You are a quiz master.", **OPTIONS)
    first.Chat.message("The secret word is PINEAPPLE.")
    first_reply = first.Chat.history()[-1]["content"]
    ident = first.Chat.module.conversation.id
    first.unlearn("Chat")

    later = make_agent()
    later.learn("Chat", module="LlamaCppChat", conversation=ident, **OPTIONS)
    later.Chat.message("What was the secret word?")
    seen = evaluated_text(later.Chat.module)
    assert "You are a quiz master." in seen  # the logged system prompt
    assert seen.index("The secret word is PINEAPPLE.") < seen.index(first_reply) < seen.index(
        "What was the secret word?")
    later.unlearn("Chat")

    record = LogStore().show(ident)
    assert [m.role for m in record.messages] == ["user", "assistant", "user", "assistant"]
    assert record.summary.model and record.summary.model.endswith(".gguf")
    reply = record.messages[-1]
    assert reply.duration_s is not None and reply.duration_s > 0
    assert reply.completion_tokens is not None and 1 <= reply.completion_tokens <= 8


def test_dosaku_chat_in_a_terminal_with_smollm2_ctrl_c_keeps_the_reply_so_far(dosaku_home):
    import os
    import sys
    from pathlib import Path

    from dosaku.testing.terminal import Terminal

    script = str(Path(sys.executable).parent / "dosaku")
    argv = [script, "chat", "-m", "LlamaCppChat", "-o", "max_tokens", "400", "-o", "temperature", "0"]
    with Terminal(argv, env=dict(os.environ), timeout_s=180) as term:
        term.expect("Chatting with LlamaCppChat.")
        term.expect("> ")
        term.send_line("Count from 1 to 200, one number per line.")
        term.expect("one number per line.")  # the terminal's echo of the line (it holds a '1' too)
        term.expect("1", timeout_s=180)  # the reply streams
        term.send_ctrl_c()
        term.expect("[reply stopped]")
        term.expect("> ")
        term.send_line("exit")
        assert term.wait() == 0
    [summary] = LogStore().list()
    user, reply = LogStore().show(summary.id).messages
    assert user.content == "Count from 1 to 200, one number per line."
    assert reply.role == "assistant" and "1" in reply.content and (reply.completion_tokens or 0) < 400
