"""The errors of the Tencent pack: each says what was wrong and how to fix it."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dosaku.errors import DosakuError

if TYPE_CHECKING:
    from dosaku_tencent.weights import WeightFile


class WeightsNotFound(DosakuError, FileNotFoundError):
    """A weight file is not on disk and could not be downloaded."""

    def __init__(self, file: WeightFile, directory: Path, url: str | None = None, reason: object = None):
        self.file, self.directory, self.url = file, directory, url
        tried = f" and could not be downloaded from {url} ({reason})" if url else " (downloads are turned off)"
        super().__init__(
            f"GFPGAN needs the weight file {file.name} ({file.what}, about {file.size_mb} MB), which is not in "
            f"{directory}{tried}. Download it from {file.url} and put it at {directory / file.name}, or set "
            f"[MODELS] GFPGAN_DIR in your config.ini (or the environment variable DOSAKU_MODELS__GFPGAN_DIR) to a "
            f"folder that holds it."
        )


class ChecksumMismatch(DosakuError):
    """A downloaded file is not the file the release published."""

    def __init__(self, name: str, url: str, expected: str, actual: str, destination: Path):
        self.expected, self.actual = expected, actual
        super().__init__(
            f"The download of {name} from {url} has SHA-256 {actual}, but the published file has {expected}: "
            f"the download is damaged or is not the official file, so it was deleted. Try again, or download it "
            f"yourself and put it at {destination}."
        )


class InvalidImage(DosakuError, ValueError):
    """The input is not an image GFPGAN can restore."""
