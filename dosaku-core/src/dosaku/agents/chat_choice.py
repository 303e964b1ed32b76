"""Which Chat module the Dosaku agent talks through: the one named, else ``[DOSAKU] CHAT_MODULE``, else the best
installed Chat module that can call tools and that the agent may use. With services enabled, a service whose API
key is configured comes first (the product README's setup: services on and an OpenAI key in config.ini means GPT);
otherwise a local module before an executor before a service, then by priority — so ``Dosaku()`` works offline when
a local tool-calling model is installed.

Example::

    choose_chat_module(agent, None)   # 'LlamaCppChat' with dosaku-modules-llamacpp installed
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dosaku.errors import ChatCannotCallTools, ExecutorPermissionRequired, ModuleNotFound, ServicePermissionRequired
from dosaku.learning import KIND_PREFERENCE
from dosaku.spec import ModuleSpec
from dosaku.tool_calls import calls_tools

if TYPE_CHECKING:
    from dosaku.agent import Agent

log = logging.getLogger(__name__)

def require(agent: Agent, kind: str) -> None:
    """Refuse, with the product README's message, a chat module of a ``kind`` the agent may not use."""
    if agent.permits(kind):
        return
    if kind == "service":
        raise ServicePermissionRequired("Dosaku requires services be enabled. Pass in enable_services=True on init.")
    raise ExecutorPermissionRequired("Dosaku requires executors be enabled. Pass in enable_executors=True on init.")


def preference(agent: Agent, spec: ModuleSpec) -> tuple[int, int]:
    """Sort key of a permitted candidate: a service with its key configured first, then by kind (local first)."""
    keyed = spec.kind == "service" and bool(spec.needs_key) and agent.config.api_key(spec.needs_key,
                                                                                      spec.key_env_var) is not None
    return (0 if keyed else 1, KIND_PREFERENCE[spec.kind])


def can_call_tools(spec: ModuleSpec) -> bool:
    """Whether ``spec``'s module class supports tool calls (imports the class, builds nothing)."""
    try:
        module_class = spec.load()
    except Exception as error:  # noqa: BLE001 - a broken module is simply not a candidate
        log.info("Chat module %s cannot be imported, so it is not considered for Dosaku: %s", spec.name, error)
        return False
    return calls_tools(getattr(module_class, "message", None))


def choose_chat_module(agent: Agent, requested: str | None) -> str:
    """The Chat module for a Dosaku agent (see the module's docstring).

    Raises:
        ServicePermissionRequired / ExecutorPermissionRequired: the chosen module (named, configured, or the only
            kind that can call tools) needs a permission the agent lacks.
        ChatCannotCallTools: no installed Chat module can call tools.
    """
    requested = requested or agent.config.get("DOSAKU", "CHAT_MODULE")
    if requested:
        try:
            kind = agent.registry.module(requested).kind
        except ModuleNotFound:
            kind = "service"  # not installed: refused as the worst case first; learn() then says what is missing
        require(agent, kind)
        return requested
    installed = agent.registry.modules_for("Chat")
    permitted = [spec for spec in installed if agent.permits(spec.kind)]
    permitted.sort(key=lambda spec: preference(agent, spec))
    for spec in permitted:
        if can_call_tools(spec):
            return spec.name
    refused = [spec for spec in installed if not agent.permits(spec.kind) and can_call_tools(spec)]
    if refused:
        require(agent, refused[0].kind)
    raise ChatCannotCallTools(
        "No installed Chat module can call tools, so Dosaku cannot do requests. Install one: "
        "`pip install dosaku-modules-llamacpp` (local, offline) or `dosaku-modules-openai` (a service; then "
        "Dosaku(enable_services=True))."
    )
