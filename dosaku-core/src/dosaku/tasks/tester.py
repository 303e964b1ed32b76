from __future__ import annotations

import abc
from typing import Any, ClassVar

from dosaku.task import Task


class Tester(Task):
    """Run (generated) Python code: isolated by default, in-process only when asked for."""

    default_action: ClassVar[str] = "run"

    @abc.abstractmethod
    def run(self, code: str, **limits: Any) -> Any:
        """Run ``code`` isolated from the agent: a separate process with time, memory and file-system limits
        and no network.

        Args:
            code: Python source code.
            **limits: Limits to tighten, e.g. ``wall_time=5``, ``memory_mb=256``.

        Returns:
            A result object with the standard output and error, the value of the last expression (as JSON) and
            the exception, if any, with its line number.

        Example::

            from dosaku import Agent

            agent = Agent(enable_executors=True)
            agent.learn('Tester')
            result = agent.Tester.run('print(6 * 7)')
            result.stdout  # '42\\n'
        """

    @abc.abstractmethod
    def exec(self, code: str, globals: dict | None = None, locals: dict | None = None) -> None:
        """Run ``code`` **in the caller's process** with the given namespaces, as Python's ``exec`` does.

        Only for code you trust: it runs with every power your own program has.

        Args:
            code: Python source code.
            globals: The global namespace to run in.
            locals: The local namespace to run in.

        Example::

            from dosaku import Agent

            agent = Agent(enable_executors=True)
            agent.learn('Tester')
            agent.Tester.exec('def gcd(a, b):\\n    while b:\\n        a, b = b, a % b\\n    return a',
                              globals=globals())
            gcd(10, 15)  # 5
        """
