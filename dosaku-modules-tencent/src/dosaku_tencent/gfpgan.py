"""GFPGAN: face restoration by Tencent ARC (https://github.com/TencentARC/GFPGAN), through the real gfpgan package."""
from __future__ import annotations

import logging
import numbers
import pickle
import threading
from pathlib import Path
from typing import Any

from dosaku import Config, DosakuError, Module
from dosaku.tasks import RestoreFaces

from dosaku_tencent import images
from dosaku_tencent import weights as weight_files
from dosaku_tencent.restorer import ARCHS, Restorer
from dosaku_tencent.weights import HELPER_FILES, VERSIONS

log = logging.getLogger(__name__)

#: Memory a restoration needs on the device beyond the weights (activations of the 512x512 networks), in MB.
WORKING_MB = 1000


class GFPGAN(Module, RestoreFaces):
    """Restore the faces in an image with GFPGAN: detect and align each face (facexlib's RetinaFace), restore it,
    and paste it back (blended with facexlib's face parser) into the upscaled image.

    Args:
        upscale: Scale of the restored image relative to the input (the background is resized; faces restored).
        arch: GFPGAN architecture: ``'clean'`` (versions 1.2 to 1.4), ``'bilinear'`` or ``'original'``.
        version: Which published weights to use: ``'1.4'`` (default) or ``'1.3'``.
        device: ``'cuda'``, ``'cuda:1'``, ``'cpu'``...; default CUDA when available, else the CPU.
        half: float16 inference; default on CUDA, never on the CPU.
        weight: How much of the restored face to keep against the input face (0 to 1), as in GFPGAN.
        only_center_face: Restore only the face closest to the centre.
        det_threshold: Lowest face detection score (0 to 1).
        max_faces: Most faces restored per image, most certain first (None: all). Bounds the time per image.
        weights_dir: Folder of the weight files (default ``[MODELS] GFPGAN_DIR``, else Dosaku's cache).
        download: Download missing weight files from the official releases (progress bar, SHA-256 checked).
        config: The configuration to read (default :class:`dosaku.Config`).

    Weight files: ``GFPGANv1.4.pth`` (or ``GFPGANv1.3.pth``), ``detection_Resnet50_Final.pth`` and
    ``parsing_parsenet.pth``. Without them and without a network, :class:`~dosaku_tencent.errors.WeightsNotFound`
    says which file to put where.

    Example (standalone)::

        from PIL import Image
        from dosaku.modules import GFPGAN

        gfpgan = GFPGAN(upscale=4)

        image = Image.open('tests/resources/hopper_photograph.png')
        restoration = gfpgan.restore(image)
        restoration.restored_image.save('restored.png')

    Example (learned by an agent, which also manages its GPU memory)::

        from PIL import Image
        from dosaku import Agent

        agent = Agent()
        agent.learn('RestoreFaces', module='GFPGAN', upscale=4)

        image = Image.open('tests/resources/hopper_photograph.png')
        restoration = agent.RestoreFaces.restore(image)
    """

    def __init__(self, upscale: float = 2, arch: str = "clean", version: str = "1.4", device: str | None = None,
                 *, half: bool | None = None, weight: float = 0.5, only_center_face: bool = False,
                 det_threshold: float = 0.97, max_faces: int | None = 64, weights_dir: str | Path | None = None,
                 download: bool = True, config: Config | None = None):
        import torch

        self.upscale, self.arch, self.version = _check_options(upscale, arch, version, weight, det_threshold,
                                                               max_faces)
        self.weight, self.only_center_face = float(weight), bool(only_center_face)
        self.det_threshold, self.max_faces = float(det_threshold), max_faces
        self.device = str(torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu")))
        on_cuda = self.device.startswith("cuda")
        if half and not on_cuda:
            raise DosakuError(f"half=True needs a CUDA device (float16 is only used on CUDA); this GFPGAN runs on "
                              f"{self.device}. Leave half unset, or pass device='cuda'.")
        self.half = on_cuda if half is None else bool(half)
        config = config if config is not None else Config()
        directory = Path(weights_dir).expanduser() if weights_dir is not None else weight_files.weights_dir(config)
        self.paths = weight_files.ensure_weights(self.version, directory, mirror=config.get("MODELS", "GFPGAN_MIRROR"),
                                    download=download)
        self._lock = threading.Lock()
        self._restorer: Restorer | None = None
        self.load()

    # --- the task ------------------------------------------------------------------------------------------
    def restore(self, image: Any, *, aligned: bool = False, only_center_face: bool | None = None,
                weight: float | None = None) -> RestoreFaces.RestoredImage:
        """Restore the faces in ``image`` (a PIL image, a numpy array (H, W[, C]) in RGB(A), or a path).

        Args:
            image: The image. Grayscale images come back grayscale; an alpha channel is kept.
            aligned: The image is one face, already cropped and aligned (as in FFHQ): it is restored whole
                (resized to 512x512) with no detection.
            only_center_face: Override the module's setting for this call.
            weight: Override the module's restoration weight for this call.

        Returns:
            ``RestoreFaces.RestoredImage`` with ``restored_image`` (``upscale`` times the input, or the 512x512
            restored face when ``aligned``), and the ``cropped_faces`` and ``restored_faces`` (512x512 PIL images).

        Raises:
            InvalidImage: ``image`` is not an image, or is empty.

        Example::

            restoration = GFPGAN(upscale=2).restore('group_photo.jpg')
            len(restoration.restored_faces)  # faces found and restored
        """
        prepared = images.prepare(image)
        with self._lock:
            restorer = self._loaded()
            cropped, restored, whole = restorer.enhance(
                prepared.bgr, has_aligned=aligned,
                only_center_face=self.only_center_face if only_center_face is None else only_center_face,
                paste_back=True, weight=self.weight if weight is None else float(weight),
            )
        if aligned:
            whole = restored[0]
        return RestoreFaces.RestoredImage(
            restored_image=images.finish(whole, prepared),
            cropped_faces=[images.to_pil(face) for face in cropped],
            restored_faces=[images.to_pil(face) for face in restored],
        )

    # --- resources -----------------------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        """Whether the networks are in memory."""
        return self._restorer is not None

    @property
    def memory_mb(self) -> float:
        """About how much memory the module takes on its device while loaded (weights plus working memory)."""
        weights_mb = 520.0 if self._restorer is None else self._restorer.parameter_mb
        return weights_mb + WORKING_MB

    def load(self) -> None:
        """Load the networks onto the module's device (done on construction, and again after :meth:`unload`)."""
        if self._restorer is not None:
            return
        model = self.paths[VERSIONS[self.version]]
        try:
            self._restorer = Restorer(
                model, self.paths[HELPER_FILES[0]].parent, upscale=self.upscale, arch=self.arch, device=self.device,
                half=self.half, det_threshold=self.det_threshold, max_faces=self.max_faces,
            )
        except (RuntimeError, KeyError, pickle.UnpicklingError, EOFError) as error:
            raise DosakuError(
                f"The GFPGAN weights in {model.parent} could not be loaded for arch={self.arch!r}, "
                f"version={self.version!r}: {type(error).__name__}: {str(error)[:500]}. Are they the published "
                f"files for that version and arch? Delete them to download them again, or fix arch/version."
            ) from error
        log.info("GFPGAN %s loaded on %s%s", self.version, self.device, " (float16)" if self.half else "")

    def unload(self) -> None:
        """Free the networks (the next restore loads them again)."""
        import torch

        self._restorer = None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def to(self, device: str) -> GFPGAN:
        """Move the networks to ``device`` (the resource manager parks them on the CPU to make room)."""
        if self._restorer is not None:
            self._restorer.to(device)
        return self

    def _loaded(self) -> Restorer:
        self.load()
        return self._restorer  # type: ignore[return-value]

    def __repr__(self) -> str:
        return (f"GFPGAN(upscale={self.upscale}, arch={self.arch!r}, version={self.version!r}, "
                f"device={self.device!r}, half={self.half})")


def _check_options(upscale: Any, arch: str, version: Any, weight: Any, det_threshold: Any,
                   max_faces: Any) -> tuple[float, str, str]:
    if not isinstance(upscale, numbers.Real) or isinstance(upscale, bool) or not 0 < upscale <= 16:
        raise DosakuError(f"upscale must be a number above 0 and at most 16 (e.g. 2 or 4), not {upscale!r}.")
    if arch not in ARCHS:
        raise DosakuError(f"Unknown GFPGAN arch {arch!r}; choose one of {', '.join(ARCHS)} ('clean' for 1.3/1.4).")
    version = str(version)
    if version not in VERSIONS:
        raise DosakuError(f"Unknown GFPGAN version {version!r}; choose one of {', '.join(VERSIONS)}.")
    for name, value in (("weight", weight), ("det_threshold", det_threshold)):
        if not isinstance(value, numbers.Real) or not 0 <= value <= 1:
            raise DosakuError(f"{name} must be a number from 0 to 1, not {value!r}.")
    if max_faces is not None and (not isinstance(max_faces, int) or max_faces < 1):
        raise DosakuError(f"max_faces must be a whole number of at least 1, or None for all faces; not {max_faces!r}.")
    return float(upscale), arch, version
