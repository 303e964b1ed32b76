"""Who may use the GUI: users and their password hashes in ``config.ini`` (``[GUI_USERS] <NAME>_PASSWORD``,
``scrypt`` with a random salt; never the password itself), and the rule that a GUI reachable from other machines
(``--host`` other than loopback, or ``--share``) needs a login. Each logged-in user sees only their own
conversations. Imports no gradio.

Example::

    from dosaku_gui.auth import GuiUsers

    users = GuiUsers()
    users.add('alice', 'a long passphrase')     # also: `dosaku gui-user add alice`
    users.check('alice', 'a long passphrase')   # True
    users.names()                               # ['alice']
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import TYPE_CHECKING

from dosaku.errors import DosakuError

if TYPE_CHECKING:
    from dosaku.config import Config

    from dosaku_gui.options import GuiOptions

SECTION = "GUI_USERS"
SUFFIX = "_PASSWORD"
#: scrypt's cost: 2**14 x 8 (16 MiB, about 50 ms a check), one lane.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class GuiAuthError(DosakuError):
    """A GUI login could not be set up."""


class LoginRequired(GuiAuthError):
    """The GUI would be reachable beyond this machine without a login."""


def hash_password(password: str) -> str:
    """``'scrypt$N$r$p$<salt>$<hash>'`` for ``password`` (a new random salt each time)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the hash ``stored`` (in constant time; False for a malformed hash)."""
    try:
        scheme, n, r, p, salt, digest = str(stored).split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        given = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(given, expected)


def normal_name(name: str) -> str:
    """``name`` in lower case; :class:`GuiAuthError` unless it is 1-32 letters, digits, ``_ . -``."""
    normal = (name or "").strip().lower()
    if not NAME.match(normal):
        raise GuiAuthError(f"{name!r} is not a usable user name: use 1 to 32 letters, digits, '_', '.' or '-', "
                           f"starting with a letter or digit.")
    return normal


class GuiUsers:
    """The GUI's users, kept in ``[GUI_USERS]`` of the configuration (config.ini is mode 0600).

    Args:
        config: The configuration (default :class:`dosaku.Config`).
    """

    def __init__(self, config: Config | None = None):
        if config is None:
            from dosaku.config import Config

            config = Config()
        self.config = config

    def names(self) -> list[str]:
        """The users, sorted."""
        return sorted(key[: -len(SUFFIX)].lower() for key in self.config.keys(SECTION) if key.endswith(SUFFIX))

    def add(self, name: str, password: str) -> str:
        """Add (or change the password of) the user ``name``; returns the name as stored (lower case).

        Raises:
            GuiAuthError: a bad name, or a password shorter than 8 characters.
        """
        name = normal_name(name)
        if len(password or "") < MIN_PASSWORD:
            raise GuiAuthError(f"The password must have at least {MIN_PASSWORD} characters.")
        self.config.set(SECTION, name + SUFFIX, hash_password(password))
        return name

    def remove(self, name: str) -> None:
        """Remove the user ``name``.

        Raises:
            GuiAuthError: there is no such user.
        """
        normal = normal_name(name)
        if not self.config.unset(SECTION, normal + SUFFIX):
            raise GuiAuthError(f"There is no GUI user {normal!r} (the users are: {', '.join(self.names()) or 'none'}).")

    def check(self, name: str, password: str) -> bool:
        """Whether ``name`` and ``password`` are a user's (the gradio ``auth`` callback)."""
        try:
            normal = normal_name(name)
        except GuiAuthError:
            return False
        stored = self.config.get(SECTION, normal + SUFFIX)
        return bool(stored) and verify_password(password or "", stored)

    def __bool__(self) -> bool:
        return bool(self.names())


def needs_login(options: GuiOptions) -> bool:
    """Whether the GUI would be reachable from other machines: a non-loopback host, or a share link."""
    return bool(options.share) or options.host not in LOOPBACK


def check_can_start(options: GuiOptions, users: GuiUsers) -> None:
    """Refuse to serve beyond this machine without a login.

    Raises:
        LoginRequired: ``--host`` is not loopback (or ``--share``) and no GUI user exists.
    """
    if needs_login(options) and not users:
        where = "a public share link" if options.share else f"--host {options.host}"
        raise LoginRequired(
            f"With {where} anyone who reaches the page could use your agent (and spend on your services), so the "
            f"GUI needs a login: add a user first with `dosaku gui-user add NAME`, then start it again."
        )
