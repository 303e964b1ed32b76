"""The model catalog: the pack's data, the user's models.json and [LLAMACPP_MODELS], the download endpoint."""
from __future__ import annotations

import json
import re

import pytest
from dosaku.config import Config
from dosaku_llamacpp.catalog import DEFAULT_ENDPOINT, builtin_entries, estimate_ram, load_catalog, user_catalog_path
from dosaku_llamacpp.errors import CatalogError
from models_helpers import write_user_catalog

EXPECTED = {"qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b", "llama3.2-1b", "llama3.2-3b", "phi3.5-mini", "gemma3-1b",
            "smollm2-1.7b"}


def test_the_builtin_catalog_has_small_instruct_ggufs_with_every_field():
    entries = builtin_entries()
    assert EXPECTED <= set(entries)
    for entry in entries.values():
        assert entry.repo and entry.repo.count("/") == 1 and entry.file.endswith(".gguf"), entry
        assert entry.size and entry.size > 100_000_000, entry.name
        assert entry.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", entry.sha256), entry.name
        assert entry.context_length and entry.context_length >= 4096, entry.name
        assert entry.license and entry.tools in (True, False), entry.name
        assert entry.ram and entry.ram > entry.size, entry.name  # the file plus KV cache and buffers
        assert entry.origin == "built-in"


def test_every_builtin_entry_carries_a_checksum():
    missing = [entry.name for entry in builtin_entries().values() if not entry.sha256]
    assert missing == [], f"entries without a verified SHA-256: {missing}"


def test_urls_are_hugging_face_resolve_urls(dosaku_config):
    catalog = load_catalog(dosaku_config)
    entry = catalog.find("qwen2.5-1.5b")
    assert catalog.url(entry) == ("https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/"
                                  "qwen2.5-1.5b-instruct-q4_k_m.gguf")
    assert catalog.endpoint == DEFAULT_ENDPOINT


def test_hf_endpoint_environment_variable_moves_every_download(dosaku_config, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9/")
    catalog = load_catalog(dosaku_config)
    assert catalog.url(catalog.find("gemma3-1b")).startswith("http://127.0.0.1:9/ggml-org/gemma-3-1b-it-GGUF/resolve/")


def test_hf_endpoint_config_entry(dosaku_home, monkeypatch):
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    config = Config()
    config.set("LLAMACPP", "HF_ENDPOINT", "http://mirror.invalid")
    assert load_catalog(config).url(load_catalog(config).find("qwen2.5-0.5b")).startswith("http://mirror.invalid/Qwen/")


def test_find_by_alias_is_case_insensitive(dosaku_config):
    catalog = load_catalog(dosaku_config)
    assert catalog.find("Qwen2.5:1.5B").name == "qwen2.5-1.5b"
    assert catalog.find("LLAMA3.2-1B").name == "llama3.2-1b"
    assert catalog.find("nope") is None


def test_user_models_json_overrides_fields_adds_entries_and_hides_entries(dosaku_home):
    write_user_catalog(dosaku_home, {
        "qwen2.5-0.5b": {"revision": "abc123", "ram": 1_000_000_000},
        "my-model": {"url": "https://example.invalid/files/mine.gguf", "size": 123456789, "sha256": "A" * 64},
        "phi3.5-mini": None,
    })
    config = Config()
    catalog = load_catalog(config)
    qwen = catalog.find("qwen2.5-0.5b")
    assert catalog.url(qwen).endswith("/resolve/abc123/qwen2.5-0.5b-instruct-q4_k_m.gguf")
    assert qwen.ram == 1_000_000_000 and qwen.sha256 == builtin_entries()["qwen2.5-0.5b"].sha256  # merged per field
    assert qwen.origin == str(user_catalog_path(config))
    mine = catalog.find("my-model")
    assert (mine.file, catalog.url(mine), mine.sha256) == ("mine.gguf", "https://example.invalid/files/mine.gguf",
                                                           "a" * 64)
    assert mine.ram_needed == estimate_ram(123456789)
    assert catalog.find("phi3.5-mini") is None


def test_catalog_path_can_be_configured(dosaku_home, tmp_path):
    other = tmp_path / "elsewhere.json"
    other.write_text(json.dumps({"models": {"x": {"repo": "a/b", "file": "x.gguf"}}}))
    config = Config()
    config.set("LLAMACPP", "CATALOG", str(other))
    assert load_catalog(config).find("x").repo == "a/b"


def test_config_section_adds_models_by_url(dosaku_home):
    config = Config()
    config.set("LLAMACPP_MODELS", "Mistral-Tiny", "https://example.invalid/m/mistral-tiny.gguf sha256=" + "b" * 64)
    config.set("LLAMACPP_MODELS", "plain", "https://example.invalid/p/plain.gguf size=2000000")
    catalog = load_catalog(config)
    assert catalog.find("mistral-tiny").sha256 == "b" * 64
    assert catalog.find("plain").size == 2000000 and catalog.find("plain").sha256 is None
    assert catalog.find("plain").origin == "[LLAMACPP_MODELS] plain"


@pytest.mark.parametrize("models, message", [
    ({"bad name": {"repo": "a/b", "file": "x.gguf"}}, "a name is letters"),
    ({"x": {"repo": "a/b", "file": "../../.bashrc"}}, "'file' must be a plain file name ending in .gguf"),
    ({"x": {"repo": "a/b", "file": "x.bin"}}, "ending in .gguf"),
    ({"x": {"file": "x.gguf"}}, "give 'repo'"),
    ({"x": {"url": "ftp://host/x.gguf"}}, "'url' must be an http(s) URL"),
    ({"x": {"repo": "a/b", "file": "x.gguf", "sha256": "1234"}}, "'sha256' must be 64 hex digits"),
    ({"x": {"repo": "a/b", "file": "x.gguf", "size": -1}}, "'size' must be a positive whole number"),
    ({"x": {"repo": "a/b", "file": "x.gguf", "aliases": "y"}}, "'aliases' must be a list"),
    ({"x": "not an object"}, "must be an object"),
])
def test_a_bad_user_entry_is_refused_with_what_is_wrong(dosaku_home, models, message):
    path = write_user_catalog(dosaku_home, models)
    with pytest.raises(CatalogError) as raised:
        load_catalog(Config())
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_a_user_catalog_that_is_not_json_is_refused(dosaku_home):
    path = write_user_catalog(dosaku_home, {})
    path.write_text("{not json")
    with pytest.raises(CatalogError, match="not readable JSON"):
        load_catalog(Config())
    path.write_text("[]")
    with pytest.raises(CatalogError, match='"models" object'):
        load_catalog(Config())


def test_a_bad_config_entry_is_refused(dosaku_home):
    config = Config()
    config.set("LLAMACPP_MODELS", "x", "https://example.invalid/x.gguf colour=blue")
    with pytest.raises(CatalogError, match="is not sha256=HEX or size=BYTES"):
        load_catalog(config)
