"""RestoreFaces contract with GFPGAN (dosaku-modules-tencent, test-made random weights) placed on the worker node.

Runs when the Tencent pack is installed (it is in CI once it is on main)."""
from __future__ import annotations

import pytest
from dosaku.testing import RestoreFacesContract
from ray_test_helpers import assert_on_worker, ray_config

pytestmark = pytest.mark.slow


class TestGFPGANOnRay(RestoreFacesContract):
    @pytest.fixture(scope="class")
    @classmethod
    def placed(cls, ray_cluster, tmp_path_factory):
        pytest.importorskip("dosaku_tencent")
        from dosaku.config import Config
        from dosaku.testing import isolated_agent
        from dosaku_tencent.random_weights import write_random_weights

        weights = tmp_path_factory.mktemp("gfpgan-weights")
        write_random_weights(weights)
        agent = isolated_agent(entry_points=True, config=ray_config())
        agent.learn("RestoreFaces", module="GFPGAN", placement="ray", upscale=2, device="cpu",
                    weights_dir=str(weights), download=False, max_faces=1,
                    config=Config(path=weights / "no-config.ini", environ={}))
        assert_on_worker(agent.RestoreFaces.module, ray_cluster)
        yield agent
        agent.unlearn("RestoreFaces")

    @pytest.fixture
    def restorer(self, placed):
        return placed.RestoreFaces

    @pytest.fixture
    def face_image(self):
        from PIL import Image, ImageDraw

        image = Image.new("RGB", (64, 64), (90, 120, 160))
        draw = ImageDraw.Draw(image)
        draw.ellipse((12, 6, 52, 58), fill=(224, 180, 150))
        draw.ellipse((22, 22, 28, 27), fill=(40, 30, 30))
        draw.ellipse((36, 22, 42, 27), fill=(40, 30, 30))
        return image
