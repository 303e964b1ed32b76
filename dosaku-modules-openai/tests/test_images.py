"""OpenAITextToImage against the loopback server."""
from __future__ import annotations

from typing import Any

import pytest
from dosaku.errors import ServiceAuthError, SpendLimitExceeded
from dosaku.testing import TextToImageContract
from dosaku_openai.images import OpenAITextToImage
from dosaku_openai.testing import FakeOpenAIServer


class TestOpenAITextToImageContract(TextToImageContract):
    @pytest.fixture
    def text_to_image(self, make_agent: Any) -> Any:
        agent = make_agent()
        agent.learn("TextToImage", module="OpenAITextToImage", size="256x256")
        return agent.TextToImage


def test_image_comes_back_as_pil_of_the_asked_size(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    from PIL import Image

    agent = make_agent()
    agent.learn("TextToImage", module="OpenAITextToImage")
    image = agent.TextToImage(prompt="a lighthouse", size="512x256")
    assert isinstance(image, Image.Image) and image.size == (512, 256)
    sent = openai_env.requests[-1]
    assert sent.path == "/v1/images/generations"
    assert sent.json == {"model": "dall-e-3", "prompt": "a lighthouse", "size": "512x256", "n": 1,
                         "response_format": "b64_json"}


def test_empty_prompt_sends_nothing(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent()
    agent.learn("TextToImage", module="OpenAITextToImage")
    with pytest.raises(ValueError, match="needs a non-empty prompt"):
        agent.TextToImage(prompt="  ")
    assert openai_env.requests == []


def test_image_spend_limit(make_agent: Any, openai_env: FakeOpenAIServer) -> None:
    agent = make_agent(spend_limit_usd=0.1)  # one DALL-E 3 image (0.08) fits, a second does not
    agent.learn("TextToImage", module="OpenAITextToImage", size="256x256")
    agent.TextToImage(prompt="one")
    with pytest.raises(SpendLimitExceeded, match=r"could cost up to \$0.0800"):
        agent.TextToImage(prompt="two")
    assert len(openai_env.requests) == 1


def test_image_auth_error(dosaku_config: Any, server: FakeOpenAIServer) -> None:
    images = OpenAITextToImage(base_url=server.base_url, api_key="sk-bad-0123456789abcdef", config=dosaku_config)
    with pytest.raises(ServiceAuthError, match="OPENAI_API_KEY") as caught:
        images.text_to_image("x")
    assert "sk-bad-0123456789abcdef" not in str(caught.value)
