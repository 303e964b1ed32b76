"""Configuration: file location and mode, environment precedence, secrets never shown."""
from __future__ import annotations

import logging
import os
import stat

import pytest
from dosaku import Config, MissingAPIKey, MissingConfigValue, Secret

KEY = "sk-test-0123456789abcdefSECRET"


def test_readme_access(dosaku_home):
    config = Config()
    config.set("API_KEYS", "OPENAI", KEY)
    assert Config()["API_KEYS"]["OPENAI"] == KEY


def test_file_created_on_first_write_with_mode_0600(dosaku_home):
    config = Config()
    assert config.path == dosaku_home / "config" / "config.ini"
    assert not config.path.exists()
    config["DEFAULT_MODULES"]["Chat"] = "EchoBot"
    assert stat.S_IMODE(os.stat(config.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(config.path.parent).st_mode) == 0o700
    assert Config().get("default_modules", "chat") == "EchoBot"


def test_reading_does_not_create_anything(dosaku_home):
    config = Config()
    assert config.get("API_KEYS", "OPENAI") is None
    assert not (dosaku_home / "config").exists()


def test_environment_overrides_the_file(tmp_path):
    path = tmp_path / "config.ini"
    Config(path, environ={}).set("API_KEYS", "OPENAI", "from-file")
    Config(path, environ={}).set("OPENAI", "BASE_URL", "http://file")
    environ = {"OPENAI_API_KEY": "from-env", "DOSAKU_OPENAI__BASE_URL": "http://env",
               "DOSAKU_LLAMACPP__MODEL_PATH": "/m.gguf", "OPENAI_BASE_URL": "http://pack-reads-this"}
    config = Config(path, environ=environ)
    assert config["API_KEYS"]["OPENAI"] == "from-env"  # any [API_KEYS] NAME from NAME_API_KEY
    assert config["OPENAI"]["BASE_URL"] == "http://env"  # a pack's own variables are the pack's business
    assert config.environ["OPENAI_BASE_URL"] == "http://pack-reads-this"
    assert config.api_key("HF", env_var="HF_TOKEN") is None
    assert Config(path, environ={"HF_TOKEN": "hf-x"}).api_key("HF", env_var="HF_TOKEN") == "hf-x"
    assert config["LLAMACPP"]["MODEL_PATH"] == "/m.gguf"
    assert Config(path, environ={"CLIPDROP_API_KEY": "c"}).require_key("CLIPDROP") == "c"
    assert Config(path, environ={})["API_KEYS"]["OPENAI"] == "from-file"
    assert set(config) >= {"API_KEYS", "OPENAI", "LLAMACPP"}
    assert "LLAMACPP" in config and "NOPE" not in config


def test_dosaku_config_variable_chooses_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DOSAKU_CONFIG", str(tmp_path / "elsewhere.ini"))
    assert Config().path == tmp_path / "elsewhere.ini"


def test_missing_value_says_how_to_set_it(tmp_path):
    config = Config(tmp_path / "c.ini", environ={})
    with pytest.raises(MissingConfigValue) as caught:
        config["API_KEYS"]["OPENAI"]
    assert str(caught.value) == (
        f"The configuration has no [API_KEYS] OPENAI. Set it in {tmp_path / 'c.ini'} "
        f"or set the environment variable OPENAI_API_KEY."
    )
    assert isinstance(caught.value, KeyError)


def test_missing_api_key(tmp_path):
    with pytest.raises(MissingAPIKey, match=r"No API key for OPENAI is configured\. To use it, set the environment "
                                            r"variable OPENAI_API_KEY, or run `dosaku keys set OPENAI`"):
        Config(tmp_path / "c.ini", environ={}).require_key("openai")


def test_secrets_are_masked_everywhere(tmp_path, caplog):
    config = Config(tmp_path / "c.ini", environ={"OPENAI_API_KEY": KEY})
    key = config["API_KEYS"]["OPENAI"]
    assert isinstance(key, Secret) and key == KEY and key.reveal() == KEY
    for shown in (repr(key), repr(config), repr(config["API_KEYS"]), str(config.as_dict()), f"{key!r}"):
        assert "SECRET" not in shown
    assert config.as_dict()["API_KEYS"]["OPENAI"] == "sk-…CRET"
    assert config.as_dict(reveal=True)["API_KEYS"]["OPENAI"] == KEY
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("using key %r", key)
    assert "SECRET" not in caplog.text
    with pytest.raises(ValueError) as caught:
        raise ValueError(f"bad key {key!r}")
    assert "SECRET" not in str(caught.value)


def test_unset(tmp_path):
    config = Config(tmp_path / "c.ini", environ={})
    config.set("API_KEYS", "OPENAI", KEY)
    assert config.unset("API_KEYS", "OPENAI") is True
    assert config.unset("API_KEYS", "OPENAI") is False
    assert KEY not in (tmp_path / "c.ini").read_text()


def test_user_directories(dosaku_home):
    config = Config()
    assert config.data_dir == dosaku_home / "data"
    assert config.cache_dir == dosaku_home / "cache"


def test_numbers(tmp_path):
    from dosaku import ConfigError

    config = Config(tmp_path / "c.ini", environ={"DOSAKU_OPENAI__TIMEOUT": "2.5", "DOSAKU_OPENAI__MAX_RETRIES": "x"})
    assert config.number("OPENAI", "TIMEOUT", 60.0) == 2.5
    assert config.number("OPENAI", "UNSET", 60.0) == 60.0
    with pytest.raises(ConfigError, match=r"\[OPENAI\] MAX_RETRIES must be a number, not 'x'\."):
        config.number("openai", "max_retries", 2)


def test_reload_reads_what_another_config_wrote(tmp_path):
    from dosaku.testing import isolated_agent

    path = tmp_path / "config.ini"
    agent = isolated_agent(config=Config(path, environ={}))
    assert agent.config.get("PLACEMENT", "Counter") is None
    Config(path, environ={}).set("PLACEMENT", "Counter", "sandbox")  # e.g. Ponder, for the module it wrote
    assert agent.config.get("PLACEMENT", "Counter") is None  # read once...
    agent.refresh()
    assert agent.config.get("PLACEMENT", "Counter") == "sandbox"  # ... and again on refresh


def test_a_given_environment_overrides_values_but_the_directories_follow_the_process(dosaku_home):
    config = Config(environ={"DOSAKU_DATA_DIR": "/elsewhere", "DOSAKU_EXAMPLE__FLAG": "on"})
    assert config.get("EXAMPLE", "FLAG") == "on"
    assert config.data_dir == dosaku_home / "data" and config.cache_dir == dosaku_home / "cache"
    assert config.path == dosaku_home / "config" / "config.ini"
