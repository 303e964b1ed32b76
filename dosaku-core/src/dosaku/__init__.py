"""Dosaku: an open-source personal AI assistant framework.

Importing ``dosaku`` is cheap: it imports no model library and touches no disk; names are imported on first use.

Example::

    from dosaku import Agent

    agent = Agent()
    agent.learn('Chat')
    agent.Chat.message("Hello, what's your name?")
"""
from __future__ import annotations

__version__ = "0.2.0"

_EXPORTS = {
    "Agent": "dosaku.agent",
    "Config": "dosaku.config",
    "Secret": "dosaku.config",
    "Task": "dosaku.task",
    "optional_action": "dosaku.task",
    "Module": "dosaku.module",
    "Service": "dosaku.module",
    "Executor": "dosaku.module",
    "ModuleSpec": "dosaku.spec",
    "TaskSpec": "dosaku.spec",
    "hookimpl": "dosaku.hookspecs",
    "hookspec": "dosaku.hookspecs",
    "DosakuError": "dosaku.errors",
    "TaskNotFound": "dosaku.errors",
    "ModuleNotFound": "dosaku.errors",
    "ModuleNotInstalled": "dosaku.errors",
    "ModuleDoesNotImplementTask": "dosaku.errors",
    "ModuleLoadError": "dosaku.errors",
    "PermissionRequired": "dosaku.errors",
    "ServicePermissionRequired": "dosaku.errors",
    "ExecutorPermissionRequired": "dosaku.errors",
    "TaskNotLearned": "dosaku.errors",
    "ActionNotFound": "dosaku.errors",
    "ConfigError": "dosaku.errors",
    "MissingConfigValue": "dosaku.errors",
    "MissingAPIKey": "dosaku.errors",
    "PluginError": "dosaku.errors",
}

__all__ = sorted(_EXPORTS)

TYPE_CHECKING = False  # importing typing would cost every start milliseconds (see benchmarks/bench_core.py)
if TYPE_CHECKING:
    from typing import Any

    from dosaku.agent import Agent
    from dosaku.config import Config, Secret
    from dosaku.errors import (
        ActionNotFound,
        ConfigError,
        DosakuError,
        ExecutorPermissionRequired,
        MissingAPIKey,
        MissingConfigValue,
        ModuleDoesNotImplementTask,
        ModuleLoadError,
        ModuleNotFound,
        ModuleNotInstalled,
        PermissionRequired,
        PluginError,
        ServicePermissionRequired,
        TaskNotFound,
        TaskNotLearned,
    )
    from dosaku.hookspecs import hookimpl, hookspec
    from dosaku.module import Executor, Module, Service
    from dosaku.spec import ModuleSpec, TaskSpec
    from dosaku.task import Task, optional_action


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(__import__(_EXPORTS[name], fromlist=[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dosaku' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
