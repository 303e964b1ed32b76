"""Clipdrop services through the agent, against a loopback server speaking Clipdrop's formats."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dosaku import Agent
from dosaku.errors import MissingAPIKey, ServicePermissionRequired, SpendLimitExceeded
from dosaku.services import SpendLedger
from dosaku.testing import TextToImageContract
from dosaku_stability.inputs import InvalidImage
from dosaku_stability.testing import FakeClipdropServer, image_bytes
from PIL import Image


class TestClipdropTextToImageContract(TextToImageContract):
    @pytest.fixture
    def text_to_image(self, make_agent: Any) -> Any:
        agent = make_agent()
        agent.learn("TextToImage", module="ClipdropTextToImage")
        return agent.TextToImage


def test_readme_agent_smith_text_to_image(make_agent: Any, clipdrop_env: FakeClipdropServer) -> None:
    class AgentSmith(Agent):
        name = "AgentSmith"

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.learn("TextToImage", module="ClipdropTextToImage")

    base = make_agent(enable_services=False)
    agent = AgentSmith(enable_services=True, config=base.config, plugin_manager=base.plugin_manager)
    image = agent.TextToImage(prompt="machines rising above the chaos")
    assert isinstance(image, Image.Image) and image.size == (1024, 1024)
    sent = clipdrop_env.requests[-1]
    assert sent.path == "/text-to-image/v1" and sent.headers["x-api-key"] == clipdrop_env.api_key
    assert sent.form()["prompt"][2] == b"machines rising above the chaos"
    assert agent.loaded_modules == ["ClipdropTextToImage"]


def test_pack_tasks_are_learnable(make_agent: Any) -> None:
    agent = make_agent()
    for task in ("RemoveBackground", "Upscale", "RemoveText", "ReplaceBackground", "Inpaint", "SketchToImage",
                 "Reimagine"):
        assert task in agent.learnable_tasks
        agent.learn(task)  # the task's default module, Clipdrop
    assert agent.loaded_modules == ["Clipdrop"]
    assert agent.api("Upscale") == ["upscale"]
    assert "Upscale `image` to `width` x `height`" in agent.doc("Upscale", action="upscale").replace("``", "`")


ACTIONS = [
    ("RemoveBackground", lambda img: ((img,), {}), "/remove-background/v1", {"image_file"}, (300, 200), "PNG"),
    ("Upscale", lambda img: ((img,), {"width": 900, "height": 600}), "/image-upscaling/v1/upscale",
     {"image_file", "target_width", "target_height"}, (900, 600), "JPEG"),
    ("RemoveText", lambda img: ((img,), {}), "/remove-text/v1", {"image_file"}, (300, 200), "PNG"),
    ("ReplaceBackground", lambda img: ((img,), {"prompt": "on a beach"}), "/replace-background/v1",
     {"image_file", "prompt"}, (300, 200), "JPEG"),
    ("Inpaint", lambda img: ((img,), {"mask": Image.new("L", (300, 200), 0)}), "/cleanup/v1",
     {"image_file", "mask_file"}, (300, 200), "PNG"),
    ("Reimagine", lambda img: ((img,), {}), "/reimagine/v1/reimagine", {"image_file"}, (300, 200), "JPEG"),
]


@pytest.mark.parametrize(("task", "arguments", "path", "fields", "size", "fmt"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_every_action(make_agent: Any, clipdrop_env: FakeClipdropServer, task: str, arguments: Any, path: str,
                      fields: set[str], size: tuple[int, int], fmt: str) -> None:
    agent = make_agent()
    agent.learn(task)
    args, kwargs = arguments(Image.new("RGB", (300, 200), (1, 2, 3)))
    result = getattr(agent, task)(*args, **kwargs)
    assert isinstance(result, Image.Image) and result.size == size and result.format == fmt
    sent = clipdrop_env.requests[-1]
    form = sent.form()
    assert sent.path == path and set(form) == fields
    assert sent.headers["content-type"].startswith("multipart/form-data")
    upload = form["image_file"]
    assert upload[1] == "image/png" and Image.open(__import__("io").BytesIO(upload[2])).size == (300, 200)
    if task == "Upscale":
        assert (form["target_width"][2], form["target_height"][2]) == (b"900", b"600")


def test_sketch_to_image_and_inputs_as_bytes_and_paths(make_agent: Any, clipdrop_env: FakeClipdropServer,
                                                       tmp_path: Path) -> None:
    agent = make_agent()
    agent.learn("SketchToImage")
    sketch = tmp_path / "owl.jpg"
    sketch.write_bytes(image_bytes((512, 512), "JPEG"))
    result = agent.SketchToImage(sketch, prompt="an owl")
    assert result.size == (1024, 1024) and result.format == "JPEG"
    form = clipdrop_env.requests[-1].form()
    assert form["sketch_file"][1] == "image/jpeg" and form["prompt"][2] == b"an owl"
    agent.learn("RemoveBackground")
    assert agent.RemoveBackground(image_bytes((64, 48), "WEBP")).size == (64, 48)
    assert clipdrop_env.requests[-1].form()["image_file"][1] == "image/webp"


BAD_INPUTS = [
    ("RemoveBackground", lambda: ((b"this is not an image",), {}), "not an image that can be read"),
    ("RemoveBackground", lambda: ((12345,), {}), "must be a PIL image, the bytes of a PNG/JPEG/WebP file, or a path"),
    ("RemoveBackground", lambda: (("/no/such/file.png",), {}), "is not a file"),
    ("RemoveBackground", lambda: ((Image.new("RGB", (5001, 5001)),), {}), "takes at most 25 megapixels"),
    ("RemoveBackground", lambda: ((b"\x89PNG" + b"0" * (30 * 1024 * 1024),), {}), "takes at most 30 MB"),
    ("RemoveText", lambda: ((image_bytes((64, 64), "WEBP"),), {}), "is WEBP; remove-text takes PNG/JPEG"),
    ("Upscale", lambda: ((Image.new("RGB", (8, 8)),), {"width": 5000, "height": 10}), "from 1 to 4096, not 5000"),
    ("Upscale", lambda: ((Image.new("RGB", (4001, 4001)),), {"width": 100, "height": 100}), "at most 16 megapixels"),
    ("ReplaceBackground", lambda: ((Image.new("RGB", (2049, 10)),), {"prompt": ""}), "at most 2048 pixels a side"),
    ("Reimagine", lambda: ((Image.new("RGB", (1025, 10)),), {}), "at most 1024 pixels a side"),
    ("SketchToImage", lambda: ((Image.new("RGB", (512, 256)),), {"prompt": "x"}), "takes only square images"),
    ("SketchToImage", lambda: ((Image.new("RGB", (64, 64)),), {"prompt": "x" * 5001}), "at most 5000"),
    ("Inpaint", lambda: ((Image.new("RGB", (64, 64)),), {"mask": Image.new("L", (32, 32))}), "must be the same size"),
    ("Inpaint", lambda: ((Image.new("RGB", (64, 64)),), {"mask": image_bytes((64, 64), "JPEG")}),
     "is JPEG; cleanup-mask takes PNG"),
]


@pytest.mark.parametrize(("task", "arguments", "message"), BAD_INPUTS, ids=[m for _, _, m in BAD_INPUTS])
def test_bad_inputs_are_refused_before_any_request(make_agent: Any, clipdrop_env: FakeClipdropServer, task: str,
                                                   arguments: Any, message: str) -> None:
    agent = make_agent()
    agent.learn(task)
    args, kwargs = arguments()
    with pytest.raises((InvalidImage, ValueError), match=message):
        getattr(agent, task)(*args, **kwargs)
    assert clipdrop_env.requests == []


def test_text_to_image_prompt_limits(make_agent: Any, clipdrop_env: FakeClipdropServer) -> None:
    agent = make_agent()
    agent.learn("TextToImage", module="ClipdropTextToImage")
    with pytest.raises(ValueError, match="1001 characters; text-to-image takes at most 1000"):
        agent.TextToImage(prompt="x" * 1001)
    with pytest.raises(TypeError, match="must be a str"):
        agent.TextToImage(prompt=None)
    assert clipdrop_env.requests == []


def test_without_services_nothing_is_sent(make_agent: Any, clipdrop_env: FakeClipdropServer) -> None:
    agent = make_agent(enable_services=False)
    for task, module in (("TextToImage", "ClipdropTextToImage"), ("RemoveBackground", None), ("Upscale", None)):
        with pytest.raises(ServicePermissionRequired, match="services"):
            agent.learn(task, module=module)
    assert agent.tasks == [] and clipdrop_env.requests == []


def test_missing_key_is_clear(make_agent: Any, monkeypatch: pytest.MonkeyPatch, clipdrop_env: FakeClipdropServer
                              ) -> None:
    monkeypatch.delenv("CLIPDROP_API_KEY")
    agent = make_agent()
    with pytest.raises(MissingAPIKey, match="No API key for CLIPDROP.*CLIPDROP_API_KEY"):
        agent.learn("TextToImage", module="ClipdropTextToImage")
    assert clipdrop_env.requests == []


def test_every_call_is_metered(make_agent: Any, clipdrop_env: FakeClipdropServer) -> None:
    agent = make_agent()
    agent.learn("RemoveBackground")
    agent.learn("Upscale")
    agent.RemoveBackground(Image.new("RGB", (32, 32)))
    agent.Upscale(Image.new("RGB", (32, 32)), width=2000, height=1500)  # 3 megapixels: 3 credits
    rows = {r.model: r for r in SpendLedger.for_config(agent.config).rows()}
    assert rows["clipdrop-remove-background"].requests == 1
    assert rows["clipdrop-remove-background"].cost_usd == pytest.approx(0.02)
    assert rows["clipdrop-image-upscaling"].cost_usd == pytest.approx(0.06)
    assert {r.service for r in rows.values()} == {"Clipdrop"}


def test_spend_limit_sends_nothing_past_it(make_agent: Any, clipdrop_env: FakeClipdropServer) -> None:
    agent = make_agent(spend_limit_usd=0.05)  # two credits at 0.02
    agent.config.set("PRICES", "clipdrop", "call=0.02")
    agent.learn("Reimagine")
    agent.Reimagine(Image.new("RGB", (16, 16)))
    agent.Reimagine(Image.new("RGB", (16, 16)))
    with pytest.raises(SpendLimitExceeded, match=r"could cost up to \$0.0200 but \$0.0400 of the \$0.05"):
        agent.Reimagine(Image.new("RGB", (16, 16)))
    agent.learn("Upscale")
    with pytest.raises(SpendLimitExceeded):
        agent.Upscale(Image.new("RGB", (16, 16)), width=100, height=100)
    assert len(clipdrop_env.requests) == 2
