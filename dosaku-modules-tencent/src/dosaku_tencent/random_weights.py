"""Weight files for tests and benchmarks: the real architectures, randomly initialised, saved in the real
checkpoint formats under the real file names (the published weights cannot be downloaded everywhere).

A randomly initialised RetinaFace "finds" faces all over an image, and each one costs a GFPGAN and a face-parser
pass. So the detector's three output heads are set, not random: one anchor shape (64 px, at stride 16) scores as a
face with five landmarks laid out like the FFHQ template, every other anchor as background. On a W x H image it
finds about (W/32) x (H/32) faces after non-maximum suppression, each a sane, invertible alignment; the backbone,
the GFPGAN network and the face parser stay random.

Example::

    from dosaku_tencent.random_weights import write_random_weights

    paths = write_random_weights(tmp_path)          # GFPGANv1.4.pth, detection_Resnet50_Final.pth, ...
    GFPGAN(weights_dir=tmp_path, download=False, max_faces=1)
"""
from __future__ import annotations

from pathlib import Path

#: The five landmarks of the FFHQ 512x512 template (eyes, nose, mouth corners), centred, in units of 1/512.
TEMPLATE = ((-63.0, -60.0), (63.0, -60.0), (0.6, 14.0), (-55.0, 71.4), (57.0, 71.2))
FACE_LEVEL, FACE_ANCHOR = 1, 0  # the FPN level (stride 16) and anchor (min size 64) that finds faces
CONFIDENT = 8.0  # logit margin: softmax(8 - -8) = 1 - 1e-7


def write_random_weights(directory: str | Path, version: str = "1.4", seed: int = 0) -> dict[str, Path]:
    """Write random-init GFPGAN ``version`` (clean arch), RetinaFace-ResNet50 and ParseNet weights.

    Returns the path of each file by name.
    """
    from dosaku_tencent.compat import install_torchvision_alias

    install_torchvision_alias()
    import torch
    from facexlib.detection.retinaface import RetinaFace
    from facexlib.parsing.parsenet import ParseNet

    from dosaku_tencent.restorer import build_gfpgan_net
    from dosaku_tencent.weights import VERSIONS

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    paths = {name: directory / name for name in (VERSIONS[version], "detection_Resnet50_Final.pth",
                                                 "parsing_parsenet.pth")}
    torch.save({"params_ema": build_gfpgan_net("clean").state_dict()}, paths[VERSIONS[version]])
    detector = RetinaFace(network_name="resnet50", half=False, device="cpu")
    _plant_faces(detector)
    torch.save(detector.state_dict(), paths["detection_Resnet50_Final.pth"])
    torch.save(ParseNet(in_size=512, out_size=512, parsing_ch=19).state_dict(), paths["parsing_parsenet.pth"])
    return paths


def _plant_faces(detector: object) -> None:
    import torch

    landmarks = torch.tensor([v / 512 / 0.1 for point in TEMPLATE for v in point])  # decoded: prior + v*0.1*size
    with torch.no_grad():
        for level in range(3):
            heads = (detector.ClassHead[level].conv1x1, detector.BboxHead[level].conv1x1,
                     detector.LandmarkHead[level].conv1x1)
            for head in heads:
                head.weight.zero_()
                head.bias.zero_()
            scores = detector.ClassHead[level].conv1x1.bias.view(-1, 2)  # per anchor: background, face
            scores[:, 0], scores[:, 1] = CONFIDENT, -CONFIDENT
            if level == FACE_LEVEL:
                scores[FACE_ANCHOR] = torch.tensor([-CONFIDENT, CONFIDENT])
                detector.LandmarkHead[level].conv1x1.bias.view(-1, 10)[FACE_ANCHOR] = landmarks
