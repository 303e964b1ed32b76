"""Dosaku: the named agent that chats, and does requests by calling its learned tasks as tools."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from dosaku.agent import Agent
from dosaku.agents.artifacts import ArtifactStore
from dosaku.agents.chat_choice import choose_chat_module
from dosaku.agents.steps import Answer, Step, StopReason
from dosaku.agents.toolbox import Approve, Toolbox
from dosaku.errors import ChatCannotCallTools, DosakuError
from dosaku.task import accepts_keyword
from dosaku.tool_calls import ChatReply, ToolCall, calls_tools

log = logging.getLogger(__name__)

DEFAULT_MAX_STEPS = 8
SYSTEM_PROMPT = (
    "You are Dosaku, a helpful, friendly and honest personal AI assistant. Besides talking, you can do things "
    "through tools: each tool named Task__action is an action of a task you have learned, and learn_task learns "
    "one more task. When a request needs them, make a short plan, call the tools in order and use each result in "
    "the next call; images and other files are given as artifact ids such as 'artifact-1': pass the id on. If a "
    "tool reports an error, fix the call or explain the problem; never repeat a call that already failed. When "
    "done, answer briefly and say what you did."
)
LIMIT_NOTE = (
    "[Dosaku] The step limit ({limit} tool calls) has been reached, so no more tools can be run. Answer my request "
    "now, as well as you can with the results so far, and say what could not be done."
)


class Dosaku(Agent):
    """The helpful Dosaku agent: a chatbot (``dosk.Chat``) that can also *do* requests with its tasks
    (:meth:`do`).

    For :meth:`do`, every learned task's actions are offered to the chat model as tools; the model plans a short
    sequence of calls, Dosaku runs them in order (feeding each result back, images by artifact reference) and the
    model answers. Tasks are learned on demand when the agent's permissions allow; the model can never enable
    services or executors.

    Args:
        enable_services: Allow services (e.g. OpenAIChat as Dosaku's chat model; they may cost money).
        enable_executors: Allow executors (modules that may run generated code).
        stream_chat: ``dosk.Chat(...)`` yields the reply as it grows (``do`` never streams).
        model: The chat model (default: the chat module's default).
        chat_module: The Chat module (default: ``[DOSAKU] CHAT_MODULE`` in config.ini, else the best installed Chat
            module that can call tools and that the agent may use: a local one before a service). It must support
            tool calls for :meth:`do`.
        max_steps: The most tool calls one request may make (default 8).
        approve: Asked with each :class:`~dosaku.agents.steps.Step` before it runs (e.g. to confirm running code
            or spending money); a False answer refuses the step and the model is told.
        system_prompt: Replaces Dosaku's system prompt.
        **agent_kwargs: Passed to :class:`~dosaku.Agent` (``config``, ``plugin_manager``, ``spend_limit_usd``...).

    Raises:
        ServicePermissionRequired: the chat module is a service and services are not enabled (``Dosaku requires
            services be enabled. Pass in enable_services=True on init.``): e.g. when OpenAIChat is the only Chat
            module that can call tools, or is named.
        ExecutorPermissionRequired: the chat module is an executor and executors are not enabled.
        ChatCannotCallTools: no installed Chat module can call tools (install dosaku-modules-llamacpp or
            dosaku-modules-openai).

    Example::

        from dosaku.agents import Dosaku

        dosk = Dosaku(enable_services=True, enable_executors=True, stream_chat=False)
        dosk.learn('Tester')
        code = dosk.Chat('Write a python method named gcd to compute the greatest common denominator.')
        dosk.Tester.exec(code, globals=globals(), locals=globals())
        gcd(10, 15)  # 5

        dosk.learn('TextToImage')
        answer = dosk.do('Paint a lighthouse at dawn, then restore any faces in it.')
        print(answer)                 # the model's answer
        answer.plan                   # ['TextToImage.text_to_image(prompt=...)', 'learn_task(task=RestoreFaces)', ...]
        answer.steps[-1].value        # the last step's real result (e.g. a RestoredImage)
    """

    name = "Dosaku"

    def __init__(
        self,
        enable_services: bool = False,
        enable_executors: bool = False,
        stream_chat: bool = True,
        model: str | None = None,
        chat_module: str | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        approve: Approve | None = None,
        system_prompt: str | None = None,
        **agent_kwargs: Any,
    ):
        super().__init__(enable_services=enable_services, enable_executors=enable_executors, **agent_kwargs)
        if int(max_steps) < 1:
            raise DosakuError(f"max_steps must be at least 1, not {max_steps}.")
        chat_module = choose_chat_module(self, chat_module)
        self.max_steps, self.approve = int(max_steps), approve
        options = {"stream": bool(stream_chat), "system_prompt": system_prompt or SYSTEM_PROMPT, "model": model,
                   "config": self.config}
        self.learn("Chat", module=chat_module, **self._accepted_options(chat_module, options))

    # --- init ----------------------------------------------------------------------------------------------
    def _accepted_options(self, module: str, options: dict[str, Any]) -> dict[str, Any]:
        try:
            module_class = self.registry.module(module).load()
        except Exception:  # noqa: BLE001 - learn() reports it properly
            return {}
        return {
            name: value for name, value in options.items()
            if value is not None and accepts_keyword(module_class, name, strict=True)
        }

    # --- doing requests ------------------------------------------------------------------------------------
    def tool_schemas(self) -> list[dict[str, Any]]:
        """The tools the chat model is offered now (learned tasks' actions, and ``learn_task``).

        Example::

            [tool['function']['name'] for tool in dosk.tool_schemas()]  # ['TextToImage__text_to_image', 'learn_task']
        """
        return Toolbox(self, ArtifactStore()).tools()

    def do(self, request: str) -> Answer:
        """Do ``request``: the chat model plans calls to the learned tasks, Dosaku runs them, the model answers.

        At most ``max_steps`` calls are made; then the model is asked for its best answer with what it has
        (``answer.stopped == 'step_limit'``). A call repeated with the same arguments is refused, not run again.
        Errors in a call (an exception in a module, an unknown tool, bad arguments, a refused permission or
        approval) are told to the model so it can recover; errors of the chat model itself are raised.

        Args:
            request: What the user wants, in plain words.

        Returns:
            An :class:`~dosaku.agents.steps.Answer`: the answer text, with ``.steps`` (task, action, arguments,
            result summary, duration, error of each call), ``.plan`` and ``.artifacts``.

        Raises:
            ChatCannotCallTools: the Chat module does not support tool calls.

        Example::

            answer = dosk.do('Make an image of a red fox.')
            answer.steps[0].task, answer.steps[0].action   # ('TextToImage', 'text_to_image')
            answer.steps[0].value.show()
        """
        answer = None
        for event in self.do_iter(request):
            answer = event
        assert isinstance(answer, Answer)
        return answer

    def do_iter(self, request: str) -> Iterator[Step | Answer]:
        """:meth:`do`, yielding each :class:`~dosaku.agents.steps.Step` as it finishes, then the
        :class:`~dosaku.agents.steps.Answer` (always last).

        Example::

            for event in dosk.do_iter('Make an image of a red fox.'):
                print(event.describe() if isinstance(event, Step) else event)
        """
        send = self._tool_chat()
        store = ArtifactStore()
        box = Toolbox(self, store, self.approve)
        steps: list[Step] = []
        stopped: StopReason = "done"
        reply = send(request, None, box.tools())
        while reply.tool_calls:
            results = {}
            for call in reply.tool_calls:
                step = self._step(box, call, steps)
                steps.append(step)
                results[call.id] = step.for_model()
                yield step
            if sum(step.status != "skipped" for step in steps) >= self.max_steps:
                stopped = "step_limit"
                reply = send(LIMIT_NOTE.format(limit=self.max_steps), results, [])
                break
            reply = send(None, results, box.tools())
        yield Answer(self._final_text(reply, steps, stopped), steps, stopped, store.as_dict())

    def _tool_chat(self) -> Any:
        learned = self.learned.get("Chat")
        if learned is None:
            raise DosakuError("Dosaku has no Chat; learn one that supports tool calls: dosk.learn('Chat', ...).")
        message = learned.message
        if not calls_tools(message):
            raise ChatCannotCallTools(
                f"The Chat module {learned.module_name} cannot call tools, so Dosaku cannot do requests with it. "
                f"Learn Chat with one that can, e.g. dosk.learn('Chat', module='LlamaCppChat') (local) or "
                f"module='OpenAIChat' (a service)."
            )
        streams = accepts_keyword(message, "stream")

        def send(text: str | None, results: dict[str, str] | None, tools: list[dict[str, Any]]) -> ChatReply:
            options: dict[str, Any] = {"tools": tools, "tool_results": results}
            if streams:
                options["stream"] = False
            reply = message(text, **options)
            if not isinstance(reply, str):  # a module that streams anyway: its last item is the reply
                reply = [*reply][-1]
            return reply if isinstance(reply, ChatReply) else ChatReply(str(reply))

        return send

    def _step(self, box: Toolbox, call: ToolCall, steps: list[Step]) -> Step:
        index = len(steps) + 1
        if sum(step.status != "skipped" for step in steps) >= self.max_steps:
            error = f"Not run: the step limit ({self.max_steps} tool calls) was reached."
            return Step(index, call.name, *_task_action(call), dict(call.arguments), status="skipped",
                        error=error, call_id=call.id)
        key = _call_key(call)
        earlier = next((step for step in steps if _call_key(step) == key and step.status != "skipped"), None)
        if earlier is not None:
            outcome = f"returned {json.dumps(earlier.summary, default=str)}" if earlier.ok else (
                f"failed: {earlier.error}")
            return Step(index, call.name, *_task_action(call), dict(call.arguments), status="refused", call_id=call.id,
                        error=f"This exact call was already made (step {earlier.index}) and {outcome} Do not repeat "
                              f"it: use that result, change the call, or answer.")
        return box.run(call, index)

    def _final_text(self, reply: ChatReply, steps: list[Step], stopped: StopReason) -> str:
        text = str(reply).strip()
        if not text:
            done = "; ".join(f"{step.call()}: {step.status}" for step in steps) or "nothing"
            text = f"I have no answer to give. What I did: {done}."
        if stopped == "step_limit":
            text += f"\n\n(Stopped at the step limit of {self.max_steps} tool calls; the answer may be incomplete.)"
        return text


def _task_action(call: ToolCall) -> tuple[str, str]:
    if call.name == "learn_task":
        return str(call.arguments.get("task", "")), "learn"
    task, _, action = call.name.partition("__")
    return (task, action) if action else ("", call.name)


def _call_key(call: ToolCall | Step) -> str:
    name = call.name if isinstance(call, ToolCall) else call.tool
    return name + json.dumps(call.arguments, sort_keys=True, default=str)
