"""Downloading a GGUF from a Hugging Face repository into the app's models folder, with
`huggingface_hub`: progress, cancel, resume (an interrupted download continues where it
stopped) and a checksum against the hub's SHA-256 of the file."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.engine.i18n import translate


class DownloadError(Exception):
    """The download could not be done; the message says why."""


class DownloadCancelled(DownloadError):
    """Stopped by the user; what arrived is kept, and the next attempt resumes from it."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None


def list_gguf_files(repo_id: str, revision: str = "main", endpoint: str | None = None,
                    token: str | None = None) -> list[RemoteFile]:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        info = HfApi(endpoint=endpoint, token=token).model_info(repo_id, revision=revision, files_metadata=True)
    except RepositoryNotFoundError:
        raise DownloadError(translate(
            "ModelDownload", "There is no repository '{repo}' (or it is private: give a token).").format(
            repo=repo_id)) from None
    except Exception as exc:  # HTTP errors, and the HTTP library's own connection errors
        raise DownloadError(translate("ModelDownload", "The hub could not be reached: {error}").format(
            error=exc)) from exc
    files = []
    for sibling in info.siblings or []:
        if sibling.rfilename.endswith(".gguf"):
            lfs = sibling.lfs
            files.append(RemoteFile(sibling.rfilename, int(sibling.size or (lfs.size if lfs else 0)),
                                    lfs.sha256 if lfs else None))
    return files


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def download_gguf(repo_id: str, filename: str, dest_dir: Path, on_progress: Callable[[int, int], None],
                  cancel: threading.Event, revision: str = "main", endpoint: str | None = None,
                  token: str | None = None) -> Path:
    """Fetch one file into dest_dir/<repo>/<filename>, resuming a `.part` file left by an earlier
    attempt; verify it against the hub's SHA-256; return its path.

    huggingface_hub resolves the file, its size and checksum, authenticates and provides the HTTP
    session; the transfer itself is done here because `hf_hub_download` deletes a partial file
    when it is interrupted, and a 4 GB model should not start again from zero.
    """
    from huggingface_hub import get_hf_file_metadata, get_session, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status

    target = Path(dest_dir) / repo_id.replace("/", "__") / filename
    part = target.with_name(target.name + ".part")
    url = hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
    try:
        meta = get_hf_file_metadata(url, token=token)
        etag = (meta.etag or "").strip('"')
        expected_sha256 = etag if len(etag) == 64 else None  # LFS files are tagged with their SHA-256
        total = int(meta.size or 0)
        if target.is_file() and target.stat().st_size == total and (
                expected_sha256 is None or sha256_of(target) == expected_sha256):
            on_progress(total, total)
            return target  # already here
        target.parent.mkdir(parents=True, exist_ok=True)
        done = part.stat().st_size if part.is_file() else 0
        headers = build_hf_headers(token=token)
        if done:
            headers["Range"] = f"bytes={done}-"
        with get_session().stream("GET", meta.location or url, headers=headers, follow_redirects=True,
                                  timeout=60) as response:
            hf_raise_for_status(response)
            if done and response.status_code != 206:  # the server sent the whole file again
                done = 0
            with open(part, "ab" if done else "wb") as out:
                on_progress(done, total)
                for chunk in response.iter_bytes(1 << 16):
                    if cancel.is_set():
                        raise DownloadCancelled(translate(
                            "ModelDownload",
                            "The download was cancelled; starting it again continues where it stopped."))
                    out.write(chunk)
                    done += len(chunk)
                    on_progress(done, total)
    except DownloadCancelled:
        raise
    except (RepositoryNotFoundError, EntryNotFoundError):
        raise DownloadError(translate("ModelDownload", "'{file}' is not in {repo}.").format(
            file=filename, repo=repo_id)) from None
    except Exception as exc:  # HTTP errors, and the HTTP library's own connection errors
        raise DownloadError(translate(
            "ModelDownload", "The download failed: {error}. Starting it again continues where it stopped.").format(
            error=exc)) from exc
    if expected_sha256:
        actual = sha256_of(part)
        if actual != expected_sha256:
            part.unlink(missing_ok=True)
            raise DownloadError(translate(
                "ModelDownload",
                "{file} arrived damaged (SHA-256 {actual}… is not the hub's {expected}…); it was deleted. "
                "Download it again.",
            ).format(file=filename, actual=actual[:12], expected=expected_sha256[:12]))
    part.replace(target)
    return target
