"""An agent's learned tasks as tools a chat model can call, and running one call as a :class:`Step`.

Everything that can go wrong with a call (an unknown tool, bad arguments, an unknown artifact, a refused permission
or approval, an exception in the module) becomes the step's ``error``, which is what the model is told, so it can
recover. The model can never enable services or executors: ``learn_task`` only learns what the agent's own
permissions allow.

Example::

    box = Toolbox(agent, ArtifactStore())
    box.tools()                                  # [{'type': 'function', 'function': {'name': 'TextToImage__...'}}]
    step = box.run(ToolCall('call_1', 'TextToImage__text_to_image', {'prompt': 'a red square'}), index=1)
    step.summary                                 # {'artifact': 'artifact-1', 'type': 'image', 'size': [...], ...}
"""
from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dosaku import learning
from dosaku.agents.artifacts import ArtifactStore
from dosaku.agents.steps import Step
from dosaku.agents.tools import action_tool, learn_tool, split_tool_name
from dosaku.errors import DosakuError, PermissionRequired

if TYPE_CHECKING:
    from dosaku.agent import Agent
    from dosaku.tool_calls import ToolCall

log = logging.getLogger(__name__)

#: Tasks never offered to the model: Chat is the model itself.
HIDDEN_TASKS = frozenset({"Chat"})
#: Actions never offered to the model: running code in the agent's own process.
HIDDEN_ACTIONS = frozenset({("Tester", "exec")})
ARTIFACT_ID = re.compile(r"^artifact-\d+$")

Approve = Callable[[Step], bool]


class StepRefused(DosakuError):
    """A step was not allowed (a permission, the user's approval)."""


class Toolbox:
    """The tools of one agent, and how to run them.

    Args:
        agent: The agent whose learned tasks are offered.
        store: Keeps values that are not JSON (images...) by reference.
        approve: Asked before each step runs; a False answer refuses it.
    """

    def __init__(self, agent: Agent, store: ArtifactStore, approve: Approve | None = None):
        self.agent, self.store, self.approve = agent, store, approve

    # --- what is offered -------------------------------------------------------------------------------------
    def offered(self) -> dict[str, tuple[str, str]]:
        """``{tool name: (task, action)}`` for every learned task's actions the model may call."""
        found: dict[str, tuple[str, str]] = {}
        for task, learned in self.agent.learned.items():
            if task in HIDDEN_TASKS:
                continue
            for action in learned.actions:
                if (task, action) not in HIDDEN_ACTIONS:
                    found[f"{task}__{action}"] = (task, action)
        return found

    def learnable(self) -> dict[str, str]:
        """``{task: summary}`` of the tasks ``learn_task`` may be asked for (not learned yet)."""
        registry = self.agent.registry
        found = {}
        for name, spec in registry.tasks.items():
            if name in self.agent.learned or name in HIDDEN_TASKS:
                continue
            kinds = {module.kind for module in registry.modules_for(name)}
            if not kinds:
                continue
            note = "" if any(self.agent.permits(kind) for kind in kinds) else " (needs permission: not enabled)"
            found[name] = (spec.summary or name) + note
        return found

    def tools(self) -> list[dict[str, Any]]:
        """The tool schemas to offer the model now."""
        tools = []
        for name, (task, action) in self.offered().items():
            try:
                tools.append(action_tool(task, self.agent.task_class(task), action))
            except Exception:  # noqa: BLE001 - a task whose spec cannot describe itself is left out, not fatal
                log.exception("Could not describe %s as a tool", name)
        learnable = self.learnable()
        if learnable:
            tools.append(learn_tool(learnable))
        return tools

    # --- running a call --------------------------------------------------------------------------------------
    def run(self, call: ToolCall, index: int) -> Step:
        """Run ``call``; never raises for a problem the model caused or could work around."""
        task, action = split_tool_name(call.name)
        if call.name == "learn_task":
            task, action = str(call.arguments.get("task", "")), "learn"
        step = Step(index, call.name, task, action, dict(call.arguments), call_id=call.id)
        start = time.perf_counter()
        try:
            if call.raw_arguments.strip() and not call.arguments and call.raw_arguments.strip() != "{}":
                raise DosakuError(f"The arguments are not a JSON object: {call.raw_arguments[:200]!r}.")
            if call.name == "learn_task":
                self._learn(step)
            else:
                self._act(step)
        except StepRefused as refusal:
            step.status, step.error = "refused", str(refusal)
        except PermissionRequired as refusal:
            step.status = "refused"
            step.error = f"{refusal} Only the user can enable this, when making the agent; you cannot."
        except Exception as error:  # noqa: BLE001 - fed back to the model so it can recover
            step.status, step.error = "error", f"{type(error).__name__}: {error}"
        step.duration_s = time.perf_counter() - start
        log.info("Step %d: %s -> %s", index, step.call(), step.status)
        return step

    def _ask(self, step: Step) -> None:
        if self.approve is not None and not self.approve(step):
            raise StepRefused(f"The user did not approve {step.call()}; do not try it again.")

    def _act(self, step: Step) -> None:
        offered = self.offered()
        if step.tool not in offered:
            known = ", ".join(sorted(offered)) or "none"
            raise DosakuError(f"There is no tool {step.tool!r}. The tools are: {known}, and learn_task.")
        learned = self.agent.learned[step.task]
        step.kind = getattr(learned.module, "kind", "module")
        arguments = self._bind(step.task, step.action, step.arguments)
        self._ask(step)
        step.value = getattr(learned, step.action)(**arguments)
        step.summary = self.store.summarize(step.value)

    def _bind(self, task: str, action: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """The arguments with artifact ids replaced, checked against the task's signature."""
        function = getattr(self.agent.task_class(task), action)
        try:
            inspect.signature(function).bind(None, **arguments)
        except TypeError as error:
            raise DosakuError(f"Bad arguments for {task}.{action}: {error}.") from None
        return {name: self._resolve(value) for name, value in arguments.items()}

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, str) and ARTIFACT_ID.match(value):
            return self.store.get(value)
        return self.store.resolve(value)

    def _learn(self, step: Step) -> None:
        if set(step.arguments) != {"task"}:
            raise DosakuError(f"learn_task takes exactly one argument, 'task'; got {sorted(step.arguments)}.")
        task = step.task
        if task in HIDDEN_TASKS:
            raise StepRefused(f"{task} cannot be learned through learn_task.")
        if task in self.agent.learned:
            step.summary = f"{task} is already learned; its tools are available."
            return
        agent = self.agent
        spec = learning.known_task(agent.registry, agent.catalog, task)
        step.kind = learning.choose(agent, spec, None).candidates[0].kind  # refuses here what the agent may not use
        agent.check_permission(step.kind)
        self._ask(step)
        self.agent.learn(task)
        tools = sorted(name for name, (learned, _) in self.offered().items() if learned == task)
        step.summary = f"Learned {task}. New tools: {', '.join(tools)}."
