"""Downloading a GGUF from a Hugging Face repository into the app's models folder, with
`huggingface_hub`: progress, cancel, resume (an interrupted download continues where it
stopped) and a checksum against the hub's SHA-256 of the file.

A hub is not trusted further than it has to be, whether it is huggingface.co or any address
typed in "Hub address": the names it lists are never paths (a file lands below the models
folder or nowhere), it gets no more bytes written than it declared, a resumed transfer must
continue exactly where it was asked to, and the access token goes only to the hub's own
address, never to a host it redirects to.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from app.engine.gguf.header import read_gguf_header
from app.i18n import translate

CHUNK = 1 << 16
MAX_REDIRECTS = 5
ERROR_TEXT_LIMIT = 300  # characters of a server's own error text shown in a message
KNOWN_HUBS = ("https://huggingface.co", "https://hf.co")  # where a token saved by `hf auth login` may go
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class DownloadError(Exception):
    """The download could not be done; the message says why."""


class DownloadCancelled(DownloadError):
    """Stopped by the user; what arrived is kept, and the next attempt resumes from it."""


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None


@dataclass(frozen=True)
class HubListing:
    files: list[RemoteFile]
    refused: list[str] = field(default_factory=list)  # GGUF names that are not plain file names


def unsafe_name_reason(name: object) -> str | None:
    """Why a file name from a hub cannot be saved below the models folder, or None if it can.

    A hub names files as relative paths with '/' between folders ("Q4_K_M/model.gguf"); anything
    that could climb out of the folder, or mean something else on another system, is refused."""
    if not isinstance(name, str) or not name:
        return translate("ModelDownload", "the name is empty")
    if "\\" in name:
        return translate("ModelDownload", "it contains a backslash")
    if name.startswith("/"):
        return translate("ModelDownload", "it is an absolute path")
    if ":" in name:
        return translate("ModelDownload", "it contains a colon, as a drive letter does")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return translate("ModelDownload", "it contains control characters")
    if any(part in ("", ".", "..") for part in name.split("/")):
        return translate("ModelDownload", "it has an empty, '.' or '..' folder in its path")
    return None


def _check_repo_id(repo_id: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise DownloadError(translate(
            "ModelDownload", "'{repo}' is not a repository name: write it as owner/name, with letters, digits, "
                             "'-', '_' and '.' only.").format(repo=repo_id)) from None


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:  # a port that is not a number
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def _token_for(endpoint: str | None, token: str | None) -> str | bool | None:
    """What huggingface_hub is told about the token for this hub: the one typed; else the one saved
    on this computer (None: huggingface_hub reads it) only for huggingface.co or the HF_ENDPOINT
    hub, never for another address typed in the window (False: none)."""
    from huggingface_hub import constants

    if token:
        return token
    trusted = {_origin(url) for url in (*KNOWN_HUBS, constants.ENDPOINT)}
    return None if _origin(endpoint or constants.ENDPOINT) in trusted else False


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= ERROR_TEXT_LIMIT else text[:ERROR_TEXT_LIMIT] + "…"


def _listed_size(sibling) -> int:
    for value in (sibling.size, sibling.lfs.size if sibling.lfs else None):
        if isinstance(value, int) and value >= 0:
            return value
    return 0


def list_gguf_files(repo_id: str, revision: str = "main", endpoint: str | None = None,
                    token: str | None = None) -> HubListing:
    import httpx2
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    _check_repo_id(repo_id)
    try:
        info = HfApi(endpoint=endpoint, token=_token_for(endpoint, token)).model_info(
            repo_id, revision=revision, files_metadata=True)
    except RepositoryNotFoundError:
        raise DownloadError(translate(
            "ModelDownload", "There is no repository '{repo}' (or it is private: give a token).").format(
            repo=repo_id)) from None
    except (OSError, httpx2.HTTPError) as exc:  # HTTP errors, and the HTTP library's own connection errors
        raise DownloadError(translate("ModelDownload", "The hub could not be reached: {error}").format(
            error=_short(exc))) from exc
    except Exception as exc:  # an answer huggingface_hub cannot make a repository of
        raise DownloadError(translate(
            "ModelDownload", "The hub's answer about {repo} is not a repository's description ({error}). Check the "
                             "hub address.").format(repo=repo_id, error=_short(exc))) from exc
    files, refused = [], []
    for sibling in info.siblings or []:
        name = sibling.rfilename
        if not isinstance(name, str) or not name.endswith(".gguf"):
            continue
        if unsafe_name_reason(name):
            refused.append(name)
            continue
        sha256 = sibling.lfs.sha256 if sibling.lfs else None
        files.append(RemoteFile(name, _listed_size(sibling),
                                sha256 if isinstance(sha256, str) and _SHA256.fullmatch(sha256) else None))
    return HubListing(files, refused)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def target_path(dest_dir: Path, repo_id: str, filename: str) -> Path:
    """Where a hub's file is saved: dest_dir/<owner>__<repo>/<filename>, and never anywhere else."""
    _check_repo_id(repo_id)
    reason = unsafe_name_reason(filename)
    if reason:
        raise DownloadError(translate(
            "ModelDownload", "The hub names a file '{file}', which is not a plain file name ({reason}); "
                             "it was not downloaded.").format(file=filename, reason=reason))
    root = Path(dest_dir)
    target = root / repo_id.replace("/", "__") / Path(*filename.split("/"))
    # The name cannot climb out by itself; this also catches a link inside the folder that leads out of it.
    if not _inside(root, target):
        raise DownloadError(translate(
            "ModelDownload", "'{file}' would be saved outside the models folder {folder}; it was not "
                             "downloaded.").format(file=filename, folder=root))
    return target


