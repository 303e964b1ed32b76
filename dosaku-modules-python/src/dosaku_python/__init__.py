"""dosaku-modules-python: ``PythonTester`` does the Tester task, running generated code behind a boundary the kernel
enforces (:mod:`dosaku_python.sandbox`: bubblewrap namespaces, Landlock, seccomp, a cgroup per run), and the
``sandbox`` placement quarantines generated modules in such a sandbox (:mod:`dosaku_python.quarantine`).

Importing this package imports nothing but ``dosaku`` and the standard library.
"""
from __future__ import annotations

from dosaku_python.errors import LimitError, QuarantineError, SandboxError, SandboxUnavailable
from dosaku_python.limits import Limits
from dosaku_python.result import ExceptionInfo, RunResult

__version__ = "0.1.0"
__all__ = [
    "ExceptionInfo", "LimitError", "Limits", "QuarantineError", "RunResult", "SandboxError", "SandboxUnavailable",
]
