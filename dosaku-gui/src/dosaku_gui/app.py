"""The gradio app: a Chat tab (streaming), a tab per image task, and an Agent tab. Imports gradio."""
from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from dosaku_gui.image_tasks import IMAGE_TASKS, ImageTaskView, result_image
from dosaku_gui.messages import user_message
from dosaku_gui.model_picker import build_model_picker, picker_available
from dosaku_gui.options import GuiOptions
from dosaku_gui.session import (
    DOSAKU_CHOICE,
    AgentFactory,
    AgentSession,
    chat_modules,
    default_agent_factory,
    default_chat_module,
    dosaku_available,
)

log = logging.getLogger(__name__)

#: A browser session's agent (and its models) is freed this long after its last use, or when the tab closes.
SESSION_TTL_S = 2 * 3600


def _close_session(session: AgentSession | None) -> None:
    if isinstance(session, AgentSession):
        session.close()


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _ready(module: str) -> str:
    return f"Chatting with **{module}**."


# --- Chat handlers -------------------------------------------------------------------------------------------
def respond(
    message: str, history: list[dict[str, Any]] | None, session: AgentSession, module: str,
    temperature: float | None = None, max_tokens: float | None = None, request: gr.Request = None,
) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
    """Stream the reply to ``message``: yields (chat history, input box, status) as the reply grows."""
    from dosaku_gui.history import bind_user, user_of

    bind_user(session, user_of(request))  # history: the conversation is logged as the logged-in user's
    history = list(history or [])
    if not (message or "").strip():
        yield history, "", "Type a message first."
        return
    history.append({"role": "user", "content": message})
    if module == DOSAKU_CHOICE:
        yield from _respond_with_tools(message, history, session)
        return
    history.append({"role": "assistant", "content": ""})
    yield history, "", f"**{module}** is answering…"
    options = {"temperature": temperature, "max_tokens": int(max_tokens) if max_tokens else None}
    try:
        for partial in session.chat(message, module, **options):
            history[-1] = {"role": "assistant", "content": partial}
            yield history, "", f"**{module}** is answering…"
    except Exception as error:  # noqa: BLE001 - shown to the user as a message, never as a traceback
        if not _text(history[-1]):
            history.pop()
        yield history, "", user_message(error)
        return
    yield history, "", _ready(module)


def _respond_with_tools(
    message: str, history: list[dict[str, Any]], session: AgentSession
) -> Iterator[tuple[list[dict[str, Any]], str, str]]:
    """The Dosaku agent does ``message``: each step shows as a collapsed thought, then the answer (and images)."""
    from dosaku.agents import Step

    from dosaku_gui.thoughts import answer_messages, step_message

    working = f"**{DOSAKU_CHOICE}** is working…"
    yield history, "", working
    try:
        for event in session.do(message):
            if isinstance(event, Step):
                history.append(step_message(event))
                yield history, "", working
            else:
                history += answer_messages(event)
                note = " (stopped at the step limit)" if event.stopped == "step_limit" else ""
                yield history, "", f"{_ready(DOSAKU_CHOICE)} {len(event.steps)} step(s){note}."
    except Exception as error:  # noqa: BLE001 - shown to the user as a message, never as a traceback
        yield history, "", user_message(error)


def switch_module(session: AgentSession, module: str) -> tuple[list[dict[str, Any]], str]:
    """Use ``module`` for Chat from now on (a new, empty conversation)."""
    try:
        session.use_chat_module(module)
    except Exception as error:  # noqa: BLE001
        return [], user_message(error)
    return [], _ready(module)


def clear_chat(session: AgentSession, module: str) -> tuple[list[dict[str, Any]], str]:
    """Forget the conversation."""
    try:
        session.reset_chat(module)
    except Exception as error:  # noqa: BLE001
        return [], user_message(error)
    return [], _ready(module)


def describe(session: AgentSession) -> str:
    """The Agent tab's Markdown."""
    try:
        return session.describe()
    except Exception as error:  # noqa: BLE001
        return user_message(error)


