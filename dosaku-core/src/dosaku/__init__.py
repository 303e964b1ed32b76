"""Dosaku: an open-source personal AI assistant framework.

Importing ``dosaku`` is cheap: it imports no model library and touches no disk.

Example::

    from dosaku import Agent

    agent = Agent()
    agent.learn('Chat')
    agent.Chat.message("Hello, what's your name?")
"""
from __future__ import annotations

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
    PlacementNotAvailable,
    PluginError,
    ServicePermissionRequired,
    TaskNotFound,
    TaskNotLearned,
)
from dosaku.module import Executor, Module, Service
from dosaku.plugins.hookspecs import hookimpl, hookspec
from dosaku.spec import ModuleSpec, TaskSpec
from dosaku.task import Task, optional_action
from dosaku.version import __version__

__all__ = [
    "ActionNotFound",
    "Agent",
    "Config",
    "ConfigError",
    "DosakuError",
    "Executor",
    "ExecutorPermissionRequired",
    "MissingAPIKey",
    "MissingConfigValue",
    "Module",
    "ModuleDoesNotImplementTask",
    "ModuleLoadError",
    "ModuleNotFound",
    "ModuleNotInstalled",
    "ModuleSpec",
    "PermissionRequired",
    "PlacementNotAvailable",
    "PluginError",
    "Secret",
    "Service",
    "ServicePermissionRequired",
    "Task",
    "TaskNotFound",
    "TaskNotLearned",
    "TaskSpec",
    "hookimpl",
    "hookspec",
    "optional_action",
]
