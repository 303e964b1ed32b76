"""The real gfpgan pipeline on the CPU with generated weights: detect -> align -> restore -> paste back, and the
aligned-face path."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from dosaku import DosakuError
from dosaku.tasks import RestoreFaces
from dosaku.testing import RestoreFacesContract
from dosaku_tencent.gfpgan import GFPGAN
from PIL import Image
from tencent_helpers import no_config


@pytest.fixture(scope="module")
def full(gfpgan, face_image):
    """One run of the whole pipeline (shared by the tests that inspect it: a GFPGAN pass takes seconds), with
    facexlib's alignment of the face it restored."""
    result = gfpgan.restore(face_image)
    helper = gfpgan._restorer.face_helper
    return result, helper.all_landmarks_5[0].copy(), helper.affine_matrices[0].copy(), helper.face_template.copy()


class TestGFPGANContract(RestoreFacesContract):
    @pytest.fixture
    def restorer(self, gfpgan):
        return gfpgan

    @pytest.fixture
    def face_image(self, face_image):
        return face_image


def test_full_path_detects_restores_and_pastes_back(full, face_image):
    full, landmarks, affine, template = full
    assert isinstance(full, RestoreFaces.RestoredImage)
    assert full.restored_image.size == (128, 128) and full.restored_image.mode == "RGB"
    assert len(full.cropped_faces) == len(full.restored_faces) == 1  # max_faces=1 of the faces found
    assert full.cropped_faces[0].size == full.restored_faces[0].size == (512, 512)
    # facexlib aligned the detected landmarks onto the FFHQ template, and the crop is the input warped so (in RGB)
    aligned = landmarks @ affine[:, :2].T + affine[:, 2]
    assert np.abs(aligned - template).max() < 1.0
    warped = cv2.warpAffine(np.asarray(face_image), affine, (512, 512), borderValue=(132, 133, 135))
    assert np.abs(np.asarray(full.cropped_faces[0], dtype=int) - warped).max() <= 1
    # the restored face (random weights: noise) was pasted over the plainly upscaled input
    upscaled = cv2.resize(np.asarray(face_image), (128, 128), interpolation=cv2.INTER_LANCZOS4).astype(float)
    pasted = np.asarray(full.restored_image, dtype=float)
    assert np.abs(pasted - upscaled).mean() > 5
    assert not np.array_equal(np.asarray(full.restored_faces[0]), np.asarray(full.cropped_faces[0]))


def test_aligned_face_is_restored_whole(gfpgan, face_image):
    result = gfpgan.restore(face_image.resize((512, 512)), aligned=True)
    assert result.restored_image.size == (512, 512)
    assert len(result.cropped_faces) == len(result.restored_faces) == 1
    assert np.array_equal(np.asarray(result.restored_image), np.asarray(result.restored_faces[0]))
    assert np.abs(np.asarray(result.restored_image, dtype=float) - np.asarray(result.cropped_faces[0])).mean() > 5


def test_detection_is_bounded(gfpgan, gfpgan_no_faces):
    image = np.full((96, 96, 3), 128, np.uint8)
    with torch.no_grad():
        found = gfpgan._restorer.detector.detect_faces(image, 0.97)  # facexlib's RetinaFace itself
        bounded = gfpgan._restorer.face_helper.face_det.detect_faces(image, 0.97)
        none = gfpgan_no_faces._restorer.face_helper.face_det.detect_faces(image, 0.97)
    assert len(found) > 4
    assert len(bounded) == 1 and np.array_equal(bounded[0], found[0])
    assert len(none) == 0


def test_no_face_found_gives_the_upscaled_image(gfpgan_no_faces, face_image):
    result = gfpgan_no_faces.restore(face_image)
    assert result.cropped_faces == [] and result.restored_faces == []
    upscaled = cv2.resize(np.asarray(face_image), (128, 128), interpolation=cv2.INTER_LANCZOS4)
    assert np.abs(np.asarray(result.restored_image, dtype=int) - upscaled).max() <= 1


@pytest.mark.parametrize("kind", ["numpy", "path"])
def test_numpy_arrays_and_paths_are_images_too(gfpgan_no_faces, face_image, kind, tmp_path):
    expected = np.asarray(gfpgan_no_faces.restore(face_image).restored_image)
    if kind == "numpy":
        given = np.asarray(face_image)  # RGB, like PIL
    else:
        given = tmp_path / "face.png"
        face_image.save(given)
    assert np.array_equal(np.asarray(gfpgan_no_faces.restore(given).restored_image), expected)


