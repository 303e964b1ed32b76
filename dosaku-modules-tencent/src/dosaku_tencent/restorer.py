"""The real gfpgan pipeline (``GFPGANer``: facexlib detection and alignment, GFPGAN restoration, paste back),
built from local weight files, with bounded face detection and device moves.

``GFPGANer.__init__`` downloads facexlib's weights into ``./gfpgan/weights`` of the current directory and loads
with a bare ``torch.load``; :class:`Restorer` builds the same parts from the files Dosaku resolved instead, and
keeps ``GFPGANer.enhance`` (the restoration itself) exactly as the gfpgan package ships it.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from dosaku_tencent.compat import install_torchvision_alias

install_torchvision_alias()  # before gfpgan imports basicsr

import numpy as np  # noqa: E402
import torch  # noqa: E402
from facexlib.utils.face_restoration_helper import FaceRestoreHelper  # noqa: E402
from gfpgan import GFPGANer  # noqa: E402
from gfpgan.archs.gfpgan_bilinear_arch import GFPGANBilinear  # noqa: E402
from gfpgan.archs.gfpganv1_arch import GFPGANv1  # noqa: E402
from gfpgan.archs.gfpganv1_clean_arch import GFPGANv1Clean  # noqa: E402

log = logging.getLogger(__name__)

ARCHS = {"clean": GFPGANv1Clean, "bilinear": GFPGANBilinear, "original": GFPGANv1}


def build_gfpgan_net(arch: str = "clean", channel_multiplier: int = 2) -> torch.nn.Module:
    """The GFPGAN network of ``arch``, configured as ``GFPGANer`` configures it (512x512 faces)."""
    return ARCHS[arch](
        out_size=512, num_style_feat=512, channel_multiplier=channel_multiplier, decoder_load_path=None,
        fix_decoder=arch == "original", num_mlp=8, input_is_latent=True, different_w=True, narrow=1, sft_half=True,
    )


class HalfPrecision(torch.nn.Module):
    """Runs a GFPGAN network in float16 (CUDA only) while ``enhance`` keeps passing and reading float32."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net.half()

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        image, *rest = self.net(x.half(), *args, **kwargs)
        return (image.float(), *rest)


class BoundedDetector:
    """facexlib's RetinaFace, with a floor on the detection score and at most ``max_faces`` faces (best first).

    Both bound the work per image: every face found costs a GFPGAN and a face-parser pass.
    """

    def __init__(self, retinaface: torch.nn.Module, threshold: float = 0.97, max_faces: int | None = None):
        self.retinaface, self.threshold, self.max_faces = retinaface, threshold, max_faces

    def detect_faces(self, image: np.ndarray, conf_threshold: float = 0.8, **kwargs: Any) -> np.ndarray:
        faces = self.retinaface.detect_faces(image, max(conf_threshold, self.threshold), **kwargs)
        if self.max_faces is not None and len(faces) > self.max_faces:
            log.warning("found %d faces; restoring the %d most certain (max_faces)", len(faces), self.max_faces)
            faces = faces[: self.max_faces]  # already sorted by score, best first
        return faces


class Restorer(GFPGANer):
    """``GFPGANer`` built from local files (``torch.load(..., weights_only=True)``), movable between devices.

    Args:
        model_path: The GFPGAN checkpoint (``params_ema`` or ``params`` state dict).
        helper_dir: The folder with ``detection_Resnet50_Final.pth`` and ``parsing_parsenet.pth``.
        upscale: Scale of the output image.
        arch: ``'clean'`` (v1.2-1.4), ``'bilinear'`` or ``'original'`` (v1).
        device: Where to run (``'cpu'``, ``'cuda'``, ``'cuda:1'``...).
        half: float16 on CUDA.
        det_threshold: Lowest detection score of a face.
        max_faces: Most faces restored per image (None: all).
    """

    def __init__(self, model_path: Path, helper_dir: Path, upscale: float = 2, arch: str = "clean",
                 channel_multiplier: int = 2, device: str = "cpu", half: bool = False, det_threshold: float = 0.97,
                 max_faces: int | None = None):
        self.upscale, self.bg_upsampler, self.half = upscale, None, half
        self.device = torch.device(device)
        self.net = build_gfpgan_net(arch, channel_multiplier)
        checkpoint = torch.load(model_path, map_location="cpu", weights_only=True)
        self.net.load_state_dict(checkpoint["params_ema" if "params_ema" in checkpoint else "params"], strict=True)
        self.net.eval()
        # facexlib finds its files in helper_dir (no download) and loads them with torch.load, whose default is
        # weights_only=True since torch 2.6 (required by this pack).
        self.face_helper = FaceRestoreHelper(
            upscale, face_size=512, crop_ratio=(1, 1), det_model="retinaface_resnet50", save_ext="png",
            use_parse=True, device=torch.device("cpu"), model_rootpath=str(helper_dir),
        )
        self.detector = self.face_helper.face_det
        self.face_helper.face_det = BoundedDetector(self.detector, det_threshold, max_faces)
        self.to(self.device)

    @property
    def parameter_mb(self) -> float:
        """MB the three networks' parameters take."""
        nets = (self.net, self.detector, self.face_helper.face_parse)
        return sum(p.numel() * p.element_size() for net in nets for p in net.parameters()) / 2**20

    def to(self, device: str | torch.device) -> Restorer:
        """Move the GFPGAN network, the face detector and the face parser to ``device``."""
        device = torch.device(device)
        half = self.half and device.type == "cuda"
        self.net = self.net.to(device)
        self.net = self.net.half() if half else self.net.float()
        self.gfpgan = HalfPrecision(self.net) if half else self.net
        detector = self.detector.to(device)
        if half:
            detector.half()
        else:
            detector.float()
        detector.device, detector.half_inference = device, half
        detector.mean_tensor = detector.mean_tensor.to(device)
        self.face_helper.face_parse = self.face_helper.face_parse.to(device)
        self.face_helper.device = self.device = device
        if device.type == "cpu" and torch.cuda.is_available():
            torch.cuda.empty_cache()
        return self
