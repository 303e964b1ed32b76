"""Keeping secrets out of the log: API keys, ``Authorization`` values and anything the configuration marks secret
are replaced by ``[secret]`` before a text reaches the database.

Example::

    scrubber = Scrubber(['sk-live-0123456789abcdef'])
    scrubber.text('my key is sk-live-0123456789abcdef')       # 'my key is [secret]'
    scrubber.text('Authorization: Bearer abc.def.ghi')        # 'Authorization: [secret]'
    scrubber.value({'api_key': 'xyz', 'city': 'Paris'})       # {'api_key': '[secret]', 'city': 'Paris'}
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from dosaku.config import Secret, is_secret

MASK = "[secret]"
#: Secrets shorter than this are not searched for in texts (they would match ordinary words).
MIN_SECRET_LENGTH = 8
#: The last word of a name (of an argument, a JSON field, an environment variable) that holds a secret.
SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "passwd", "authorization", "credential",
                          "credentials", "cookie"})
_PATTERNS = [
    # Authorization: Bearer xyz / "authorization": "Basic xyz" / Authorization=xyz
    (re.compile(r"""(?i)(authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token)\s+)?[^\s"',;]+"""),
     r"\1" + MASK),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + MASK),
    # key=value and "key": "value" forms of secret-looking names
    (re.compile(r"""(?i)((?:api[_-]?key|apikey|access[_-]?token|auth[_-]?token|secret|password|passwd)["']?"""
                r"""\s*[:=]\s*["']?)[^\s"',;]{4,}"""), r"\1" + MASK),
    # the shapes of common API keys: sk-..., sk-proj-..., xoxb-..., ghp_..., AKIA...
    (re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}"), MASK),
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{20,}"), MASK),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), MASK),
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), MASK),
]


#: Every pattern above needs one of these (in lower case) to match: texts without any are left alone at once.
HINTS = ("authorization", "bearer", "key", "token", "secret", "passw", "passwd", "sk-", "pk-", "rk-", "ghp_", "gho_",
         "ghu_", "ghs_", "github_pat_", "xox", "akia")


def secret_name(name: object) -> bool:
    """Whether a field called ``name`` holds a secret: its last word is key, token, secret, password...

    Example::

        secret_name('api_key'), secret_name('Authorization'), secret_name('max_tokens')   # True, True, False
    """
    if not isinstance(name, str):
        return False
    words = re.split(r"[^a-z0-9]+", name.lower().strip())
    return bool(words) and words[-1] in SECRET_WORDS


def configured_secrets(config: Any = None, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret value the configuration holds (``is_secret`` entries) and every environment variable whose
    name says it holds one (``*_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*_PASSWORD``)."""
    found: list[str] = []
    if config is not None:
        try:
            for section, values in config.as_dict(reveal=True).items():
                found += [value for key, value in values.items() if is_secret(section, key)]
        except Exception:  # noqa: BLE001 - an unreadable config holds no secret we could know of
            pass
    for name, value in (os.environ if environ is None else environ).items():
        if is_secret("", name) or secret_name(name):
            found.append(value)
    return sorted({value for value in found if len(value or "") >= MIN_SECRET_LENGTH}, key=len, reverse=True)


class Scrubber:
    """Replaces secrets in texts and JSON-like values.

    Args:
        secrets: Exact secret values to remove wherever they appear (longest first).
    """

    def __init__(self, secrets: Iterable[str] = ()):
        self.secrets = [str.__str__(s) for s in secrets if len(s) >= MIN_SECRET_LENGTH]

    @classmethod
    def for_config(cls, config: Any = None) -> Scrubber:
        """A scrubber knowing the secrets of ``config`` and of the environment."""
        return cls(configured_secrets(config))

    def text(self, text: str | None) -> str | None:
        """``text`` with every secret replaced by ``[secret]``."""
        if not text:
            return text
        if isinstance(text, Secret):
            return MASK
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        lowered = text.lower()
        if any(hint in lowered for hint in HINTS):  # the patterns only run on texts that could match one
            for pattern, replacement in _PATTERNS:
                text = pattern.sub(replacement, text)
        return text

    def value(self, value: Any) -> Any:
        """``value`` (strings, lists, dicts) with secrets replaced; a dict entry whose key names a secret
        (``api_key``, ``token``, ``Authorization``...) loses its value."""
        if isinstance(value, Secret):
            return MASK
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {key: MASK if secret_name(key) and value[key] else self.value(value[key]) for key in value}
        if isinstance(value, (list, tuple)):
            return [self.value(item) for item in value]
        return value
