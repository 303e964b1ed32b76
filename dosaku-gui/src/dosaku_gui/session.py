"""One browser session's agent: every browser tab gets its own :class:`AgentSession` (gradio session state)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from dosaku.agent import Agent
from dosaku.errors import DosakuError
from dosaku.task import accepts_keyword

from dosaku_gui.options import GuiOptions

log = logging.getLogger(__name__)

AgentFactory = Callable[..., Agent]

#: The Chat choice that talks to the Dosaku agent, which does requests with tools (see :mod:`dosaku.agents`).
DOSAKU_CHOICE = "Dosaku (tools)"


def default_agent_factory(enable_services: bool = False) -> Agent:
    """A fresh :class:`dosaku.Agent` using every installed plugin."""
    return Agent(enable_services=enable_services)


def chat_modules(agent: Agent) -> list[str]:
    """The Chat modules ``agent`` may use, best first (services only when it enables them)."""
    return [name for name in agent.learnable_modules("Chat") if agent.permits(agent.registry.module(name).kind)]


def default_chat_module(agent: Agent, requested: str | None = None) -> str:
    """``requested``, else the best permitted local Chat module, else the best permitted one, else EchoBot."""
    if requested:
        return requested
    permitted = chat_modules(agent)
    local = [name for name in permitted if agent.registry.module(name).kind == "module"]
    return (local or permitted or ["EchoBot"])[0]


def dosaku_available(agent: Agent) -> bool:
    """Whether the "Dosaku (tools)" choice can be offered: a Chat module that can call tools is installed and
    ``agent`` may use it (see :mod:`dosaku.agents.chat_choice`)."""
    from dosaku.agents.chat_choice import choose_chat_module

    try:
        choose_chat_module(agent, None)
    except DosakuError:
        return False
    return True


class AgentSession:
    """The agent of one browser session, and what the GUI does with it.

    Args:
        options: The GUI's options (permissions, system prompt...).
        agent_factory: Makes the agent (default: :func:`default_agent_factory`).

    Example::

        session = AgentSession(GuiOptions(module='EchoBot'))
        for partial in session.chat('Hello', 'EchoBot'):
            print(partial)
        session.close()
    """

    def __init__(self, options: GuiOptions, agent_factory: AgentFactory | None = None):
        self.options = options
        self.agent: Agent = (agent_factory or default_agent_factory)(enable_services=options.enable_services)
        self._dosaku: Any = None

    def __deepcopy__(self, memo: dict[int, Any]) -> AgentSession:
        return self  # a session owns live models: it is never copied, not even by gradio's state handling

    # --- chat ----------------------------------------------------------------------------------------------
    @property
    def chat_module(self) -> str | None:
        """The module doing Chat, or None before the first message."""
        learned = self.agent.learned.get("Chat")
        return learned.module_name if learned is not None else None

    def use_chat_module(self, module: str) -> None:
        """Learn Chat with ``module`` (no-op when it is already the one); the model itself loads lazily.
        :data:`DOSAKU_CHOICE` makes this session's Dosaku agent instead."""
        if module == DOSAKU_CHOICE:
            self.dosaku  # noqa: B018 - made now, so that a permission or key error shows when it is chosen
            return
        if module == self.chat_module:
            return
        spec = self.agent.registry.module(module)
        module_class = spec.load() if self.agent.permits(spec.kind) else None
        kwargs: dict[str, Any] = {}
        if module_class is not None:
            if accepts_keyword(module_class, "stream"):
                kwargs["stream"] = True
            if self.options.system_prompt and accepts_keyword(module_class, "system_prompt"):
                kwargs["system_prompt"] = self.options.system_prompt
        self.agent.learn("Chat", module=module, **kwargs)

    def chat(self, message: str, module: str, **options: Any) -> Iterator[str]:
        """Send ``message`` to the Chat module ``module``; yields the reply so far, growing.

        ``options`` (temperature, max_tokens...) are passed on when the module's ``message`` takes them.
        """
        self.use_chat_module(module)
        send = self.agent.Chat.message
        kwargs = {name: value for name, value in options.items() if value is not None and accepts_keyword(send, name)}
        if accepts_keyword(send, "stream"):
            kwargs["stream"] = True
        reply = send(message, **kwargs)
        if isinstance(reply, str):
            yield reply
            return
        yield from reply

    def reset_chat(self, module: str | None = None) -> None:
        """Forget the conversation (when the module keeps one)."""
        agent = self._dosaku if module == DOSAKU_CHOICE else self.agent
        learned = agent.learned.get("Chat") if agent is not None else None
        if learned is not None and "reset" in learned.actions:
            learned.reset()

    # --- the Dosaku agent ----------------------------------------------------------------------------------------
    @property
    def dosaku(self) -> Any:
        """This session's :class:`~dosaku.agents.Dosaku` (made on first use, with the session agent's plugins and
        config; it picks its tool-calling Chat module, offline with a local one such as LlamaCppChat, and learns
        tasks on demand). Raises ServicePermissionRequired when only a service could plan and services are off."""
        if self._dosaku is None:
            from dosaku.agents import Dosaku

            self._dosaku = Dosaku(
                enable_services=self.agent.enable_services, stream_chat=False, system_prompt=self.options.system_prompt,
                config=self.agent.config, plugin_manager=self.agent.plugin_manager,
            )
            self._tune_local_planner()
            if getattr(self, "user", None) is not None:  # history: it logs as this session's user
                from dosaku.logs import use_user

                use_user(self._dosaku, self.user)
        return self._dosaku

    @property
    def dosaku_agent(self) -> Any:
        """This session's Dosaku agent if it was made (None otherwise); unlike :attr:`dosaku`, never makes it."""
        return self._dosaku

    def _tune_local_planner(self) -> None:
        """A local planner samples as the GUI was started (``--temperature``, ``--max-tokens``); a service keeps its
        own defaults."""
        dosaku = self._dosaku
        name = dosaku.Chat.module_name
        spec = dosaku.registry.module(name)
        if spec.kind != "module":
            return
        module_class = spec.load()
        wanted = {"temperature": self.options.temperature, "max_tokens": self.options.max_tokens}
        tuned = {key: value for key, value in wanted.items() if accepts_keyword(module_class, key, strict=True)}
        if not tuned:
            return
        kept = {"system_prompt": getattr(dosaku.Chat.module, "system_prompt", None), "config": self.agent.config}
        tuned.update({key: value for key, value in kept.items()
                      if value is not None and accepts_keyword(module_class, key, strict=True)})
        dosaku.learn("Chat", module=name, **tuned)

    def do(self, request: str) -> Iterator[Any]:
        """Have the Dosaku agent do ``request``: yields each step as it finishes, then the answer."""
        yield from self.dosaku.do_iter(request)

    # --- other tasks ---------------------------------------------------------------------------------------
    def run_task(self, task: str, module: str, *args: Any) -> Any:
        """Learn ``task`` with ``module`` if needed and do its default action with ``args``."""
        learned = self.agent.learned.get(task)
        if learned is None or learned.module_name != module:
            if module not in self.agent.registry.modules:
                self.agent.refresh()  # installed since this session's agent was made (maybe from another tab)
            self.agent.learn(task, module=module)
        return getattr(self.agent, task)(*args)

    def install(self, task: str, agreed: bool, show: Callable[[str], None] | None = None) -> list[str]:
        """Install the pack that provides ``task``, only if the user ``agreed``; returns the modules that may now do
        it. Raises :class:`~dosaku.installer.InstallNotConfirmed` (nothing installed) without agreement."""
        self.agent.install(task, confirm=agreed, show=show)
        return [name for name in self.agent.learnable_modules(task)
                if self.agent.permits(self.agent.registry.module(name).kind)]

    # --- what the agent knows ------------------------------------------------------------------------------
    def describe(self) -> str:
        """Markdown: learned tasks and their modules, loaded modules, learnable tasks, plugin errors."""
        agent = self.agent
        learned = [f"`{task}` → `{agent.learned[task].module_name}`" for task in agent.tasks]
        lines = [
            f"**Services:** {'enabled' if agent.enable_services else 'disabled'}",
            f"**Learned tasks:** {', '.join(learned) or 'none yet'}",
            f"**Loaded modules:** {', '.join(f'`{m}`' for m in agent.loaded_modules) or 'none'}",
            f"**Conversation:** {self._conversation_length()}",
            "",
            "| Learnable task | Installed modules (best first) |",
            "|---|---|",
        ]
        for task in agent.learnable_tasks:
            modules = [self._module_label(name) for name in agent.learnable_modules(task)]
            lines.append(f"| `{task}` | {', '.join(modules) or '— (install a module pack)'} |")
        for error in agent.plugin_errors:
            lines.append(f"\n**Plugin {error.plugin!r} failed** ({error.phase}): {error.error}")
        return "\n".join(lines)

    def _conversation_length(self) -> str:
        learned = self.agent.learned.get("Chat")
        if learned is None or "history" not in learned.actions:
            return "—"
        turns = [turn for turn in learned.history() if turn.get("role") != "system"]
        return f"{len(turns)} message(s) kept by `{learned.module_name}`"

    def _module_label(self, name: str) -> str:
        kind = self.agent.registry.module(name).kind
        if kind == "module":
            return f"`{name}`"
        allowed = "" if self.agent.permits(kind) else ", not enabled"
        return f"`{name}` ({kind}{allowed})"

    def close(self) -> None:
        """Forget every task, freeing the models (called when the browser session ends)."""
        for agent in (self.agent, self._dosaku):
            for task in list(agent.tasks if agent is not None else ()):
                try:
                    agent.unlearn(task)
                except DosakuError:
                    log.exception("Could not unlearn %s", task)