def _inside(root: Path, path: Path) -> bool:
    real_root, real_path = os.path.realpath(root), os.path.realpath(path)
    try:
        return os.path.commonpath([real_root, real_path]) == real_root
    except ValueError:  # on different drives
        return False


def download_gguf(repo_id: str, filename: str, dest_dir: Path, on_progress: Callable[[int, int], None],
                  cancel: threading.Event, revision: str = "main", endpoint: str | None = None,
                  token: str | None = None) -> Path:
    """Fetch one file into dest_dir/<repo>/<filename>, resuming a `.part` file left by an earlier
    attempt; verify it (the hub's SHA-256, or else its exact size and a readable GGUF header);
    return its path.

    huggingface_hub resolves the file, its size and checksum, authenticates and provides the HTTP
    session; the transfer itself is done here because `hf_hub_download` deletes a partial file
    when it is interrupted, and a 4 GB model should not start again from zero.
    """
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError

    target = target_path(dest_dir, repo_id, filename)
    part = target.with_name(target.name + ".part")
    url = hf_hub_url(repo_id, filename, revision=revision, endpoint=endpoint)
    token = _token_for(endpoint, token)
    try:
        meta = get_hf_file_metadata(url, token=token)
        etag = (meta.etag or "").strip('"')
        expected_sha256 = etag if _SHA256.fullmatch(etag) else None  # LFS files are tagged with their SHA-256
        total = meta.size
        if not isinstance(total, int) or total <= 0:
            raise DownloadError(translate(
                "ModelDownload", "The hub does not say how large {file} is, so what arrives could not be checked; "
                                 "it was not downloaded.").format(file=filename))
        if target.is_file() and target.stat().st_size == total and (
                expected_sha256 is None or sha256_of(target) == expected_sha256):
            on_progress(total, total)
            return target  # already here
        target.parent.mkdir(parents=True, exist_ok=True)
        _fetch(meta.location or url, _origin(url), token, part, filename, total, on_progress, cancel)
        _verify(part, filename, expected_sha256)
        part.replace(target)
    except DownloadError:
        raise
    except (RepositoryNotFoundError, EntryNotFoundError):
        raise DownloadError(translate("ModelDownload", "'{file}' is not in {repo}.").format(
            file=filename, repo=repo_id)) from None
    except Exception as exc:  # HTTP errors, and the HTTP library's own connection errors
        raise DownloadError(translate(
            "ModelDownload", "The download failed: {error}. Starting it again continues where it stopped.").format(
            error=_short(exc))) from exc
    return target


