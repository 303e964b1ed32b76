"""GFPGAN through the agent vs gfpgan's own ``GFPGANer.enhance``: same weights, same image, same process.

Weights: the real architectures with random weights in the real checkpoint formats (the published files cannot be
downloaded here); a pass costs what it costs with the published weights. Both sides restore the centre face
(``only_center_face=True``) of a 64x64 image, and a 512x512 aligned face; before timing, both are run with the same
torch seed and their outputs compared (identical: the same computation).

    agent:   agent.RestoreFaces.restore(PIL image)   -> PIL images (input and output conversions included)
    managed: the same with a [RESOURCES] CPU budget, so the resource manager wraps the call
    direct:  GFPGANer(...).enhance(BGR ndarray)      -> ndarrays

speedup = best direct time / best agent time over --repeat interleaved runs (goal >= 1.0: no overhead).
Runs on CUDA when there is one. The input/output conversions are also timed alone (*_conversions_ms).

    python benchmarks/bench_gfpgan.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from _common import write_results


def face_image():
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (64, 64), (90, 120, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 6, 52, 58), fill=(224, 180, 150))
    draw.ellipse((22, 22, 28, 27), fill=(40, 30, 30))
    draw.ellipse((36, 22, 42, 27), fill=(40, 30, 30))
    return image


def direct_restorer(weights: Path, device: str):
    """gfpgan's own GFPGANer: it looks for facexlib's files in ./gfpgan/weights of the working directory."""
    from dosaku_tencent.compat import install_torchvision_alias

    install_torchvision_alias()
    from gfpgan import GFPGANer

    workdir = weights / "direct"
    (workdir / "gfpgan" / "weights").mkdir(parents=True, exist_ok=True)
    for name in ("detection_Resnet50_Final.pth", "parsing_parsenet.pth"):
        link = workdir / "gfpgan" / "weights" / name
        if not link.exists():
            link.symlink_to(weights / name)
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        return GFPGANer(model_path=str(weights / "GFPGANv1.4.pth"), upscale=2, arch="clean", channel_multiplier=2,
                        device=device)
    finally:
        os.chdir(previous)


def agent_for(weights: Path, budget_mb: int | None):
    from dosaku import Config
    from dosaku.testing import isolated_agent

    environ = {"DOSAKU_MODELS__GFPGAN_DIR": str(weights)}
    if budget_mb:
        environ["DOSAKU_RESOURCES__CPU"] = environ["DOSAKU_RESOURCES__CUDA"] = str(budget_mb)
    config = Config(path=weights / "no-config.ini", environ=environ)
    agent = isolated_agent(entry_points=True, config=config)
    agent.learn("RestoreFaces", module="GFPGAN", upscale=2, max_faces=None, config=config)
    return agent


def seeded(function, seed: int = 1234):
    import torch

    torch.manual_seed(seed)
    return function()


def interleaved_times(functions: dict, repeat: int) -> dict[str, list[float]]:
    """Wall seconds (and ``<name>_cpu``: CPU seconds of this process) of each call of each function, taking turns
    round by round (machine load hits each alike), after
    one untimed warm-up call each."""
    import time

    import torch

    times: dict[str, list[float]] = {name: [] for name in functions}
    times.update({f"{name}_cpu": [] for name in functions})
    for function in functions.values():
        function()
    for _ in range(repeat):
        for name, function in functions.items():
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            start, start_cpu = time.perf_counter(), time.process_time()
            function()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - start)
            times[f"{name}_cpu"].append(time.process_time() - start_cpu)
    return times


def conversion_overhead(image, aligned) -> dict[str, float]:
    """What the agent path does beyond ``enhance``: PIL in -> BGR array, arrays out -> PIL (precise, by itself)."""
    from _common import per_call_seconds
    from dosaku_tencent import images

    def convert(picture, out_size, faces):
        prepared = images.prepare(picture)
        out = np.zeros((out_size, out_size, 3), np.uint8)
        images.finish(out, prepared)
        for _ in range(faces):
            images.to_pil(np.zeros((512, 512, 3), np.uint8))

    full_s, aligned_s = per_call_seconds([lambda: convert(image, 128, 2), lambda: convert(aligned, 512, 2)], 50, 5)
    return {"full_conversions_ms": full_s * 1e3, "aligned_conversions_ms": aligned_s * 1e3}


def main(repeat: int) -> None:
    import torch
    from dosaku_tencent.random_weights import write_random_weights

    device = "cuda" if torch.cuda.is_available() else "cpu"
    with tempfile.TemporaryDirectory() as temp:
        weights = Path(temp)
        write_random_weights(weights)
        direct = direct_restorer(weights, device)
        agent, managed = agent_for(weights, None), agent_for(weights, 100_000)
        assert managed.resources.report(), "the budgeted agent should manage GFPGAN"
        image = face_image()
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        aligned = image.resize((512, 512))
        aligned_bgr = np.ascontiguousarray(np.asarray(aligned)[:, :, ::-1])

        inside = agent.RestoreFaces.module._loaded()  # the very GFPGANer (subclass) instance the agent calls
        cases = {
            "full": (lambda a: a.RestoreFaces.restore(image, only_center_face=True),
                     lambda: direct.enhance(bgr, only_center_face=True, paste_back=True),
                     lambda: inside.enhance(bgr, only_center_face=True, paste_back=True)),
            "aligned": (lambda a: a.RestoreFaces.restore(aligned, aligned=True),
                        lambda: direct.enhance(aligned_bgr, has_aligned=True),
                        lambda: inside.enhance(aligned_bgr, has_aligned=True)),
        }
        results: dict[str, object] = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                                      "torch": torch.__version__, "threads": torch.get_num_threads(),
                                      "repeat": repeat, "speedup_goal": 1.0}
        for case, (through, baseline, same_instance) in cases.items():
            ours = np.asarray(seeded(functools.partial(through, agent)).restored_image)
            theirs = seeded(baseline)
            theirs = theirs[2] if case == "full" else theirs[1][0]
            results[f"{case}_same_output"] = bool(np.array_equal(ours, np.ascontiguousarray(theirs[:, :, ::-1])))
            times = interleaved_times({"direct": baseline, "agent": functools.partial(through, agent),
                                       "managed": functools.partial(through, managed),
                                       "direct_same_instance": same_instance}, repeat)
            for name, values in times.items():
                results[f"{case}_{name}_min_s"] = min(values)
                results[f"{case}_{name}_median_s"] = statistics.median(values)
            # the best of several runs is the cost without the machine's noise; medians are kept for reference
            results[f"{case}_speedup"] = min(times["direct"]) / min(times["agent"])
            results[f"{case}_managed_speedup"] = min(times["direct"]) / min(times["managed"])
            # enhance() called directly on the agent's own model instance: separates the agent's overhead from
            # differences between two model instances (memory layout, allocator state)
            results[f"{case}_same_instance_speedup"] = min(times["direct_same_instance"]) / min(times["agent"])
            # CPU seconds of this process (all its threads): less hit by other processes on a shared machine
            results[f"{case}_cpu_speedup"] = min(times["direct_cpu"]) / min(times["agent_cpu"])
            print(f"{case}: best of {repeat}: direct {min(times['direct']):.3f}s  agent {min(times['agent']):.3f}s  "
                  f"managed {min(times['managed']):.3f}s", file=sys.stderr, flush=True)
        results.update(conversion_overhead(image, aligned))
        with contextlib.suppress(Exception):
            results["managed_resources"] = managed.resources.report()
    write_results("gfpgan", results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    main(parser.parse_args().repeat)
