"""The conversation log's cost: time per chat message with logging on vs off (EchoBot, and OpenAIChat against the
loopback OpenAI server), measured in the same run, alternating; and full-text search over 100k logged messages
(the Python API and the ``dosaku logs search`` command). Goal: logging adds at most 1 ms per message.

    python benchmarks/bench_logs.py [--messages 100000] [--rounds 9]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _common import per_call_seconds, write_results  # noqa: E402

WORDS = ("lighthouse harbour fox river mountain garden kettle violin planet orbit lantern bridge meadow castle "
         "pepper saffron comet glacier canyon ember falcon willow quartz tundra velvet walnut zephyr").split()


def echo_overhead(rounds: int, calls: int) -> dict[str, float]:
    from dosaku import Agent, Config
    from dosaku.testing import make_plugin_manager

    agents = {}
    for name, log in (("off", False), ("on", True)):
        agent = Agent(config=Config(), plugin_manager=make_plugin_manager(), log=log)
        agent.learn("Chat", module="EchoBot")
        agents[name] = agent

    def send(agent: Any) -> Any:
        return lambda: agent.Chat.message("How are you today, EchoBot?")

    off, on = per_call_seconds([send(agents["off"]), send(agents["on"])], calls, rounds)
    return {"echo_off_ms": off * 1e3, "echo_on_ms": on * 1e3, "echo_overhead_ms": (on - off) * 1e3,
            "echo_ratio": on / off}


def openai_overhead(rounds: int, turns: int) -> dict[str, float]:
    import dosaku_openai.plugin
    from dosaku import Agent, Config
    from dosaku.logs.logger import ConversationLogger
    from dosaku.testing import make_plugin_manager
    from dosaku_openai.testing import FakeOpenAIServer

    spent: list[float] = []  # the logger's own time per logged exchange: the overhead without the network's jitter
    added = ConversationLogger.added

    def timed_added(self: Any, *args: Any) -> None:
        start = time.perf_counter()
        added(self, *args)
        spent.append(time.perf_counter() - start)

    ConversationLogger.added = timed_added  # type: ignore[method-assign]
    results: dict[str, float] = {}
    with FakeOpenAIServer() as server:
        os.environ.update(OPENAI_API_KEY=server.api_key, OPENAI_BASE_URL=server.base_url)
        agents = {}
        for name, log in (("off", False), ("on", True)):
            agent = Agent(enable_services=True, config=Config(), log=log,
                          plugin_manager=make_plugin_manager(dosaku_openai.plugin))
            agent.learn("Chat", module="OpenAIChat", model="gpt-4o-mini")
            agents[name] = agent

        def conversation(agent: Any, stream: bool) -> float:
            agent.Chat.reset()
            start = time.perf_counter()
            for turn in range(turns):
                reply = agent.Chat.message(f"Tell me about the {WORDS[turn]}, please.", stream=stream)
                if not isinstance(reply, str):
                    for _ in reply:
                        pass
            return (time.perf_counter() - start) / turns

        for stream in (False, True):
            label = "openai_stream" if stream else "openai"
            for agent in agents.values():  # warm up connections
                conversation(agent, stream)
            spent.clear()
            samples: dict[str, list[float]] = {"off": [], "on": []}
            for index in range(rounds * 8):  # alternate which goes first
                order = ("off", "on") if index % 2 == 0 else ("on", "off")
                for name in order:
                    samples[name].append(conversation(agents[name], stream))
            off, on = statistics.median(samples["off"]), statistics.median(samples["on"])
            results[f"{label}_logger_ms_per_message"] = statistics.median(spent) * 1e3
            spent.clear()
            results.update({f"{label}_off_ms": off * 1e3, f"{label}_on_ms": on * 1e3,
                            f"{label}_overhead_ms": (on - off) * 1e3, f"{label}_ratio": on / off})
    ConversationLogger.added = added  # type: ignore[method-assign]
    return results


def search_cost(messages: int, per_conversation: int = 100) -> dict[str, float]:
    from dosaku.logs import LogStore

    store = LogStore()
    rng = random.Random(19)
    start = time.perf_counter()
    for conversation in range(messages // per_conversation):
        batch = [{"role": "user" if index % 2 == 0 else "assistant",
                  "content": " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40)))}
                 for index in range(per_conversation)]
        if conversation == 7:
            batch[3]["content"] += " xylophone"  # one rare word
        store.log_messages(f"01bench{conversation:06d}", batch, module="EchoBot")
    fill_s = time.perf_counter() - start
    status = store.status()

    def timed(function: Any, repeat: int = 7) -> float:
        times = []
        for _ in range(repeat):
            begin = time.perf_counter()
            function()
            times.append(time.perf_counter() - begin)
        return statistics.median(times)

    dosaku = str(Path(sys.executable).parent / "dosaku")
    results = {
        "search_messages": status.messages, "search_db_mb": status.size_bytes / 1e6, "search_fill_s": fill_s,
        "search_rare_ms": timed(lambda: store.search("xylophone")) * 1e3,
        "search_common_top20_ms": timed(lambda: store.search("lighthouse", 20)) * 1e3,
        "search_two_words_top20_ms": timed(lambda: store.search("lighthouse harbour", 20)) * 1e3,
        "list_query_ms": timed(lambda: store.list(20, query="lighthouse harbour")) * 1e3,
        "cli_search_s": timed(lambda: subprocess.run([dosaku, "logs", "search", "lighthouse harbour"],
                                                     capture_output=True, check=True), 3),
        "cli_python_start_s": timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 3),
    }
    assert store.search("xylophone")[0].conversation_id == "01bench000007"
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=500, help="EchoBot messages per timing round")
    parser.add_argument("--turns", type=int, default=4, help="messages per OpenAI conversation")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="dosaku-bench-logs-")
    os.environ.update(DOSAKU_CONFIG=f"{home}/config.ini", DOSAKU_DATA_DIR=f"{home}/data",
                      DOSAKU_CACHE_DIR=f"{home}/cache")
    results: dict[str, Any] = {"goal": "logging adds <= 1 ms per message"}
    results.update(echo_overhead(args.rounds, args.calls))
    try:
        results.update(openai_overhead(args.rounds, args.turns))
    except ImportError:
        print("dosaku-modules-openai is not installed: the OpenAIChat part is skipped")
    os.environ["DOSAKU_DATA_DIR"] = f"{home}/search"  # a log of its own for the search part
    results.update(search_cost(args.messages))
    write_results("bench_logs", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
