"""GFPGAN's weight files: where they are looked for, and their download (progress bar, SHA-256 check).

Look-up order for the folder holding all three files (the GFPGAN model and facexlib's face detector and parser):
``[MODELS] GFPGAN_DIR`` in the configuration (environment ``DOSAKU_MODELS__GFPGAN_DIR``), else ``gfpgan/`` in
Dosaku's cache directory. A missing file is downloaded there from the official release (or from
``[MODELS] GFPGAN_MIRROR``, a base URL serving the same file names) and checked against its published SHA-256.
Files already on disk are used as they are (e.g. your own fine-tuned weights), without a check.
"""
from __future__ import annotations

import hashlib
import http.client
import logging
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dosaku_tencent.errors import ChecksumMismatch, WeightsNotFound

log = logging.getLogger(__name__)

GFPGAN_RELEASES = "https://github.com/TencentARC/GFPGAN/releases/download"
FACEXLIB_RELEASES = "https://github.com/xinntao/facexlib/releases/download"
CHUNK = 1 << 20


@dataclass(frozen=True)
class WeightFile:
    """One published weight file.

    Example::

        WEIGHTS['GFPGANv1.4.pth'].url  # 'https://github.com/TencentARC/GFPGAN/releases/download/v1.3.0/...'
    """

    name: str
    url: str
    sha256: str | None
    size: int
    what: str

    @property
    def size_mb(self) -> int:
        return round(self.size / 2**20)


WEIGHTS: dict[str, WeightFile] = {
    file.name: file
    for file in (
        WeightFile("GFPGANv1.3.pth", f"{GFPGAN_RELEASES}/v1.3.0/GFPGANv1.3.pth",
                   "c953a88f2727c85c3d9ae72e2bd4846bbaf59fe6972ad94130e23e7017524a70", 348632874,
                   "the GFPGAN v1.3 face restoration model"),
        WeightFile("GFPGANv1.4.pth", f"{GFPGAN_RELEASES}/v1.3.0/GFPGANv1.4.pth",
                   "e2cd4703ab14f4d01fd1383a8a8b266f9a5833dacee8e6a79d3bf21a1b6be5ad", 348632874,
                   "the GFPGAN v1.4 face restoration model"),
        WeightFile("detection_Resnet50_Final.pth", f"{FACEXLIB_RELEASES}/v0.1.0/detection_Resnet50_Final.pth",
                   "6d1de9c2944f2ccddca5f5e010ea5ae64a39845a86311af6fdf30841b0a5a16d", 109497761,
                   "facexlib's RetinaFace face detector"),
        WeightFile("parsing_parsenet.pth", f"{FACEXLIB_RELEASES}/v0.2.2/parsing_parsenet.pth",
                   "3d558d8d0e42c20224f13cf5a29c79eba2d59913419f945545d8cf7b72920de2", 85331193,
                   "facexlib's ParseNet face parser"),
    )
}

#: GFPGAN version -> its model file. Every version also needs the detector and the parser.
VERSIONS: dict[str, str] = {"1.3": "GFPGANv1.3.pth", "1.4": "GFPGANv1.4.pth"}
HELPER_FILES = ("detection_Resnet50_Final.pth", "parsing_parsenet.pth")


def weights_dir(config: Any) -> Path:
    """``[MODELS] GFPGAN_DIR``, else ``<cache dir>/gfpgan``."""
    configured = config.get("MODELS", "GFPGAN_DIR")
    return Path(configured).expanduser() if configured else Path(config.cache_dir) / "gfpgan"


def ensure_weights(version: str, directory: Path, *, mirror: str | None = None, download: bool = True,
                   timeout: float = 60) -> dict[str, Path]:
    """The paths of the files GFPGAN ``version`` needs, downloading the missing ones into ``directory``.

    Raises:
        WeightsNotFound: a file is missing and could not be downloaded (the message says what to put where).
        ChecksumMismatch: a download is not the published file.

    Example::

        paths = ensure_weights('1.4', Path('~/models/gfpgan').expanduser())
        paths['GFPGANv1.4.pth']
    """
    paths = {}
    for name in (VERSIONS[version], *HELPER_FILES):
        file = WEIGHTS[name]
        path = directory / name
        if not path.is_file():
            if not download:
                raise WeightsNotFound(file, directory)
            url = f"{mirror.rstrip('/')}/{name}" if mirror else file.url
            try:
                download_file(url, path, sha256=file.sha256, timeout=timeout)
            except (OSError, http.client.HTTPException) as error:
                raise WeightsNotFound(file, directory, url, error) from error
        paths[name] = path
    return paths


def download_file(url: str, destination: Path, *, sha256: str | None = None, timeout: float = 60,
                  progress: bool = True) -> Path:
    """Download ``url`` to ``destination`` with a progress bar; check its SHA-256; never leave a partial file.

    Example::

        download_file(WEIGHTS['parsing_parsenet.pth'].url, Path('parsing_parsenet.pth'),
                      sha256=WEIGHTS['parsing_parsenet.pth'].sha256)
    """
    from tqdm import tqdm

    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f"{destination.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    log.info("downloading %s to %s", url, destination)
    request = urllib.request.Request(url, headers={"User-Agent": "dosaku-modules-tencent"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, partial.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=destination.name, disable=not progress) as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
        if sha256 is not None and digest.hexdigest() != sha256:
            raise ChecksumMismatch(destination.name, url, sha256, digest.hexdigest(), destination)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination
