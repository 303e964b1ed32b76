"""Loading a ``llama_cpp.Llama`` safely on this machine's CPU.

llama.cpp built for a CPU with Intel AMX (``-march=native`` on a Sapphire Rapids or newer Xeon, as pip builds it from
source) puts quantized weights in its AMX "extra buffer type", and its AMX matrix multiply crashes the process
(SIGSEGV in ``ggml_backend_amx_mul_mat``) on the first decode of SmolLM2's Q4_1 GGUF. Loading with
``use_extra_bufts = False`` keeps the weights in plain CPU buffers, which run correctly (AVX-512 kernels).
``llama_cpp.Llama`` does not expose that model parameter, so :func:`load_llama` sets it while the model loads.

Set ``DOSAKU_LLAMACPP_EXTRA_BUFFERS=1`` to keep llama.cpp's default (for a build whose AMX kernels work).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

#: CPU flags (``/proc/cpuinfo``) of the AMX units whose llama.cpp kernels crash.
AMX_FLAGS = frozenset({"amx_int8", "amx_bf16", "amx_tile"})
KEEP_EXTRA_BUFFERS = "DOSAKU_LLAMACPP_EXTRA_BUFFERS"
_PATCH_LOCK = threading.Lock()


@cache
def cpu_has_amx(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether this CPU has AMX (False where ``/proc/cpuinfo`` cannot be read)."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as file:
            for line in file:
                if line.startswith("flags"):
                    return bool(AMX_FLAGS & set(line.partition(":")[2].split()))
    except OSError:
        pass
    return False


def avoid_extra_buffers() -> bool:
    """Whether models are loaded without llama.cpp's extra buffer types (on AMX CPUs, unless told otherwise)."""
    return cpu_has_amx() and os.environ.get(KEEP_EXTRA_BUFFERS, "").strip() not in ("1", "true", "yes")


@contextmanager
def without_extra_buffers() -> Iterator[None]:
    """While inside, every ``llama_cpp.Llama`` made loads its weights without extra buffer types."""
    import llama_cpp.llama as llama_module

    library = llama_module.llama_cpp
    original = library.llama_model_default_params

    def default_params() -> Any:
        params = original()
        if hasattr(params, "use_extra_bufts"):
            params.use_extra_bufts = False
        return params

    with _PATCH_LOCK:
        library.llama_model_default_params = default_params
        try:
            yield
        finally:
            library.llama_model_default_params = original


def load_llama(**kwargs: Any) -> Any:
    """``llama_cpp.Llama(**kwargs)``, without extra buffer types where they crash (see the module docstring).

    Example::

        llama = load_llama(model_path='model.gguf', n_ctx=2048, verbose=False)
    """
    from llama_cpp import Llama

    if not avoid_extra_buffers():
        return Llama(**kwargs)
    with without_extra_buffers():
        return Llama(**kwargs)
