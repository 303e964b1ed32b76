"""The Agent: learns tasks, picks and guards the modules that do them, and exposes ``agent.TaskName.action()``."""
from __future__ import annotations

import os

from dosaku.errors import (
    ActionNotFound,
    DosakuError,
    ExecutorPermissionRequired,
    ModuleLoadError,
    ServicePermissionRequired,
    TaskNotLearned,
)

TYPE_CHECKING = False  # typing's import would cost every start milliseconds (see benchmarks/bench_core.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar

    from dosaku.catalog import Catalog
    from dosaku.config import Config
    from dosaku.installer import InstallPlan
    from dosaku.learned_task import LearnedTask
    from dosaku.learning import LoadedModule
    from dosaku.metering import Spending
    from dosaku.plugin_failure import PluginFailure
    from dosaku.plugins import PluginManager
    from dosaku.registry import Registry
    from dosaku.resources import ResourceManager


class Agent:
    """A personal AI assistant that learns tasks and does them through modules.

    Args:
        enable_services: Allow modules that send data to remote, maybe paid, APIs.
        enable_executors: Allow modules that may run generated code.
        config: The configuration to use (default: :class:`dosaku.Config` from the user's config directory).
        plugin_manager: The plugins to use (default: core's own plugins and every installed one).
        catalog: The known module packs it may offer to install (default: the catalog shipped with Dosaku).
        spend_limit_usd: Refuse service calls that could take spending past this many USD per day
            (default ``[SERVICES] SPEND_LIMIT_USD``; none when unset). See :mod:`dosaku.metering`.
        allow_unknown_prices: Let calls to models without a known price pass the spend limit.
        log: Keep this agent's conversations in the log (:mod:`dosaku.logs`): None (default) unless
            ``[LOGS] ENABLED = false``; False: never; True: always; or a :class:`dosaku.logs.LogStore` to write to.

    Example::

        from dosaku import Agent

        agent = Agent()
        agent.tasks                       # []
        agent.learn('Chat')
        agent.tasks                       # ['Chat']
        agent.Chat.message("Hello, what's your name?")   # "Hi, I'm EchoBot. ..."
        agent.api('Chat')                 # ['message']
        agent.doc('Chat')                 # 'Interface for a generic conversational chatbot.'

    Named agents subclass it and learn what they need on init::

        class AgentSmith(Agent):
            name = 'AgentSmith'

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.learn('Chat', module='OpenAIChat', stream=False, system_prompt='...')
    """

    name: ClassVar[str] = "Agent"

    def __init__(
        self,
        enable_services: bool = False,
        enable_executors: bool = False,
        *,
        config: Config | None = None,
        plugin_manager: PluginManager | None = None,
        catalog: Catalog | None = None,
        spend_limit_usd: float | None = None,
        allow_unknown_prices: bool | None = None,
        log: Any = None,  # logs seam
    ):
        self._enable_services = bool(enable_services)
        self._enable_executors = bool(enable_executors)
        self._config = config
        self._plugin_manager = plugin_manager
        self._owns_plugin_manager = plugin_manager is None
        self._catalog = catalog
        self._registry: Registry | None = None
        self._folders_seen: str | None = None  # the plugin folders' signature when the registry was collected
        self._cached_directories: list[str] = []  # the plugin directories the registry cache covered
        self._learned: dict[str, LearnedTask] = {}
        self._loaded: dict[str, LoadedModule] = {}  # task -> the module doing it
        self._learn_failures: list[PluginFailure] = []
        self._resources: ResourceManager | None = None
        self._spending_policy = (spend_limit_usd, allow_unknown_prices)
        self._spending: Spending | None = None
        self._log = log  # logs seam: None (the config says), False, True or a dosaku.logs.LogStore

    @property
    def config(self) -> Config:
        """The configuration this agent uses: the one it was given, else :class:`dosaku.Config` (made on first use;
        an agent starts without parsing the config file when the registry cache is current)."""
        if self._config is None:
            from dosaku.config import Config

            self._config = Config()
        return self._config

    def _config_file(self) -> str:
        if self._config is not None:
            return os.fspath(self._config.path)
        from dosaku import locations

        return locations.config_file()

    @property
    def spending(self) -> Spending:
        """The spend policy and ledger of this agent's services (see :mod:`dosaku.metering`), made on first use."""
        if self._spending is None:
            from dosaku.metering import Spending

            self._spending = Spending(self.config, *self._spending_policy)
        return self._spending

    # --- permissions ---------------------------------------------------------------------------------------
    @property
    def enable_services(self) -> bool:
        """Whether this agent may use services (fixed when the agent is made)."""
        return self._enable_services

    @property
    def enable_executors(self) -> bool:
        """Whether this agent may use executors (fixed when the agent is made)."""
        return self._enable_executors

    def permits(self, kind: str) -> bool:
        """Whether this agent may use a module of ``kind`` (``'module'``, ``'service'`` or ``'executor'``)."""
        return {"service": self._enable_services, "executor": self._enable_executors}.get(kind, True)

    def _refuse(self, kind: str, message: str | None = None) -> DosakuError:
        return ServicePermissionRequired(message) if kind == "service" else ExecutorPermissionRequired(message)

    def _check_permission(self, kind: str) -> None:
        if not self.permits(kind):
            raise self._refuse(kind)

    # --- plugins -------------------------------------------------------------------------------------------
    @property
    def plugin_manager(self) -> PluginManager:
        """The plugin manager whose plugins this agent uses (built on first use)."""
        if self._plugin_manager is None:
            from dosaku.plugins import plugin_manager

            self._plugin_manager = plugin_manager(config=self.config)
        return self._plugin_manager

    @property
    def registry(self) -> Registry:
        """What the plugins make learnable (collected on first use; see :meth:`refresh`).

        An agent using the installed plugins reads them from a cache that any install, uninstall or change of a
        plugin invalidates (see :mod:`dosaku.registry_cache`), so it imports no plugin when nothing changed.
        """
        if self._registry is None:
            if self._plugin_manager is None:
                from dosaku.registry_cache import load_registry

                loaded = load_registry(self._config_file(), lambda: self.config, lambda: self.plugin_manager)
                self._registry, self._cached_directories, self._folders_seen = loaded
            else:
                from dosaku.registry import Registry

                self._folders_seen = self._folders_signature()
                self._registry = Registry.collect(self._plugin_manager, self.config)
        return self._registry

    def _plugin_directories(self) -> list[Any]:
        if not self._owns_plugin_manager:
            return list(getattr(self.plugin_manager, "directories", ()))
        if self._config is None:  # still the config file the registry cache covered
            return self._cached_directories
        from dosaku.directory_plugins import plugin_directories

        return plugin_directories(self.config)

    def _folders_signature(self) -> str:
        from dosaku.directory_plugins import directories_signature

        return directories_signature(self._plugin_directories())

    def _notice_new_folders(self) -> None:
        """Refresh when a plugin folder was added, removed or edited since the registry was collected."""
        if self._registry is not None and self._folders_signature() != self._folders_seen:
            import logging

            logging.getLogger(__name__).info("the plugin folders changed: refreshing")
            self.refresh()

    def refresh(self) -> None:
        """See plugins installed (or removed) since the agent was made, and new or changed plugin folders in the
        user's plugin directories (see :mod:`dosaku.directory_plugins`), without a restart.

        Learned tasks stay as they are. :attr:`learnable_tasks` and :meth:`learn` notice changed plugin folders by
        themselves; installed distributions need this call.

        Example::

            agent.refresh()
            'TicTacToe' in agent.learnable_tasks
        """
        import importlib

        from dosaku.registry import Registry

        importlib.invalidate_caches()
        if self._owns_plugin_manager:
            from dosaku.plugins import plugin_manager

            self._plugin_manager = plugin_manager(config=self.config)  # anew, so uninstalled plugins go too
        else:
            self.plugin_manager.load_entry_points()
            self.plugin_manager.load_directories()
        self._folders_seen = self._folders_signature()
        self._registry = Registry.collect(self.plugin_manager, self.config)

    @property
    def plugin_errors(self) -> list[PluginFailure]:
        """The plugins that failed to import, register or learn, and why.

        Example::

            for error in agent.plugin_errors:
                print(error.plugin, error.distribution, error.phase, error.error)
        """
        return [*self.registry.failures, *self._learn_failures]

    # --- what the agent knows -------------------------------------------------------------------------------
    @property
    def tasks(self) -> list[str]:
        """The tasks this agent has learned, in the order learned.

        Example::

            agent.tasks  # ['Chat']
        """
        return list(self._learned)

    @property
    def learnable_tasks(self) -> list[str]:
        """Every task the installed plugins make learnable, sorted.

        Example::

            agent.learnable_tasks  # ['Chat', 'PlayGo', 'Ponder', 'RestoreFaces', 'Tester', 'TextToImage', ...]
        """
        self._notice_new_folders()
        return sorted(self.registry.tasks)

    @property
    def loaded_modules(self) -> list[str]:
        """The modules doing this agent's learned tasks, in the order loaded.

        Example::

            agent.learn('RestoreFaces')
            agent.loaded_modules  # ['GFPGAN']
        """
        return list(dict.fromkeys(loaded.name for loaded in self._loaded.values()))

    def learnable_modules(self, task: str | None = None) -> list[str]:
        """The installed modules (for ``task``, best first), whether or not this agent may use them.

        Example::

            agent.learnable_modules('Chat')  # ['EchoBot', 'LlamaCppChat', 'OpenAIChat']
        """
        if task is None:
            return sorted(self.registry.modules)
        self.registry.task(task)
        return [spec.name for spec in self.registry.modules_for(task)]

    def _task_class(self, task: str) -> type:
        spec = self.registry.task(task)
        try:
            return spec.load()
        except DosakuError:
            raise
        except Exception as error:
            from dosaku.plugin_failure import failure

            self._learn_failures.append(failure(spec.plugin, "learn", error, *self.registry.source_of(spec.plugin)))
            raise ModuleLoadError(f"The task spec {task!r} could not be imported ({spec.target}): {error}") from error

    def api(self, task: str, include_optional: bool = False) -> list[str]:
        """The actions of ``task`` (learned or learnable).

        Args:
            task: The task's name.
            include_optional: Also list optional actions (e.g. Chat's ``history`` and ``reset``).

        Example::

            agent.api('Chat')                         # ['message']
            agent.api('Chat', include_optional=True)  # ['message', 'history', 'reset']
        """
        from dosaku.task import optional_actions, required_actions

        task_class = self._task_class(task)
        actions = required_actions(task_class)
        return actions + optional_actions(task_class) if include_optional else actions

    def doc(self, task: str, action: str | None = None) -> str:
        """The documentation of ``task``, or of one of its actions (with Args, Returns and Example).

        Example::

            agent.doc('Chat')                    # 'Interface for a generic conversational chatbot.'
            agent.doc('Chat', action='message')  # 'Send a message to the agent and get a response. ...'
        """
        import inspect

        task_class = self._task_class(task)
        if action is None:
            return inspect.getdoc(task_class) or ""
        actions = self.api(task, include_optional=True)
        if action not in actions:
            raise ActionNotFound(task, action, actions)
        return inspect.getdoc(getattr(task_class, action)) or ""

    # --- learning ------------------------------------------------------------------------------------------
    def learn(self, task: str, module: str | None = None, *, placement: str | None = None, **kwargs: Any) -> None:
        """Learn ``task``: pick a module for it, check permissions, build the module and expose its actions.

        Args:
            task: The task's name, e.g. ``'Chat'``.
            module: The module to use (default: ``[DEFAULT_MODULES]`` in the config, else the task's default,
                else the best installed module this agent may use; a service is never picked while a local
                module exists).
            placement: Where the module runs: ``'local'`` (this process), or a placement a plugin provides,
                e.g. ``'ray'`` with dosaku-ray installed (default: ``[PLACEMENT] <ModuleName>`` in the config,
                else local). Permissions are checked before the module is placed, and a placed module's actions
                are called exactly as a local one's (see the ``dosaku_placement`` hook).
            **kwargs: Passed to the module's constructor, e.g. ``upscale=4``; ``conversation=ID`` (not passed on)
                restores that logged conversation into a Chat module (see :mod:`dosaku.logs`).

        Raises:
            TaskNotFound: no installed plugin defines ``task`` (the message lists close matches).
            ModuleNotFound: no installed plugin defines ``module``.
            ModuleNotInstalled: no installed module implements ``task``.
            ServicePermissionRequired / ExecutorPermissionRequired: the module needs a permission this agent
                lacks. Checked before anything is imported or built.
            ModuleDoesNotImplementTask: the module lacks some of the task's actions.
            ModuleLoadError: the module could not be imported or built.
            PlacementNotAvailable: no installed plugin handles ``placement``.
            ConversationNotFound: no logged conversation has the id given as ``conversation``.

        On any error the agent is left exactly as it was.

        Example::

            agent.learn('RestoreFaces', module='GFPGAN', upscale=4)
            agent.learn('Chat', module='LlamaCppChat', placement='ray')  # on a Ray cluster (dosaku-ray)
        """
        from dosaku import learning
        from dosaku.logs import seam  # logs seam

        self._notice_new_folders()
        pending = seam.before_learn(self, self._log, kwargs)  # logs seam: takes conversation=ID out of kwargs
        learning.learn(self, task, module, placement, kwargs)
        seam.after_learn(self, self._log, task, pending)  # logs seam: logs (and restores) the module's conversation

    def _wrap_action(self, action: str, function: Any) -> Any:
        from dosaku.logs.tracing import traced_action  # logs seam: a span per call when traces are on

        return traced_action(self, action, self.resources.wrap(action, function))  # logs seam (traced_action)

    @property
    def resources(self) -> ResourceManager:
        """Which learned modules sit on which device, within the ``[RESOURCES]`` budgets (see
        :mod:`dosaku.resources`).

        Example::

            agent.resources.report()  # [{'name': 'GFPGAN', 'device': 'cuda:0', 'state': 'on device', ...}]
        """
        if self._resources is None:
            from dosaku.resources import ResourceManager

            self._resources = ResourceManager.from_config(self.config)
        return self._resources

    # --- installing ----------------------------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        """The module packs this agent knows of, installed or not."""
        if self._catalog is None:
            from dosaku.catalog import Catalog

            self._catalog = Catalog.load()
        return self._catalog

    @property
    def installable_tasks(self) -> list[str]:
        """Tasks that no installed module does but a pack in the catalog would.

        Example::

            agent.installable_tasks  # ['RestoreFaces', ...] until dosaku-modules-tencent is installed
        """
        return sorted(task for task in self.catalog.tasks() if not self.registry.modules_for(task))

    def install(
        self,
        name: str,
        *,
        confirm: bool = False,
        approve: Callable[[InstallPlan], bool] | None = None,
        source: str | os.PathLike[str] | None = None,
        show: Callable[[str], None] | None = None,
    ) -> InstallPlan:
        """Install the pack ``name`` (a pack's distribution, or a task a pack provides) with this interpreter's pip,
        then :meth:`refresh` so its tasks can be learned at once.

        Nothing is installed without consent: pass ``confirm=True``, or an ``approve(plan)`` callback that shows
        the plan to the user and returns True.

        Args:
            name: e.g. ``'RestoreFaces'`` or ``'dosaku-modules-tencent'``.
            confirm: The user has agreed to the install.
            approve: Asked with the :class:`~dosaku.installer.InstallPlan` when ``confirm`` is False.
            source: A folder of wheels (installs offline from it) or a wheel file.
            show: Receives pip's output line by line (default: the log).

        Raises:
            InstallNotConfirmed: no consent; nothing was run.
            InstallError: pip failed (its output is in the message); the agent is unchanged.

        Example::

            agent.install('RestoreFaces', confirm=True)
            agent.learn('RestoreFaces')
        """
        from dosaku.installer import install_plan, run_pip

        plan = install_plan(name, self.catalog, self.config, source)
        self._consent(plan, confirm, approve)
        run_pip(plan, show)
        self.refresh()
        return plan

    def uninstall(
        self,
        name: str,
        *,
        confirm: bool = False,
        approve: Callable[[InstallPlan], bool] | None = None,
        show: Callable[[str], None] | None = None,
    ) -> InstallPlan:
        """Uninstall a pack (with consent, as :meth:`install`), then :meth:`refresh`. Learned tasks stay learned.

        Example::

            agent.uninstall('dosaku-modules-tencent', confirm=True)
        """
        from dosaku.installer import run_pip, uninstall_plan

        plan = uninstall_plan(name, self.catalog)
        self._consent(plan, confirm, approve)
        run_pip(plan, show)
        self.refresh()
        return plan

    @staticmethod
    def _consent(plan: InstallPlan, confirm: bool, approve: Callable[[InstallPlan], bool] | None) -> None:
        from dosaku.installer import InstallNotConfirmed

        if confirm or (approve is not None and approve(plan)):
            return
        raise InstallNotConfirmed(
            f"Not confirmed, so nothing was done. To {plan.describe()}\n"
            f"pass confirm=True (or an approve callback that returns True)."
        )

    # --- forgetting ----------------------------------------------------------------------------------------
    def unlearn(self, task: str) -> None:
        """Forget ``task`` and release its module if no other learned task uses it.

        Example::

            agent.unlearn('Chat')
            agent.tasks  # []
        """
        if task not in self._learned:
            raise TaskNotLearned(task, self._learned, self.registry.tasks)
        from dosaku.learning import release_if_unused

        del self._learned[task], self.__dict__[task]
        release_if_unused(self, self._loaded.pop(task))

    # --- agent.TaskName ------------------------------------------------------------------------------------
    def __getattr__(self, name: str) -> LearnedTask:
        if name.startswith("_"):
            raise AttributeError(name)
        if "_learned" not in self.__dict__:  # not initialised (e.g. during unpickling)
            raise AttributeError(name)
        raise TaskNotLearned(name, self._learned, self.registry.tasks)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._learned))

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(tasks={self.tasks}, enable_services={self._enable_services}, "
            f"enable_executors={self._enable_executors})"
        )
