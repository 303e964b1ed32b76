"""The ``stability`` plugin: the image-editing task specs and the Clipdrop modules. Imports only ``dosaku``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku import ModuleSpec, TaskSpec, hookimpl

#: The tasks this pack adds: name, spec class, summary.
TASKS = (
    ("RemoveBackground", "Cut the subject out of an image (transparent background)."),
    ("Upscale", "Enlarge an image to a given width and height, adding detail."),
    ("RemoveText", "Remove the text drawn in an image."),
    ("ReplaceBackground", "Put an image's subject in a new scene described by a prompt."),
    ("Inpaint", "Fill the masked areas of an image (remove objects)."),
    ("SketchToImage", "Make an image from a sketch and a prompt."),
    ("Reimagine", "Make a variation of an image."),
)
EDITING = tuple(name for name, _ in TASKS)


@hookimpl
def register_tasks(register: Callable[[TaskSpec], None], config: Any) -> None:
    for name, summary in TASKS:
        register(TaskSpec(name, f"dosaku_stability.tasks:{name}", summary, default_module="Clipdrop"))


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    common = {"kind": "service", "needs_key": "CLIPDROP", "key_env_var": "CLIPDROP_API_KEY"}
    register(ModuleSpec("ClipdropTextToImage", tasks=("TextToImage",),
                        target="dosaku_stability.clipdrop:ClipdropTextToImage",
                        priority=5, summary="Images from text with Stability AI's Clipdrop API.", **common))
    register(ModuleSpec("Clipdrop", tasks=("TextToImage", *EDITING), target="dosaku_stability.clipdrop:Clipdrop",
                        priority=4, summary="Stability AI's Clipdrop APIs: text-to-image and image editing.", **common))


@hookimpl
def register_prices(register: Callable[..., None], config: Any) -> None:
    register("clipdrop", "call=0.02")  # USD per credit (credit packs cost about this); [PRICES] overrides it
