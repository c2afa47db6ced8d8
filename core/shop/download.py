"""Fetching a shop's product photos into the catalog folder: in parallel, resumable, every failure said.

Each photo is a `PhotoJob`: the name it gets in the catalog (made from the product, never from
the address) and where it comes from (an http or https address, or a file of a local media
folder). A download is checked before it lands: its size against a cap, while it streams, and
its bytes against Pillow, which must recognise an image; the file suffix is the format found,
not what the address says.

Resuming: a ledger (SQLite, in the workspace) records for each photo the address it came from,
its file, size and the server's validators (ETag, Last-Modified). A rerun does not fetch again
a photo whose file is there as recorded: it asks the server whether it changed (a conditional
request, answered 304 without a body) or, without validators, takes it as it is. The ledger
row is committed before the file is renamed into place, so a run killed between the two leaves
a row whose file is missing or of another size, and the rerun fetches that photo again.

The HTTP client is requests on urllib3: per worker thread one session reusing its connections,
timeouts on connecting and reading and for a whole photo, retries with exponential back-off on
connection errors and on 429 and 5xx answers (honouring Retry-After), TLS certificates verified,
at most a few redirects, and only http and https at every step.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Mapping, Sequence
from urllib.parse import urlsplit

import requests
from PIL import Image, UnidentifiedImageError
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from core.common import MAX_IMAGE_PIXELS, CancelToken, ImageError, InputError, OutputError, Progress, ProgressFn, faults, no_progress

# The pixel limit is enforced here (MAX_IMAGE_PIXELS); Pillow's warning below it would only be noise.
warnings.simplefilter("ignore", Image.DecompressionBombWarning)

LEDGER_NAME = "downloads.sqlite"
USER_AGENT = "Lookalike/1.0 (product photo import)"
SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "GIF": ".gif", "BMP": ".bmp", "TIFF": ".tif"}
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class DownloadSettings:
    workers: int = 8
    max_bytes: int = 25 * 2**20  # per photo
    connect_timeout: float = 5.0
    read_timeout: float = 20.0  # between bytes
    photo_timeout: float = 60.0  # for a whole photo, however slowly it trickles in
    retries: int = 3
    backoff: float = 0.5  # seconds before the first retry, doubling after
    max_redirects: int = 5

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise InputError("at least one download at a time")
        if self.max_bytes < 1:
            raise InputError("the size cap must be at least one byte")


@dataclass(frozen=True)
class PhotoJob:
    name: str  # where it goes, relative to the catalog, without suffix: "classic-tee/classic-tee-1"
    source: str  # an http(s) address, or a path of a local media folder (with `media_dir`)


@dataclass(frozen=True)
class PhotoFailure:
    """A photo this run could not have: its name in the catalog, its address, and why in a few words."""

    name: str
    source: str
    reason: str

    @property
    def line(self) -> str:
        return f"{self.name}: {self.source}: {self.reason}"


@dataclass
class DownloadReport:
    fetched: int = 0  # downloaded (or copied) by this run
    kept: int = 0  # already here and unchanged
    failed: list[str] = field(default_factory=list)  # one line per photo skipped: its name, its address, why
    failures: list[PhotoFailure] = field(default_factory=list)  # the same photos, in the same order, as data
    files: dict[str, str] = field(default_factory=dict)  # job name -> file relative to the catalog, for each photo here
    removed: int = 0  # photos fetched by earlier runs that the shop no longer lists, deleted

    @property
    def total(self) -> int:
        return self.fetched + self.kept + len(self.failed)


class PhotoFailed(Exception):
    """This photo could not be had; the message says why in a few words."""


@dataclass(frozen=True)
class _Record:
    source: str
    file: str
    size: int
    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class _Outcome:
    job: PhotoJob
    record: _Record | None  # None: kept as it was
    temp: Path | None = None  # the new content, waiting to be renamed into place


class Ledger:
    """What earlier runs fetched, by photo name; one SQLite transaction per photo."""

    def __init__(self, path: Path) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS photos (name TEXT PRIMARY KEY, source TEXT NOT NULL, file TEXT NOT NULL,"
                " size INTEGER NOT NULL, etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '',"
                " fetched_at REAL NOT NULL)"
            )
        except sqlite3.DatabaseError as exc:
            raise OutputError(f"cannot open the download ledger {path}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def get(self, name: str) -> _Record | None:
        row = self.db.execute("SELECT source, file, size, etag, last_modified FROM photos WHERE name = ?", (name,)).fetchone()
        return None if row is None else _Record(*row)

    def forget(self, name: str) -> None:
        try:
            faults.point("ledger:commit")
            self.db.execute("DELETE FROM photos WHERE name = ?", (name,))
        except (sqlite3.Error, OSError) as exc:
            raise OutputError(f"cannot record the removal of {name}: {exc}") from None

    def put(self, name: str, record: _Record) -> None:
        try:
            faults.point("ledger:commit")
            self.db.execute(
                "INSERT OR REPLACE INTO photos VALUES (?, ?, ?, ?, ?, ?, ?)",
                (name, record.source, record.file, record.size, record.etag, record.last_modified, time.time()),
            )
        except (sqlite3.Error, OSError) as exc:
            raise OutputError(f"cannot record the download of {name}: {exc}") from None


def is_web_address(source: str) -> bool:
    return urlsplit(source).scheme.lower() in ("http", "https")


def _check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise PhotoFailed(f"not an http or https address ({scheme or 'no scheme'})")


class _Client:
    """One requests session per worker thread, set up alike."""

    def __init__(self, settings: DownloadSettings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            s = self.settings
            retry = Retry(
                total=s.retries,
                connect=s.retries,
                read=s.retries,
                status=s.retries,
                redirect=s.max_redirects,
                backoff_factor=s.backoff,
                status_forcelist=(429, 500, 502, 503, 504),
                allowed_methods=frozenset({"GET"}),
                respect_retry_after_header=False,  # a server asking for an hour must not stall the import
                raise_on_status=False,
            )
            session = requests.Session()
            session.mount("http://", HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=2))
            session.mount("https://", HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=2))
            session.max_redirects = s.max_redirects
            session.verify = True
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()


def _image_suffix(data: bytes) -> str:
    """The suffix for an image's bytes; PhotoFailed when they are not an image Lookalike reads."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, (width, height) = image.format, image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise PhotoFailed(_too_large(width * height, width, height))
            image.verify()
    except Image.DecompressionBombError as exc:  # Pillow's own limit, met before the size is known: its message has it
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise PhotoFailed(_too_large(int(found.group(1)) if found else None)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoFailed("not an image") from None
    suffix = SUFFIXES.get(fmt or "")
    if suffix is None:
        raise PhotoFailed(f"an image in a format Lookalike does not read ({fmt})")
    return suffix


def _too_large(pixels: int | None, width: int | None = None, height: int | None = None) -> str:
    size = f"{width:,} x {height:,} pixels" if width and height else f"{pixels:,} pixels" if pixels else "too many pixels"
    return f"too large: {size}, over the {MAX_IMAGE_PIXELS:,}-pixel limit Lookalike decodes"


class Downloader:
    """Fetches photo jobs into a catalog folder, recording each in the ledger."""

    def __init__(
        self,
        catalog: Path,
        ledger: Path,
        settings: DownloadSettings = DownloadSettings(),
        media_dir: Path | None = None,
    ) -> None:
        self.catalog = Path(catalog)
        self.ledger_path = Path(ledger)
        self.settings = settings
        self.media_dir = Path(media_dir).resolve() if media_dir is not None else None
        self.staging = self.catalog / ".lookalike-downloads"
        self._mode = 0o666 & ~_umask()  # what a new file gets; read here, as reading it changes it for a moment

    def run(
        self, jobs: Sequence[PhotoJob], progress: ProgressFn = no_progress, cancel: CancelToken | None = None
    ) -> DownloadReport:
        """Fetch what is missing or changed; returns what happened to each photo. Cancelled is raised as is."""
        cancel = cancel or CancelToken()
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise InputError("two photos were given the same name")
        report = DownloadReport()
        ledger = Ledger(self.ledger_path)
        client = _Client(self.settings)
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot write into {self.catalog}: {exc.strerror}") from None
        failed: dict[str, PhotoFailure] = {}  # by photo name, listed in the jobs' order at the end, not the threads'
        try:
            with ThreadPoolExecutor(self.settings.workers, thread_name_prefix="photo") as pool:
                pending: dict[Future, tuple[PhotoJob, _Record | None]] = {}

                def submit(job: PhotoJob) -> None:
                    known = ledger.get(job.name)  # only _settle changes it, on this thread
                    pending[pool.submit(self._fetch, job, known, client, cancel)] = (job, known)

                queue = iter(jobs)
                # Only a few jobs beyond the workers are queued, so a cancel stops the run at once.
                for job in islice(queue, self.settings.workers * 2):
                    submit(job)
                try:
                    while pending:
                        done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                        cancel.raise_if_cancelled()
                        for future in done:
                            job, known = pending.pop(future)
                            self._settle(job, known, future, ledger, report, failed)
                            progress(Progress("download", report.total, len(jobs), job.name))
                            for more in islice(queue, 1):
                                submit(more)
                except BaseException:
                    cancel.cancel()
                    for future in pending:
                        future.cancel()
                    raise
            report.removed = self._prune(ledger, set(names))
            report.failures = [failed[name] for name in names if name in failed]
            report.failed = [failure.line for failure in report.failures]
        finally:
            client.close()
            ledger.close()
            shutil.rmtree(self.staging, ignore_errors=True)
        return report

    def _prune(self, ledger: Ledger, names: set[str]) -> int:
        """Delete the photos earlier runs fetched that these jobs no longer name (the shop dropped them)."""
        removed = 0
        for name, file in ledger.db.execute("SELECT name, file FROM photos").fetchall():
            if name in names or self._elsewhere(file) is not None:
                continue
            (self.catalog / file).unlink(missing_ok=True)
            ledger.forget(name)
            removed += 1
            with contextlib.suppress(OSError):
                (self.catalog / file).parent.rmdir()  # when it was the product's last photo
        return removed

    def _elsewhere(self, file: str) -> str | None:
        """Why the catalog file `file` is not in the catalog folder itself (a link on its way leads out), or None.

        A photo is written or removed only where the import put it: a folder linked in since, or
        a photo replaced by a link, may lead to files the import never wrote.
        """
        path = os.path.join(os.path.realpath(self.catalog), *PurePosixPath(file).parts)
        real = os.path.realpath(path)
        return None if real == path else f"leads through a link to {real}"

    # ---- on the main thread: a photo's outcome lands ---------------------------------------
    def _settle(
        self, job: PhotoJob, old: _Record | None, future: Future, ledger: Ledger, report: DownloadReport,
        failed: dict[str, PhotoFailure],
    ) -> None:
        """Land one photo's outcome; `old` is what the ledger held for it when it was fetched."""
        try:
            outcome: _Outcome = future.result()
        except PhotoFailed as exc:
            if old is not None and old.source == job.source and _size(self.catalog / old.file) == old.size:
                report.files[job.name] = old.file
                failed[job.name] = PhotoFailure(job.name, job.source, f"{exc}; the copy fetched before is kept")
            else:
                failed[job.name] = PhotoFailure(job.name, job.source, str(exc))
            return
        if outcome.record is None:
            report.kept += 1
            report.files[job.name] = old.file  # type: ignore[union-attr]
            return
        target = self.catalog / outcome.record.file
        elsewhere = self._elsewhere(outcome.record.file)
        if elsewhere is not None:
            outcome.temp.unlink(missing_ok=True)  # type: ignore[union-attr]
            failed[job.name] = PhotoFailure(job.name, job.source, f"{outcome.record.file} {elsewhere}; not written")
            return
        if (old is None or old.file != outcome.record.file) and target.exists():
            outcome.temp.unlink(missing_ok=True)  # type: ignore[union-attr]
            failed[job.name] = PhotoFailure(job.name, job.source, f"{outcome.record.file} is already in the folder and not "
                                            "one Lookalike fetched; not replaced")
            return
        ledger.put(job.name, outcome.record)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            faults.point(f"file:replace:{target.name}")
            os.replace(outcome.temp, target)  # type: ignore[arg-type]
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        if old is not None and old.file != outcome.record.file:
            (self.catalog / old.file).unlink(missing_ok=True)  # the photo came back in another format
        report.fetched += 1
        report.files[job.name] = outcome.record.file

    # ---- on a worker thread: fetch one photo ------------------------------------------------
    def _fetch(self, job: PhotoJob, known: _Record | None, client: _Client, cancel: CancelToken) -> _Outcome:
        if cancel.cancelled:
            raise PhotoFailed("cancelled")
        have = known is not None and known.source == job.source and _size(self.catalog / known.file) == known.size
        if is_web_address(job.source):
            return self._fetch_web(job, known if have else None, client, cancel)
        if "://" in job.source:
            raise PhotoFailed(f"not an http or https address ({urlsplit(job.source).scheme})")
        return self._copy_local(job, known if have else None)

    def _fetch_web(self, job: PhotoJob, known: _Record | None, client: _Client, cancel: CancelToken) -> _Outcome:
        if known is not None and not (known.etag or known.last_modified):
            return _Outcome(job, None)  # no way to ask whether it changed: what is here stays
        headers = {}
        if known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        fetched = _get(client, job.source, self.settings, cancel, headers)
        if fetched is None:
            return _Outcome(job, None)
        data, record_headers = fetched
        suffix = _image_suffix(data)
        record = _Record(
            job.source, job.name + suffix, len(data), record_headers.get("ETag", ""), record_headers.get("Last-Modified", "")
        )
        return _Outcome(job, record, self._stage(data))

    def _copy_local(self, job: PhotoJob, known: _Record | None) -> _Outcome:
        if self.media_dir is None:
            raise PhotoFailed("a relative image path, and no media base address or media folder was given")
        relative = PurePosixPath(job.source.replace("\\", "/").lstrip("/"))
        source = (self.media_dir / relative).resolve()
        if self.media_dir not in source.parents:
            raise PhotoFailed("leads outside the media folder")
        try:
            stat = source.stat()
        except OSError:
            raise PhotoFailed("not in the media folder") from None
        validator = str(stat.st_mtime_ns)
        if known is not None and known.last_modified == validator:
            return _Outcome(job, None)
        if stat.st_size > self.settings.max_bytes:
            raise PhotoFailed(f"{_mb(stat.st_size)}, over the {_mb(self.settings.max_bytes)} cap")
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise PhotoFailed(f"cannot be read ({exc.strerror})") from None
        record = _Record(job.source, job.name + _image_suffix(data), len(data), "", validator)
        return _Outcome(job, record, self._stage(data))

    def _stage(self, data: bytes) -> Path:
        """The bytes in a temp file of the catalog's file system, ready to be renamed into place."""
        fd, name = tempfile.mkstemp(suffix=".part", dir=self.staging)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            Path(name).unlink(missing_ok=True)
            raise OutputError(f"cannot write into {self.catalog}: {exc.strerror}") from None
        os.chmod(name, self._mode)
        return Path(name)


def _get(
    client: _Client, url: str, s: DownloadSettings, cancel: CancelToken, headers: dict[str, str] | None = None
) -> tuple[bytes, Mapping[str, str]] | None:
    """GET `url` within the size cap and time limits: its body and headers, or None when a conditional
    request (`headers` with validators) is answered 304. PhotoFailed says why it could not be had."""
    for attempt in (1, 2):  # a body cut short is tried once more: urllib3 retries only up to the headers
        deadline = _Deadline(s.photo_timeout)
        try:
            with deadline, client.session().get(
                url, headers=headers or {}, timeout=(s.connect_timeout, s.read_timeout), stream=True
            ) as response:
                deadline.watch(response)
                _check_scheme(response.url)
                if response.status_code == 304 and headers:
                    return None
                if response.status_code != 200:
                    raise PhotoFailed(f"the server answered {response.status_code} {response.reason or ''}".rstrip())
                length = response.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > s.max_bytes:
                    raise PhotoFailed(f"{_mb(int(length))}, over the {_mb(s.max_bytes)} cap")
                return _read_capped(response, s.max_bytes, cancel), response.headers
        except requests.exceptions.RequestException as exc:
            if deadline.passed:
                raise PhotoFailed(f"took longer than {s.photo_timeout:g} s") from None
            if isinstance(exc, requests.exceptions.ChunkedEncodingError) and attempt == 1:
                continue
            raise PhotoFailed(_request_problem(exc, s)) from None
    raise AssertionError("unreachable: the second attempt returns or raises")


def _read_capped(response: requests.Response, max_bytes: int, cancel: CancelToken) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise PhotoFailed(f"over the {_mb(max_bytes)} cap")
        if cancel.cancelled:
            raise PhotoFailed("cancelled")
        chunks.append(chunk)
    return b"".join(chunks)


# One photo a person asked for and waits on: short waits, one retry, the import's size cap.
ONE_PHOTO = DownloadSettings(workers=1, read_timeout=10.0, photo_timeout=30.0, retries=1, backoff=0.2)


def fetch_photo(url: str, settings: DownloadSettings = ONE_PHOTO, cancel: CancelToken | None = None) -> bytes:
    """The bytes of the image at an http(s) address, checked to be an image Lookalike reads.

    ImageError says in a line why it could not be had. Cancelled comes within a moment of
    `cancel`, even while the server is silent: the request is left to end by its own timeouts.
    """
    cancel = cancel or CancelToken()
    if not is_web_address(url):
        raise InputError(f"{url}: not an http or https address")
    client = _Client(settings)
    outcome: list[bytes | BaseException] = []

    def get() -> None:
        try:
            fetched = _get(client, url, settings, cancel)
            assert fetched is not None  # no validators were sent
            _image_suffix(fetched[0])
            outcome.append(fetched[0])
        except BaseException as exc:  # handed to the caller's thread
            outcome.append(exc)
        finally:
            client.close()

    thread = threading.Thread(target=get, name="photo", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.05)
        cancel.raise_if_cancelled()
    result = outcome[0]
    if isinstance(result, PhotoFailed):
        raise ImageError(f"{url}: {result}") from None
    if isinstance(result, BaseException):
        raise result
    return result


def _size(path: Path) -> int | None:
    with contextlib.suppress(OSError):
        return path.stat().st_size
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size:,} bytes"


