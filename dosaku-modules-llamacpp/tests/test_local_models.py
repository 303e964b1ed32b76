"""Models already on the machine: built in, put by hand, in the user's folders, in Ollama's blob store; and the
machine's RAM and disk as measured."""
from __future__ import annotations

import json
import os
import shutil

import pytest
from dosaku.config import Config
from dosaku_llamacpp.errors import NotEnoughMemory
from dosaku_llamacpp.local_models import (
    BUILTIN_NAME,
    check_fits,
    find_local,
    local_models,
    models_dir,
    ollama_models,
)
from dosaku_llamacpp.machine import Memory, free_disk, memory


def link_or_copy(source, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy(source, target)


def ollama_store(root, smollm2_file, sha, manifests):
    """A real Ollama layout: manifests/<host>/<namespace>/<model>/<tag> naming blobs/sha256-<hex>."""
    link_or_copy(smollm2_file, root / "blobs" / f"sha256-{sha}")
    for relative, layers in manifests.items():
        path = root / "manifests" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "0" * 64,
                       "size": 400},
            "layers": layers,
        }))
    return root


def model_layer(sha, size):
    return [{"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{sha}", "size": size},
            {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "1" * 64, "size": 10}]


@pytest.fixture
def ollama(tmp_path, smollm2_file, smollm2_sha256, monkeypatch):
    size = smollm2_file.stat().st_size
    root = ollama_store(tmp_path / "ollama-models", smollm2_file, smollm2_sha256, {
        "registry.ollama.ai/library/smollm2/135m": model_layer(smollm2_sha256, size),
        "registry.ollama.ai/someone/tiny/latest": model_layer(smollm2_sha256, size),
        "hf.co/bartowski/Some-GGUF/Q4_K_M": model_layer(smollm2_sha256, size),
        "registry.ollama.ai/library/nomodel/latest": [],  # no model layer: skipped
        "registry.ollama.ai/library/missing/latest": model_layer("2" * 64, 5),  # blob not there: skipped
    })
    (root / "manifests" / "registry.ollama.ai" / "library" / "broken").mkdir(parents=True)
    (root / "manifests" / "registry.ollama.ai" / "library" / "broken" / "latest").write_text("{not json")
    monkeypatch.setenv("OLLAMA_MODELS", str(root))
    return root


def test_ollama_models_are_found_by_their_manifests(ollama, smollm2_file, smollm2_sha256):
    found = {model.name: model for model in ollama_models([ollama])}
    assert set(found) == {"ollama:smollm2:135m", "ollama:someone/tiny:latest",
                          "ollama:hf.co/bartowski/Some-GGUF:Q4_K_M"}
    model = found["ollama:smollm2:135m"]
    assert model.path == ollama / "blobs" / f"sha256-{smollm2_sha256}" and model.sha256 == smollm2_sha256
    assert model.source == "ollama" and model.size == smollm2_file.stat().st_size and not model.removable


def test_ollama_models_are_listed_and_found_by_name(dosaku_home, ollama):
    names = [model.name for model in local_models(Config())]
    assert "ollama:smollm2:135m" in names
    assert find_local("smollm2:135m", Config()).name == "ollama:smollm2:135m"
    assert find_local("OLLAMA:SMOLLM2:135M", Config()).source == "ollama"


def test_a_blob_that_is_not_gguf_is_not_a_model(tmp_path, smollm2_sha256):
    root = tmp_path / "o"
    (root / "blobs").mkdir(parents=True)
    (root / "blobs" / f"sha256-{smollm2_sha256}").write_bytes(b"not a gguf")
    path = root / "manifests" / "registry.ollama.ai" / "library" / "x" / "latest"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"layers": model_layer(smollm2_sha256, 10)}))
    assert ollama_models([root]) == []


def test_the_builtin_model_is_listed_first(dosaku_home):
    models = local_models(Config())
    assert models[0].name == BUILTIN_NAME and models[0].source == "built-in" and not models[0].removable


def test_folders_of_ggufs_are_listed(dosaku_home, tmp_path, smollm2_file):
    folder = tmp_path / "my-ggufs"
    link_or_copy(smollm2_file, folder / "My-Model.Q4.gguf")
    (folder / "notes.txt").write_text("not a model")
    config = Config()
    config.set("LLAMACPP", "MODEL_DIRS", os.pathsep.join([str(folder), str(tmp_path / "absent")]))
    found = find_local("my-model.q4", config)
    assert found.source == "folder" and found.path == folder / "My-Model.Q4.gguf" and str(folder) in found.note


def test_a_gguf_put_in_the_model_directory_by_hand_is_listed_unchecked(dosaku_home, smollm2_file):
    link_or_copy(smollm2_file, models_dir(Config()) / "handmade.gguf")
    (models_dir(Config()) / "half.gguf.part").write_bytes(b"GGUF")
    found = [model for model in local_models(Config()) if model.source == "dosaku"]
    assert [(model.name, model.verified) for model in found] == [("handmade", None)]


def test_the_model_directory_is_configurable(dosaku_home, tmp_path):
    config = Config()
    assert models_dir(config) == config.data_dir / "models"
    config.set("LLAMACPP", "MODELS_DIR", str(tmp_path / "big-disk"))
    assert models_dir(config) == tmp_path / "big-disk"


def test_a_model_that_does_not_fit_says_so_with_the_numbers(dosaku_home):
    builtin = local_models(Config())[0]
    check_fits(builtin, Memory(total=8 * 10**9, available=4 * 10**9))
    with pytest.raises(NotEnoughMemory) as raised:
        check_fits(builtin, Memory(total=8 * 10**9, available=100_000_000))
    assert "smollm2-135m needs about 367 MB of RAM" in str(raised.value)
    assert "100 MB available now (of 8.00 GB in all)" in str(raised.value)
    assert "Close other programs" in str(raised.value)
    with pytest.raises(NotEnoughMemory, match="Pick a smaller model"):
        check_fits(builtin, Memory(total=200_000_000, available=100_000_000))


def test_memory_is_read_from_proc_meminfo(tmp_path):
    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal:        2000 kB\nMemFree:          500 kB\nMemAvailable:     1000 kB\n")
    assert memory(str(fake)) == Memory(total=2000 * 1024, available=1000 * 1024)
    real = memory()
    assert 0 < real.available <= real.total
    fallback = memory(str(tmp_path / "absent"))  # os.sysconf
    assert fallback.total > 0 and abs(fallback.total - real.total) < real.total // 10


def test_free_disk_of_a_folder_not_made_yet_is_its_disks(tmp_path):
    assert free_disk(tmp_path / "not" / "yet") == shutil.disk_usage(tmp_path).free
