"""genmove through the agent (agent.PlayGo -> GnuGo -> GTP) vs GNU Go driven directly over GTP pipes.

    python benchmarks/bench_go.py [--moves 30] [--level 5]

Both play the same deterministic 9x9 game (genmove black/white alternately from an empty board); the ratio is
agent time / direct time (goal: <= 1.05). Results go to benchmarks/results/bench_go.json.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

from dosaku.testing import isolated_agent
from dosaku_gnugo import plugin
from dosaku_gnugo.gnugo import gnugo_command

RESULTS = Path(__file__).parent / "results"
COMMAND = [*gnugo_command(), "--seed", "1"]


def direct(moves: int, level: int) -> tuple[float, list[str]]:
    process = subprocess.Popen(COMMAND, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, bufsize=1)

    def send(command: str) -> str:
        process.stdin.write(command + "\n")
        lines = []
        while (line := process.stdout.readline()) not in ("\n", ""):
            lines.append(line)
        return "".join(lines)[2:].strip()

    send(f"level {level}")
    send("boardsize 9")
    send("clear_board")
    played, start = [], time.perf_counter()
    for index in range(moves):
        played.append(send(f"genmove {'black' if index % 2 == 0 else 'white'}"))
    elapsed = time.perf_counter() - start
    send("quit")
    process.wait(timeout=10)
    return elapsed, played


def through_agent(moves: int, level: int) -> tuple[float, list[str]]:
    agent = isolated_agent(plugin)
    agent.learn("PlayGo", command=COMMAND, level=level)
    agent.PlayGo.boardsize(9)
    agent.PlayGo.clear_board()
    played, start = [], time.perf_counter()
    for index in range(moves):
        played.append(agent.PlayGo.genmove("black" if index % 2 == 0 else "white"))
    elapsed = time.perf_counter() - start
    agent.unlearn("PlayGo")
    return elapsed, played


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--level", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    direct_times, agent_times = [], []
    for _ in range(args.rounds):  # interleaved, best of rounds
        seconds, direct_moves = direct(args.moves, args.level)
        direct_times.append(seconds)
        seconds, agent_moves = through_agent(args.moves, args.level)
        agent_times.append(seconds)
        assert [m.upper() for m in direct_moves] == [m.upper() for m in agent_moves], "the games differ"
    best_direct, best_agent = min(direct_times), min(agent_times)
    result = {
        "benchmark": "genmove 9x9",
        "moves": args.moves,
        "level": args.level,
        "direct_s": best_direct,
        "agent_s": best_agent,
        "per_move_direct_ms": 1000 * best_direct / args.moves,
        "per_move_agent_ms": 1000 * best_agent / args.moves,
        "ratio": best_agent / best_direct,
        "goal_ratio": 1.05,
    }
    print(f"genmove x{args.moves} (level {args.level}): direct {best_direct:.3f} s, agent {best_agent:.3f} s, "
          f"ratio {result['ratio']:.3f} (goal <= 1.05)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_go.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
