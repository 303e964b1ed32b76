"""A CPU-bound, stateless test module for placement tests and benchmarks: the ``Busywork`` task and ``BusyBot``.

Example::

    from dosaku.testing import isolated_agent
    from dosaku_ray import plugin
    from dosaku_ray.testing import BUSYWORK_PLUGIN

    agent = isolated_agent(BUSYWORK_PLUGIN, plugin)
    agent.learn('Busywork', placement='ray')
    agent.Busywork.spin(100_000)    # pure-Python work on one CPU of a replica
"""
from __future__ import annotations

import abc
import os
import time
from typing import Any, ClassVar

from dosaku.module import Module
from dosaku.spec import ModuleSpec, TaskSpec
from dosaku.task import Task
from dosaku.testing import in_process_plugin


class Busywork(Task):
    """Work that only takes time: for measuring where and how fast modules run."""

    default_action: ClassVar[str] = "spin"

    @abc.abstractmethod
    def spin(self, rounds: int) -> int:
        """Do ``rounds`` rounds of integer arithmetic on one CPU; returns a checksum."""

    @abc.abstractmethod
    def nap(self, seconds: float, marker: str | None = None) -> str:
        """Sleep ``seconds`` (touching the file ``marker`` first, if given); returns 'rested'."""

    @abc.abstractmethod
    def invert(self, image: Any) -> Any:
        """The negative of a PIL image or a numpy array of uint8, of the same type."""


class BusyBot(Module, Busywork):
    """Busywork done in pure Python (holds the GIL: one CPU per replica).

    Args:
        fail: Raise ``ValueError(fail)`` when built (to test errors from a remote constructor).
    """

    def __init__(self, fail: str | None = None):
        if fail:
            raise ValueError(fail)

    def spin(self, rounds: int) -> int:
        if not isinstance(rounds, int) or rounds < 0:
            raise ValueError(f"rounds must be a whole number >= 0, not {rounds!r}")
        total = 0
        for i in range(rounds):
            total = (total * 31 + i) % 1_000_003
        return total

    def nap(self, seconds: float, marker: str | None = None) -> str:
        if marker:
            with open(marker, "w") as file:
                file.write(str(os.getpid()))
        time.sleep(seconds)
        return "rested"

    def invert(self, image: Any) -> Any:
        import numpy as np

        if isinstance(image, np.ndarray):
            return 255 - image
        from PIL import Image, ImageOps

        if not isinstance(image, Image.Image):
            raise TypeError(f"invert expects a PIL image or a numpy array, got {type(image).__name__}")
        return ImageOps.invert(image.convert("RGB"))


BUSYWORK_SPEC = ModuleSpec(
    "BusyBot", ("Busywork",), target="dosaku_ray.testing:BusyBot", shareable=True, summary="CPU-bound test module."
)
BUSYWORK_PLUGIN = in_process_plugin(
    "dosaku-ray-busywork",
    tasks=[TaskSpec("Busywork", "dosaku_ray.testing:Busywork", "Work that only takes time.")],
    modules=[BUSYWORK_SPEC],
)
