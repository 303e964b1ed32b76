"""Ponder: the Ponder task through an OpenAI (or OpenAI-compatible) chat model. It writes a new task and a module
for it as a plugin distribution in the user's plugins directory, checks them (without ever running them in the
agent's process), repairs them with the model's help, and reports.

Steps: a plan (JSON: names and actions), then one request per file: the task spec, the module, a sample, a gradio
app, the tests. Ponder writes ``pyproject.toml`` (the ``dosaku`` entry point) and ``plugin.py`` itself from
templates. Checks: every file compiles and the module defines the task's actions (read, not run); then, in an
isolated child process (:mod:`dosaku_openai.pondering.isolated`), the task and module are imported,
:func:`dosaku.task.missing_actions` must be empty and the generated tests must pass. Each failure is sent back to
the model, at most ``max_repairs`` rounds. ``PROVENANCE.json`` records the model, the prompts, the time and each
file's hash.

Config::

    [PONDER]
    MODEL = gpt-4o                 # default model (else [OPENAI] MODEL, else gpt-4o)
    PLUGINS_DIR = ~/my-plugins     # where plugins are written (default: the first [PLUGINS] DIRECTORIES entry,
                                   # i.e. <data dir>/plugins); the agent loads plugins from there
    MAX_REPAIRS = 3
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dosaku.config import Config
from dosaku.executors.limits import Limits
from dosaku.module import Service
from dosaku.plugins.folders import plugin_directories
from dosaku.tasks.ponder import Ponder as PonderTask

from dosaku_openai import __version__
from dosaku_openai.chat import OpenAIChat
from dosaku_openai.pondering import prompts
from dosaku_openai.pondering.checks import Problem, static_problems
from dosaku_openai.pondering.isolated import run_checks
from dosaku_openai.pondering.layout import MODEL_FILES, Layout
from dosaku_openai.pondering.plan import Plan, file_stem, parse_plan
from dosaku_openai.pondering.replies import code_block, file_blocks
from dosaku_openai.pondering.report import PonderReport
from dosaku_openai.pondering.writer import PonderError, check_target, sha256, write_plugin

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o"
DEFAULT_MAX_REPAIRS = 3
DEFAULT_MAX_TOKENS = 4096
PONDER_OPTIONS = ("max_repairs", "plugins_dir")


class Ponder(Service, PonderTask):
    """Writes new tasks and modules with a chat model: ``agent.Ponder(reqs=...)``.

    Args:
        model: The chat model (default ``[PONDER] MODEL``, else ``[OPENAI] MODEL``, else ``'gpt-4o'``).
        max_repairs: The most repair rounds after the first attempt (default ``[PONDER] MAX_REPAIRS``, else 3).
        plugins_dir: Where plugins are written (default ``[PONDER] PLUGINS_DIR``, else the agent's first plugin
            directory, ``<data dir>/plugins``).
        test_wall_time: Seconds the isolated check (import and tests) may take.
        temperature: Sampling temperature (default: the server's).
        max_tokens: The most tokens one reply may take (and what the spend limit reserves for it).
        base_url, api_key, timeout, max_retries: The connection, as for :class:`~dosaku_openai.chat.OpenAIChat`.
        config: The configuration (default :class:`dosaku.Config`).

    Example::

        from dosaku import Agent

        agent = Agent(enable_services=True)
        agent.learn('Ponder', model='gpt-4')
        report = agent.Ponder(reqs='Write a tic tac toe program between a human and an AI player. Make the AI '
                                   'player play perfectly.', write_to_file=True, save_filename='tic_tac_toe.py')
        print(report)
        agent.refresh()
        agent.learn('TicTacToe')
    """

    def __init__(
        self,
        model: str | None = None,
        max_repairs: int | None = None,
        plugins_dir: str | Path | None = None,
        test_wall_time: float = 60.0,
        temperature: float | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        config: Config | None = None,
    ):
        self.config = config if config is not None else Config()
        model = model or self.config.get("PONDER", "MODEL") or self.config.get("OPENAI", "MODEL") or DEFAULT_MODEL
        self.chat = OpenAIChat(
            model=model, stream=False, system_prompt=prompts.SYSTEM, temperature=temperature, max_tokens=max_tokens,
            base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries, config=self.config,
        )
        self.model = self.chat.model
        self.max_repairs = _count(max_repairs, self.config.get("PONDER", "MAX_REPAIRS"), DEFAULT_MAX_REPAIRS)
        self.plugins_dir = Path(plugins_dir).expanduser() if plugins_dir else None
        self.limits = Limits(wall_time=float(test_wall_time), cpu_time=max(1, int(test_wall_time)))

    # --- metering: every request goes through the chat, booked under this service's meter ---------------------
    @property
    def meter(self) -> Any:
        return self.chat.meter

    @meter.setter
    def meter(self, meter: Any) -> None:
        self.chat.meter = meter

    def directory(self, plugins_dir: str | Path | None = None) -> Path:
        """Where plugins are written."""
        if plugins_dir:
            return Path(plugins_dir).expanduser()
        if self.plugins_dir is not None:
            return self.plugins_dir
        configured = self.config.get("PONDER", "PLUGINS_DIR")
        return Path(configured).expanduser() if configured else plugin_directories(self.config)[0]

    # --- the task -------------------------------------------------------------------------------------------
    def ponder(self, reqs: str, write_to_file: bool = True, save_filename: str | None = None, **kwargs: Any
               ) -> PonderReport:
        """Write a task and a module for ``reqs`` as a plugin, check them and repair them; see the module docs.

        Args:
            reqs: What the new task should do, in plain English.
            write_to_file: Write the plugin to the plugins directory (else only return the files in the report).
            save_filename: The base name of the generated files, e.g. ``'tic_tac_toe.py'`` (default: from the
                task's name); the plugin folder is ``dosaku-pondered-<name>``.
            **kwargs: ``max_repairs`` and ``plugins_dir`` for this call.

        Returns:
            A :class:`~dosaku_openai.pondering.report.PonderReport`: success, the files, the remaining errors.

        Raises:
            PonderError: empty requirements, an unknown option, or a folder of that name not written by Ponder
                (checked before any request when ``save_filename`` is given).
            SpendLimitExceeded, ServiceError: from the model's service.

        Example::

            report = agent.Ponder(reqs='Convert between Celsius and Fahrenheit.', save_filename='temperature.py')
            report.success, report.folder, report.errors
        """
        if not isinstance(reqs, str) or not reqs.strip():
            raise PonderError("Ponder needs requirements: pass reqs='what the new task should do'.")
        unknown = sorted(set(kwargs) - set(PONDER_OPTIONS))
        if unknown:
            raise PonderError(f"Ponder does not take {unknown}; its options are {list(PONDER_OPTIONS)}.")
        directory = self.directory(kwargs.get("plugins_dir"))
        max_repairs = _count(kwargs.get("max_repairs"), None, self.max_repairs)
        if write_to_file and save_filename:
            check_target(directory / Layout(file_stem(save_filename, "X"), _NO_PLAN).distribution)
        return _Pondering(self, reqs.strip(), max_repairs).run(write_to_file, save_filename, directory)

    def __repr__(self) -> str:
        return f"Ponder(model={self.model!r}, max_repairs={self.max_repairs})"


def _count(given: Any, configured: Any, default: int) -> int:
    value = given if given is not None else configured
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PonderError(f"max_repairs must be a whole number, not {value!r}.") from None
    if number < 0:
        raise PonderError(f"max_repairs must be 0 or more, not {number}.")
    return number


_NO_PLAN = Plan("X", "Y", "")


class _Pondering:
    """One call of :meth:`Ponder.ponder`: the requests made, the files so far and what is wrong with them."""

    def __init__(self, ponder: Ponder, reqs: str, max_repairs: int):
        self.ponder, self.reqs, self.max_repairs = ponder, reqs, max_repairs
        self.requests: list[dict[str, Any]] = []
        self.repairs = 0
        self.checks: dict[str, Any] = {}

    def ask(self, prompt: str, keep_conversation: bool = False) -> str:
        chat = self.ponder.chat
        if not keep_conversation:
            chat.reset()
        step = prompt.split("\n", 1)[0].removeprefix("STEP: ")
        log.info("Ponder: asking %s for the %s", self.ponder.model, step)
        self.requests.append({"step": step, "prompt": prompt, "sha256": sha256(prompt),
                              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        return str(chat.message(prompt))

    # --- steps ----------------------------------------------------------------------------------------------
    def plan(self) -> tuple[Plan | None, str]:
        reply = self.ask(prompts.PLAN.format(reqs=self.reqs))
        for attempt in range(self.max_repairs + 1):
            try:
                return parse_plan(reply), ""
            except ValueError as error:
                if attempt == self.max_repairs:
                    return None, f"plan: {error}"
                self.repairs += 1
                reply = self.ask(prompts.repair_plan(str(error)), keep_conversation=True)
        return None, "plan: no usable plan"  # pragma: no cover - the loop returns

    def write(self, layout: Layout) -> dict[str, str]:
        files: dict[str, str] = {}
        for key in MODEL_FILES:
            files[key] = code_block(self.ask(prompts.step(key, self.reqs, layout, files)))
        return files

    def problems(self, files: dict[str, str], layout: Layout) -> tuple[list[Problem], bool]:
        """What is wrong, and whether it was found by running (False: by reading)."""
        found = static_problems(files, layout)
        if found:
            return found, False
        everything = {layout.path(key): text for key, text in files.items()}
        everything.update({layout.path(key): text for key, text in layout.fixed_files(self.reqs, "").items()})
        found, self.checks = run_checks(everything, layout, self.ponder.limits)
        return found, True

    def repair(self, files: dict[str, str], layout: Layout, problems: list[Problem], ran: bool) -> None:
        self.repairs += 1
        if not ran:
            for key in dict.fromkeys(p.file for p in problems):
                mine = [p for p in problems if p.file == key]
                files[key] = code_block(self.ask(prompts.repair_file(key, mine, layout, files)))
            return
        fixed = file_blocks(self.ask(prompts.repair_run(problems, layout, files)))
        for key, code in fixed.items():
            if key in ("task", "module", "tests"):
                files[key] = code

    # --- the whole ------------------------------------------------------------------------------------------
    def run(self, write_to_file: bool, save_filename: str | None, directory: Path) -> PonderReport:
        plan, error = self.plan()
        if plan is None:
            return self.report(False, None, None, {}, [error])
        layout = Layout(file_stem(save_filename, plan.task_name), plan)
        if write_to_file:
            check_target(directory / layout.distribution)
        files = self.write(layout)
        problems, ran = self.problems(files, layout)
        while problems and self.repairs < self.max_repairs:
            log.info("Ponder: %d problem(s), repairing (round %d of %d)", len(problems), self.repairs + 1,
                     self.max_repairs)
            self.repair(files, layout, problems, ran)
            problems, ran = self.problems(files, layout)
        everything = {layout.path(key): text for key, text in files.items()}
        everything.update({layout.path(k): t for k, t in layout.fixed_files(self.reqs, self.ponder.model).items()})
        errors = [str(p) for p in problems]
        folder = None
        if write_to_file:
            folder = write_plugin(directory, layout.distribution, everything, self.provenance(plan, errors),
                                  validated=not problems)
        return self.report(not problems, layout, folder, everything, errors, directory if write_to_file else None)

    def provenance(self, plan: Plan, errors: list[str]) -> dict[str, Any]:
        from dosaku import __version__ as dosaku_version

        return {
            "generator": f"dosaku-modules-openai {__version__} Ponder (dosaku {dosaku_version})",
            "model": self.ponder.model,
            "base_url": self.ponder.chat.connection.base_url,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "requirements": self.reqs,
            "plan": asdict(plan),
            "validated": not errors,
            "remaining_errors": errors,
            "checks": self.checks,
            "repairs": self.repairs,
            "system_prompt": prompts.SYSTEM,
            "requests": self.requests,
        }

    def report(self, success: bool, layout: Layout | None, folder: Path | None, files: dict[str, str],
               errors: list[str], directory: Path | None = None) -> PonderReport:
        warnings = []
        loaded = [d.resolve() for d in plugin_directories(self.ponder.config)]
        if success and directory is not None and directory.resolve() not in loaded:
            warnings.append(f"{directory} is not one of the agent's plugin directories ([PLUGINS] DIRECTORIES), "
                            f"so the agent will not load this plugin; add it there.")
        return PonderReport(
            success=success, task=layout.plan.task_name if layout else None,
            module=layout.plan.module_name if layout else None, folder=folder, files=files, errors=errors,
            repairs=self.repairs, requests=len(self.requests), model=self.ponder.model, warnings=warnings,
        )
