"""Core overheads, each against its baseline measured in the same run.

(a) start-up, with every installed pack (the nox ``bench``/``tests`` environments install them all):
    ``python -c "import dosaku; dosaku.Agent().learnable_tasks"`` (goal <= 100 ms) and ``dosaku tasks``
    (goal <= 250 ms), against ``python -c pass``; also against the start of dosaku 0.2 with its registry cache, as
    recorded when it was measured (it is gone: start-up now always asks the installed plugins, so it is never stale)
(b) a call: ``agent.Chat.message`` through the agent vs ``EchoBot().message`` called directly (goal <= 1.2x), with
    the conversation log off (the agent's own dispatch); with the log on (the default) it is reported too, and its
    cost is ``bench_logs.py``'s subject

    python benchmarks/bench_core.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from _common import median_seconds, per_call_seconds, write_results

STARTUP_RUNS = 15
ROUNDS = 3
START = "import dosaku; dosaku.Agent().learnable_tasks"
CLI = "from dosaku.cli import main; main(['tasks'])"
CALLS = 20000
#: ``Agent().learnable_tasks`` of dosaku 0.2 served from its registry cache (stop 13's measurement, 390 packages).
OLD_CACHED_START_S = 0.0149


def startup() -> dict[str, float]:
    """Each command's median of ``STARTUP_RUNS`` starts, the commands taking turns for ``ROUNDS`` rounds (so machine
    load hits each alike); the median of the rounds is reported.

    Every start runs with bytecode, as an installed package has it: an editable checkout with
    ``PYTHONDONTWRITEBYTECODE`` set would otherwise recompile dosaku at each start. ``with_config_file`` starts
    with a user ``config.ini`` present (as after ``dosaku keys set``).
    """
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as home:
        config_file = os.path.join(home, "config.ini")
        with open(config_file, "w", encoding="utf-8") as file:
            file.write("[DEFAULT_MODULES]\nCHAT = EchoBot\n[PLUGINS]\nDIRECTORIES = " + home + "/plugins\n")
        with_config = {**environment, "DOSAKU_CONFIG": config_file}

        def python(code: str, env: dict[str, str] = environment) -> None:
            subprocess.run([sys.executable, "-c", code], check=True, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        commands = {
            "python_pass_s": lambda: python("pass"),
            "import_dosaku_s": lambda: python("import dosaku"),
            "import_and_learnable_tasks_s": lambda: python(START),
            "with_config_file_s": lambda: python(START, with_config),
            "dosaku_tasks_s": lambda: python(CLI),
        }
        python(START)  # writes bytecode
        python(CLI)
        rounds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(ROUNDS):
            for name, command in commands.items():
                rounds[name].append(median_seconds(command, STARTUP_RUNS))
    seconds = {name: sorted(values)[len(values) // 2] for name, values in rounds.items()}
    baseline = seconds["python_pass_s"]
    start = seconds["import_and_learnable_tasks_s"]
    return {
        **seconds,
        "startup_ratio": start / baseline,
        "startup_with_config_file_ratio": seconds["with_config_file_s"] / baseline,
        "import_ratio": seconds["import_dosaku_s"] / baseline,
        "dosaku_tasks_ratio": seconds["dosaku_tasks_s"] / baseline,
        "startup_vs_old_cached_ratio": start / OLD_CACHED_START_S,
        "old_cached_start_s": OLD_CACHED_START_S,
        "startup_goal_s": 0.100,
        "dosaku_tasks_goal_s": 0.250,
    }


def chat_call() -> dict[str, float]:
    from dosaku import Agent
    from dosaku.modules import EchoBot

    os.environ["DOSAKU_DATA_DIR"] = tempfile.mkdtemp(prefix="dosaku-bench-")  # the log goes there, not to yours
    message = "Hello, what's your name?"
    direct = EchoBot()
    agents = {}
    for name, log in (("unlogged", False), ("logged", None)):
        agents[name] = Agent(log=log)
        agents[name].learn("Chat")

    def called_directly() -> None:
        direct.message(message)

    def through_agent() -> None:
        agents["unlogged"].Chat.message(message)

    def through_logging_agent() -> None:
        agents["logged"].Chat.message(message)

    direct_s, agent_s = per_call_seconds([called_directly, through_agent], CALLS)
    _, logged_s = per_call_seconds([called_directly, through_logging_agent], CALLS // 20)
    return {"direct_call_us": direct_s * 1e6, "agent_call_us": agent_s * 1e6, "call_ratio": agent_s / direct_s,
            "call_goal": 1.2, "agent_call_logged_us": logged_s * 1e6}


if __name__ == "__main__":
    write_results("core", {**startup(), **chat_call()})
