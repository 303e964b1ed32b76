"""`dosaku serve` (a subprocess) chatted with by the `openai` client and by `llm` (its OpenAI-compatible model file):
streamed and not, with usage; stateless; separate conversations for concurrent clients; a bearer token; Dosaku."""
from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator

import openai
import pytest
from helpers import background, free_port, program


@pytest.fixture
def serve(home) -> Iterator:
    """``serve('--module', 'EchoBot')`` starts `dosaku serve` on a free port; returns its base URL."""
    servers = []

    def start(*args: str, env: dict[str, str] | None = None) -> str:
        port = free_port()
        context = background([program("dosaku"), "serve", "--port", str(port), *args], port,
                             env={**os.environ, **(env or {})})
        context.__enter__()
        servers.append(context)
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def client(base_url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=60)


def test_openai_client_chats_with_echobot(serve):
    api = client(serve("--module", "EchoBot"))
    assert [model.id for model in api.models.list()] == ["EchoBot"]
    reply = api.chat.completions.create(model="EchoBot", messages=[{"role": "user", "content": "Hello there"}])
    assert reply.choices[0].message.content == "Hi, I'm EchoBot. You said: Hello there"
    assert reply.choices[0].finish_reason == "stop" and reply.object == "chat.completion"
    assert reply.usage.completion_tokens > 0 and reply.usage.total_tokens == (reply.usage.prompt_tokens
                                                                              + reply.usage.completion_tokens)
    stream = api.chat.completions.create(model="EchoBot", stream=True, stream_options={"include_usage": True},
                                         messages=[{"role": "user", "content": [{"type": "text", "text": "a b c"}]}])
    pieces, usage, finish = [], None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            pieces.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
    assert "".join(pieces) == "Hi, I'm EchoBot. You said: a b c" and len([p for p in pieces if p]) > 3
    assert finish == "stop" and usage is not None and usage.completion_tokens > 0


def test_bad_requests_get_openai_errors(serve):
    api = client(serve("--module", "EchoBot"))
    with pytest.raises(openai.NotFoundError, match="The model 'gpt-4' does not exist: this server answers as"):
        api.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.BadRequestError, match="The last message must be the user's"):
        api.chat.completions.create(model="EchoBot", messages=[{"role": "assistant", "content": "x"}])
    with pytest.raises(openai.BadRequestError, match="Only text content is supported, not 'image_url' parts"):
        api.chat.completions.create(model="EchoBot", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}])


def test_each_request_is_the_whole_conversation(serve):
    api = client(serve("--module", "HistoryBot", "--instances", "1"))
    first = api.chat.completions.create(model="HistoryBot", messages=[{"role": "user", "content": "one"}])
    assert first.choices[0].message.content == "turns=1 users=one system="
    second = api.chat.completions.create(model="HistoryBot", messages=[
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "one"},
        {"role": "assistant", "content": "ok"}, {"role": "user", "content": "two"}])
    assert second.choices[0].message.content == "turns=2 users=one|two system=Be brief."
    third = api.chat.completions.create(model="HistoryBot", messages=[{"role": "user", "content": "three"}])
    assert third.choices[0].message.content == "turns=1 users=three system="  # nothing kept between requests


def test_two_clients_at_once_keep_separate_conversations(serve):
    base = serve("--module", "HistoryBot", "--instances", "2")
    barrier, results, errors = threading.Barrier(2), {}, []

    def talk(name: str) -> None:
        api = client(base)
        messages: list[dict[str, str]] = []
        try:
            for turn in range(4):
                messages.append({"role": "user", "content": f"{name}{turn}"})
                barrier.wait(30)
                stream = turn % 2 == 1
                if stream:
                    chunks = api.chat.completions.create(model="HistoryBot", messages=messages, stream=True)
                    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
                else:
                    text = api.chat.completions.create(model="HistoryBot", messages=messages).choices[0].message.content
                messages.append({"role": "assistant", "content": text})
            results[name] = messages
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=talk, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    for name in ("alice", "bob"):
        replies = [m["content"] for m in results[name] if m["role"] == "assistant"]
        assert replies[-1] == f"turns=4 users={name}0|{name}1|{name}2|{name}3 system="
        assert all(("alice" in reply) != ("bob" in reply) for reply in replies)


def test_a_bearer_token_is_required_when_set(serve):
    base = serve("--module", "EchoBot", env={"DOSAKU_SERVE_TOKEN": "tok-123456789"})
    with pytest.raises(openai.AuthenticationError, match="Missing or wrong API key"):
        client(base, "wrong").models.list()
    reply = client(base, "tok-123456789").chat.completions.create(model="EchoBot", messages=[
        {"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content.endswith("You said: hi")


def test_listening_beyond_loopback_needs_a_token(home):
    done = subprocess.run([program("dosaku"), "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "set a token first" in done.stderr


def test_a_module_that_is_refused_fails_at_start(home):
    done = subprocess.run([program("dosaku"), "serve", "--dosaku", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "Dosaku requires services be enabled" in done.stderr


def test_llm_chats_through_its_openai_compatible_model_file(serve, tmp_path):
    base = serve("--module", "EchoBot")
    user = tmp_path / "llm"
    user.mkdir()
    (user / "extra-openai-models.yaml").write_text(
        f"- model_id: dosaku-echo\n  model_name: EchoBot\n  api_base: \"{base}\"\n")
    env = {**os.environ, "LLM_USER_PATH": str(user)}
    for extra in ([], ["--no-stream"]):
        done = subprocess.run([program("llm"), "-m", "dosaku-echo", *extra, "Hello from llm"], capture_output=True,
                              text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "Hi, I'm EchoBot. You said: Hello from llm"
    follow = subprocess.run([program("llm"), "-c", "--no-stream", "Again"], capture_output=True, text=True,
                            timeout=120, env=env)  # llm sends the logged conversation along
    assert follow.returncode == 0 and follow.stdout.strip() == "Hi, I'm EchoBot. You said: Again"


def test_dosaku_answers_and_calls_tools(serve):
    api = client(serve("--dosaku", "--chat-module", "ToolCallerBot", "--task", "TextToImage"))
    assert [model.id for model in api.models.list()] == ["dosaku"]
    reply = api.chat.completions.create(model="dosaku", messages=[
        {"role": "user", "content": 'call TextToImage__text_to_image {"prompt": "red"}'}])
    text = reply.choices[0].message.content
    assert text.startswith("Result: ") and '"type": "image"' in text and "[64, 48]" in text
    chat = api.chat.completions.create(model="dosaku", stream=True, messages=[
        {"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "second"}])
    assert "".join(c.choices[0].delta.content or "" for c in chat if c.choices) == "You said 'second' after ['first']"
