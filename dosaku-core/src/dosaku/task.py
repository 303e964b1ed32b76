"""The base of every task spec.

A task lives in the human space: an abstract interface whose docstring says what it is and whose abstract methods
are its *actions*. A task never does the work; modules do (see :mod:`dosaku.module`).
"""
from __future__ import annotations

import abc
import inspect
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from dosaku.errors import DosakuError

F = TypeVar("F", bound=Callable[..., Any])


class ActionNotImplemented(DosakuError, NotImplementedError):
    """A module does not provide an optional action of its task."""


def optional_action(func: F) -> F:
    """Mark a task method as an *optional* action: modules may implement it, the agent exposes it if they do.

    Example::

        class Chat(Task):
            @optional_action
            def reset(self) -> None:
                '''Forget the conversation so far.'''
    """

    def not_implemented(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise ActionNotImplemented(
            f"{type(self).__name__} does not implement the optional action {func.__name__!r}."
        )

    not_implemented.__name__ = func.__name__
    not_implemented.__qualname__ = func.__qualname__
    not_implemented.__doc__ = func.__doc__
    not_implemented.__annotations__ = func.__annotations__
    not_implemented.__optional_action__ = True  # type: ignore[attr-defined]
    return not_implemented  # type: ignore[return-value]


class Task(abc.ABC):
    """Base class of every task spec.

    Subclasses declare actions as ``@abc.abstractmethod`` methods with docstrings (Args, Returns, Example), and
    may name a ``default_action`` so that ``agent.TaskName(...)`` equals ``agent.TaskName.default_action(...)``.
    """

    default_action: ClassVar[str | None] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Do the task's default action."""
        if self.default_action is None:
            raise DosakuError(f"{type(self).__name__} has no default action; call one of its actions by name.")
        return getattr(self, self.default_action)(*args, **kwargs)


def is_task(obj: object) -> bool:
    """True when ``obj`` is a task spec class (a subclass of :class:`Task`, not Task itself)."""
    return inspect.isclass(obj) and issubclass(obj, Task) and obj is not Task


def required_actions(task: type[Task]) -> list[str]:
    """The abstract actions of ``task`` in the order they are defined (base classes first).

    Example::

        >>> from dosaku.tasks import Chat
        >>> required_actions(Chat)
        ['message']
    """
    names: list[str] = []
    for klass in reversed(task.__mro__):
        for name, value in vars(klass).items():
            if getattr(value, "__isabstractmethod__", False) and name not in names:
                names.append(name)
    return [name for name in names if name in task.__abstractmethods__]


def optional_actions(task: type[Task]) -> list[str]:
    """The optional actions (marked with :func:`optional_action`) of ``task``, in definition order."""
    names: list[str] = []
    for klass in reversed(task.__mro__):
        for name, value in vars(klass).items():
            if getattr(value, "__optional_action__", False) and name not in names:
                names.append(name)
    return names


def missing_actions(task: type[Task], module_class: type) -> list[str]:
    """The required actions of ``task`` that ``module_class`` does not implement."""
    missing = []
    for name in required_actions(task):
        impl = getattr(module_class, name, None)
        if impl is None or not callable(impl) or getattr(impl, "__isabstractmethod__", False):
            missing.append(name)
    return missing


def implements(module_class: type, action: str) -> bool:
    """True when ``module_class`` really implements ``action`` (not the optional-action stub)."""
    impl = getattr(module_class, action, None)
    return callable(impl) and not getattr(impl, "__optional_action__", False) and not getattr(
        impl, "__isabstractmethod__", False
    )


def accepts_keyword(function: Any, name: str, strict: bool = False) -> bool:
    """Whether ``function`` (or a class's constructor) takes the keyword argument ``name``: by that name, or,
    unless ``strict``, through ``**kwargs``.

    Example::

        >>> accepts_keyword(lambda message, stream=False: None, 'stream')
        True
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or (not strict and p.kind is inspect.Parameter.VAR_KEYWORD) for p in parameters)
