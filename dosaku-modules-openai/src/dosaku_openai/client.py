"""Connecting to OpenAI (or an OpenAI-compatible endpoint) and turning its failures into Dosaku errors.

Settings, first found wins: the module's keyword argument, the environment, ``config.ini``::

    [API_KEYS]
    OPENAI = sk-...              # or OPENAI_API_KEY
    [OPENAI]
    BASE_URL = http://localhost:11434/v1   # or OPENAI_BASE_URL; default https://api.openai.com/v1
    TIMEOUT = 60                 # seconds, for every request (and every read of a stream)
    MAX_RETRIES = 2              # retries of 429, 5xx, timeouts and lost connections, with backoff

A key is required for OpenAI itself; other endpoints get one only if it is configured.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import openai
from dosaku.config import Config, Secret, mask
from dosaku.errors import (
    OutOfCredits,
    ServiceAuthError,
    ServiceError,
    ServiceRateLimited,
    ServiceRequestRejected,
    ServiceTimeout,
    ServiceUnavailable,
)

log = logging.getLogger(__name__)

OPENAI_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 2
KEY_HINT = "set OPENAI_API_KEY, or [API_KEYS] OPENAI in config.ini (`dosaku keys set OPENAI`)"
#: Sent as the key to endpoints that need none (the client refuses an empty key).
NO_KEY = "no-key-needed"


def is_openai(base_url: str) -> bool:
    """True when ``base_url`` is OpenAI's own API (which needs a key)."""
    return (urlparse(base_url).hostname or "").endswith("openai.com")


def _number(config: Config, key: str, given: float | None, default: float) -> float:
    return float(given) if given is not None else config.number("OPENAI", key, default)


@dataclass
class Connection:
    """The settings of one OpenAI client; ``repr`` never shows the key.

    Example::

        connection = Connection.resolve(config, base_url='http://127.0.0.1:8080/v1')
        client = connection.client()
    """

    base_url: str
    api_key: Secret = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES

    @classmethod
    def resolve(
        cls,
        config: Config | None = None,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
    ) -> Connection:
        """Settings from the arguments, else the environment and config (see the module docs).

        Raises:
            MissingAPIKey: OpenAI's own API is used and no key is configured (before any request).
        """
        config = config if config is not None else Config()
        configured = config.environ.get("OPENAI_BASE_URL") or config.get("OPENAI", "BASE_URL")
        base_url = (base_url or configured or OPENAI_BASE_URL).rstrip("/")
        if api_key:
            key = Secret(api_key)
        elif is_openai(base_url):
            key = config.require_key("OPENAI", "OPENAI_API_KEY")
        else:
            key = Secret(config.get("API_KEYS", "OPENAI") or NO_KEY)
        retries = int(_number(config, "MAX_RETRIES", max_retries, DEFAULT_MAX_RETRIES))
        return cls(base_url, key, _number(config, "TIMEOUT", timeout, DEFAULT_TIMEOUT_S), max(retries, 0))

    def client(self) -> openai.OpenAI:
        """An ``openai.OpenAI`` client with these settings (its own bounded retries with backoff)."""
        return openai.OpenAI(
            api_key=self.api_key.reveal(), base_url=self.base_url, timeout=self.timeout, max_retries=self.max_retries
        )

    def scrub(self, text: str) -> str:
        """``text`` with the key masked, wherever the remote echoed it."""
        key = self.api_key.reveal()
        return text.replace(key, mask(key)) if key and key != NO_KEY else text


def _remote_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
    return error.message or ""


def _code(error: openai.APIStatusError) -> str:
    body = error.body
    inner = body.get("error", body) if isinstance(body, dict) else None
    return str(inner.get("code") or "") if isinstance(inner, dict) else ""


def translate(error: BaseException, service: str, connection: Connection, partial: Any = None) -> ServiceError:
    """The Dosaku error for an ``openai`` (or transport) error; the key never appears in it."""
    where = connection.base_url
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        said = connection.scrub(_remote_message(error))
        detail = f" The server said: {said}" if said else ""
        if status in (401, 403):
            return ServiceAuthError(
                f"{service}: {where} refused the API key (HTTP {status}). To fix it, {KEY_HINT}.{detail}",
                service=service, status=status,
            )
        if status == 429 and _code(error) == "insufficient_quota":
            return OutOfCredits(
                f"{service}: the account at {where} has no credits left (HTTP 429 insufficient_quota). "
                f"Add credits to the account, or use another key.{detail}", service=service, status=status,
            )
        if status == 429:
            return ServiceRateLimited(
                f"{service}: {where} kept answering 429 (too many requests) after {connection.max_retries} retries. "
                f"Wait and try again, or raise [OPENAI] MAX_RETRIES.{detail}", service=service, status=status,
            )
        if status >= 500:
            return ServiceUnavailable(
                f"{service}: {where} failed with HTTP {status} after {connection.max_retries} retries. "
                f"Try again later.{detail}", service=service, status=status,
            )
        return ServiceRequestRejected(
            f"{service}: {where} rejected the request (HTTP {status}); check the model name and options.{detail}",
            service=service, status=status,
        )
    if isinstance(error, openai.APITimeoutError) or "timeout" in type(error).__name__.lower():
        return ServiceTimeout(
            f"{service}: {where} did not answer within {connection.timeout:g} s "
            f"(after {connection.max_retries} retries). Try again, or raise [OPENAI] TIMEOUT.",
            service=service, partial=partial,
        )
    if isinstance(error, openai.APIConnectionError):
        return ServiceUnavailable(
            f"{service}: could not reach {where} after {connection.max_retries} retries "
            f"({connection.scrub(str(error))}). Check the address ([OPENAI] BASE_URL / OPENAI_BASE_URL) "
            f"and your network.", service=service,
        )
    return ServiceError(
        f"{service}: the connection to {where} failed: {type(error).__name__}: {connection.scrub(str(error))}",
        service=service, partial=partial,
    )
