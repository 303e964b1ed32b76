"""GFPGAN through the agent vs gfpgan's own ``GFPGANer.enhance``: same weights, same image, same process.

Weights: the real architectures with random weights in the real checkpoint formats (the published files cannot be
downloaded here); a pass costs what it costs with the published weights. Both sides restore the centre face
(``only_center_face=True``) of a 64x64 image, and a 512x512 aligned face; before timing, both are run with the same
torch seed and their outputs compared (identical: the same computation).

    agent:   agent.RestoreFaces.restore(PIL image)   -> PIL images (input and output conversions included)
    managed: the same with a [RESOURCES] CPU budget, so the resource manager wraps the call
    direct:  GFPGANer(...).enhance(BGR ndarray)      -> ndarrays

speedup = direct time / agent time (goal >= 1.0: no overhead). Runs on CUDA when there is one.

    python benchmarks/bench_gfpgan.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import contextlib
import os
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
    agent = isolated_agent(entry_points=True, config=Config(path=weights / "no-config.ini", environ=environ))
    agent.learn("RestoreFaces", module="GFPGAN", upscale=2, max_faces=None)
    return agent


def seeded(function, seed: int = 1234):
    import torch

    torch.manual_seed(seed)
    return function()


def interleaved_medians(functions: dict, repeat: int) -> dict[str, float]:
    """Median seconds of each function, taking turns round by round (machine load hits each alike)."""
    import statistics
    import time

    import torch

    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            start = time.perf_counter()
            function()
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


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

        cases = {
            "full": (lambda a: a.RestoreFaces.restore(image, only_center_face=True),
                     lambda: direct.enhance(bgr, only_center_face=True, paste_back=True)),
            "aligned": (lambda a: a.RestoreFaces.restore(aligned, aligned=True),
                        lambda: direct.enhance(aligned_bgr, has_aligned=True)),
        }
        results: dict[str, object] = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                                      "torch": torch.__version__, "threads": torch.get_num_threads(),
                                      "repeat": repeat, "speedup_goal": 1.0}
        for case, (through, baseline) in cases.items():
            ours = np.asarray(seeded(lambda: through(agent)).restored_image)
            theirs = seeded(baseline)
            theirs = theirs[2] if case == "full" else theirs[1][0]
            results[f"{case}_same_output"] = bool(np.array_equal(ours, np.ascontiguousarray(theirs[:, :, ::-1])))
            seconds = interleaved_medians({"direct": baseline, "agent": lambda: through(agent),
                                           "managed": lambda: through(managed)}, repeat)
            results[f"{case}_direct_s"] = seconds["direct"]
            results[f"{case}_agent_s"] = seconds["agent"]
            results[f"{case}_managed_s"] = seconds["managed"]
            results[f"{case}_speedup"] = seconds["direct"] / seconds["agent"]
            results[f"{case}_managed_speedup"] = seconds["direct"] / seconds["managed"]
            print(f"{case}: direct {seconds['direct']:.3f}s  agent {seconds['agent']:.3f}s  "
                  f"managed {seconds['managed']:.3f}s", file=sys.stderr, flush=True)
        with contextlib.suppress(Exception):
            results["managed_resources"] = managed.resources.report()
    write_results("gfpgan", results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    main(parser.parse_args().repeat)
