"""Every error Dosaku raises on purpose is a :class:`DosakuError`.

Each message says what was wrong and how to fix it. Errors that stand for a failed lookup also derive from the
matching builtin (``LookupError``, ``AttributeError``) so that ``hasattr`` and ``dict``-style code keep working.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class DosakuError(Exception):
    """Base class of every error Dosaku raises on purpose."""


def close_matches(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` names from ``candidates`` that look like ``name`` (case-insensitive).

    Example::

        >>> close_matches('chat', ['Chat', 'PlayGo'])
        ['Chat']
    """
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=0.6)
    return [by_lower[match] for match in found]


def _suggest(name: str, candidates: Iterable[str]) -> str:
    matches = close_matches(name, candidates)
    return f" Did you mean: {', '.join(matches)}?" if matches else ""


class TaskNotFound(DosakuError, LookupError):
    """No installed plugin defines a task of this name."""

    def __init__(self, name: str, known: Iterable[str] = ()):
        known = sorted(known)
        self.name, self.close_matches = name, close_matches(name, known)
        super().__init__(
            f"Unknown task {name!r}.{_suggest(name, known)} "
            f"See agent.learnable_tasks (or `dosaku tasks`) for the tasks that can be learned."
        )


class ModuleNotFound(DosakuError, LookupError):
    """No installed plugin defines a module of this name."""

    def __init__(self, name: str, known: Iterable[str] = ()):
        known = sorted(known)
        self.name, self.close_matches = name, close_matches(name, known)
        super().__init__(
            f"Unknown module {name!r}.{_suggest(name, known)} "
            f"See `dosaku modules` for the installed modules."
        )


class ModuleNotInstalled(DosakuError, LookupError):
    """The task is known but no installed module implements it."""

    def __init__(self, task: str, hint: str = ""):
        self.task = task
        hint = hint or (
            f"Install a module pack that provides it (see `dosaku tasks --all`), "
            f"or write a module that implements {task} and register it with a plugin."
        )
        super().__init__(f"No installed module implements the task {task!r}. {hint}")


class ModuleDoesNotImplementTask(DosakuError, TypeError):
    """A module is not for the task it was learned for, or lacks some of the task's actions."""

    def __init__(self, module: str, task: str, missing: Iterable[str], alternatives: Iterable[str] | None = None):
        self.module, self.task, self.missing = module, task, sorted(missing)
        if alternatives is not None:
            others = ", ".join(alternatives) or "none installed"
            message = (
                f"Module {module!r} does not implement the task {task!r}. "
                f"Modules that do: {others} (see `dosaku modules {task}`)."
            )
        else:
            message = (
                f"Module {module!r} does not implement the task {task!r}: missing action(s) "
                f"{', '.join(self.missing)}. Choose another module with agent.learn({task!r}, module=...), "
                f"or implement the missing action(s)."
            )
        super().__init__(message)


class ModuleLoadError(DosakuError):
    """Importing or constructing a module failed."""


class PlacementNotAvailable(DosakuError, LookupError):
    """A module was to be placed somewhere (``placement='ray'``) that no installed plugin handles."""

    def __init__(self, placement: str, module: str):
        self.placement, self.module = placement, module
        hint = "install dosaku-ray (pip install dosaku-ray)" if placement == "ray" else "install a plugin that does"
        super().__init__(
            f"No installed plugin places modules on {placement!r} (asked for {module!r}): {hint}, or learn it with "
            f"placement='local' (and check [PLACEMENT] {module} in config.ini)."
        )


class PermissionRequired(DosakuError, PermissionError):
    """The agent lacks a permission (services, executors) that a module needs."""


class ServicePermissionRequired(PermissionRequired):
    """A service (a module that sends data to a remote, maybe paid, API) was refused."""

    default_message = (
        "Loaded module was a service, but services have not been enabled. "
        "Enable services or load a non-service module."
    )

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default_message)


class ExecutorPermissionRequired(PermissionRequired):
    """An executor (a module that may run generated code) was refused."""

    default_message = (
        "Loaded module was an executor, but executors have not been enabled. "
        "Enable executors or load a non-executor module."
    )

    def __init__(self, message: str | None = None):
        super().__init__(message or self.default_message)


class ChatCannotCallTools(DosakuError, TypeError):
    """The Chat module does not support tool calls, so an agent cannot do requests with it."""


class TaskNotLearned(DosakuError, AttributeError):
    """The agent was asked to do a task it has not learned."""

    def __init__(self, name: str, learned: Iterable[str] = (), learnable: Iterable[str] = ()):
        learned, learnable = list(learned), list(learnable)
        self.name = name
        if name in learnable:
            message = f"The agent has not learned the task {name!r}. Learn it first: agent.learn({name!r})."
        else:
            message = (
                f"The agent knows no task {name!r}.{_suggest(name, learned + learnable)} "
                f"Learned tasks: {learned or 'none'}."
            )
        super().__init__(message)


