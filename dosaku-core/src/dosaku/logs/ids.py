"""Conversation ids: 26 characters, sortable by time (a millisecond timestamp, then randomness; the ULID layout in
lower-case Crockford base32), so that ids made later sort later and a prefix is enough to name one.

Example::

    from dosaku.logs.ids import new_id

    new_id()   # '01j9x3k6q5v8m2c4d7e9f0g1h2'
"""
from __future__ import annotations

import os
import time

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32: no i, l, o, u
LENGTH = 26


def _encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(now_s: float | None = None) -> str:
    """A new id: 10 characters of milliseconds since the epoch, then 16 random ones (80 bits)."""
    millis = int((time.time() if now_s is None else now_s) * 1000)
    return _encode(millis, 10) + _encode(int.from_bytes(os.urandom(10), "big"), 16)
