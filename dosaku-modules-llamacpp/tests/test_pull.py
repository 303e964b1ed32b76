"""``pull`` against a real loopback Hugging Face (HTTP on 127.0.0.1): verified, resumable, refused early when it
cannot fit, and never leaving a half or corrupt file where a model is looked for."""
from __future__ import annotations

import fcntl
import shutil
import threading

import pytest
from dosaku.config import Config
from dosaku_llamacpp.errors import (
    CatalogError,
    ChecksumMismatch,
    ChecksumUnknown,
    ModelDownloadFailed,
    NotEnoughDisk,
    NotEnoughMemory,
    PullCancelled,
    PullInProgress,
    UnknownModel,
)
from dosaku_llamacpp.local_models import dosaku_models, models_dir, read_record
from dosaku_llamacpp.machine import Memory
from dosaku_llamacpp.pull import pull
from dosaku_llamacpp.testing import HuggingFaceFiles, sha256_of
from models_helpers import TINY, TINY_KEY, tiny_entry, write_user_catalog

PLENTY = Memory(total=64 * 10**9, available=60 * 10**9)


def files_in(directory):
    return sorted(path.name for path in directory.iterdir()) if directory.exists() else []


def test_pull_downloads_verifies_and_renames_into_place(hf, smollm2_file, smollm2_sha256):
    seen = []
    model = pull(TINY, Config(), progress=lambda done, total: seen.append((done, total)), memory=PLENTY)
    directory = models_dir(Config())
    assert model.path == directory / "tiny-chat-q4_1.gguf" and model.verified and model.sha256 == smollm2_sha256
    assert sha256_of(model.path) == smollm2_sha256
    assert files_in(directory) == ["tiny-chat-q4_1.gguf", "tiny-chat-q4_1.gguf.json"]  # no .part left
    record = read_record(model.path)
    assert record["name"] == TINY and record["verified"] is True and record["url"] == hf.url_of(TINY_KEY)
    size = smollm2_file.stat().st_size
    assert seen[-1] == (size, size) and [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert [request.path.split("/")[1] for request in hf.requests] == ["test-org", "cdn"]  # followed the redirect
    assert [model.name for model in dosaku_models(Config())] == [TINY]


def test_a_model_already_pulled_is_not_downloaded_again(hf):
    first = pull(TINY, Config(), memory=PLENTY)
    before = len(hf.requests)
    again = pull(TINY, Config(), memory=PLENTY)
    assert again.path == first.path and again.verified and len(hf.requests) == before


def test_a_cut_transfer_keeps_its_part_and_the_next_pull_resumes_with_a_range(hf, smollm2_file, smollm2_sha256):
    size = smollm2_file.stat().st_size
    half = size // 2
    hf.cut_after(half)
    with pytest.raises(ModelDownloadFailed) as raised:
        pull(TINY, Config(), retries=0, memory=PLENTY)
    message = str(raised.value)
    directory = models_dir(Config())
    assert hf.url_of(TINY_KEY) in message and "resume" in message and str(directory / "tiny-chat-q4_1.gguf") in message
    assert files_in(directory) == ["tiny-chat-q4_1.gguf.part"]  # never where a model is looked for
    assert (directory / "tiny-chat-q4_1.gguf.part").stat().st_size == half
    assert dosaku_models(Config()) == []

    model = pull(TINY, Config(), memory=PLENTY)
    assert hf.transfers[-1].headers["range"] == f"bytes={half}-"
    assert hf.bytes_sent == size  # half, then the other half: nothing fetched twice
    assert sha256_of(model.path) == smollm2_sha256 and model.verified


def test_a_cut_is_retried_within_one_pull(hf, smollm2_file, smollm2_sha256):
    hf.cut_after(10_000_000, times=2)
    model = pull(TINY, Config(), memory=PLENTY)
    assert [seen.headers.get("range") for seen in hf.transfers] == [None, "bytes=10000000-", "bytes=20000000-"]
    assert sha256_of(model.path) == smollm2_sha256


def test_a_corrupted_byte_is_refused_and_nothing_is_kept(hf, smollm2_sha256):
    hf.corrupt(offset=12_345_678)
    with pytest.raises(ChecksumMismatch) as raised:
        pull(TINY, Config(), memory=PLENTY)
    assert smollm2_sha256 in str(raised.value) and "deleted and not used" in str(raised.value)
    assert raised.value.actual != smollm2_sha256
    assert files_in(models_dir(Config())) == []


def test_a_server_that_ignores_range_starts_over_cleanly(hf, smollm2_file, smollm2_sha256):
    hf.cut_after(5_000_000)
    with pytest.raises(ModelDownloadFailed):
        pull(TINY, Config(), retries=0, memory=PLENTY)
    hf.ignore_range()
    model = pull(TINY, Config(), memory=PLENTY)
    assert sha256_of(model.path) == smollm2_sha256


def test_not_enough_disk_is_refused_before_any_request_with_the_numbers(hf):
    with pytest.raises(NotEnoughDisk) as raised:
        pull(TINY, Config(), free_disk=1_000_000, memory=PLENTY)
    assert "98 MB more" in str(raised.value) and "only 1.00 MB is free" in str(raised.value)
    assert str(models_dir(Config())) in str(raised.value)
    assert hf.requests == []


def test_the_disk_check_counts_what_a_part_already_holds(hf, smollm2_file):
    size = smollm2_file.stat().st_size
    hf.cut_after(size - 1_000_000)
    with pytest.raises(ModelDownloadFailed):
        pull(TINY, Config(), retries=0, memory=PLENTY)
    model = pull(TINY, Config(), free_disk=1_000_000, memory=PLENTY)  # exactly the missing megabyte
    assert model.verified


def test_a_machine_whose_ram_cannot_hold_the_model_is_refused_with_the_numbers(hf):
    with pytest.raises(NotEnoughMemory) as raised:
        pull(TINY, Config(), memory=Memory(total=200_000_000, available=100_000_000))
    message = str(raised.value)
    assert "tiny-chat needs about 400 MB of RAM" in message and "200 MB in all" in message
    assert "--ignore-memory" in message
    assert hf.requests == []
    model = pull(TINY, Config(), memory=Memory(total=200_000_000, available=100_000_000), ignore_memory=True)
    assert model.verified


def test_real_measurements_are_used_when_none_are_given(hf):
    assert pull(TINY, Config()).verified  # this machine has the RAM and disk for 98 MB


def test_http_errors_name_the_url_and_how_to_put_the_file_in_place(hf):
    hf.fail(404)
    with pytest.raises(ModelDownloadFailed) as raised:
        pull(TINY, Config(), memory=PLENTY)
    message = str(raised.value)
    assert "HTTP 404" in message and hf.url_of(TINY_KEY) in message and "put it in place by hand" in message
    assert len(hf.transfers) == 1  # a 404 is not retried


def test_server_errors_are_retried(hf, smollm2_sha256):
    hf.fail(503, times=2)
    assert pull(TINY, Config(), memory=PLENTY).sha256 == smollm2_sha256
    assert len(hf.transfers) == 3


def test_no_network_says_which_url_failed(dosaku_home, smollm2_file, smollm2_sha256, monkeypatch):
    with HuggingFaceFiles({TINY_KEY: smollm2_file}) as server:
        endpoint = server.url  # a port on which nothing listens once the server stops
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    write_user_catalog(dosaku_home, {TINY: tiny_entry(smollm2_file.stat().st_size, smollm2_sha256)})
    with pytest.raises(ModelDownloadFailed) as raised:
        pull(TINY, Config(), memory=PLENTY, retries=1)
    assert "refused" in str(raised.value) and f"{endpoint}/test-org/Tiny-Chat-GGUF/resolve/main/" in str(raised.value)
    assert files_in(models_dir(Config())) == []


def test_a_stalled_transfer_times_out(hf):
    hf.stall(3.0, times=2)
    with pytest.raises(ModelDownloadFailed, match=r"no data came for 0.5 s \(the transfer stalled\)"):
        pull(TINY, Config(), memory=PLENTY, timeout=0.5, retries=1)


def test_an_unknown_name_lists_close_matches_and_sends_nothing(hf):
    with pytest.raises(UnknownModel) as raised:
        pull("qwen2.5-1.5", Config(), memory=PLENTY)
    assert "qwen2.5-1.5b" in raised.value.close_matches and "Did you mean" in str(raised.value)
    assert hf.requests == []


def test_a_url_is_verified_by_the_sha256_hugging_face_sends(hf, smollm2_sha256):
    model = pull(hf.url_of(TINY_KEY), Config(), memory=PLENTY)
    assert model.name == "tiny-chat-q4_1" and model.verified and model.sha256 == smollm2_sha256


def test_a_url_without_a_known_checksum_is_refused_unless_asked(dosaku_home, smollm2_file, smollm2_sha256):
    with HuggingFaceFiles({TINY_KEY: smollm2_file}, linked_etag=False) as server:
        url = server.url_of(TINY_KEY)
        with pytest.raises(ChecksumUnknown, match="--sha256 HEX.*--no-verify"):
            pull(url, Config(), memory=PLENTY)
        assert files_in(models_dir(Config())) == []
        unverified = pull(url, Config(), memory=PLENTY, verify=False, name="mine")
        assert unverified.name == "mine" and unverified.verified is False and unverified.sha256 == smollm2_sha256
        assert read_record(unverified.path)["verified"] is False
        unverified.path.unlink()
        verified = pull(url, Config(), memory=PLENTY, sha256=smollm2_sha256.upper())
        assert verified.verified


def test_a_url_pull_with_the_wrong_sha256_is_refused(hf):
    with pytest.raises(ChecksumMismatch):
        pull(hf.url_of(TINY_KEY), Config(), memory=PLENTY, sha256="0" * 64)
    assert files_in(models_dir(Config())) == []


def test_a_url_must_name_a_gguf_file(hf):
    with pytest.raises(CatalogError, match="ending in .gguf"):
        pull(hf.url + "/x/y/resolve/main/weights.bin", Config())


def test_a_catalog_entry_without_checksum_needs_no_verify(hf, dosaku_home, smollm2_file):
    write_user_catalog(dosaku_home, {TINY: tiny_entry(smollm2_file.stat().st_size, None)})
    with pytest.raises(ChecksumUnknown, match="the catalog entry 'tiny-chat'"):
        pull(TINY, Config(), memory=PLENTY)
    assert hf.requests == []
    hf.linked_etag = False
    model = pull(TINY, Config(), memory=PLENTY, verify=False)
    assert model.verified is False


def test_a_file_put_in_place_by_hand_is_checked_in_place(hf, smollm2_file):
    directory = models_dir(Config())
    directory.mkdir(parents=True)
    shutil.copy(smollm2_file, directory / "tiny-chat-q4_1.gguf")
    model = pull(TINY, Config(), memory=PLENTY)
    assert model.verified and hf.requests == []


def test_a_wrong_file_put_in_place_by_hand_is_refused_and_left_alone(hf):
    directory = models_dir(Config())
    directory.mkdir(parents=True)
    (directory / "tiny-chat-q4_1.gguf").write_bytes(b"GGUF not really")
    with pytest.raises(ChecksumMismatch, match="Delete it and pull the model again"):
        pull(TINY, Config(), memory=PLENTY)
    assert (directory / "tiny-chat-q4_1.gguf").read_bytes() == b"GGUF not really"


def test_a_pull_can_be_cancelled_and_resumed(hf, smollm2_sha256):
    hf.rate = 20_000_000
    cancel = threading.Event()

    def progress(done, total):
        if done > 5_000_000:
            cancel.set()

    with pytest.raises(PullCancelled):
        pull(TINY, Config(), memory=PLENTY, progress=progress, cancel=cancel)
    part = models_dir(Config()) / "tiny-chat-q4_1.gguf.part"
    assert part.stat().st_size > 5_000_000
    hf.rate = None
    assert pull(TINY, Config(), memory=PLENTY).sha256 == smollm2_sha256


def test_two_pulls_of_one_file_do_not_write_it_at_once(hf):
    directory = models_dir(Config())
    directory.mkdir(parents=True)
    with open(directory / "tiny-chat-q4_1.gguf.part", "a+b") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        with pytest.raises(PullInProgress, match="already being downloaded"):
            pull(TINY, Config(), memory=PLENTY)
    assert hf.requests == []


def test_background_pulls_share_one_job_per_model_and_report_progress(hf, smollm2_sha256):
    from dosaku_llamacpp.background import BackgroundPulls

    hf.rate = 40_000_000
    pulls = BackgroundPulls()
    job = pulls.start(TINY, Config(), memory=PLENTY)
    assert pulls.start(TINY, Config(), memory=PLENTY) is job  # a second ask joins the running download
    job.thread.join(timeout=60)
    assert job.state == "done" and job.fraction == 1.0 and job.model.sha256 == smollm2_sha256
    assert job.describe() == "tiny-chat: downloaded and verified (98 MB)."
    assert len(hf.transfers) == 1 and pulls.job("TINY-CHAT") is job


def test_a_background_pull_reports_failure_and_cancellation(hf):
    from dosaku_llamacpp.background import BackgroundPulls

    pulls = BackgroundPulls()
    failed = pulls.start("qwen2.5-0.5b", Config(), memory=PLENTY)  # not on the loopback server: 404
    failed.thread.join(timeout=60)
    assert failed.state == "failed" and "HTTP 404" in failed.error and "failed" in failed.describe()
    hf.rate = 5_000_000
    job = pulls.start(TINY, Config(), memory=PLENTY)
    while job.done < 1_000_000 and job.running:
        job.thread.join(timeout=0.05)
    assert job.running and "%" in job.describe()
    job.cancel()
    job.thread.join(timeout=60)
    assert job.state == "cancelled" and "resume" in job.error


@pytest.mark.parametrize("setting", ["No", "yes"])
def test_pulls_with_and_without_flushing_to_disk_as_they_go(hf, smollm2_sha256, monkeypatch, setting):
    from dosaku_llamacpp import download

    monkeypatch.setattr(download, "FLUSH_EVERY", 4 << 20)  # many flushes for a 98 MB file
    config = Config()
    config.set("LLAMACPP", "DOWNLOAD_FSYNC", setting)
    hf.cut_after(30_000_000)
    model = pull(TINY, config, memory=PLENTY)
    assert model.sha256 == smollm2_sha256 and sha256_of(model.path) == smollm2_sha256
