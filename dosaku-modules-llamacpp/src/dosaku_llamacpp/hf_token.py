"""The Hugging Face access token for gated or private repositories, found where Hugging Face's own tools look.

In order: ``$HF_TOKEN`` (or the older ``$HUGGING_FACE_HUB_TOKEN``), Dosaku's ``[API_KEYS] HUGGINGFACE`` (``dosaku
keys set HUGGINGFACE``, or ``$HUGGINGFACE_API_KEY``), then the file ``hf auth login`` writes (``$HF_TOKEN_PATH``,
else ``$HF_HOME/token``, else ``~/.cache/huggingface/token``). The token is only ever sent to the Hugging Face
endpoint's own host (see :func:`token_for`), never to the CDN it redirects to nor to any other URL, and it is a
:class:`~dosaku.config.Secret`, masked wherever it is printed.

Example::

    token = token_for('https://huggingface.co/meta-llama/Llama-3.2-1B-Instruct/resolve/main/x.gguf', Config())
    token           # AccessToken(value=Secret('hf_…wxyz'), source='$HF_TOKEN'), or None
"""
from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from dosaku.config import Config, Secret

from dosaku_llamacpp.catalog import hf_endpoint

#: The environment variables Hugging Face's tools read the token from, strongest first.
TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
#: Dosaku's own name for it: ``[API_KEYS] HUGGINGFACE``.
KEY_NAME = "HUGGINGFACE"


@dataclass(frozen=True)
class AccessToken:
    """A Hugging Face token and where it was found.

    Attributes:
        value: The token (masked in ``repr``).
        source: Where it came from, for messages: ``$HF_TOKEN``, ``[API_KEYS] HUGGINGFACE`` or the token file's path.
    """

    value: Secret
    source: str

    def header(self) -> str:
        """The ``Authorization`` header's value."""
        return f"Bearer {self.value.reveal()}"


def token_file(config: Config) -> Path:
    """Where ``hf auth login`` keeps the token: ``$HF_TOKEN_PATH``, else ``$HF_HOME/token``, else
    ``~/.cache/huggingface/token``."""
    environ = config.environ
    if environ.get("HF_TOKEN_PATH"):
        return Path(environ["HF_TOKEN_PATH"]).expanduser()
    home = environ.get("HF_HOME") or os.path.join(environ.get("XDG_CACHE_HOME") or "~/.cache", "huggingface")
    return Path(home).expanduser() / "token"


def hf_token(config: Config) -> AccessToken | None:
    """The user's Hugging Face token, from the first place that has one, or None."""
    for variable in TOKEN_VARIABLES:
        value = config.environ.get(variable, "").strip()
        if value:
            return AccessToken(Secret(value), f"${variable}")
    key = (config.api_key(KEY_NAME) or "").strip()
    if key:
        return AccessToken(Secret(key), f"[API_KEYS] {KEY_NAME}")
    path = token_file(config)
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return AccessToken(Secret(value), str(path)) if value else None


def same_origin(first: str, second: str) -> bool:
    """Whether two URLs share scheme, host and port (a token for one may go to the other)."""
    a, b = urllib.parse.urlsplit(first), urllib.parse.urlsplit(second)
    return (a.scheme.lower(), a.hostname, a.port) == (b.scheme.lower(), b.hostname, b.port)


def token_for(url: str, config: Config) -> AccessToken | None:
    """The token to send with a request for ``url``: only when ``url`` is on the Hugging Face endpoint
    (``$HF_ENDPOINT``, ``[LLAMACPP] HF_ENDPOINT`` or https://huggingface.co); else None."""
    if not same_origin(url, hf_endpoint(config)):
        return None
    return hf_token(config)
