"""The bases of every module: :class:`Module` (local), :class:`Service` (remote API) and :class:`Executor` (may run
generated code).

A module is the machine-space implementation of one or more tasks. Subclass the task specs you implement, e.g.
``class EchoBot(Module, Chat)``, and register a :class:`dosaku.ModuleSpec` for it from a plugin.
"""
from __future__ import annotations

from typing import Any, ClassVar, Literal

Kind = Literal["module", "service", "executor"]


class Module:
    """A local module: it may download models, but sends no data away and runs no generated code.

    Modules that hold large models may implement :meth:`load`, :meth:`unload` and :meth:`to` so the agent's
    resource manager can move them between devices; plain modules need none of them.

    Example::

        from dosaku import Module
        from dosaku.tasks import Chat

        class Parrot(Module, Chat):
            def message(self, message, **kwargs):
                return message
    """

    kind: ClassVar[Kind] = "module"

    def load(self) -> None:
        """Load whatever the module needs (model weights...) before its first call. Optional."""

    def unload(self) -> None:
        """Free what :meth:`load` took. The module must still work afterwards (loading again when called)."""

    def to(self, device: str) -> Any:
        """Move the module to ``device`` (``'cpu'``, ``'cuda'``, ``'cuda:1'``...). Returns the module."""
        return self


class Service(Module):
    """A module that sends data to a remote, maybe paid, API. Refused unless the agent enables services.

    Every call a service makes goes through its :attr:`meter` (:mod:`dosaku.services`), which books the spend
    and refuses calls that could pass the spend limit. The agent sets the meter when it learns the service;
    a service used on its own makes one from the user's config on first use.
    """

    kind: ClassVar[Kind] = "service"
    _meter: Any = None

    @property
    def meter(self) -> Any:
        """This service's :class:`dosaku.services.Meter`."""
        if self._meter is None:
            from dosaku.services.spending import default_meter

            self._meter = default_meter(type(self).__name__, getattr(self, "config", None))
        return self._meter

    @meter.setter
    def meter(self, meter: Any) -> None:
        self._meter = meter


class Executor(Module):
    """A module that may run dynamically generated code. Refused unless the agent enables executors."""

    kind: ClassVar[Kind] = "executor"


def kind_of(module_class: type) -> Kind:
    """The kind of a module class: ``'module'``, ``'service'`` or ``'executor'``."""
    return getattr(module_class, "kind", "module")
