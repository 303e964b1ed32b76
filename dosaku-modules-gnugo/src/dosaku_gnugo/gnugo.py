"""``GnuGo``: the PlayGo task done by GNU Go (Debian package ``gnugo``) or any GTP engine configured instead."""
from __future__ import annotations

import shutil

from dosaku_gnugo.player import GTPPlayer


def gnugo_command() -> list[str]:
    """GNU Go's GTP command line: ``gnugo`` on the PATH, else Debian's ``/usr/games/gnugo``."""
    return [shutil.which("gnugo") or "/usr/games/gnugo", "--mode", "gtp"]


class GnuGo(GTPPlayer):
    """Plays Go with GNU Go in GTP mode (or the engine in ``command=`` / config ``[GTP] COMMAND``).

    Args:
        command: Another GTP engine's command line, e.g. ``'katago gtp -model m.bin.gz -config gtp.cfg'``.
        level: GNU Go's strength, 0 (fastest) to 10 (default, strongest).
        timeout, timeouts, max_restarts, config: As for :class:`~dosaku_gnugo.player.GTPPlayer`.

    Example::

        from dosaku import Agent

        agent = Agent()
        agent.learn('PlayGo', level=1)    # GnuGo is the default PlayGo module
        agent.PlayGo.boardsize(9)
        agent.PlayGo.play('black', 'E5')
        agent.PlayGo.genmove('white')     # e.g. 'C4'
        print(agent.PlayGo.showboard())
    """

    @property
    def default_command(self) -> list[str]:  # type: ignore[override]
        return gnugo_command()
