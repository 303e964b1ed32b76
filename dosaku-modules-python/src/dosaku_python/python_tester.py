"""``PythonTester``: the Tester task. ``run`` is isolated behind the kernel (see :mod:`dosaku_python.sandbox`);
``exec`` runs in the caller's process, for trusted code only."""
from __future__ import annotations

import re
import sys
from typing import Any

from dosaku import Executor
from dosaku.tasks import Tester

from dosaku_python.limits import Limits
from dosaku_python.result import RunResult
from dosaku_python.sandbox import Sandbox

FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL)


def strip_fences(code: str) -> str:
    """The code inside Markdown fences (as chat models write it), or ``code`` itself when it has none.

    Example::

        >>> strip_fences('Here:\\n```python\\nx = 1\\n```')
        'x = 1\\n'
    """
    blocks = FENCE.findall(code)
    return "\n".join(blocks) if blocks else code


class PythonTester(Executor, Tester):
    """Runs Python code: isolated by default, in-process only through :meth:`exec`.

    Args:
        python: The interpreter isolated runs use (default: the agent's, so its packages are importable).
        isolation: ``'kernel'`` (the default: bubblewrap namespaces, seccomp, Landlock, a cgroup per run; a run
            raises :class:`~dosaku_python.errors.SandboxUnavailable` where that cannot be set up) or ``'process'``
            (a plain child process with what Landlock, seccomp and rlimits give: much weaker, only when asked for).
        **limits: The most a run may use (see :class:`~dosaku_python.limits.Limits`), e.g. ``wall_time=30``;
            single runs may only tighten them.

    Example::

        from dosaku import Agent

        agent = Agent(enable_executors=True)
        agent.learn('Tester', wall_time=20)
        result = agent.Tester.run('sum(range(10))')
        result.value     # 45
        agent.Tester('print("hi")').stdout   # 'hi\\n' (run is the default action)
    """

    def __init__(self, python: str | None = None, isolation: str = "kernel", **limits: Any):
        self.limits = Limits().loosened(**limits) if limits else Limits()
        self.sandbox = Sandbox(python, isolation)

    def run(self, code: str, **limits: Any) -> RunResult:
        return self.sandbox.run(strip_fences(code), self.limits.tightened(**limits))

    def exec(self, code: str, globals: dict | None = None, locals: dict | None = None) -> None:
        if globals is None:
            caller = sys._getframe(1)
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        exec(compile(strip_fences(code), "<dosaku-tester>", "exec"), globals, locals)  # noqa: S102 - asked for

    def unload(self) -> None:
        """Stop the standby sandbox kept ready for the next run (the agent calls this when it lets the module go)."""
        self.sandbox.close()

    def __repr__(self) -> str:
        return f"<PythonTester isolation={self.sandbox.level!r} {self.limits}>"
