"""Core's default plugin: the core task specs, the built-in modules (EchoBot) and core's ``dosaku`` commands."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku.plugins.hookspecs import hookimpl
from dosaku.spec import ModuleSpec, TaskSpec


@hookimpl
def register_tasks(register: Callable[[TaskSpec], None], config: Any) -> None:
    register(TaskSpec("Chat", "dosaku.tasks.chat:Chat", "Converse with a chatbot.", default_module="EchoBot"))
    register(TaskSpec("RestoreFaces", "dosaku.tasks.restore_faces:RestoreFaces", "Restore faces in an image."))
    register(TaskSpec("TextToImage", "dosaku.tasks.text_to_image:TextToImage", "Create an image from text."))
    register(TaskSpec("PlayGo", "dosaku.tasks.play_go:PlayGo", "Play Go through the Go Text Protocol."))
    register(TaskSpec("Ponder", "dosaku.tasks.ponder:Ponder", "Write new tasks and modules."))
    register(TaskSpec("Tester", "dosaku.tasks.tester:Tester", "Run generated code, isolated."))


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    register(
        ModuleSpec(
            "EchoBot",
            tasks=("Chat",),
            target="dosaku.modules.echo_bot:EchoBot",
            priority=-100,
            summary="A chatbot that echoes what you say: no model, no network.",
        )
    )


@hookimpl
def register_commands(cli: Any) -> None:
    from dosaku.cli.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)