def run_image_task(view: ImageTaskView, session: AgentSession, module: str, given: Any) -> tuple[Any, str]:
    """Do ``view.task`` with ``module`` on the uploaded image or typed prompt; returns (image, status)."""
    if given is None or (isinstance(given, str) and not given.strip()):
        return None, "Upload an image first." if view.input == "image" else "Type a prompt first."
    try:
        image = result_image(session.run_task(view.task, module, given))
    except Exception as error:  # noqa: BLE001
        return None, user_message(error)
    return image, f"Done with **{module}**."


def install_pack(task: str, session: AgentSession, agreed: bool) -> tuple[Any, Any, str]:
    """Install the pack providing ``task`` if the user ticked the box; returns (module list, install box, status)."""
    try:
        modules = session.install(task, bool(agreed))
    except Exception as error:  # noqa: BLE001 - shown to the user, never a trace
        return gr.update(), gr.update(), user_message(error)
    if not modules:
        return gr.update(), gr.update(), f"Installed, but no module you may use does {task} (see the Agent tab)."
    return gr.update(choices=modules, value=modules[0]), gr.update(visible=False), f"Installed: **{modules[0]}**."


# --- layout --------------------------------------------------------------------------------------------------
def _chat_tab(options: GuiOptions, probe: Any, session: gr.State) -> tuple[Any, ...]:
    choices = chat_modules(probe) + ([DOSAKU_CHOICE] if dosaku_available(probe) else [])
    default = default_chat_module(probe, options.module)
    if default not in choices:  # asked for on the command line: its error (if any) shows in the status line
        choices = [default, *choices]
    with gr.Row():
        module = gr.Dropdown(choices, value=default, label="Chat module", elem_id="chat-module", scale=3)
        clear = gr.Button("New conversation", elem_id="chat-clear", scale=1)
    chatbot = gr.Chatbot(elem_id="chatbot", label="Conversation", height=440, buttons=["copy"])
    with gr.Row():
        textbox = gr.Textbox(
            elem_id="chat-input", placeholder="Type a message and press Enter", show_label=False, scale=8,
            autofocus=True,
        )
        send = gr.Button("Send", variant="primary", elem_id="chat-send", scale=1)
    status = gr.Markdown(_ready(default), elem_id="chat-status")
    if picker_available(choices):
        build_model_picker(session, module, chatbot, status)
    with gr.Accordion("Options", open=False):
        temperature = gr.Slider(0.0, 2.0, value=options.temperature, step=0.05, label="Temperature")
        max_tokens = gr.Slider(1, 2048, value=options.max_tokens, step=1, label="Max tokens per reply")
    inputs = [textbox, chatbot, session, module, temperature, max_tokens]
    outputs = [chatbot, textbox, status]
    submitted = textbox.submit(respond, inputs, outputs, api_name="chat", concurrency_id="chat",
                               concurrency_limit=options.concurrency)
    sent = send.click(respond, inputs, outputs, api_visibility="private", concurrency_id="chat",
                      concurrency_limit=options.concurrency)
    # .input, not .change: reopening a past conversation sets the module without starting a new conversation
    module.input(switch_module, [session, module], [chatbot, status], api_name="switch_module")
    cleared = clear.click(clear_chat, [session, module], [chatbot, status], api_name="clear")
    chatbot.clear(clear_chat, [session, module], [chatbot, status], api_visibility="private")  # its trash icon
    return module, status, chatbot, (submitted, sent, cleared)


def _install_box(view: ImageTaskView, probe: Any, session: gr.State, chooser: gr.Dropdown) -> gr.Column:
    pack = probe.catalog.packs_for_task(view.task)[0]
    with gr.Column(elem_id=f"{view.task}-install") as box:
        gr.Markdown(f"No installed module does {view.task}. The pack {pack.describe()} provides it.")
        agree = gr.Checkbox(label=f"Install {pack.distribution} into this Python with pip", value=False,
                            elem_id=f"{view.task}-agree")
        button = gr.Button(f"Install {pack.distribution}", elem_id=f"{view.task}-install-button")
        outcome = gr.Markdown(elem_id=f"{view.task}-install-status")
    button.click(functools.partial(install_pack, view.task), [session, agree], [chooser, box, outcome],
                 api_name=f"install_{view.task.lower()}", concurrency_limit=1)
    return box


