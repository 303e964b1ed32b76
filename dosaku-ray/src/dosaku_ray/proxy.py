"""The stand-in an agent holds for a module placed on Ray: the module's actions, called through a DeploymentHandle.

``agent.Chat.message(...)`` calls ``RemoteEchoBot.message``, which sends ``('message', args, kwargs)`` to a
replica and returns its result, or a generator over the streamed items, or raises the replica's exception as
the same type. Ray failures become :mod:`dosaku_ray.errors` with what to do.
"""
from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Iterator
from typing import Any

from dosaku.task import implements, is_task, optional_actions, required_actions

from dosaku_ray.errors import RayPlacementError, RemoteCallTimeout, ReplicaLost
from dosaku_ray.remote_errors import unpack

log = logging.getLogger(__name__)


class RemoteModule:
    """Base of the stand-ins; :func:`proxy_class` adds the module's actions.

    Attributes:
        deployment: The Serve application doing the work (:class:`~dosaku_ray.deployment.Deployment`).
    """

    kind = "module"
    module_class: type = object

    def __init__(self, deployment: Any, redeploy: Any, call_timeout_s: float):
        self.deployment, self._redeploy, self._timeout = deployment, redeploy, call_timeout_s
        self._meter: Any = None
        self._remote_meter: Any = None
        self._bind()

    def _bind(self) -> None:
        self._stream_handle = self.deployment.handle.options(method_name="call", stream=True)

    # --- metering (services) ------------------------------------------------------------------------------
    @property
    def meter(self) -> Any:
        """The agent's meter; the replica meters each call with a copy booking in the same ledger."""
        return self._meter

    @meter.setter
    def meter(self, meter: Any) -> None:
        from dosaku_ray.ledger import remote_meter

        self._meter, self._remote_meter = meter, remote_meter(meter)

    # --- calls --------------------------------------------------------------------------------------------
    def _call(self, action: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        if self.deployment is None:  # unloaded: place it again
            self.deployment = self._redeploy()
            self._bind()
        meter = self._remote_meter if self.kind == "service" else None
        response = self._stream_handle.remote(action, args, kwargs, meter)
        tag, value = self._first(response)
        if tag == "value":
            return value
        if tag == "error":
            raise unpack(value, self._where())
        return self._stream(response)

    def _first(self, response: Any) -> tuple[str, Any]:
        try:
            fetch = getattr(response, "_fetch_future_result_sync", None)
            if fetch is not None:  # bounded wait for a replica to take the call
                fetch(self._timeout)
            return next(response)
        except Exception as error:  # noqa: BLE001 - translated to what the user can act on
            raise self._translate(error) from error

    def _stream(self, response: Any) -> Iterator[Any]:
        done = False
        try:
            while True:
                try:
                    tag, value = next(response)
                except StopIteration:
                    done = True
                    return
                except Exception as error:  # noqa: BLE001
                    done = True
                    raise self._translate(error) from error
                if tag == "error":
                    done = True
                    raise unpack(value, self._where())
                yield value
        finally:
            if not done:  # the caller stopped early: stop the replica's generator too
                response.cancel()

    def _where(self) -> str:
        return f"{self.module_class.__name__} on Ray (Serve application {self.deployment.app!r})"

    def _translate(self, error: Exception) -> Exception:
        from ray import exceptions as rx

        name = self.module_class.__name__
        if isinstance(error, TimeoutError):
            return RemoteCallTimeout(
                f"No replica of {name} took the call within {self._timeout:g} s (Serve application "
                f"{self.deployment.app!r}). Its node may be down or still starting; `dosaku ray status` shows the "
                f"replicas. Raise [RAY] CALL_TIMEOUT_S to wait longer."
            )
        if isinstance(error, (rx.RayActorError, rx.NodeDiedError, rx.WorkerCrashedError)):
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            return ReplicaLost(
                f"The replica running {name} was lost during the call ({first}); the call did not complete. Ray "
                f"Serve starts a new replica as soon as a node with what it needs "
                f"({', '.join(f'{k}={v}' for k, v in self.deployment.options.items())}) is available: call again "
                f"then. A new replica starts afresh (a conversation or game in progress is lost)."
            )
        return RayPlacementError(f"Calling {name} on Ray failed: {type(error).__name__}: {error}")

    # --- operations ---------------------------------------------------------------------------------------
    def replica_info(self) -> dict[str, Any]:
        """Where a replica of this module runs: ``{'node_id', 'hostname', 'pid', 'module', 'error'}``.

        Example::

            agent.Chat.module.replica_info()['hostname']  # 'gpu-box'
        """
        if self.deployment is None:
            self.deployment = self._redeploy()
            self._bind()
        return self.deployment.info(self._timeout)

    def unload(self) -> None:
        """Remove this module's Serve application if this process made it (the agent calls this on unlearn)."""
        if self.deployment is not None:
            self.deployment.delete()
            self.deployment = None

    def __repr__(self) -> str:
        app = self.deployment.app if self.deployment is not None else "not deployed"
        return f"<{type(self).__name__} on Ray: {app}>"


def actions_of(module_class: type) -> list[str]:
    """Every task action ``module_class`` implements (of every task it subclasses)."""
    names: list[str] = []
    for task in module_class.__mro__:
        if not is_task(task):
            continue
        for name in required_actions(task) + optional_actions(task):
            if name not in names and implements(module_class, name):
                names.append(name)
    return names


def _action(name: str, original: Any) -> Any:
    def action(self: RemoteModule, *args: Any, **kwargs: Any) -> Any:
        return self._call(name, args, kwargs)

    action.__name__ = action.__qualname__ = name
    action.__doc__ = inspect.getdoc(original)
    return action


@functools.cache
def proxy_class(module_class: type) -> type:
    """A :class:`RemoteModule` subclass with ``module_class``'s actions (cached per class)."""
    namespace: dict[str, Any] = {
        name: _action(name, getattr(module_class, name)) for name in actions_of(module_class)
    }
    namespace.update(kind=getattr(module_class, "kind", "module"), module_class=module_class)
    namespace["__doc__"] = f"{module_class.__name__} placed on Ray (see dosaku_ray.proxy.RemoteModule)."
    return type(f"Remote{module_class.__name__}", (RemoteModule,), namespace)
