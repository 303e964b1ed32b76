"""What ``agent.Ponder(...)`` returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PonderReport:
    """The outcome of one ponder.

    Attributes:
        success: Every check passed (it compiles, the module implements the task, the tests pass isolated).
        task: The new task's name (``None`` when no plan was made).
        module: The new module's name.
        folder: The plugin folder written (``None`` when ``write_to_file=False``); a plugin that did not validate
            is written under ``.failed/`` in the plugins directory, where the agent does not load it.
        files: ``{relative path: text}`` of every file of the plugin.
        errors: What is still wrong (empty on success).
        repairs: How many repair requests were made.
        requests: How many requests were sent to the model.
        model: The model that wrote it.
        warnings: Things the user should know (e.g. the folder is outside the agent's plugin directories).

    Example::

        report = agent.Ponder(reqs='A tic tac toe game against a perfect AI.', save_filename='tic_tac_toe.py')
        if report.success:
            agent.refresh()
            agent.learn(report.task)
        else:
            print(report.errors)
    """

    success: bool
    task: str | None
    module: str | None
    folder: Path | None
    files: dict[str, str] = field(default_factory=dict, repr=False)
    errors: list[str] = field(default_factory=list)
    repairs: int = 0
    requests: int = 0
    model: str = ""
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.success

    def __str__(self) -> str:
        if self.success:
            where = f" in {self.folder}" if self.folder else ""
            return (f"Pondered the task {self.task} (module {self.module}){where}: it compiles, implements the task "
                    f"and its tests pass ({self.requests} requests, {self.repairs} repairs). "
                    f"agent.refresh(); agent.learn({self.task!r}) to use it.")
        errors = "\n".join(f"- {error.splitlines()[0]}" for error in self.errors)
        where = f" The attempt is kept in {self.folder}." if self.folder else ""
        return f"Ponder did not produce a working plugin ({self.requests} requests, {self.repairs} repairs):\n" \
               f"{errors}{where}"
