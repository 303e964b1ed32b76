"""``agent.TaskName``: a learned task, whose attributes are the module's actions."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku.errors import ActionNotFound, DosakuError

#: Wraps one action of a learned module (e.g. to meter it or move the module back onto its device).
ActionWrapper = Callable[[str, Callable[..., Any]], Callable[..., Any]]
#: Attribute names of a learned task that are not actions (a task may not name an action so).
RESERVED = frozenset({"module", "module_name", "task_name", "actions"})


class LearnedTask:
    """A task the agent has learned: ``agent.Chat.message(...)``, or ``agent.Chat(...)`` for the default action.

    Each action is stored as a plain attribute bound to the module, so a call through the agent costs one
    attribute lookup more than calling the module itself.

    Besides its actions it has :attr:`task_name`, :attr:`module`, :attr:`module_name` and :attr:`actions` (the
    required actions, then the optional ones the module implements).

    Example::

        agent.learn('Chat')
        agent.Chat                     # <LearnedTask Chat by EchoBot: message, history, reset>
        agent.Chat.message('Hello')    # same as agent.Chat('Hello')
        agent.Chat.module_name         # 'EchoBot'
    """

    def __init__(
        self,
        task: str,
        actions: list[str],
        default_action: str | None,
        module: Any,
        module_name: str,
        wrap: ActionWrapper | None = None,
    ):
        clashing = RESERVED.intersection(actions)
        if clashing:
            raise DosakuError(f"The task {task!r} names an action {sorted(clashing)[0]!r}, which a learned task "
                              f"keeps for itself ({', '.join(sorted(RESERVED))}); rename the action.")
        state = self.__dict__
        state["_task"], state["_module"], state["_module_name"] = task, module, module_name
        state["_actions"], state["_default_action"] = tuple(actions), default_action
        for action in actions:
            function = getattr(module, action)
            state[action] = wrap(action, function) if wrap else function

    @property
    def task_name(self) -> str:
        """The task's name."""
        return self._task

    @property
    def module(self) -> Any:
        """The module instance that does this task."""
        return self._module

    @property
    def module_name(self) -> str:
        """The registered name of the module that does this task."""
        return self._module_name

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions this learned task exposes."""
        return self._actions

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._default_action is None:
            raise DosakuError(
                f"The task {self._task!r} has no default action; call one of {', '.join(self._actions)} by name, "
                f"e.g. agent.{self._task}.{self._actions[0]}(...)."
            )
        return self.__dict__[self._default_action](*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_"):
            raise AttributeError(name)
        raise ActionNotFound(self._task, name, self._actions)

    def __setattr__(self, name: str, value: Any) -> None:
        raise DosakuError(f"Actions of a learned task cannot be replaced (agent.{self._task}.{name} = ...).")

    def __dir__(self) -> list[str]:
        return sorted(set(self._actions) | RESERVED)

    def __repr__(self) -> str:
        return f"<LearnedTask {self._task} by {self._module_name}: {', '.join(self._actions)}>"
