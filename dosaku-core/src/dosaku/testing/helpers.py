"""Building agents and plugin managers for tests, without installing anything."""
from __future__ import annotations

import types
from collections.abc import Iterable
from typing import Any

from dosaku.agent import Agent
from dosaku.config import Config
from dosaku.plugins import PluginManager, hookimpl, plugin_manager
from dosaku.services import Price
from dosaku.spec import ModuleSpec, TaskSpec


def in_process_plugin(
    name: str,
    tasks: Iterable[TaskSpec | type] = (),
    modules: Iterable[ModuleSpec] = (),
    prices: dict[str, Price | str] | None = None,
) -> types.ModuleType:
    """Make a plugin module object that registers ``tasks``, ``modules`` and ``prices`` (model to price).

    Example::

        plugin = in_process_plugin('parrot', modules=[ModuleSpec('Parrot', ('Chat',), target=Parrot)])
        agent = isolated_agent(plugin)
    """
    plugin = types.ModuleType(name)
    tasks, modules = list(tasks), list(modules)

    @hookimpl
    def register_tasks(register: Any) -> None:
        for task in tasks:
            register(task)

    @hookimpl
    def register_modules(register: Any) -> None:
        for module in modules:
            register(module)

    @hookimpl
    def register_prices(register: Any) -> None:
        for model, price in (prices or {}).items():
            register(model, price)

    plugin.register_tasks = register_tasks  # type: ignore[attr-defined]
    plugin.register_modules = register_modules  # type: ignore[attr-defined]
    plugin.register_prices = register_prices  # type: ignore[attr-defined]
    return plugin


def make_plugin_manager(*plugins: Any, entry_points: bool = False) -> PluginManager:
    """A plugin manager with core's default plugins and ``plugins`` (installed plugins only if asked for)."""
    return plugin_manager(*plugins, entry_points=entry_points)


def isolated_agent(*plugins: Any, entry_points: bool = False, config: Config | None = None, **kwargs: Any) -> Any:
    """An :class:`~dosaku.Agent` with core's plugins and ``plugins``, and an empty config unless one is given.

    Example::

        agent = isolated_agent(enable_services=True)
    """
    if config is None:
        config = Config(path="/nonexistent/dosaku-test-config.ini", environ={})
    return Agent(config=config, plugin_manager=make_plugin_manager(*plugins, entry_points=entry_points), **kwargs)
