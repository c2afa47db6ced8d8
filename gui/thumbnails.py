"""Thumbnails for the item views: made and read off the GUI thread, kept in memory as pixmaps.

Requests are served newest first (the rows on screen now), each key is loaded at most once
at a time, and a key that failed is remembered with its reason instead of being retried.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from core.catalog import ThumbnailCache, os_error_reason
from core.common import ImageError, LookalikeError

log = logging.getLogger(__name__)


class _Requests:
    """A thread-safe LIFO of (key, source) requests, and the count of workers draining it."""

    def __init__(self, max_workers: int) -> None:
        self._lock = threading.Lock()
        self._stack: OrderedDict[str, Path] = OrderedDict()
        self._workers = 0
        self._max_workers = max_workers

    def push(self, key: str, source: Path) -> bool:
        """Put `key` on top; True if a worker must be started to serve it."""
        with self._lock:
            self._stack[key] = source
            if self._workers < self._max_workers:
                self._workers += 1
                return True
            return False

    def promote(self, key: str) -> None:
        """Move `key` to the top if it is still waiting (a key being made is not waiting)."""
        with self._lock:
            if key in self._stack:
                self._stack.move_to_end(key)

    def pop(self) -> tuple[str, Path] | None:
        """The newest request; None (and one worker fewer) when there is none left."""
        with self._lock:
            if self._stack:
                return self._stack.popitem(last=True)
            self._workers -= 1
            return None

    def clear(self) -> list[str]:
        """Drop every waiting request and return their keys."""
        with self._lock:
            keys = list(self._stack)
            self._stack.clear()
            return keys


class _Relay(QObject):
    """Carries results from worker threads to the loader; lives in the GUI thread."""

    loaded = Signal(str, QImage)
    failed = Signal(str, str)


class _Worker(QRunnable):
    """Makes and reads thumbnails from the shared request stack until it is empty."""

    def __init__(self, cache: ThumbnailCache, requests: _Requests, relay: _Relay) -> None:
        super().__init__()
        self._cache = cache
        self._requests = requests
        self._relay = relay

    def run(self) -> None:
        """Serve requests newest first; report each as loaded or failed."""
        while (request := self._requests.pop()) is not None:
            key, source = request
            try:
                image = self._load(key, source)
            except LookalikeError as exc:
                self._relay.failed.emit(key, str(exc))
            except OSError as exc:
                self._relay.failed.emit(key, f"cannot write thumbnail: {os_error_reason(exc)}")
            except Exception as exc:  # the worker must keep serving; the key is reported as failed
                log.exception("thumbnail for %s failed", source)
                self._relay.failed.emit(key, f"thumbnail failed ({type(exc).__name__})")
            else:
                self._relay.loaded.emit(key, image)

    def _load(self, key: str, source: Path) -> QImage:
        image = QImage(str(self._cache.get_or_make(source, key)))
        if image.isNull():
            # A cached file damaged outside our control: make it again, once.
            image = QImage(str(self._cache.make(source, key)))
        if image.isNull():
            raise ImageError("cannot read the thumbnail file")
        return image


class ThumbnailLoader(QObject):
    """Pixmaps for item views, loaded in the background; emits ready(key) when one arrives."""

    ready = Signal(str)
    failed = Signal(str, str)

    def __init__(
        self, cache: ThumbnailCache, memory_items: int = 3000, threads: int = 2, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._cache = cache
        self._memory_items = max(1, memory_items)
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._failures: dict[str, str] = {}
        self._scheduled: set[str] = set()
        self._closed = False
        self._requests = _Requests(max(1, threads))
        # The pool is created before the relay, so as children they are destroyed in that
        # order: the pool's destructor waits for the workers before the relay they emit on goes.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(1, threads))
        self._relay = _Relay(self)
        self._relay.loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)
        self._relay.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)

    @property
    def cache(self) -> ThumbnailCache:
        """The disk cache thumbnails are made in."""
        return self._cache

    def pixmap(self, key: str, source: Path) -> QPixmap | None:
        """The thumbnail if it is in memory; otherwise None, and it is loaded in the background."""
        pixmap = self._pixmaps.get(key)
        if pixmap is not None:
            self._pixmaps.move_to_end(key)
            return pixmap
        if self._closed or key in self._failures:
            return None
        if key in self._scheduled:
            self._requests.promote(key)
            return None
        self._scheduled.add(key)
        if self._requests.push(key, Path(source)):
            self._pool.start(_Worker(self._cache, self._requests, self._relay))
        return None

    def peek(self, key: str) -> QPixmap | None:
        """The thumbnail if it is in memory, without loading it or touching the LRU order."""
        return self._pixmaps.get(key)

    def failure(self, key: str) -> str | None:
        """Why the thumbnail for `key` could not be made, or None if it has not failed."""
        return self._failures.get(key)

    def is_pending(self, key: str) -> bool:
        """True while `key` is waiting or being made."""
        return key in self._scheduled

    def pending_count(self) -> int:
        """How many keys are waiting or being made."""
        return len(self._scheduled)

    def clear_pending(self) -> None:
        """Forget requests not started yet (call when the view shows other content)."""
        for key in self._requests.clear():
            self._scheduled.discard(key)

    def forget(self, key: str) -> None:
        """Drop `key` from memory and from the failures, so the next request loads it again."""
        self._pixmaps.pop(key, None)
        self._failures.pop(key, None)

    def set_cache(self, cache: ThumbnailCache) -> None:
        """Serve another catalog's thumbnails from now on (waits for the one or two being made)."""
        self.clear_pending()
        self._pool.waitForDone()
        self._cache = cache
        self._pixmaps.clear()
        self._failures.clear()
        self._scheduled.clear()

    def shutdown(self) -> None:
        """Stop taking requests and wait for the running ones; call before the window closes."""
        self._closed = True
        self.clear_pending()
        self._pool.waitForDone()

    @Slot(str, QImage)
    def _on_loaded(self, key: str, image: QImage) -> None:
        self._scheduled.discard(key)
        self._pixmaps[key] = QPixmap.fromImage(image)
        self._pixmaps.move_to_end(key)
        while len(self._pixmaps) > self._memory_items:
            self._pixmaps.popitem(last=False)
        self.ready.emit(key)

    @Slot(str, str)
    def _on_failed(self, key: str, reason: str) -> None:
        self._scheduled.discard(key)
        self._failures[key] = reason
        self.failed.emit(key, reason)
