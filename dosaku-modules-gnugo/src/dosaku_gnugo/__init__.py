"""Dosaku's Go pack: the Go Text Protocol (GTP v2): a client for GTP engines (:class:`GTPEngine`), the ``GnuGo`` module
that does the ``PlayGo`` task with one, and a GTP front end that exposes any ``PlayGo`` module as an engine
(``dosaku gtp``).

Importing this package imports nothing but the standard library.
"""
from __future__ import annotations

from dosaku_gnugo.errors import GTPEngineError, GTPEngineNotFound, GTPError, GTPTimeout, IllegalMove

__all__ = ["GTPEngineError", "GTPEngineNotFound", "GTPError", "GTPTimeout", "IllegalMove"]