class ActionNotFound(DosakuError, AttributeError):
    """A learned task has no action of this name."""

    def __init__(self, task: str, action: str, actions: Iterable[str] = ()):
        actions = list(actions)
        self.task, self.action = task, action
        super().__init__(
            f"The task {task!r} has no action {action!r}.{_suggest(action, actions)} "
            f"Its actions are: {', '.join(actions) or 'none'} (see agent.api({task!r}))."
        )


class ConfigError(DosakuError):
    """The configuration is missing something or holds a bad value."""


class MissingConfigValue(ConfigError, KeyError):
    """A configuration entry is not set."""

    def __init__(self, section: str, key: str, env_var: str | None = None, path: str | None = None):
        self.section, self.key, self.env_var = section, key, env_var
        where = f" in {path}" if path else ""
        how = f" or set the environment variable {env_var}" if env_var else ""
        super().__init__(f"The configuration has no [{section}] {key}. Set it{where}{how}.")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class MissingAPIKey(ConfigError):
    """A service needs an API key that is not configured."""

    def __init__(self, name: str, env_var: str | None = None):
        self.name, self.env_var = name, env_var
        how = f"set the environment variable {env_var}, or " if env_var else ""
        super().__init__(
            f"No API key for {name} is configured. To use it, {how}run `dosaku keys set {name}` "
            f"(stores it under [API_KEYS] {name} in your config.ini)."
        )


class PluginError(DosakuError):
    """A plugin failed to import or register (raised only with DOSAKU_STRICT_PLUGINS=1)."""


class ServiceError(DosakuError):
    """A service (remote API) call failed. ``partial`` holds what had arrived before it failed, if anything.

    Attributes:
        service: The service's name, e.g. ``'OpenAIChat'``.
        status: The HTTP status the remote answered with, when there was one.
        partial: The partial result received before the failure (e.g. the text of a stream cut mid-way).
    """

    def __init__(self, message: str, *, service: str = "", status: int | None = None, partial: object = None):
        self.service, self.status, self.partial = service, status, partial
        super().__init__(message)


class ServiceAuthError(ServiceError):
    """The remote refused the API key (HTTP 401/403). The message names the key or config entry to set."""


class ServiceRateLimited(ServiceError):
    """The remote kept answering 429 (too many requests) after the retries."""


class ServiceUnavailable(ServiceError):
    """The remote kept failing (HTTP 5xx, or it could not be reached) after the retries."""


class ServiceTimeout(ServiceError):
    """The remote did not answer in time."""


class ServiceRequestRejected(ServiceError, ValueError):
    """The remote rejected the request itself (HTTP 400/404/413/422...): fix the request, retrying will not help."""


class OutOfCredits(ServiceError):
    """The service account has no credits left (HTTP 402)."""


class SpendLimitExceeded(DosakuError):
    """A service call was refused before sending anything, because it could take spending past the limit.

    Attributes:
        limit_usd: The spend limit.
        spent_usd: What was already spent (and reserved by calls in flight) in the limit's period.
        needed_usd: The worst-case cost of the refused call.
    """

    def __init__(self, service: str, limit_usd: float, spent_usd: float, needed_usd: float, period: str = "day"):
        self.service, self.limit_usd, self.spent_usd, self.needed_usd = service, limit_usd, spent_usd, needed_usd
        when = "today" if period == "day" else "in total"
        super().__init__(
            f"{service}: refused before sending, this call could cost up to ${needed_usd:.4f} but "
            f"${spent_usd:.4f} of the ${limit_usd:.2f} spend limit is already spent or reserved {when}. "
            f"Raise the limit (Agent(spend_limit_usd=...) or [SERVICES] SPEND_LIMIT_USD in config.ini), "
            f"lower max_tokens, or see `dosaku spend`."
        )


class PriceUnknown(SpendLimitExceeded):
    """A spend limit is set but the price of the model is unknown, so the call's cost cannot be bounded."""

    def __init__(self, service: str, model: str, limit_usd: float):
        self.service, self.model, self.limit_usd = service, model, limit_usd
        self.spent_usd, self.needed_usd = 0.0, float("nan")
        DosakuError.__init__(
            self,
            f"{service}: refused before sending, the price of {model!r} is unknown, so the ${limit_usd:.2f} spend "
            f"limit cannot be enforced. Set its price in config.ini, e.g. [PRICES] {model} = input=0.15, output=0.60 "
            f"(USD per million tokens), or allow unknown prices (Agent(allow_unknown_prices=True) or "
            f"[SERVICES] ALLOW_UNKNOWN_PRICES = yes).",
        )