def test_grayscale_comes_back_grayscale(gfpgan_no_faces, face_image):
    result = gfpgan_no_faces.restore(face_image.convert("L"))
    assert result.restored_image.mode == "L" and result.restored_image.size == (128, 128)


def test_rgba_keeps_its_alpha(gfpgan_no_faces, face_image):
    rgba = face_image.copy()
    alpha = Image.new("L", rgba.size, 0)
    alpha.paste(255, (0, 0, 32, 64))  # left half opaque
    rgba.putalpha(alpha)
    result = gfpgan_no_faces.restore(rgba)
    assert result.restored_image.mode == "RGBA" and result.restored_image.size == (128, 128)
    out_alpha = np.asarray(result.restored_image)[:, :, 3]
    assert out_alpha[:, :56].min() > 250 and out_alpha[:, 72:].max() < 5


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (12345, "RestoreFaces needs an image: a PIL image, a numpy array"),
        (Image.new("RGB", (0, 0)), "The image is empty (0x0)"),
        (np.zeros((0, 10, 3), np.uint8), "The image is empty (10x0)"),
        (np.zeros((8, 8, 5), np.uint8), "not of shape (8, 8, 5)"),
        ("/nonexistent/face.png", "There is no image file at /nonexistent/face.png"),
    ],
)
def test_bad_inputs_are_refused_clearly(gfpgan_no_faces, bad, message):
    from dosaku_tencent.errors import InvalidImage

    with pytest.raises(InvalidImage) as caught:
        gfpgan_no_faces.restore(bad)
    assert message in str(caught.value)
    assert isinstance(caught.value, DosakuError) and isinstance(caught.value, ValueError)


def test_a_file_that_is_not_an_image_is_refused(gfpgan_no_faces, tmp_path):
    from dosaku_tencent.errors import InvalidImage

    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(InvalidImage, match="is not an image file that PIL can read"):
        gfpgan_no_faces.restore(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"upscale": 0}, "upscale must be a number above 0"),
        ({"upscale": "4"}, "upscale must be a number above 0"),
        ({"arch": "fancy"}, "Unknown GFPGAN arch 'fancy'; choose one of clean, bilinear, original"),
        ({"version": "9"}, "Unknown GFPGAN version '9'; choose one of 1.3, 1.4"),
        ({"weight": 2}, "weight must be a number from 0 to 1"),
        ({"det_threshold": -1}, "det_threshold must be a number from 0 to 1"),
        ({"max_faces": 0}, "max_faces must be a whole number of at least 1"),
        ({"half": True, "device": "cpu"}, "half=True needs a CUDA device"),
    ],
)
def test_bad_options_are_refused_clearly(weights, kwargs, message):
    with pytest.raises(DosakuError, match=message.replace("(", r"\(").replace(")", r"\)")):
        GFPGAN(weights_dir=weights, download=False, config=no_config(weights), **kwargs)


def test_weights_of_another_arch_are_refused_clearly(weights):
    with pytest.raises(DosakuError, match=r"(?s)could not be loaded for arch='bilinear', version='1.4'.*Delete them"):
        GFPGAN(arch="bilinear", device="cpu", weights_dir=weights, download=False, config=no_config(weights))


class NotAWeight:
    pass


def test_checkpoints_are_loaded_weights_only(weights, tmp_path):
    """torch.load(weights_only=True): a checkpoint holding arbitrary objects is refused, not unpickled."""
    for name in ("detection_Resnet50_Final.pth", "parsing_parsenet.pth"):
        (tmp_path / name).symlink_to(weights / name)
    torch.save({"params_ema": NotAWeight()}, tmp_path / "GFPGANv1.4.pth")
    with pytest.raises(DosakuError, match=r"(?s)UnpicklingError.*Weights only load failed"):
        GFPGAN(device="cpu", weights_dir=tmp_path, download=False, config=no_config(tmp_path))


def test_unload_frees_and_the_next_call_loads_again(weights, face_image):
    module = GFPGAN(device="cpu", weights_dir=weights, download=False, det_threshold=1.0, config=no_config(weights))
    assert module.loaded and 400 < module.memory_mb - 1000 < 700  # ~530 MB of float32 parameters
    module.unload()
    assert not module.loaded
    assert module.restore(face_image).restored_image.size == (128, 128)
    assert module.loaded
    assert module.to("cpu") is module and module._restorer.device == torch.device("cpu")
