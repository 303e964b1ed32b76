"""HTTP to Clipdrop: ``requests`` with timeouts and bounded retries (urllib3's ``Retry``), errors made clear.

Settings (argument, else environment, else ``config.ini``)::

    [API_KEYS]
    CLIPDROP = ...               # or CLIPDROP_API_KEY
    [CLIPDROP]
    API_HOST = https://clipdrop-api.co
    TIMEOUT = 120                # seconds
    MAX_RETRIES = 2              # retries of 429, 5xx, timeouts and lost connections
    BACKOFF_S = 0.5              # backoff factor between retries (Retry-After is honoured)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
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
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

DEFAULT_HOST = "https://clipdrop-api.co"
KEY_HINT = "set CLIPDROP_API_KEY, or [API_KEYS] CLIPDROP in config.ini (`dosaku keys set CLIPDROP`)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


def _number(config: Config, key: str, given: float | None, default: float) -> float:
    return float(given) if given is not None else config.number("CLIPDROP", key, default)


@dataclass
class ClipdropClient:
    """A session to Clipdrop's APIs; ``repr`` never shows the key.

    Example::

        client = ClipdropClient.resolve(Config())
        response_bytes, headers = client.post('remove-background/v1', files={'image_file': (...)}, service='x')
    """

    host: str
    api_key: Secret = field(repr=False)
    timeout: float = 120.0
    max_retries: int = 2
    backoff_s: float = 0.5
    session: requests.Session = field(init=False, repr=False)

    def __post_init__(self) -> None:
        retry = Retry(total=self.max_retries, connect=self.max_retries, read=self.max_retries,
                      status=self.max_retries, status_forcelist=RETRY_STATUSES, allowed_methods=None,
                      backoff_factor=self.backoff_s, respect_retry_after_header=True, raise_on_status=False)
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    @classmethod
    def resolve(cls, config: Config | None = None, *, host: str | None = None, api_key: str | None = None,
                timeout: float | None = None, max_retries: int | None = None) -> ClipdropClient:
        """Settings from the arguments, else the environment and config.

        Raises:
            MissingAPIKey: no key is configured (before any request).
        """
        config = config if config is not None else Config()
        key = Secret(api_key) if api_key else config.require_key("CLIPDROP", "CLIPDROP_API_KEY")
        host = (host or config.get("CLIPDROP", "API_HOST") or DEFAULT_HOST).rstrip("/")
        return cls(host, key, _number(config, "TIMEOUT", timeout, 120.0),
                   max(int(_number(config, "MAX_RETRIES", max_retries, 2)), 0),
                   _number(config, "BACKOFF_S", None, 0.5))

    def post(self, path: str, files: dict[str, Any], service: str) -> tuple[bytes, dict[str, str]]:
        """POST a multipart form to ``host/path``; the response's bytes and headers, or a clear error."""
        url = f"{self.host}/{path}"
        try:
            response = self.session.post(url, files=files, headers={"x-api-key": self.api_key.reveal()},
                                         timeout=self.timeout)
        except requests.RequestException as error:
            raise self._transport_error(error, url, service) from None
        if response.status_code != 200:
            raise self._error(response, url, service)
        return response.content, {k.lower(): v for k, v in response.headers.items()}

    def _transport_error(self, error: requests.RequestException, url: str, service: str) -> ServiceError:
        reason = getattr(error.args[0], "reason", None) if error.args else None
        if isinstance(error, requests.Timeout) or "timeout" in type(reason).__name__.lower():
            return ServiceTimeout(f"{service}: {url} did not answer within {self.timeout:g} s (after "
                                  f"{self.max_retries} retries). Try again, or raise [CLIPDROP] TIMEOUT.",
                                  service=service)
        return ServiceUnavailable(f"{service}: could not reach {url} after {self.max_retries} retries "
                                  f"({type(error).__name__}: {self._scrub(str(reason or error))}). Check [CLIPDROP] "
                                  f"API_HOST and your network.", service=service)

    def _scrub(self, text: str) -> str:
        key = self.api_key.reveal()
        return text.replace(key, mask(key)) if key else text

    def _error(self, response: requests.Response, url: str, service: str) -> ServiceError:
        status = response.status_code
        try:
            said = str(response.json().get("error", ""))
        except ValueError:
            said = response.text[:200]
        detail = f" The server said: {self._scrub(said)}" if said else ""
        if status in (401, 403):
            return ServiceAuthError(f"{service}: {url} refused the API key (HTTP {status}). To fix it, "
                                    f"{KEY_HINT}.{detail}", service=service, status=status)
        if status == 402:
            return OutOfCredits(f"{service}: the Clipdrop account has no credits left (HTTP 402). Buy credits at "
                                f"https://clipdrop.co/apis/account, or use another key.{detail}",
                                service=service, status=status)
        if status == 429:
            return ServiceRateLimited(f"{service}: {url} kept answering 429 (too many requests) after "
                                      f"{self.max_retries} retries. Wait and try again.{detail}",
                                      service=service, status=status)
        if status >= 500:
            return ServiceUnavailable(f"{service}: {url} failed with HTTP {status} after {self.max_retries} retries. "
                                      f"Try again later.{detail}", service=service, status=status)
        return ServiceRequestRejected(f"{service}: {url} rejected the request (HTTP {status}).{detail}",
                                      service=service, status=status)

    def close(self) -> None:
        self.session.close()
