"""What a pasted text names: a photo's web address, or a file on this computer."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl


def pasted_source(text: str) -> str | Path | None:
    """An http(s) address as it is, a local path (also as a file: URL, or starting with ~) as a Path,
    or None when the text is neither (a sentence, several lines, another scheme)."""
    text = text.strip().strip('"').strip("'")
    if not text or "\n" in text:
        return None
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme in ("http", "https"):
        return text
    if scheme == "file":
        url = QUrl(text)
        return Path(url.toLocalFile()) if url.isLocalFile() else None
    if text.startswith(("/", "~")):
        return Path(text).expanduser()
    return None
