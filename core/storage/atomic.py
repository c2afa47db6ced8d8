"""The one way files that matter are written: to a temp file beside the target, then renamed."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from core.common import OutputError, faults


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success rename it over `target`.

    If the body raises, the temp file is removed and `target` is left as it was. A symbolic
    link is written through: the file it points to is replaced, the link stays (the workspace
    hands out no links: see Workspace.file). The system refusing the write (a read-only disk,
    no permission, a full disk) raises OutputError. Writing and replacing are fault points.
    """
    target = Path(os.path.realpath(target))
    tmp = _temp_beside(target)
    try:
        _give_usual_mode(tmp, target)
        yield tmp
        faults.point(f"file:write:{target.name}")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        faults.point(f"file:replace:{target.name}")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_writable(target: Path) -> None:
    """Raise OutputError now if `target` could not be written later: a check before long work."""
    _temp_beside(Path(os.path.realpath(target))).unlink()


def _temp_beside(target: Path) -> Path:
    """A new empty temp file in the target's folder (made if missing)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        blocker = next((folder for folder in target.parents if folder.exists() and not folder.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker is not None else exc.strerror or str(exc)
        raise OutputError(f"cannot write {target}: {reason}") from None
    return Path(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _give_usual_mode(tmp: Path, target: Path) -> None:
    """mkstemp makes owner-only files; give the file the target's mode, or what a new file gets."""
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    os.chmod(tmp, mode)


def write_bytes(target: Path, data: bytes) -> None:
    """Atomically replace `target` with `data`."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: Path, text: str, encoding: str = "utf-8") -> None:
    """Atomically replace `target` with `text` (newlines written as given)."""
    with atomic_path(target) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
