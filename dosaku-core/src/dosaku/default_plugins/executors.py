"""Core's executors plugin: ``PythonTester`` for the ``Tester`` task (refused unless executors are enabled)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku.plugins.hookspecs import hookimpl
from dosaku.spec import ModuleSpec


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    register(
        ModuleSpec(
            "PythonTester",
            tasks=("Tester",),
            target="dosaku.executors.python_tester:PythonTester",
            kind="executor",
            summary="Runs Python code isolated (separate process, limits, no network), or in-process when asked.",
        )
    )
