"""The side panel of past conversations: newest first, titled, searchable; click one to continue it (its messages,
and the Dosaku agent's steps and images, come back into the chat); delete; a new conversation."""
from __future__ import annotations

import logging
from typing import Any

import gradio as gr
from dosaku.logs.export import when

from dosaku_gui import history
from dosaku_gui.messages import user_message
from dosaku_gui.session import AgentSession
from dosaku_gui.thoughts import step_message

log = logging.getLogger(__name__)

def label(summary: Any) -> str:
    """How a conversation shows in the list: its title and when it was last active."""
    return f"{summary.title or '(untitled)'} · {when(summary.updated)[5:16]}"


def choices(session: AgentSession, query: str | None = None) -> list[tuple[str, str]]:
    return [(label(summary), summary.id) for summary in history.conversations(session, query)]


def _image_message(artifact: Any) -> dict[str, Any] | None:
    from PIL import Image

    try:
        with Image.open(artifact.path) as image:
            loaded = image.copy()
    except OSError:
        log.warning("The logged image %s is missing", artifact.path)
        return None
    return {"role": "assistant", "content": gr.Image(loaded, format="png")}


def chat_messages(record: Any) -> list[dict[str, Any]]:
    """A logged conversation as the chatbot shows it: user and assistant texts, each step of the Dosaku agent as a
    collapsed thought after the message it followed, and the images the steps made."""
    steps: dict[int, list[Any]] = {}
    for step in record.steps:
        steps.setdefault(step.after_position, []).append(step)
    shown: list[dict[str, Any]] = []
    for message in record.messages:
        if message.role in ("user", "assistant") and message.content:
            shown.append({"role": message.role, "content": message.content})
        for step in steps.get(message.position, []):
            shown.append(step_message(step))
            shown += [m for m in map(_image_message, step.artifacts) if m is not None]
    return shown


# --- handlers ------------------------------------------------------------------------------------------------
def refresh(session: AgentSession, query: str | None, request: gr.Request) -> Any:
    """The list of the user's conversations (matching ``query``), the current one selected."""
    try:
        history.bind_user(session, history.user_of(request))
        return gr.update(choices=choices(session, query), value=history.current_id(session))
    except Exception as error:  # noqa: BLE001 - never a trace in the page
        log.warning("The conversation list failed: %s", user_message(error))
        return gr.update(choices=[], value=None)


def open_conversation(session: AgentSession, ident: str | None, request: gr.Request) -> tuple[Any, Any, str]:
    """Continue the conversation ``ident``: returns (the chat with its history, the module choice, status)."""
    if not ident:
        return gr.update(), gr.update(), gr.update()
    try:
        history.bind_user(session, history.user_of(request))
        record, choice = history.reopen(session, ident)
    except Exception as error:  # noqa: BLE001
        return gr.update(), gr.update(), user_message(error)
    return chat_messages(record), gr.update(value=choice), f"Continuing **{record.summary.title or 'untitled'}** " \
                                                          f"with **{choice}**."


def delete_conversation(session: AgentSession, ident: str | None, query: str | None,
                        request: gr.Request) -> tuple[Any, Any, str]:
    """Delete the selected conversation: returns (the list, the chat, status)."""
    if not ident:
        return gr.update(), gr.update(), "Select a conversation to delete first."
    try:
        history.bind_user(session, history.user_of(request))
        was_current = ident == history.current_id(session)
        history.forget(session, ident)
    except Exception as error:  # noqa: BLE001
        return gr.update(), gr.update(), user_message(error)
    return (gr.update(choices=choices(session, query), value=None), [] if was_current else gr.update(),
            "Conversation deleted.")


def build_history_panel(session: gr.State, chatbot: gr.Chatbot, module: gr.Dropdown,
                        status: gr.Markdown) -> tuple[gr.Radio, gr.Textbox]:
    """The panel (in a sidebar) and its events; returns (the list, the search box) so the chat can refresh them."""
    with gr.Sidebar(label="Conversations", elem_id="history-panel", open=True):
        search = gr.Textbox(placeholder="Search conversations", show_label=False, elem_id="history-search")
        listing = gr.Radio(choices=[], label="Past conversations", elem_id="history-list", interactive=True)
        delete = gr.Button("Delete selected", elem_id="history-delete", variant="stop", size="sm")
    search.change(refresh, [session, search], [listing], api_name="history", concurrency_limit=None)
    listing.input(open_conversation, [session, listing], [chatbot, module, status], api_name="open_conversation")
    delete.click(delete_conversation, [session, listing, search], [listing, chatbot, status],
                 api_name="delete_conversation")
    return listing, search
