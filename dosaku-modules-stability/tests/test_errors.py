"""Clipdrop's error statuses, timeouts and lost connections become clear errors; retries are bounded."""
from __future__ import annotations

import pytest
from dosaku.config import Config
from dosaku.errors import (
    OutOfCredits,
    ServiceAuthError,
    ServiceError,
    ServiceRateLimited,
    ServiceRequestRejected,
    ServiceTimeout,
    ServiceUnavailable,
)
from dosaku_stability.clipdrop import Clipdrop
from dosaku_stability.testing import FakeClipdropServer
from PIL import Image

FAST = {"Retry-After": "0"}


@pytest.fixture
def clipdrop(dosaku_config: Config, server: FakeClipdropServer) -> Clipdrop:
    dosaku_config.set("CLIPDROP", "BACKOFF_S", "0.01")
    return Clipdrop(host=server.url, api_key=server.api_key, config=dosaku_config, max_retries=2, timeout=5)


def test_wrong_key_is_an_auth_error_without_the_key(dosaku_config: Config, server: FakeClipdropServer) -> None:
    wrong = "clipdrop-wrong-key-0123456789"
    with pytest.raises(ServiceAuthError, match=r"refused the API key \(HTTP 403\).*CLIPDROP_API_KEY.*\[API_KEYS\] "
                                               r"CLIPDROP.*Invalid api key") as caught:
        Clipdrop(host=server.url, api_key=wrong, config=dosaku_config).text_to_image("x")
    assert wrong not in str(caught.value) and len(server.requests) == 1


def test_401(clipdrop: Clipdrop, server: FakeClipdropServer) -> None:
    server.fail(401, body={"error": "No api key provided"})
    with pytest.raises(ServiceAuthError, match=r"HTTP 401.*No api key provided"):
        clipdrop.text_to_image("x")


def test_402_out_of_credits(clipdrop: Clipdrop, server: FakeClipdropServer) -> None:
    server.credits = 0
    with pytest.raises(OutOfCredits, match=r"no credits left \(HTTP 402\).*Not enough credits"):
        clipdrop.remove_background(Image.new("RGB", (8, 8)))
    assert len(server.requests) == 1


def test_429_retried_then_ok_then_rate_limited(clipdrop: Clipdrop, server: FakeClipdropServer) -> None:
    server.fail(429, times=2, headers=FAST)
    assert clipdrop.text_to_image("x").size == (1024, 1024)
    assert len(server.requests) == 3
    server.fail(429, times=3, headers=FAST)
    with pytest.raises(ServiceRateLimited, match=r"kept answering 429 \(too many requests\) after 2 retries"):
        clipdrop.text_to_image("x")
    assert len(server.requests) == 6


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_retried_then_unavailable(clipdrop: Clipdrop, server: FakeClipdropServer, status: int) -> None:
    server.fail(status, times=3, headers=FAST)
    with pytest.raises(ServiceUnavailable, match=rf"failed with HTTP {status} after 2 retries"):
        clipdrop.reimagine(Image.new("RGB", (8, 8)))
    assert len(server.requests) == 3


@pytest.mark.parametrize("status", [400, 406])
def test_4xx_rejected_without_retry(clipdrop: Clipdrop, server: FakeClipdropServer, status: int) -> None:
    server.fail(status, body={"error": "Bad field"})
    with pytest.raises(ServiceRequestRejected, match=rf"rejected the request \(HTTP {status}\).*Bad field"):
        clipdrop.text_to_image("x")
    assert len(server.requests) == 1


def test_timeout_bounded(dosaku_config: Config, server: FakeClipdropServer) -> None:
    dosaku_config.set("CLIPDROP", "BACKOFF_S", "0.01")
    slow = Clipdrop(host=server.url, api_key=server.api_key, config=dosaku_config, max_retries=1, timeout=0.3)
    server.stall(3.0, times=2)
    with pytest.raises(ServiceTimeout, match=r"did not answer within 0.3 s \(after 1 retries\)"):
        slow.text_to_image("x")
    assert len(server.requests) == 2


def test_unreachable_host(dosaku_config: Config) -> None:
    with FakeClipdropServer() as gone:
        url, key = gone.url, gone.api_key
    with pytest.raises(ServiceUnavailable, match=r"could not reach http://127.0.0.1:\d+/text-to-image/v1"):
        Clipdrop(host=url, api_key=key, config=dosaku_config, max_retries=0).text_to_image("x")


def test_not_an_image_back(clipdrop: Clipdrop, server: FakeClipdropServer) -> None:
    server.handle = lambda request, reply: reply.send(200, b"garbage", "image/png")  # type: ignore[method-assign]
    with pytest.raises(ServiceError, match="answered with data that is not an image"):
        clipdrop.text_to_image("x")


def test_failed_calls_cost_nothing(clipdrop: Clipdrop, server: FakeClipdropServer) -> None:
    server.fail(500, times=3, headers=FAST)
    with pytest.raises(ServiceUnavailable):
        clipdrop.text_to_image("x")
    [row] = clipdrop.meter.ledger.rows()
    assert (row.requests, row.cost_usd) == (1, 0.0)
