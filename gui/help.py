"""Help › Lookalike Help and About Lookalike: the guide in resources/help.html, and the app's name and version."""
from __future__ import annotations

import html
import re
from importlib import metadata
from typing import Mapping

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from core.common import RESOURCES

HELP_PAGE = RESOURCES / "help.html"


NO_KEY = "(no key)"


def help_html(shortcuts: Mapping[str, str]) -> str:
    """The guide's HTML, each {{action_name}} in it replaced by that action's shortcut in `shortcuts`.

    The keys are read from the actions themselves, so the guide says what the window does (and a
    name the window no longer has shows as "(no key)"). A missing guide is said in a line.
    """
    try:
        page = HELP_PAGE.read_text(encoding="utf-8")
    except OSError as exc:
        return f"<p>The guide could not be read from {HELP_PAGE}: {exc.strerror or exc}.</p>"
    return re.sub(r"\{\{(\w+)\}\}", lambda found: html.escape(shortcuts.get(found.group(1), NO_KEY)), page)


def named_keys(page: str) -> list[str]:
    """The text of every <kbd> element of the guide as shown."""
    return [html.unescape(text) for text in re.findall(r"<kbd>(.*?)</kbd>", page)]


def version() -> str:
    try:
        return metadata.version("lookalike")
    except metadata.PackageNotFoundError:  # a bundle carries no package metadata
        return ""


class HelpDialog(QDialog):
    """The guide, in a window of its own that stays open beside the main window."""

    def __init__(self, shortcuts: Mapping[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lookalike Help")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.html = help_html(shortcuts)
        self.browser.setHtml(self.html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(620, 720)
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)


def about_text() -> str:
    number = version()
    return (
        f"<h3>Lookalike{' ' + number if number else ''}</h3>"
        "<p>Finds visually similar products in a folder of product photos, and helps you curate "
        "&ldquo;you may also like&rdquo; lists for your shop.</p>"
        "<p>Built with Qt for Python (PySide6), ONNX Runtime, Annoy, NumPy and Pillow.</p>"
    )
