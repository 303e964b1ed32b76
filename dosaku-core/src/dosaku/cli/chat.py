"""``dosaku chat`` (an interactive conversation in the terminal) and ``dosaku ask`` (one reply, reading piped
standard input as context). Both are logged and resumable like any conversation: ``-c`` continues the latest,
``--cid ID`` a given one.
"""
from __future__ import annotations

import inspect
import json
import logging
import sys
from collections.abc import Iterable
from typing import Any

import click

from dosaku.errors import DosakuError

log = logging.getLogger(__name__)

EXIT_WORDS = ("exit", "quit", ":q")
HISTORY_FILE = "chat_history"
HISTORY_LENGTH = 1000


def _accepts(function: Any, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def choose_module(agent: Any, requested: str | None, resumed: Any | None) -> str:
    """``requested``, else the resumed conversation's module (when this agent may use it), else
    ``[DEFAULT_MODULES] Chat``, else the best installed local Chat module, else EchoBot."""
    if requested:
        return requested
    modules = agent.registry.modules
    if resumed is not None and resumed.module in modules and agent.permits(modules[resumed.module].kind):
        return resumed.module
    configured = agent.config.get("DEFAULT_MODULES", "Chat")
    if configured:
        return configured
    local = [name for name in agent.learnable_modules("Chat") if modules[name].kind == "module"]
    return local[0] if local else "EchoBot"


def start_chat(enable_services: bool, no_log: bool, module: str | None, latest: bool, cid: str | None,
               system: str | None, options: Iterable[tuple[str, str]]) -> tuple[Any, str]:
    """Make the agent and learn Chat as the options say; returns (agent, module name)."""
    from dosaku.cli import cli_agent
    from dosaku.logs.logger import reading_store

    agent = cli_agent(enable_services=enable_services, **({"log": False} if no_log else {}))
    resumed = None
    if latest or cid:
        store = reading_store(agent, False if no_log else None)
        resumed = store.show(cid).summary if cid else store.latest()
        if resumed is None:
            raise click.ClickException("There is no logged conversation to continue yet; start one without -c.")
    name = choose_module(agent, module, resumed)
    module_class = agent.registry.module(name).load() if agent.permits(agent.registry.module(name).kind) else None
    kwargs: dict[str, Any] = {key: _value(value) for key, value in options}
    if module_class is not None and _accepts(module_class, "stream"):
        kwargs.setdefault("stream", True)
    if system is not None:
        kwargs["system_prompt"] = system
    if resumed is not None:
        kwargs["conversation"] = resumed.id
    agent.learn("Chat", module=name, **kwargs)
    return agent, name


class StopOnInterrupt:
    """While a reply streams: the first Ctrl-C asks it to stop at its next piece (so the module closes the stream
    itself and keeps the text so far); a second one interrupts at once (for a stream that stalls)."""

    def __init__(self) -> None:
        self.asked = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.asked:
            raise KeyboardInterrupt
        self.asked = True

    def __enter__(self) -> StopOnInterrupt:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            import signal

            signal.signal(signal.SIGINT, self._previous)


def write_reply(reply: Any, out: Any = None) -> str:
    """Print a reply as it streams (each partial is the whole reply so far); returns the text shown.

    Ctrl-C stops the reply (KeyboardInterrupt is raised once the stream is closed, which lets the module keep
    what it had)."""
    out = out or sys.stdout
    if isinstance(reply, str):
        out.write(reply)
        out.flush()
        return reply
    shown = ""
    with StopOnInterrupt() as interrupt:
        try:
            for partial in reply:
                partial = str(partial)
                out.write(partial[len(shown):] if partial.startswith(shown) else "\n" + partial)
                out.flush()
                shown = partial
                if interrupt.asked:
                    break
        finally:
            close = getattr(reply, "close", None)
            if callable(close):
                close()
    if interrupt.asked:
        raise KeyboardInterrupt
    return shown


def _conversation_id(agent: Any) -> str | None:
    from dosaku.logs import conversation_of

    try:
        return conversation_of(agent).id
    except DosakuError:
        return None


def _send(agent: Any, text: str, stream: bool) -> Any:
    send = agent.Chat.message
    return send(text, stream=stream) if _accepts(send, "stream") else send(text)


def _line_editing(agent: Any, logging_on: bool) -> Any:
    """Line editing and history with readline (when the platform has it); the history file only when logging."""
    try:
        import readline
    except ImportError:  # pragma: no cover - e.g. Windows without pyreadline
        return None
    path = agent.config.data_dir / HISTORY_FILE
    if logging_on and path.exists():
        try:
            readline.read_history_file(path)
        except OSError:
            pass
    readline.set_history_length(HISTORY_LENGTH)
    return path if logging_on else None


def _save_history(path: Any) -> None:
    import os
    import readline

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        readline.write_history_file(path)
        os.chmod(path, 0o600)
    except OSError as error:
        log.warning("The chat history could not be saved to %s: %s", path, error)


common_options = [
    click.option("--module", "-m", default=None, help="The Chat module (default: the best installed local one)."),
    click.option("-c", "--continue", "latest", is_flag=True, help="Continue the latest conversation."),
    click.option("--cid", "--conversation", "cid", default=None, metavar="ID", help="Continue this conversation."),
    click.option("--system", "-s", default=None, help="The system prompt."),
    click.option("-o", "--option", "options", type=(str, str), multiple=True, metavar="NAME VALUE",
                 help="A module option, e.g. -o max_tokens 64 -o temperature 0."),
    click.option("--no-log", "-n", is_flag=True, help="Do not log this conversation."),
    click.option("--enable-services", is_flag=True, help="Allow services (remote, maybe paid, APIs)."),
]


def with_common_options(function: Any) -> Any:
    for option in reversed(common_options):
        function = option(function)
    return function


@click.command()
@with_common_options
def chat(module: str | None, latest: bool, cid: str | None, system: str | None, options: tuple[tuple[str, str], ...],
         no_log: bool, enable_services: bool) -> None:
    """Chat in the terminal: replies stream as they are written; Ctrl-C stops a reply, Ctrl-D or 'exit' quits.
    The conversation is logged: continue it later with -c (the latest) or --cid ID."""
    try:
        agent, name = start_chat(enable_services, no_log, module, latest, cid, system, options)
    except DosakuError as error:
        raise click.ClickException(str(error)) from None
    from dosaku.logs import store_of

    logging_on = store_of(agent, False if no_log else None) is not None
    history = _line_editing(agent, logging_on)
    earlier = len([m for m in agent.Chat.history() if m.get("role") != "system"]) if "history" in dir(agent.Chat) \
        else 0
    resumed = f", continuing a conversation of {earlier} messages" if earlier else ""
    click.echo(f"Chatting with {name}{resumed}. Type 'exit' or press Ctrl-D to quit; Ctrl-C stops a reply.")
    try:
        _loop(agent)
    finally:
        if history is not None:
            _save_history(history)
        ident = _conversation_id(agent) if logging_on else None
        if ident:
            click.echo(f"Conversation {ident} kept: continue it with `dosaku chat -c` or `dosaku chat --cid {ident}`.")


def _loop(agent: Any) -> None:
    while True:
        try:
            line = input("> ")
        except EOFError:
            click.echo()
            return
        except KeyboardInterrupt:
            click.echo()
            return
        text = line.strip()
        if not text:
            continue
        if text.lower() in EXIT_WORDS:
            return
        try:
            write_reply(_send(agent, line, stream=True))
            click.echo()
        except KeyboardInterrupt:
            click.echo("\n[reply stopped]")
        except DosakuError as error:
            click.echo(f"\nError: {error}", err=True)


@click.command()
@click.argument("prompt", required=False)
@with_common_options
@click.option("--no-stream", is_flag=True, help="Print the reply only when it is complete.")
def ask(prompt: str | None, module: str | None, latest: bool, cid: str | None, system: str | None,
        options: tuple[tuple[str, str], ...], no_log: bool, enable_services: bool, no_stream: bool) -> None:
    """Ask for one reply to PROMPT; text piped on standard input comes first, as context
    (`cat notes.txt | dosaku ask "summarize"`). Logged like any conversation (continue it with -c)."""
    piped = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    parts = [part for part in (piped.strip(), (prompt or "").strip()) if part]
    if not parts:
        raise click.UsageError("Give a prompt (dosaku ask \"...\") or pipe text on standard input.")
    try:
        agent, _ = start_chat(enable_services, no_log, module, latest, cid, system, options)
        write_reply(_send(agent, "\n\n".join(parts), stream=not no_stream))
    except DosakuError as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        click.echo("\n[stopped]", err=True)
        sys.exit(130)
    click.echo()
