"""Tokens/s of SmolLM2 through ``agent.Chat`` (LlamaCppChat) vs ``llama_cpp.Llama`` directly, same GGUF, same run.

    python benchmarks/bench_llamacpp.py [--rounds 5] [--max-tokens 64]

Both sides use greedy sampling (same tokens, bar rare near-ties); the runs are interleaved so machine load hits
both alike. Prints tokens/s and the ratio (goal >= 0.95), writes benchmarks/results/bench_llamacpp.json.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

PROMPTS = [
    "Write a short paragraph about the ocean.",
    "Explain what a computer is to a child.",
    "List some reasons to learn to cook.",
]
RESULTS = Path(__file__).parent / "results"


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from dosaku import Agent, Config
    from dosaku_llamacpp.compat import load_llama  # llama_cpp.Llama, with the pack's work-around for AMX CPUs
    from dosaku_llamacpp.models import default_model_path

    path = default_model_path()
    options = {"temperature": 0.0, "max_tokens": args.max_tokens}
    agent = Agent(config=Config(path="/nonexistent/dosaku-bench.ini", environ={}))
    agent.learn("Chat", module="LlamaCppChat", n_threads=args.threads, **options)
    agent.Chat.module.load()
    direct = load_llama(model_path=str(path), n_ctx=2048, n_threads=args.threads, n_threads_batch=args.threads,
                        verbose=False)

    def direct_call(prompt: str, stream: bool) -> str:
        messages = [{"role": "user", "content": prompt}]
        if not stream:
            return direct.create_chat_completion(messages=messages, **options)["choices"][0]["message"]["content"]
        text = ""
        for chunk in direct.create_chat_completion(messages=messages, stream=True, **options):
            text += chunk["choices"][0]["delta"].get("content") or ""
        return text

    def agent_call(prompt: str, stream: bool) -> str:
        agent.Chat.reset()
        if not stream:
            return agent.Chat.message(prompt)
        parts = list(agent.Chat.message(prompt, stream=True))
        return parts[-1] if parts else ""

    for prompt in PROMPTS[:1]:  # warm up both
        direct_call(prompt, False), agent_call(prompt, False)

    results: dict[str, dict[str, float]] = {}
    for stream in (False, True):
        tokens, agent_tokens, differ, direct_s, agent_s, ratios = 0, 0, 0, 0.0, 0.0, []
        for _ in range(args.rounds):
            for prompt in PROMPTS:
                reference, seconds_direct = timed(direct_call, prompt, stream)
                reply, seconds_agent = timed(agent_call, prompt, stream)
                # Greedy outputs usually match; llama.cpp's prompt-cache reuse can tip a near-tie, so count each.
                direct_count = len(direct.tokenize(reference.encode(), add_bos=False))
                agent_count = len(direct.tokenize(reply.encode(), add_bos=False))
                differ += reply.strip() != reference.strip()
                tokens += direct_count
                agent_tokens += agent_count
                direct_s += seconds_direct
                agent_s += seconds_agent
                ratios.append((agent_count / seconds_agent) / (direct_count / seconds_direct))
        name = "stream" if stream else "non_stream"
        results[name] = {
            "direct_tokens": tokens,
            "agent_tokens": agent_tokens,
            "calls_with_different_text": differ,
            "direct_tokens_per_s": tokens / direct_s,
            "agent_tokens_per_s": agent_tokens / agent_s,
            "ratio_total": (agent_tokens / agent_s) / (tokens / direct_s),
            "ratio_median": statistics.median(ratios),
        }
        row = results[name]
        print(f"{name:>10}: llama_cpp.Llama {row['direct_tokens_per_s']:.1f} tok/s, agent.Chat "
              f"{row['agent_tokens_per_s']:.1f} tok/s, ratio {row['ratio_total']:.3f} "
              f"(median per call {row['ratio_median']:.3f}; goal >= 0.95)")
    RESULTS.mkdir(exist_ok=True)
    output = RESULTS / "bench_llamacpp.json"
    output.write_text(json.dumps({"model": path.name, "threads": args.threads, "max_tokens": args.max_tokens,
                                  "rounds": args.rounds, **results}, indent=2))
    print(f"results: {output}")


if __name__ == "__main__":
    main()
