"""The Agent: learns tasks, picks and guards the modules that do them, and exposes ``agent.TaskName.action()``."""
from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from dosaku import learning, shared_modules
from dosaku.catalog import Catalog
from dosaku.config import Config
from dosaku.errors import (
    ActionNotFound,
    DosakuError,
    ExecutorPermissionRequired,
    ModuleDoesNotImplementTask,
    ModuleLoadError,
    ServicePermissionRequired,
    TaskNotLearned,
)
from dosaku.learned_task import LearnedTask
from dosaku.learning import BadModuleArguments, LoadedModule, ModuleImportFailed
from dosaku.module import Module, kind_of
from dosaku.placement import LOCAL, ModuleFactory, place, placement_of
from dosaku.plugins import PluginFailure, PluginManager, Registry, plugin_manager
from dosaku.plugins.failures import failure
from dosaku.plugins.folders import directories_signature
from dosaku.resources import ResourceManager
from dosaku.services.spending import Spending
from dosaku.spec import ModuleSpec, TaskSpec
from dosaku.task import optional_actions, required_actions

if TYPE_CHECKING:
    from dosaku.installer import InstallPlan
    from dosaku.logs import LogStore

log = logging.getLogger(__name__)


class Agent:
    """A personal AI assistant that learns tasks and does them through modules.

    Args:
        enable_services: Allow modules that send data to remote, maybe paid, APIs.
        enable_executors: Allow modules that may run generated code.
        config: The configuration to use (default: :class:`dosaku.Config` from the user's config directory).
        plugin_manager: The plugins to use (default: core's own plugins and every installed one).
        catalog: The known module packs it may offer to install (default: the catalog shipped with Dosaku).
        spend_limit_usd: Refuse service calls that could take spending past this many USD per day
            (default ``[SERVICES] SPEND_LIMIT_USD``; none when unset). See :mod:`dosaku.services`.
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
        log: bool | LogStore | None = None,
    ):
        self._enable_services = bool(enable_services)
        self._enable_executors = bool(enable_executors)
        self._config = config
        self._plugin_manager = plugin_manager
        self._owns_plugin_manager = plugin_manager is None
        self._catalog = catalog
        self._registry: Registry | None = None
        self._folders_seen: str | None = None  # the plugin folders' signature when the registry was collected
        self._learned: dict[str, LearnedTask] = {}
        self._loaded: dict[str, LoadedModule] = {}  # task -> the module doing it
        self._learn_failures: list[PluginFailure] = []
        self._resources: ResourceManager | None = None
        self._spending_policy = (spend_limit_usd, allow_unknown_prices)
        self._spending: Spending | None = None
        self._log = log  # None: as the config says; False, True, or the LogStore to write to

    @property
    def config(self) -> Config:
        """The configuration this agent uses: the one it was given, else :class:`dosaku.Config` (made on first use)."""
        if self._config is None:
            self._config = Config()
        return self._config

    @property
    def spending(self) -> Spending:
        """The spend policy and ledger of this agent's services (see :mod:`dosaku.services`), made on first use."""
        if self._spending is None:
            self._spending = Spending(self.config, *self._spending_policy, prices=self.registry.prices)
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
        """Whether this agent may use a module of ``kind`` (``'module'``, ``'service'`` or ``'executor'``).

        Example::

            Agent().permits('service')   # False
        """
        return {"service": self._enable_services, "executor": self._enable_executors}.get(kind, True)

    @staticmethod
    def refusal(kind: str, message: str | None = None) -> DosakuError:
        """The error refusing a module of ``kind`` (the product README's message unless ``message`` is given).

        Example::

            raise agent.refusal('service')   # ServicePermissionRequired: Loaded module was a service, but ...
        """
        return ServicePermissionRequired(message) if kind == "service" else ExecutorPermissionRequired(message)

    def check_permission(self, kind: str) -> None:
        """Raise :meth:`refusal` unless this agent may use a module of ``kind``."""
        if not self.permits(kind):
            raise self.refusal(kind)

    # --- plugins -------------------------------------------------------------------------------------------
    @property
    def plugin_manager(self) -> PluginManager:
        """The plugin manager whose plugins this agent uses (built on first use)."""
        if self._plugin_manager is None:
            self._plugin_manager = plugin_manager(config=self.config)
        return self._plugin_manager

    @property
    def registry(self) -> Registry:
        """What the plugins make learnable (collected on first use; see :meth:`refresh`)."""
        if self._registry is None:
            self._folders_seen = self._folders_signature()
            self._registry = Registry.collect(self.plugin_manager, self.config)
        return self._registry

    def _folders_signature(self) -> str:
        return directories_signature(self.plugin_manager.directories)

    def _notice_new_folders(self) -> None:
        """Refresh when a plugin folder was added, removed or edited since the registry was collected."""
        if self._registry is not None and self._folders_signature() != self._folders_seen:
            log.info("the plugin folders changed: refreshing")
            self.refresh()

    def refresh(self) -> None:
        """See plugins installed (or removed) since the agent was made, and new or changed plugin folders in the
        user's plugin directories (see :mod:`dosaku.plugins.folders`), without a restart.

        The config file is read again too (e.g. the ``[PLACEMENT]`` Ponder writes for what it made). Learned tasks
        stay as they are. :attr:`learnable_tasks` and :meth:`learn` notice changed plugin folders by themselves;
        installed distributions need this call.

        Example::

            agent.refresh()
            'TicTacToe' in agent.learnable_tasks
        """
        import importlib

        importlib.invalidate_caches()
        self.config.reload()
        if self._owns_plugin_manager:
            self._plugin_manager = plugin_manager(config=self.config)  # anew, so uninstalled plugins go too
        else:
            self.plugin_manager.load_entry_points()
            self.plugin_manager.load_directories()
        self._registry = None
        self.registry  # noqa: B018 - collected now, with the folders' signature

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
    def learned(self) -> Mapping[str, LearnedTask]:
        """The learned tasks by name (read-only): ``agent.learned['Chat'] is agent.Chat``.

        Example::

            agent.learned['Chat'].module_name   # 'EchoBot'
        """
        return MappingProxyType(self._learned)

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

            agent.learnable_modules('Chat')  # ['LlamaCppChat', 'OpenAIChat', 'EchoBot']
        """
        if task is None:
            return sorted(self.registry.modules)
        self.registry.task(task)
        return [spec.name for spec in self.registry.modules_for(task)]

    def task_class(self, task: str) -> type:
        """The task spec class of ``task`` (learned or learnable), e.g. :class:`dosaku.tasks.Chat`.

        Raises:
            TaskNotFound: no installed plugin defines ``task``.
            ModuleLoadError: the task spec could not be imported (recorded in :attr:`plugin_errors`).
        """
        spec = self.registry.task(task)
        try:
            return spec.load()
        except DosakuError:
            raise
        except Exception as error:
            self._record_failure(spec.plugin, error)
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
        task_class = self.task_class(task)
        actions = required_actions(task_class)
        return actions + optional_actions(task_class) if include_optional else actions

    def doc(self, task: str, action: str | None = None) -> str:
        """The documentation of ``task``, or of one of its actions (with Args, Returns and Example).

        Example::

            agent.doc('Chat')                    # 'Interface for a generic conversational chatbot.'
            agent.doc('Chat', action='message')  # 'Send a message to the agent and get a response. ...'
        """
        task_class = self.task_class(task)
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

        When the agent picks the module by itself, a broken candidate (its code does not import, it lacks actions of
        the task, or it crashes while starting) is skipped for the next best, and why is recorded in
        :attr:`plugin_errors`. On any error the agent is left exactly as it was.

        Example::

            agent.learn('RestoreFaces', module='GFPGAN', upscale=4)
            agent.learn('Chat', module='LlamaCppChat', placement='ray')  # on a Ray cluster (dosaku-ray)
        """
        self._notice_new_folders()
        task_spec = learning.known_task(self.registry, self.catalog, task)
        if hasattr(type(self), task):
            raise DosakuError(f"The task name {task!r} clashes with the agent's own attribute of that name; rename it.")
        choice = learning.choose(self, task_spec, module)
        from dosaku.logs import attach  # the log's machinery is imported by the first learn, not by every start

        pending = attach.before_learn(self, self._log, kwargs)  # takes conversation=ID out of kwargs
        self._learn_first_working(task_spec, choice, placement, kwargs)
        attach.after_learn(self, self._log, task, pending)  # logs (and restores) the module's conversation

    def _learn_first_working(self, task_spec: TaskSpec, choice: learning.Choice, placement: str | None,
                             kwargs: dict[str, Any]) -> None:
        """Learn with the first candidate that works (the only one, unless the agent picked them itself)."""
        broken: list[DosakuError] = []
        for spec in choice.candidates:
            try:
                self._learn_with(task_spec, spec, placement, kwargs)
                return
            except (ModuleLoadError, ModuleDoesNotImplementTask) as error:
                if not choice.automatic or isinstance(error, BadModuleArguments):
                    raise
                broken.append(error)
                if not isinstance(error, ModuleImportFailed):  # an import failure is recorded already
                    self._record_failure(spec.plugin, error)
                log.warning("%s: %s is broken, trying the next module for %s: %s", self.name, spec.name,
                            task_spec.name, error)
        raise broken[0]

    def _learn_with(self, task_spec: TaskSpec, spec: ModuleSpec, placement: str | None, kwargs: dict[str, Any]) -> None:
        """Learn ``task_spec`` with the module of ``spec``; on any error nothing has changed.

        A module placed elsewhere (``placement='ray'``, ``'sandbox'``...) is not imported in this process: its code
        runs only where it is placed, and its actions are read off the stand-in the placement gives back.
        """
        task = task_spec.name
        self.check_permission(spec.kind)
        task_class = self.task_class(task)
        where = placement_of(self.config, spec, placement)
        module_class = self._module_class(spec) if where == LOCAL else None
        if module_class is not None:
            self.check_permission(kind_of(module_class))
            learning.check_conformance(task, task_class, spec, module_class)
        loaded = self._reusable(spec.name, kwargs, module_class, where)
        fresh = loaded is None
        if loaded is None:
            if module_class is not None:
                learning.check_arguments(spec, module_class, kwargs)
                self.resources.make_room(spec)
            loaded = self._load(spec, module_class, kwargs, where)
        try:
            actions = (learning.exposed_actions(task_class, module_class) if module_class is not None
                       else learning.placed_actions(task, task_class, spec, loaded.instance))
        except ModuleDoesNotImplementTask:
            if fresh:
                self._release_if_unused(loaded)
            raise
        if module_class is not None:  # a module placed elsewhere uses that machine's resources, not this one's
            self.resources.register(loaded.name, loaded.instance, spec)
        if (kind_of(module_class) if module_class is not None else spec.kind) == "service":
            self.spending.attach(loaded.instance, spec.name)
        learned = LearnedTask(task, actions, task_class.default_action, loaded.instance, loaded.name,
                              self._wrap_action)
        previous = self._loaded.get(task)
        self._learned[task], self._loaded[task] = learned, loaded
        self.__dict__[task] = learned  # plain attribute lookup: agent.Task costs no __getattr__
        if previous is not None:
            self._release_if_unused(previous)
        log.info("%s learned %s with %s", self.name, task, spec.name)

    def _wrap_action(self, action: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` as the learned task calls it: on the module's device, and a trace span when traces are on."""
        from dosaku.logs.tracing import traced_action

        return traced_action(self, action, self.resources.wrap(action, function))

    def _record_failure(self, plugin: str, error: BaseException) -> None:
        """Keep, in :attr:`plugin_errors`, why a plugin's task or module could not be learned."""
        self._learn_failures.append(failure(plugin, "learn", error, *self.registry.source_of(plugin)))

    def _module_class(self, spec: ModuleSpec) -> type:
        try:
            return learning.load_class(spec, self.registry.source_of(spec.plugin)[0])
        except ModuleLoadError as error:
            self._record_failure(spec.plugin, error.__cause__ or error)
            raise

    def _reusable(self, name: str, kwargs: dict[str, Any], module_class: type | None,
                  placement: str) -> LoadedModule | None:
        """A module the agent already built, at the same placement, that can do another task too (same arguments,
        or none given, and the same class: a plugin folder edited since is built anew)."""
        for loaded in self._loaded.values():
            same_class = type(loaded.instance) is module_class or not isinstance(loaded.instance, Module)
            if loaded.name == name and same_class and loaded.placement == placement and (
                    not kwargs or kwargs == loaded.kwargs):
                return loaded
        return None

    def _load(self, spec: ModuleSpec, module_class: type | None, kwargs: dict[str, Any],
              placement: str) -> LoadedModule:
        factory = ModuleFactory(spec, module_class, dict(kwargs))

        def make() -> Any:
            return factory() if placement == LOCAL else place(self.plugin_manager, placement, factory, self)

        pending = LoadedModule(spec.name, None, kwargs, spec.shareable, placement)
        instance = shared_modules.acquire(pending.shared_key, kwargs, make) if spec.shareable else make()
        return replace(pending, instance=instance)

    def _release_if_unused(self, loaded: LoadedModule) -> None:
        """Let ``loaded`` go (free its resources, return it to the shared pool, unload it) unless one of the
        learned tasks still uses it."""
        if any(other.instance is loaded.instance for other in self._loaded.values()):
            return
        if self._resources is not None:
            self._resources.release(loaded.instance)
        if loaded.shared and not shared_modules.release(loaded.shared_key, loaded.kwargs):
            return  # other agents still use it
        unload = getattr(loaded.instance, "unload", None)
        if callable(unload):
            unload()

    @property
    def resources(self) -> ResourceManager:
        """Which learned modules sit on which device, within the ``[RESOURCES]`` budgets (see
        :mod:`dosaku.resources`).

        Example::

            agent.resources.report()  # [{'name': 'GFPGAN', 'device': 'cuda:0', 'state': 'on device', ...}]
        """
        if self._resources is None:
            self._resources = ResourceManager.from_config(self.config)
        return self._resources

    # --- installing ----------------------------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        """The module packs this agent knows of, installed or not."""
        if self._catalog is None:
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
        from dosaku.installer import (  # installing is rare: pip's machinery is not imported at start
            install_plan,
            run_pip,
        )

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
        del self._learned[task], self.__dict__[task]
        self._release_if_unused(self._loaded.pop(task))

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