def _image_tab(view: ImageTaskView, probe: Any, session: gr.State, options: GuiOptions) -> None:
    installed = probe.learnable_modules(view.task)
    modules = [name for name in installed if probe.permits(probe.registry.module(name).kind)]
    gr.Markdown(view.help)
    installable = not installed and options.installs_allowed and view.task in probe.installable_tasks
    if not modules and not installable:
        if installed:
            gr.Markdown(
                f"**Permission needed.** {view.task} is only done by services ({', '.join(installed)}), which "
                f"send your data to a remote API. Restart with `dosaku_gui --enable-services` to use them.",
                elem_id=f"{view.task}-status",
            )
        else:
            gr.Markdown(f"No installed module does {view.task}. Install one: `dosaku install {view.task}`.",
                        elem_id=f"{view.task}-status")
        return
    chooser = gr.Dropdown(modules, value=modules[0] if modules else None, label="Module",
                          elem_id=f"{view.task}-module")
    if not modules:
        _install_box(view, probe, session, chooser)
    with gr.Row():
        if view.input == "image":
            given = gr.Image(type="pil", label="Input", elem_id=f"{view.task}-input")
        else:
            given = gr.Textbox(label="Prompt", lines=4, elem_id=f"{view.task}-input")
        result = gr.Image(type="pil", format="png", label="Result", interactive=False, elem_id=f"{view.task}-result")
    run = gr.Button("Run", variant="primary", elem_id=f"{view.task}-run")
    status = gr.Markdown(elem_id=f"{view.task}-status")
    run.click(functools.partial(run_image_task, view), [session, chooser, given], [result, status],
              api_name=view.task.lower())


def _history_panel(session: gr.State, chatbot: Any, module: Any, status: Any, chat_events: Any, demo: Any) -> None:
    """The side panel of past conversations (:mod:`dosaku_gui.history_panel`), refreshed after each chat event."""
    from dosaku_gui.history_panel import build_history_panel, refresh

    listing, search = build_history_panel(session, chatbot, module, status)
    for event in chat_events:
        event.then(refresh, [session, search], [listing], api_visibility="private")
    demo.load(refresh, [session, search], [listing], api_visibility="private")


def build_app(options: GuiOptions | None = None, agent_factory: AgentFactory | None = None) -> gr.Blocks:
    """The Dosaku web app. Every browser session gets its own agent, made by ``agent_factory``.

    Example::

        demo = build_app(GuiOptions(module='EchoBot'))
        demo.queue().launch(server_name='127.0.0.1', server_port=7860)
    """
    options = options or GuiOptions()
    factory = agent_factory or default_agent_factory
    probe = factory(enable_services=options.enable_services)  # only to list what is installed; never chats
    with gr.Blocks(title="Dosaku") as demo:
        session = gr.State(functools.partial(AgentSession, options, factory), time_to_live=SESSION_TTL_S,
                           delete_callback=_close_session)
        gr.Markdown("## Dosaku")
        with gr.Tab("Chat", elem_id="tab-chat"):
            module, status, chatbot, chat_events = _chat_tab(options, probe, session)
        for view in IMAGE_TASKS:
            if view.task in probe.learnable_tasks:
                with gr.Tab(view.label, elem_id=f"tab-{view.task}"):
                    _image_tab(view, probe, session, options)
        with gr.Tab("Agent", elem_id="tab-agent") as agent_tab:
            info = gr.Markdown(elem_id="agent-info")
            refresh = gr.Button("Refresh", elem_id="agent-refresh")
        refresh.click(describe, [session], [info], api_name="agent_info")
        agent_tab.select(describe, [session], [info], api_visibility="private")
        demo.load(lambda s, m: switch_module(s, m)[1], [session, module], [status], api_visibility="private")
        _history_panel(session, chatbot, module, status, chat_events, demo)
    return demo
