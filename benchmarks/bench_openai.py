"""Streamed chat through ``agent.Chat`` (OpenAIChat, metered) vs the raw ``openai`` client, same loopback server.

Measures time to first token (TTFT) and total time of a streamed reply, alternating the two paths in the same run,
and prints the ratios (goal: agent <= 1.05x raw). Also measured: the agent with a spend limit set (each call then
reserves its worst case in the SQLite ledger before sending). Results go to benchmarks/results/bench_openai.json.

    python benchmarks/bench_openai.py [--rounds 40] [--words 200]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _time_stream(make_stream: Callable[[], Any]) -> tuple[float, float]:
    start = time.perf_counter()
    first = None
    for _ in make_stream():
        if first is None:
            first = time.perf_counter() - start
    return first or 0.0, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--words", type=int, default=200, help="words in each streamed reply (one per event)")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="dosaku-bench-")
    os.environ.update(DOSAKU_CONFIG=f"{home}/config.ini", DOSAKU_DATA_DIR=f"{home}/data", DOSAKU_CACHE_DIR=f"{home}/c")
    import dosaku_openai.plugin
    import openai
    from dosaku import Agent, Config
    from dosaku.testing import make_plugin_manager
    from dosaku_openai.testing import FakeOpenAIServer

    text = " ".join(f"w{i}" for i in range(args.words))
    with FakeOpenAIServer(reply=lambda messages: text) as server:
        os.environ.update(OPENAI_API_KEY=server.api_key, OPENAI_BASE_URL=server.base_url)
        raw = openai.OpenAI(api_key=server.api_key, base_url=server.base_url, timeout=60, max_retries=2)
        messages = [{"role": "user", "content": "Tell me a story."}]

        def raw_stream() -> Any:
            for chunk in raw.chat.completions.create(model="gpt-4o-mini", messages=messages, max_tokens=1024,
                                                     stream=True, stream_options={"include_usage": True}):
                for choice in chunk.choices:
                    if choice.delta.content:
                        yield choice.delta.content

        agents = {}
        for name, limit in (("agent", None), ("agent_with_limit", 1_000_000.0)):
            agent = Agent(enable_services=True, config=Config(), spend_limit_usd=limit,
                          plugin_manager=make_plugin_manager(dosaku_openai.plugin))
            agent.learn("Chat", module="OpenAIChat", model="gpt-4o-mini", stream=True)
            agents[name] = agent

        def agent_stream(agent: Any) -> Callable[[], Any]:
            def run() -> Any:
                agent.Chat.reset()
                return agent.Chat("Tell me a story.")
            return run

        paths = {"raw_openai": raw_stream, **{name: agent_stream(agent) for name, agent in agents.items()}}
        for make in paths.values():  # warm up connections and imports
            for _ in range(3):
                _time_stream(make)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in paths}
        order = list(paths)
        for round_index in range(args.rounds):  # rotate the order so no path always runs first
            shift = round_index % len(order)
            for name in order[shift:] + order[:shift]:
                samples[name].append(_time_stream(paths[name]))

    result: dict[str, Any] = {"rounds": args.rounds, "words": args.words, "python": sys.version.split()[0],
                              "openai": openai.__version__, "paths": {}}
    for name, values in samples.items():
        result["paths"][name] = {"ttft_ms_median": statistics.median(v[0] for v in values) * 1e3,
                                 "total_ms_median": statistics.median(v[1] for v in values) * 1e3}
    base = result["paths"]["raw_openai"]
    print(f"{'path':<18} {'TTFT ms':>9} {'total ms':>9} {'TTFT x':>7} {'total x':>8}")
    for name, row in result["paths"].items():
        row["ttft_ratio"] = row["ttft_ms_median"] / base["ttft_ms_median"]
        row["total_ratio"] = row["total_ms_median"] / base["total_ms_median"]
        print(f"{name:<18} {row['ttft_ms_median']:>9.3f} {row['total_ms_median']:>9.3f} "
              f"{row['ttft_ratio']:>7.3f} {row['total_ratio']:>8.3f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_openai.json").write_text(json.dumps(result, indent=2))
    print(f"goal: agent <= 1.05x raw; written to {RESULTS / 'bench_openai.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
