"""draw_images saves a real PNG when there is no display."""
from __future__ import annotations

import pytest
from dosaku import DosakuError


def test_draw_images_saves_a_png(tmp_path, monkeypatch):
    from dosaku.utils import draw_images
    from PIL import Image

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    red, gray = Image.new("RGB", (32, 24), "red"), Image.new("L", (16, 16), 128)
    red.save(tmp_path / "red.png")
    path = draw_images((tmp_path / "red.png", gray), labels=("Original", "Restoration"), save_to=tmp_path / "out.png")
    assert path == tmp_path / "out.png"
    with Image.open(path) as drawn:
        assert drawn.format == "PNG" and drawn.width > drawn.height
    default = draw_images([red])
    assert default.suffix == ".png" and default.stat().st_size > 0
    default.unlink()


def test_draw_images_errors():
    from dosaku.utils import draw_images
    from PIL import Image

    with pytest.raises(DosakuError, match="got 1 images but 2 labels"):
        draw_images([Image.new("RGB", (4, 4))], labels=("a", "b"))
    with pytest.raises(DosakuError, match="got no images"):
        draw_images([])
