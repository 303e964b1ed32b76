"""Each fault injected by the loopback server becomes a clear Dosaku error; the key never appears in one."""
from __future__ import annotations

from typing import Any

import pytest
from dosaku.errors import (
    OutOfCredits,
    ServiceAuthError,
    ServiceError,
    ServiceRateLimited,
    ServiceRequestRejected,
    ServiceTimeout,
    ServiceUnavailable,
)
from dosaku_openai.chat import OpenAIChat
from dosaku_openai.testing import FakeOpenAIServer

FAST_RETRY = {"retry-after-ms": "5"}


@pytest.fixture
def chat(dosaku_config: Any, server: FakeOpenAIServer) -> OpenAIChat:
    return OpenAIChat(base_url=server.base_url, api_key=server.api_key, config=dosaku_config, max_retries=2,
                      timeout=0.5)


def test_401_names_the_key_to_set_and_hides_the_key(dosaku_config: Any, server: FakeOpenAIServer) -> None:
    wrong = "sk-wrong-key-0123456789abcdef"
    chat = OpenAIChat(base_url=server.base_url, api_key=wrong, config=dosaku_config)
    with pytest.raises(ServiceAuthError) as caught:
        chat.message("hi")
    message = str(caught.value)
    assert "refused the API key (HTTP 401)" in message
    assert "OPENAI_API_KEY" in message and "[API_KEYS] OPENAI" in message
    assert "Incorrect API key provided" in message  # the server's words, with the key it echoed masked
    assert wrong not in message and wrong not in repr(caught.value) and caught.value.__cause__ is None
    assert len(server.requests) == 1  # a refused key is not retried


def test_429_is_retried_then_succeeds(chat: OpenAIChat, server: FakeOpenAIServer) -> None:
    server.fail(429, times=2, headers=FAST_RETRY)
    assert chat.message("hi") == "You said: hi"
    assert len(server.requests) == 3


def test_429_that_persists_is_rate_limited_after_bounded_retries(chat: OpenAIChat, server: FakeOpenAIServer) -> None:
    server.fail(429, times=10, headers=FAST_RETRY)
    with pytest.raises(ServiceRateLimited, match=r"kept answering 429 \(too many requests\) after 2 retries"):
        chat.message("hi")
    assert len(server.requests) == 3
    assert chat.history() == []


def test_insufficient_quota_is_out_of_credits(chat: OpenAIChat, server: FakeOpenAIServer) -> None:
    body = {"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota",
                      "code": "insufficient_quota"}}
    server.fail(429, times=3, body=body, headers=FAST_RETRY)
    with pytest.raises(OutOfCredits, match="no credits left"):
        chat.message("hi")


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_retried_then_unavailable(chat: OpenAIChat, server: FakeOpenAIServer, status: int) -> None:
    server.fail(status, times=1, headers=FAST_RETRY)
    assert chat.message("once") == "You said: once"
    server.fail(status, times=3, headers=FAST_RETRY)
    with pytest.raises(ServiceUnavailable, match=rf"failed with HTTP {status} after 2 retries"):
        chat.message("hi")
    assert len(server.requests) == 2 + 3


def test_400_is_rejected_without_retry(chat: OpenAIChat, server: FakeOpenAIServer) -> None:
    server.fail(400, body={"error": {"message": "model 'nope' does not exist", "type": "invalid_request_error"}})
    with pytest.raises(ServiceRequestRejected, match=r"rejected the request \(HTTP 400\).*model 'nope' does not"):
        chat.message("hi")
    assert len(server.requests) == 1


@pytest.mark.parametrize("stream", [False, True])
def test_a_stalled_server_times_out(dosaku_config: Any, server: FakeOpenAIServer, stream: bool) -> None:
    chat = OpenAIChat(base_url=server.base_url, api_key=server.api_key, config=dosaku_config, max_retries=1,
                      timeout=0.3)
    server.stall(3.0, times=2)
    with pytest.raises(ServiceTimeout, match=r"did not answer within 0.3 s \(after 1 retries\)"):
        chat.message("hi", stream=stream)
    assert len(server.requests) == 2


def test_a_stream_cut_midway_keeps_the_partial_text(chat: OpenAIChat, server: FakeOpenAIServer) -> None:
    server.cut_stream(after=3)  # the role event and two words, then the connection drops
    parts: list[str] = []
    with pytest.raises(ServiceError, match="was cut.*the text so far is in error.partial") as caught:
        for part in chat.message("one two three four", stream=True):
            parts.append(part)
    assert caught.value.partial == "You said:" == parts[-1]
    assert chat.history() == []  # the broken exchange is not kept
    assert list(chat.message("again", stream=True))[-1] == "You said: again"


def test_unreachable_server_is_unavailable(dosaku_config: Any) -> None:
    with FakeOpenAIServer() as gone:
        url, key = gone.base_url, gone.api_key
    chat = OpenAIChat(base_url=url, api_key=key, config=dosaku_config, max_retries=0, timeout=2)
    with pytest.raises(ServiceUnavailable, match=r"could not reach http://127.0.0.1:\d+/v1 after 0 retries"):
        chat.message("hi")
