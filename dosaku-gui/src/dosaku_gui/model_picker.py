"""The local model picker beside the Chat module: installed GGUF models, the catalog with sizes and RAM, and
downloads that run in a background thread while the page shows their progress (needs dosaku-modules-llamacpp).

Picking a model that needs more RAM than the machine has available says so, with the numbers, and keeps the
current one: nothing loads. A download is shared by every session that asks for the same model, and never holds
up another session: the click starts it and returns, and a timer polls its progress.
"""
from __future__ import annotations

import html
import importlib.util
import logging
from typing import Any

import gradio as gr

from dosaku_gui.messages import user_message

log = logging.getLogger(__name__)

#: The Chat module whose model this picks.
LLAMACPP_MODULE = "LlamaCppChat"
#: How often a page polls a running download, in seconds.
POLL_S = 0.5


def picker_available(chat_choices: list[str]) -> bool:
    """Whether to show the picker: LlamaCppChat is a Chat module here and its pack is importable."""
    return LLAMACPP_MODULE in chat_choices and importlib.util.find_spec("dosaku_llamacpp") is not None


# --- what the picker shows ------------------------------------------------------------------------------------
def installed_names() -> list[str]:
    from dosaku_llamacpp.local_models import local_models

    return [model.name for model in local_models()]


def default_name() -> str:
    from dosaku_llamacpp.local_models import default_model_name

    return default_model_name()


def pullable_names() -> list[str]:
    """The catalog models not downloaded yet."""
    from dosaku_llamacpp.catalog import load_catalog
    from dosaku_llamacpp.local_models import local_models

    catalog = load_catalog()
    have = {model.entry.name for model in local_models(catalog=catalog) if model.entry is not None}
    return [entry.name for entry in catalog if entry.name not in have]


def catalog_table() -> str:
    """The catalog as a Markdown table: size, RAM needed (and whether it fits here), context, licence, tools."""
    from dosaku_llamacpp import machine
    from dosaku_llamacpp.catalog import load_catalog
    from dosaku_llamacpp.local_models import local_models
    from dosaku_llamacpp.units import human_bytes

    try:
        catalog = load_catalog()
    except Exception as error:  # noqa: BLE001 - a bad models.json shows as a message
        return user_message(error)
    have = {model.entry.name for model in local_models(catalog=catalog) if model.entry is not None}
    memory = machine.memory()
    rows = [f"This machine has **{human_bytes(memory.available)}** of RAM available "
            f"({human_bytes(memory.total)} in all).", "",
            "| Model | Download | RAM needed | Context | Tools | Licence | |", "|---|---|---|---|---|---|---|"]
    for entry in catalog:
        needed = entry.ram_needed
        if entry.name in have:
            state = "installed"
        elif needed and needed > memory.total:
            state = "too big for this machine"
        else:
            state = ""
        rows.append(f"| `{entry.name}` | {human_bytes(entry.size) if entry.size else '?'} "
                    f"| {human_bytes(needed) if needed else '?'} | {entry.context_length or '?'} "
                    f"| {'yes' if entry.tools else 'no'} | {html.escape(entry.license or '?')} | {state} |")
    return "\n".join(rows)


def progress_html(job: Any) -> str:
    """A ``<progress>`` bar and a line of text for a background pull (empty when there is none)."""
    if job is None:
        return ""
    fraction = job.fraction
    bar = (f'<progress max="1" value="{fraction:.4f}" style="width:100%"></progress>' if fraction is not None
           else '<progress style="width:100%"></progress>')
    if not job.running:
        bar = ""
    return f'<div class="model-pull" data-state="{job.state}">{bar}<div>{html.escape(job.describe())}</div></div>'


# --- handlers -------------------------------------------------------------------------------------------------
def current_model(session: Any) -> str | None:
    """The name of the model this session's LlamaCppChat chats with (None when Chat is not LlamaCppChat yet)."""
    from dosaku_llamacpp.local_models import local_models

    if "Chat" not in session.agent.tasks:
        return None
    path = getattr(session.agent.Chat.module, "model_path", None)
    return next((model.name for model in local_models() if model.path == path), None) if path else None


