"""Core overheads, each against its baseline measured in the same run.

(a) start-up: ``python -c "import dosaku; dosaku.Agent().learnable_tasks"`` vs ``python -c pass`` (goal <= 1.5x)
(b) a call: ``agent.Chat.message`` through the agent vs ``EchoBot().message`` called directly (goal <= 1.2x)

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
CALLS = 20000


def startup() -> dict[str, float]:
    """Each command's median of ``STARTUP_RUNS`` starts, the commands taking turns for ``ROUNDS`` rounds (so machine
    load hits each alike); the median of the rounds is reported.

    Every start runs with bytecode, as an installed package has it: an editable checkout with
    ``PYTHONDONTWRITEBYTECODE`` set would otherwise recompile dosaku at each start. ``with_config_file`` starts
    with a user ``config.ini`` present (as after ``dosaku keys set``), which the cached start-up path does not parse.
    """
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as home:
        config_file = os.path.join(home, "config.ini")
        with open(config_file, "w", encoding="utf-8") as file:
            file.write("[DEFAULT_MODULES]\nCHAT = EchoBot\n[PLUGINS]\nDIRECTORIES = " + home + "/plugins\n")
        with_config = {**environment, "DOSAKU_CONFIG": config_file}

        def python(code: str, env: dict[str, str] = environment) -> None:
            subprocess.run([sys.executable, "-c", code], check=True, env=env)

        commands = {
            "python_pass_s": lambda: python("pass"),
            "import_dosaku_s": lambda: python("import dosaku"),
            "import_and_learnable_tasks_s": lambda: python(START),
            "with_config_file_s": lambda: python(START, with_config),
        }
        python(START)  # writes bytecode and the registry cache
        python(START, with_config)
        rounds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(ROUNDS):
            for name, command in commands.items():
                rounds[name].append(median_seconds(command, STARTUP_RUNS))
    seconds = {name: sorted(values)[len(values) // 2] for name, values in rounds.items()}
    baseline = seconds["python_pass_s"]
    return {
        **seconds,
        "startup_ratio": seconds["import_and_learnable_tasks_s"] / baseline,
        "startup_with_config_file_ratio": seconds["with_config_file_s"] / baseline,
        "import_ratio": seconds["import_dosaku_s"] / baseline,
        "startup_goal": 1.5,
    }


def chat_call() -> dict[str, float]:
    from dosaku import Agent
    from dosaku.modules import EchoBot

    agent = Agent()
    agent.learn("Chat")
    direct = EchoBot()
    message = "Hello, what's your name?"

    def through_agent() -> None:
        agent.Chat.message(message)

    def called_directly() -> None:
        direct.message(message)

    direct_s, agent_s = per_call_seconds([called_directly, through_agent], CALLS)
    return {"direct_call_us": direct_s * 1e6, "agent_call_us": agent_s * 1e6, "call_ratio": agent_s / direct_s,
            "call_goal": 1.2}


if __name__ == "__main__":
    write_results("core", {**startup(), **chat_call()})
