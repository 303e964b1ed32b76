"""The ``python`` plugin: ``PythonTester`` for the ``Tester`` task (refused unless executors are enabled), and the
``sandbox`` placement that quarantines a module in a sandboxed worker. Imports only ``dosaku``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku import ModuleSpec, hookimpl

#: The placement this plugin provides: ``agent.learn(task, placement='sandbox')``.
SANDBOX = "sandbox"


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    register(
        ModuleSpec(
            "PythonTester",
            tasks=("Tester",),
            target="dosaku_python.python_tester:PythonTester",
            kind="executor",
            summary="Runs Python code behind a kernel-enforced sandbox (bubblewrap, Landlock, seccomp, cgroups), "
                    "or in-process when asked.",
        )
    )


@hookimpl
def dosaku_placement(placement: str, spec: Any, factory: Callable[[], Any], agent: Any) -> Any:
    if placement != SANDBOX:
        return None
    from dosaku_python.quarantine import Quarantined

    return Quarantined.start(spec, factory, agent)
