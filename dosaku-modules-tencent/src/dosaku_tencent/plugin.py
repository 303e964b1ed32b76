"""The pack's plugin: registers GFPGAN for RestoreFaces. Imports nothing but ``dosaku``."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dosaku import ModuleSpec, hookimpl


@hookimpl
def register_modules(register: Callable[[ModuleSpec], None], config: Any) -> None:
    register(
        ModuleSpec(
            "GFPGAN",
            tasks=("RestoreFaces",),
            target="dosaku_tencent.gfpgan:GFPGAN",
            priority=10,
            device="auto",
            memory_mb=1500,
            summary="Face restoration with Tencent ARC's GFPGAN (detect, align, restore, paste back).",
        )
    )
