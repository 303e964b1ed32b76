"""``dosaku logs``: list, show, search, export and delete the logged conversations; turn logging off and on.

The conventions are llm's (``llm logs``): ``-n`` how many (0: all), ``-c`` the latest conversation, ``--cid``
one conversation, ``-q`` a search, ``--json`` for programs, ``-t`` to truncate, ``status``, ``path``,
``on``/``off``.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from dosaku.errors import DosakuError

TRUNCATE = 100


def _store(user: str | None) -> Any:
    from dosaku.config import Config
    from dosaku.logs import LogStore

    return LogStore(config=Config(), user=user or "")


def _fail(error: DosakuError) -> None:
    raise click.ClickException(str(error))


def _short(text: str, truncate: bool) -> str:
    text = " ".join((text or "").split()) if truncate else (text or "")
    return text if not truncate or len(text) <= TRUNCATE else text[: TRUNCATE - 1] + "…"


def user_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--user", default="", metavar="NAME",
                        help="Whose log: a GUI login name (default: this machine's own user).")(function)


@click.group(invoke_without_command=True)
@click.option("-n", "--count", default=10, show_default=True, help="How many conversations (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_option
@click.pass_context
def logs(context: click.Context, count: int, as_json: bool, user: str) -> None:
    """Your logged conversations (a SQLite file in the user data directory). Alone: the latest ones."""
    if context.invoked_subcommand is None:
        context.invoke(logs_list, count=count, as_json=as_json, user=user)


@logs.command("list")
@click.option("-n", "--count", default=10, show_default=True, help="How many conversations (0: all).")
@click.option("-q", "--query", default=None, help="Only conversations whose title or messages hold these words.")
@click.option("-m", "--model", default=None, help="Only conversations with this model.")
@click.option("--module", default=None, help="Only conversations with this Chat module.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_option
def logs_list(count: int, query: str | None, model: str | None, module: str | None, as_json: bool,
              user: str) -> None:
    """List conversations, the most recently active first."""
    from dosaku.logs.export import when

    try:
        found = _store(user).list(count, query=query, model=model, module=module)
    except DosakuError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps([summary.as_dict() for summary in found], indent=2, ensure_ascii=False))
        return
    for summary in found:
        what = " / ".join(part for part in (summary.agent, summary.module, summary.model) if part)
        click.echo(f"{summary.id}  {when(summary.updated)}  {summary.messages:>4} msgs  {what}\n"
                   f"    {_short(summary.title, True) or '(untitled)'}")


def _chosen(store: Any, ident: str | None, latest: bool) -> str:
    if latest or not ident:
        summary = store.latest()
        if summary is None:
            raise click.ClickException("There is no logged conversation yet.")
        return summary.id
    return ident


@logs.command("show")
@click.argument("ident", metavar="ID", required=False)
@click.option("-c", "--current", "latest", is_flag=True, help="The latest conversation (the default without ID).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("-r", "--response", is_flag=True, help="Only the last reply, as plain text.")
@click.option("-t", "--truncate", is_flag=True, help="Truncate long messages.")
@user_option
def logs_show(ident: str | None, latest: bool, as_json: bool, response: bool, truncate: bool, user: str) -> None:
    """Show the conversation ID (or a unique prefix of it) with its messages and steps."""
    from dosaku.logs.export import to_json, to_markdown

    store = _store(user)
    try:
        record = store.show(_chosen(store, ident, latest))
    except DosakuError as error:
        _fail(error)
    if response:
        replies = [message.content for message in record.messages if message.role == "assistant" and message.content]
        click.echo(replies[-1] if replies else "")
        return
    if truncate:
        import dataclasses

        messages = [dataclasses.replace(m, content=_short(m.content, True)) for m in record.messages]
        record = dataclasses.replace(record, messages=messages)
    click.echo(to_json(record) if as_json else to_markdown(record), nl=False)


@logs.command("search")
@click.argument("text")
@click.option("-n", "--count", default=20, show_default=True, help="How many messages (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_option
def logs_search(text: str, count: int, as_json: bool, user: str) -> None:
    """Find the messages holding every word of TEXT (full-text), the best matches first."""
    try:
        hits = _store(user).search(text, count)
    except DosakuError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps([hit.as_dict() for hit in hits], indent=2, ensure_ascii=False))
        return
    if not hits:
        click.echo(f"No logged message holds {text!r}.")
    for hit in hits:
        click.echo(f"{hit.conversation_id}  #{hit.position} {hit.role:<9} {_short(hit.snippet, True)}\n"
                   f"    in: {_short(hit.title, True) or '(untitled)'}")


@logs.command("export")
@click.argument("ident", metavar="ID")
@click.option("--json", "fmt", flag_value="json", default=True, help="JSON, with every field (the default).")
@click.option("--markdown", "fmt", flag_value="markdown", help="Markdown, to read or share.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (default: standard output).")
@user_option
def logs_export(ident: str, fmt: str, output: str | None, user: str) -> None:
    """Export the conversation ID as JSON or Markdown."""
    try:
        text = _store(user).export(ident, fmt)
    except DosakuError as error:
        _fail(error)
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    with open(output, "w", encoding="utf-8") as file:
        file.write(text)
    click.echo(f"Wrote {output}", err=True)


@logs.command("delete")
@click.argument("ident", metavar="ID")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@user_option
def logs_delete(ident: str, yes: bool, user: str) -> None:
    """Delete the conversation ID with its messages, steps and images."""
    store = _store(user)
    try:
        summary = store.show(ident).summary
        if not yes and not click.confirm(f"Delete {summary.id} ({summary.title or 'untitled'})?", default=False):
            raise click.ClickException("Not confirmed: nothing was deleted.")
        store.delete(summary.id)
    except DosakuError as error:
        _fail(error)
    click.echo(f"Deleted {summary.id}")


@logs.command("off")
def logs_off() -> None:
    """Stop logging: writes [LOGS] ENABLED = false to config.ini; from then on nothing is written."""
    store = _store("")
    store.off()
    click.echo(f"Logging is OFF ([LOGS] ENABLED = false in {store.config.path}).")
    if store.enabled:
        click.echo("…but the environment turns it on: unset DOSAKU_LOGS__ENABLED.", err=True)


@logs.command("on")
def logs_on() -> None:
    """Log conversations again (the default)."""
    store = _store("")
    store.on()
    click.echo("Logging is ON.")
    if not store.enabled:
        click.echo("…but the environment turns it off: unset DOSAKU_LOGS__ENABLED.", err=True)


@logs.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_option
def logs_status(as_json: bool, user: str) -> None:
    """Whether logging is on, where the database is and how much it holds."""
    try:
        status = _store(user).status()
    except DosakuError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(status.as_dict(), indent=2))
        return
    click.echo(f"Logging is {'ON' if status.enabled else 'OFF'} for all conversations")
    if not status.exists:
        click.echo(f"No log database yet at {status.path}")
        return
    click.echo(f"Found log database at {status.path}\n"
               f"Number of conversations logged: {status.conversations}\n"
               f"Number of messages logged:      {status.messages}\n"
               f"Number of steps logged:         {status.steps}\n"
               f"Database file size:             {status.size_bytes / 1e6:.2f}MB")


@logs.command("path")
def logs_path() -> None:
    """Print the path of the log database."""
    click.echo(str(_store("").path))
