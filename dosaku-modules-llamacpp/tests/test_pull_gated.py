"""Gated and private Hugging Face repositories: ``pull`` sends the user's token to Hugging Face's host only (never to
the CDN it redirects to, nor to any other URL), says how to give one when it is missing, and never shows it."""
from __future__ import annotations

import logging

import pytest
from dosaku.config import Config
from dosaku_llamacpp.errors import ModelDownloadFailed
from dosaku_llamacpp.hf_token import hf_token, token_for
from dosaku_llamacpp.machine import Memory
from dosaku_llamacpp.pull import pull
from dosaku_llamacpp.testing import HuggingFaceFiles, sha256_of
from models_helpers import TINY, TINY_KEY

PLENTY = Memory(total=64 * 10**9, available=60 * 10**9)
TOKEN = "hf_gatedTestToken0123456789abcdef"


@pytest.fixture
def gated(hf, smollm2_file, monkeypatch):
    """The loopback Hugging Face, its repositories gated behind TOKEN and its CDN on another host name."""
    with HuggingFaceFiles({TINY_KEY: smollm2_file}, token=TOKEN, cdn_elsewhere=True) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


def resolve_requests(server):
    return [seen for seen in server.requests if "/resolve/" in seen.path]


def test_a_gated_pull_with_hf_token_sends_it_to_hugging_face_only(gated, monkeypatch, smollm2_sha256, caplog):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with caplog.at_level(logging.DEBUG):
        model = pull(TINY, Config(), memory=PLENTY)
    assert model.verified and sha256_of(model.path) == smollm2_sha256
    assert [seen.headers.get("authorization") for seen in resolve_requests(gated)] == [f"Bearer {TOKEN}"]
    assert [seen.headers.get("host", "").split(":")[0] for seen in gated.transfers] == ["localhost"]
    assert all("authorization" not in seen.headers for seen in gated.transfers)  # not to the CDN's host
    assert TOKEN not in caplog.text


def test_a_resumed_gated_pull_sends_the_token_again(gated, monkeypatch, smollm2_file, smollm2_sha256):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    gated.cut_after(smollm2_file.stat().st_size // 2)
    model = pull(TINY, Config(), memory=PLENTY)
    assert [seen.headers.get("authorization") for seen in resolve_requests(gated)] == [f"Bearer {TOKEN}"] * 2
    assert gated.transfers[-1].headers["range"] == f"bytes={smollm2_file.stat().st_size // 2}-"
    assert sha256_of(model.path) == smollm2_sha256


def test_a_gated_pull_without_a_token_says_how_to_give_one(gated):
    with pytest.raises(ModelDownloadFailed) as raised:
        pull(TINY, Config(), memory=PLENTY)
    message = str(raised.value)
    assert "HTTP 401" in message and "gated or private" in message and "HF_TOKEN" in message
    assert "dosaku keys set HUGGINGFACE" in message and "hf auth login" in message
    assert gated.url_of(TINY_KEY) in message and gated.transfers == []


def test_a_refused_token_is_named_by_where_it_came_from_never_shown(gated, monkeypatch):
    wrong = "hf_notTheRightOne9876543210fedcba"
    monkeypatch.setenv("HF_TOKEN", wrong)
    with pytest.raises(ModelDownloadFailed) as raised:
        pull(TINY, Config(), memory=PLENTY)
    message = str(raised.value)
    assert "HTTP 403" in message and "token from $HF_TOKEN was sent and refused" in message
    assert "accept the repository's licence" in message
    assert wrong not in message and wrong not in repr(raised.value)


def test_the_token_comes_from_dosaku_keys_then_the_hf_login_file(gated, dosaku_home, monkeypatch, smollm2_sha256):
    Config().set("API_KEYS", "HUGGINGFACE", TOKEN)
    assert hf_token(Config()).source == "[API_KEYS] HUGGINGFACE"
    Config().unset("API_KEYS", "HUGGINGFACE")
    login_file = dosaku_home / "hf-home" / "token"
    login_file.parent.mkdir()
    login_file.write_text(TOKEN + "\n")
    monkeypatch.delenv("HF_TOKEN_PATH")
    monkeypatch.setenv("HF_HOME", str(login_file.parent))
    token = hf_token(Config())
    assert token.value == TOKEN and token.source == str(login_file)
    assert TOKEN not in repr(token)
    assert pull(TINY, Config(), memory=PLENTY).sha256 == smollm2_sha256
    monkeypatch.setenv("HF_TOKEN", "hf_fromTheEnvironment")
    assert hf_token(Config()).source == "$HF_TOKEN"  # the environment first, as Hugging Face's tools do


def test_no_token_anywhere_is_none(hf):
    assert hf_token(Config()) is None


def test_the_token_is_never_sent_to_another_host(hf, monkeypatch, smollm2_file, smollm2_sha256):
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert token_for(hf.url_of(TINY_KEY), Config()) is not None
    with HuggingFaceFiles({TINY_KEY: smollm2_file}) as elsewhere:  # a URL pull from a server that is not HF_ENDPOINT
        url = elsewhere.url_of(TINY_KEY)
        assert token_for(url, Config()) is None
        model = pull(url, Config(), memory=PLENTY, sha256=smollm2_sha256)
        assert model.verified
        assert all("authorization" not in seen.headers for seen in elsewhere.requests) and elsewhere.requests
    assert token_for(url.replace("127.0.0.1", "localhost"), Config()) is None  # same port, other host name


def test_a_redirect_on_hugging_faces_own_host_keeps_the_token(hf, smollm2_file, monkeypatch, smollm2_sha256):
    with HuggingFaceFiles({TINY_KEY: smollm2_file}, token=TOKEN) as server:  # its CDN path on the same host
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        assert pull(TINY, Config(), memory=PLENTY).sha256 == smollm2_sha256
        assert [seen.headers.get("authorization") for seen in server.requests] == [f"Bearer {TOKEN}"] * 2