class _Deadline:
    """A whole photo's time limit: when it passes, the answer's connection is cut, ending any read.

    The read timeout only bounds the wait between bytes; a server trickling a byte at a time
    would otherwise hold a worker for as long as it likes.
    """

    def __init__(self, seconds: float) -> None:
        self.passed = False
        self._response: requests.Response | None = None
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> "_Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()

    def watch(self, response: requests.Response) -> None:
        self._response = response
        if self.passed:
            self._cut()

    def _cut(self) -> None:
        self.passed = True
        connection = getattr(self._response.raw, "connection", None) if self._response is not None else None
        sock = getattr(connection, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _request_problem(exc: requests.exceptions.RequestException, settings: DownloadSettings) -> str:
    """A failed request in a few words."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut short"
    if isinstance(exc, requests.exceptions.Timeout):
        return "the server did not answer in time"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return f"more than {settings.max_redirects} redirects"
    if isinstance(exc, requests.exceptions.InvalidSchema):
        return "redirected to an address that is not http or https"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return _connection_problem(exc)
    return f"could not be fetched ({type(exc).__name__})"


def _connection_problem(exc: Exception) -> str:
    text = str(exc)
    if "timed out" in text:
        return "the server did not answer in time"
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLError" in type(exc).__name__:
        return "its TLS certificate could not be verified"
    if "Max retries exceeded" in text and "ResponseError" in text:
        return "the server kept answering with errors"
    if "Name or service not known" in text or "nodename nor servname" in text or "Failed to resolve" in text:
        return "the server's name is not known"
    if "Connection refused" in text:
        return "the server refused the connection"
    return "could not connect to the server"
