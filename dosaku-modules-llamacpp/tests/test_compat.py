"""Loading llama.cpp models on CPUs whose AMX kernels crash (see dosaku_llamacpp.compat)."""
from __future__ import annotations

from dosaku_llamacpp import compat


def test_amx_is_read_from_the_cpu_flags(tmp_path):
    with_amx, without = tmp_path / "amx", tmp_path / "plain"
    with_amx.write_text("processor : 0\nflags\t\t: fpu sse2 avx2 avx512f amx_bf16 amx_tile amx_int8\n")
    without.write_text("processor : 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert compat.cpu_has_amx(str(with_amx)) and not compat.cpu_has_amx(str(without))
    assert not compat.cpu_has_amx(str(tmp_path / "missing"))


def test_extra_buffers_are_kept_when_asked_for(monkeypatch):
    monkeypatch.setattr(compat, "cpu_has_amx", lambda: True)
    assert compat.avoid_extra_buffers()
    monkeypatch.setenv(compat.KEEP_EXTRA_BUFFERS, "1")
    assert not compat.avoid_extra_buffers()


def test_the_model_params_are_patched_only_while_loading():
    import llama_cpp.llama as llama_module

    library = llama_module.llama_cpp
    original = library.llama_model_default_params
    assert original().use_extra_bufts
    with compat.without_extra_buffers():
        assert not library.llama_model_default_params().use_extra_bufts
    assert library.llama_model_default_params is original and original().use_extra_bufts