def _fetch(url: str, hub_origin: tuple, token: str | bool | None, part: Path, filename: str, total: int,
           on_progress: Callable[[int, int], None], cancel: threading.Event) -> None:
    """Bring `part` to `total` bytes, continuing what an earlier attempt left."""
    done = part.stat().st_size if part.is_file() else 0
    if done > total:  # not a beginning of this file
        part.unlink()
        done = 0
    if done == total:  # all arrived last time, which stopped before the check
        on_progress(done, total)
        return
    while True:
        with _open_transfer(url, hub_origin, token, done) as response:
            start = _body_start(response, total)
            if start == 0 or start == done:
                _write_body(response, part, filename, start, total, on_progress, cancel)
                return
        if done == 0:
            raise DownloadError(translate(
                "ModelDownload", "The hub answered with something other than {file} (HTTP {status}); nothing was "
                                 "kept.").format(file=filename, status=response.status_code))
        part.unlink(missing_ok=True)  # the hub did not send the part asked for: ask for the whole file
        done = 0


@contextlib.contextmanager
def _open_transfer(url: str, hub_origin: tuple, token: str | bool | None, offset: int) -> Iterator:
    """A streamed GET of `url` from byte `offset`, following redirects by hand so that the token
    is sent only to the hub's own origin, at every hop."""
    from huggingface_hub import get_session
    from huggingface_hub.utils import build_hf_headers

    session = get_session()
    for _ in range(MAX_REDIRECTS + 1):
        headers = build_hf_headers(token=token if _origin(url) == hub_origin else False)
        headers["Accept-Encoding"] = "identity"  # the declared size is the size on disk
        if offset:
            headers["Range"] = f"bytes={offset}-"
        response = session.send(session.build_request("GET", url, headers=headers, timeout=60), stream=True,
                                follow_redirects=False)
        try:
            if response.has_redirect_location:
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code >= 400:  # said here: huggingface_hub would read an error body of any size
                raise DownloadError(translate(
                    "ModelDownload", "The hub answered the download with HTTP {status} {reason}. Starting it again "
                                     "continues where it stopped.").format(
                    status=response.status_code, reason=str(response.reason_phrase)[:100]))
            yield response
            return
        finally:
            response.close()
    raise DownloadError(translate("ModelDownload", "The hub redirected the download more than {count} times.").format(
        count=MAX_REDIRECTS))


def _body_start(response, total: int) -> int | None:
    """Where in the file the body begins: 0 for a whole file, the start of a 206's Content-Range
    if that range runs to the file's declared end, None for anything else."""
    if response.status_code == 200:
        return 0
    if response.status_code != 206:
        return None
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
    if not match or int(match[2]) != total - 1 or match[3] not in ("*", str(total)):
        return None
    return int(match[1])


def _write_body(response, part: Path, filename: str, done: int, total: int,
                on_progress: Callable[[int, int], None], cancel: threading.Event) -> None:
    too_much = False
    with open(part, "ab" if done else "wb") as out:
        on_progress(done, total)
        for chunk in response.iter_bytes(CHUNK):
            if cancel.is_set():
                raise DownloadCancelled(translate(
                    "ModelDownload", "The download was cancelled; starting it again continues where it stopped."))
            if done + len(chunk) > total:
                too_much = True
                break
            out.write(chunk)
            done += len(chunk)
            on_progress(done, total)
    if too_much:
        part.unlink(missing_ok=True)
        raise DownloadError(translate(
            "ModelDownload", "The hub sent more than the {size} bytes it declared for {file}; what arrived was "
                             "deleted. Download it again, or from another hub.").format(size=total, file=filename))
    if done < total:
        raise DownloadError(translate(
            "ModelDownload", "The hub stopped sending {file} after {done} of {total} bytes. Starting it again "
                             "continues where it stopped.").format(file=filename, done=done, total=total))


def _verify(part: Path, filename: str, expected_sha256: str | None) -> None:
    """The hub's SHA-256 if it gave one; else at least a GGUF header that reads (the size is exact already)."""
    if expected_sha256:
        actual = sha256_of(part)
        if actual != expected_sha256:
            part.unlink(missing_ok=True)
            raise DownloadError(translate(
                "ModelDownload",
                "{file} arrived damaged (SHA-256 {actual}… is not the hub's {expected}…); it was deleted. "
                "Download it again.",
            ).format(file=filename, actual=actual[:12], expected=expected_sha256[:12]))
        return
    try:
        read_gguf_header(part)
    except Exception as exc:  # ModelFileError, or whatever else a damaged header makes the reader raise
        part.unlink(missing_ok=True)
        raise DownloadError(translate(
            "ModelDownload", "{file} arrived damaged ({reason}); it was deleted. Download it again.").format(
            file=filename, reason=_short(exc))) from exc
