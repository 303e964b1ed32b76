"""Executors: running (generated) code. ``PythonTester`` does the Tester task: isolated runs by default
(:mod:`dosaku.executors.sandbox`), in-process ``exec`` only when asked for.

Importing this package imports nothing but the standard library.
"""
from __future__ import annotations

from dosaku.executors.errors import LimitError, SandboxError
from dosaku.executors.limits import Limits
from dosaku.executors.result import ExceptionInfo, RunResult

__all__ = ["ExceptionInfo", "LimitError", "Limits", "RunResult", "SandboxError"]
