"""Small GTP helpers: colours, vertices and command lines."""
from __future__ import annotations

import re

from dosaku_gnugo.errors import GTPError

COLORS = {"b": "black", "black": "black", "w": "white", "white": "white"}
VERTEX = re.compile(r"(?i)^([a-hj-z])([1-9][0-9]?)$")
LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"


def color(value: str) -> str:
    """``'black'`` or ``'white'`` for any GTP spelling of a colour (``'B'``, ``'w'``, ``'White'``...).

    Example::

        >>> color('B')
        'black'
    """
    try:
        return COLORS[str(value).strip().lower()]
    except KeyError:
        raise GTPError(f"{value}", "invalid color", "A colour is 'black' or 'white' (or 'b'/'w').") from None


def vertex(value: str, size: int | None = None) -> str:
    """A vertex in canonical form (``'E5'``, ``'pass'``), checked against the board ``size`` when given.

    Returns:
        The vertex, upper-case, or ``'pass'``.

    Raises:
        ValueError: ``value`` is not a vertex, or lies off a board of ``size``.

    Example::

        >>> vertex('e5', 9)
        'E5'
    """
    text = str(value).strip()
    if text.lower() == "pass":
        return "pass"
    match = VERTEX.match(text)
    if not match:
        raise ValueError(f"{value!r} is not a vertex (a letter A-T without I, then a number, e.g. 'E5', or 'pass')")
    column, row = LETTERS.index(match.group(1).upper()) + 1, int(match.group(2))
    if size is not None and (column > size or not 1 <= row <= size):
        raise ValueError(f"{text.upper()} is off the {size}x{size} board")
    return text.upper()


def parse_command(line: str) -> tuple[str, str, list[str]] | None:
    """Split a GTP command line into ``(id, name, arguments)``, or None for a blank or comment line.

    Control characters are dropped, tabs become spaces and ``#`` starts a comment, as GTP 2 says.

    Example::

        >>> parse_command('12 play black E5  # opening')
        ('12', 'play', ['black', 'E5'])
    """
    line = "".join(ch for ch in line if ch == "\t" or ch == "\n" or ord(ch) >= 32 and ord(ch) != 127)
    line = line.replace("\t", " ").split("#", 1)[0].strip()
    if not line:
        return None
    words = line.split()
    ident = ""
    if words[0].isdigit():
        ident = words.pop(0)
        if not words:
            return None
    return ident, words[0], words[1:]


def answer(ident: str, text: str = "", ok: bool = True) -> str:
    """Format a GTP answer: ``'=12 text\\n\\n'`` or ``'? message\\n\\n'``."""
    text = text.rstrip("\n")
    while "\n\n" in text:  # an empty line would end the answer early
        text = text.replace("\n\n", "\n")
    return f"{'=' if ok else '?'}{ident} {text}\n\n"
