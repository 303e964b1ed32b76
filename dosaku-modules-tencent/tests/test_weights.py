"""Weight files: the configured folder, downloads over real HTTP from a local server (progress bar, SHA-256,
no partial files), and the error that says which file to put where when there is no network."""
from __future__ import annotations

import functools
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest
from dosaku import Config
from dosaku_tencent.errors import ChecksumMismatch, WeightsNotFound
from dosaku_tencent.weights import WEIGHTS, download_file, ensure_weights, weights_dir


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on 127.0.0.1 serving ``tmp_path / 'served'`` (stopped after the test)."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


def test_download_has_a_progress_bar_and_checks_the_sha256(server, tmp_path, capsys):
    root, url = server
    payload = b"weights" * 300_000
    (root / "model.pth").write_bytes(payload)
    target = tmp_path / "cache" / "model.pth"
    download_file(f"{url}/model.pth", target, sha256=hashlib.sha256(payload).hexdigest())
    assert target.read_bytes() == payload
    assert list(target.parent.iterdir()) == [target]  # no .part left behind
    progress = capsys.readouterr().err
    assert "model.pth" in progress and "100%" in progress


def test_a_download_with_the_wrong_sha256_is_deleted(server, tmp_path):
    root, url = server
    (root / "model.pth").write_bytes(b"not the published file")
    target = tmp_path / "cache" / "model.pth"
    with pytest.raises(ChecksumMismatch, match=r"has SHA-256 [0-9a-f]{64}, but the published file has 0{64}"):
        download_file(f"{url}/model.pth", target, sha256="0" * 64, progress=False)
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_a_mirror_serving_other_files_fails_the_checksum(server, weights, tmp_path):
    root, url = server
    (root / "GFPGANv1.4.pth").symlink_to(weights / "GFPGANv1.4.pth")  # random weights, not the published ones
    with pytest.raises(ChecksumMismatch, match="GFPGANv1.4.pth"):
        ensure_weights("1.4", tmp_path / "cache", mirror=url)
    assert not (tmp_path / "cache" / "GFPGANv1.4.pth").exists()


def test_offline_says_which_file_to_put_where(tmp_path):
    from dosaku_tencent.gfpgan import GFPGAN

    config = Config(path=tmp_path / "config.ini", environ={})
    config.set("MODELS", "GFPGAN_MIRROR", f"http://127.0.0.1:{closed_port()}")
    folder = tmp_path / "models"
    with pytest.raises(WeightsNotFound) as caught:
        GFPGAN(device="cpu", weights_dir=folder, config=config)
    message = str(caught.value)
    assert "GFPGAN needs the weight file GFPGANv1.4.pth" in message
    assert "could not be downloaded from http://127.0.0.1:" in message
    assert f"put it at {folder / 'GFPGANv1.4.pth'}" in message
    assert WEIGHTS["GFPGANv1.4.pth"].url in message and "GFPGAN_DIR" in message
    assert not any(folder.glob("*.part"))


def test_with_downloads_off_a_missing_helper_file_is_named(weights, tmp_path):
    (tmp_path / "GFPGANv1.4.pth").symlink_to(weights / "GFPGANv1.4.pth")
    with pytest.raises(WeightsNotFound, match=r"detection_Resnet50_Final.pth \(facexlib's RetinaFace face detector"
                                              r", about 104 MB\).*\(downloads are turned off\)"):
        ensure_weights("1.4", tmp_path, download=False)


def test_the_folder_comes_from_the_config_else_the_cache(dosaku_home, monkeypatch, weights):
    assert weights_dir(Config()) == Path(dosaku_home / "cache" / "gfpgan")
    monkeypatch.setenv("DOSAKU_MODELS__GFPGAN_DIR", str(weights))
    assert weights_dir(Config()) == weights
    paths = ensure_weights("1.4", weights_dir(Config()), download=False)
    assert sorted(paths) == ["GFPGANv1.4.pth", "detection_Resnet50_Final.pth", "parsing_parsenet.pth"]


def test_published_files_are_pinned():
    assert WEIGHTS["GFPGANv1.4.pth"].url == (
        "https://github.com/TencentARC/GFPGAN/releases/download/v1.3.0/GFPGANv1.4.pth")
    assert WEIGHTS["detection_Resnet50_Final.pth"].url.endswith("/v0.1.0/detection_Resnet50_Final.pth")
    assert WEIGHTS["parsing_parsenet.pth"].url.endswith("/v0.2.2/parsing_parsenet.pth")
    assert all(len(file.sha256 or "") == 64 for file in WEIGHTS.values())