def choose_model(session: Any, name: str | None) -> tuple[Any, Any, Any, str, Any]:
    """Chat with the installed model ``name`` in this session (a new conversation), unless it does not fit.

    Returns (chat module dropdown, chat history, chat status, picker message, model dropdown): when the model is
    not loaded, the model dropdown goes back to the one still in use.
    """
    from dosaku_llamacpp.errors import NotEnoughMemory
    from dosaku_llamacpp.local_models import check_fits, find_local

    unchanged = gr.update(), gr.update(), gr.update()
    if not name:
        return *unchanged, "Pick a model first.", gr.update()
    try:
        model = find_local(name)
        if model is None:
            return *unchanged, f"**{name}** is not installed any more; refresh the list.", gr.update()
        check_fits(model)
        kwargs: dict[str, Any] = {"model": model.name, "stream": True}
        if session.options.system_prompt:
            kwargs["system_prompt"] = session.options.system_prompt
        session.agent.learn("Chat", module=LLAMACPP_MODULE, **kwargs)
    except NotEnoughMemory as error:
        return *unchanged, f"**Not loaded.** {error}", gr.update(value=current_model(session))
    except Exception as error:  # noqa: BLE001 - shown to the user, never a trace
        return *unchanged, user_message(error), gr.update(value=current_model(session))
    ready = f"Chatting with **{LLAMACPP_MODULE}** ({model.name})."
    return gr.update(value=LLAMACPP_MODULE), [], ready, f"Using **{model.name}** in this session.", gr.update()


def start_pull(name: str | None) -> tuple[str, Any]:
    """Start downloading the catalog model ``name`` in the background; returns (progress, timer)."""
    from dosaku_llamacpp.background import background_pulls

    if not name:
        return "Pick a model to download first.", gr.Timer(active=False)
    job = background_pulls().start(name)
    return progress_html(job), gr.Timer(active=True)


def cancel_pull(name: str | None) -> str:
    from dosaku_llamacpp.background import background_pulls

    job = background_pulls().job(name) if name else None
    if job is None or not job.running:
        return progress_html(job)
    job.cancel()
    return progress_html(job)


def poll_pull(name: str | None, chosen: str | None) -> tuple[str, Any, Any, Any, str]:
    """The progress of this page's download; when it ends, the timer stops and the lists are refreshed."""
    from dosaku_llamacpp.background import background_pulls

    job = background_pulls().job(name) if name else None
    if job is not None and job.running:
        return progress_html(job), gr.Timer(active=True), gr.update(), gr.update(), gr.update()
    installed, pullable = installed_names(), pullable_names()
    return (progress_html(job), gr.Timer(active=False), gr.update(choices=installed, value=chosen),
            gr.update(choices=pullable, value=pullable[0] if pullable else None), catalog_table())


def refresh() -> tuple[Any, Any, str]:
    installed, pullable = installed_names(), pullable_names()
    return (gr.update(choices=installed), gr.update(choices=pullable, value=pullable[0] if pullable else None),
            catalog_table())


# --- layout ---------------------------------------------------------------------------------------------------
def build_model_picker(session: gr.State, module: gr.Dropdown, chatbot: gr.Chatbot, status: gr.Markdown) -> None:
    """The picker, in an accordion under the Chat module's row."""
    try:
        installed, default, pullable, table = installed_names(), default_name(), pullable_names(), catalog_table()
    except Exception as error:  # noqa: BLE001 - a bad models.json must not take the GUI down
        log.warning("The model picker is off: %s", error)
        gr.Markdown(user_message(error), elem_id="model-picker-error")
        return
    with gr.Accordion("Local models (llama.cpp)", open=False, elem_id="model-picker"):
        with gr.Row():
            choice = gr.Dropdown(installed, value=default if default in installed else None, scale=3,
                                 label="Model LlamaCppChat chats with (this session)", elem_id="model-choice")
            refresh_button = gr.Button("Refresh", elem_id="model-refresh", scale=1)
        message = gr.Markdown(elem_id="model-message")
        gr.Markdown("**Catalog** — nothing is downloaded unless you click *Download*.")
        table_view = gr.Markdown(table, elem_id="model-catalog")
        with gr.Row():
            to_pull = gr.Dropdown(pullable, value=pullable[0] if pullable else None, label="Download", scale=3,
                                  elem_id="model-pull-choice")
            pull_button = gr.Button("Download", variant="primary", elem_id="model-pull", scale=1)
            cancel_button = gr.Button("Cancel", elem_id="model-pull-cancel", scale=1)
        progress = gr.HTML(elem_id="model-pull-status")
        timer = gr.Timer(POLL_S, active=False)
    choice.input(choose_model, [session, choice], [module, chatbot, status, message, choice],
                 api_name="choose_model")
    pull_button.click(start_pull, [to_pull], [progress, timer], api_name="pull_model", concurrency_limit=None)
    cancel_button.click(cancel_pull, [to_pull], [progress], api_visibility="private", concurrency_limit=None)
    timer.tick(poll_pull, [to_pull, choice], [progress, timer, choice, to_pull, table_view],
               api_visibility="private", concurrency_limit=None, show_progress="hidden")
    refresh_button.click(refresh, None, [choice, to_pull, table_view], api_visibility="private")
