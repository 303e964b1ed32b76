"""Shared fixtures: weight files generated once per test session (the real architectures, random init, the real
checkpoint formats), GFPGAN modules built on them, and a small synthetic face image."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers beside the tests, under --import-mode=importlib


from tencent_helpers import no_config  # noqa: E402


@pytest.fixture(scope="session")
def weights(tmp_path_factory) -> Path:
    """A folder with GFPGANv1.4.pth, detection_Resnet50_Final.pth and parsing_parsenet.pth (random init)."""
    from dosaku_tencent.random_weights import write_random_weights

    directory = tmp_path_factory.mktemp("gfpgan-weights")
    write_random_weights(directory)
    return directory


@pytest.fixture(scope="session")
def gfpgan(weights):
    """GFPGAN on the CPU restoring at most one face per image (the planted detector finds a few on 64x64)."""
    from dosaku_tencent.gfpgan import GFPGAN

    return GFPGAN(upscale=2, device="cpu", weights_dir=weights, download=False, max_faces=1, config=no_config(weights))


@pytest.fixture(scope="session")
def gfpgan_no_faces(weights):
    """GFPGAN whose detection threshold no face reaches: the whole pipeline but the per-face passes (fast)."""
    from dosaku_tencent.gfpgan import GFPGAN

    return GFPGAN(upscale=2, device="cpu", weights_dir=weights, download=False, det_threshold=1.0,
                  config=no_config(weights))


@pytest.fixture(scope="session")
def face_image():
    """A 64x64 drawing of a face (the planted detector finds faces in any image; 64x64 keeps it to a few)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (64, 64), (90, 120, 160))
    draw = ImageDraw.Draw(image)
    draw.ellipse((12, 6, 52, 58), fill=(224, 180, 150))
    draw.ellipse((22, 22, 28, 27), fill=(40, 30, 30))
    draw.ellipse((36, 22, 42, 27), fill=(40, 30, 30))
    draw.line((32, 28, 30, 38), fill=(180, 120, 100), width=2)
    draw.arc((22, 36, 42, 50), 20, 160, fill=(150, 50, 60), width=2)
    return image
