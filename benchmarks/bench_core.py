"""Core overheads, each against its baseline measured in the same run.

(a) start-up: ``python -c "import dosaku; dosaku.Agent().learnable_tasks"`` vs ``python -c pass`` (goal <= 1.5x)
(b) a call: ``agent.Chat.message`` through the agent vs ``EchoBot().message`` called directly (goal <= 1.2x)

    python benchmarks/bench_core.py
"""
from __future__ import annotations

import subprocess
import sys

from _common import median_seconds, per_call_seconds, write_results

STARTUP_RUNS = 15
#: The standard-library modules core's start-up path imports: the floor of any start-up this design can reach.
STDLIB_FLOOR = "import typing, logging, dataclasses, inspect, pathlib, configparser, json, zlib, difflib"
CALLS = 20000


def startup() -> dict[str, float]:
    def python(code: str) -> None:
        subprocess.run([sys.executable, "-c", code], check=True)

    python("import dosaku; dosaku.Agent().learnable_tasks")  # warm the file cache
    baseline = median_seconds(lambda: python("pass"), STARTUP_RUNS)
    dosaku = median_seconds(lambda: python("import dosaku; dosaku.Agent().learnable_tasks"), STARTUP_RUNS)
    import_only = median_seconds(lambda: python("import dosaku"), STARTUP_RUNS)
    floor = median_seconds(lambda: python(STDLIB_FLOOR), STARTUP_RUNS)
    return {
        "python_pass_s": baseline,
        "import_dosaku_s": import_only,
        "import_and_learnable_tasks_s": dosaku,
        "startup_ratio": dosaku / baseline,
        "import_ratio": import_only / baseline,
        "startup_goal": 1.5,
        "stdlib_floor_s": floor,
        "stdlib_floor_ratio": floor / baseline,
        "startup_over_stdlib_floor_ratio": dosaku / floor,
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
