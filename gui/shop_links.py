"""A product's page in the shop: the `link` of products.csv, opened in the browser if it is a web address."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices

WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class ShopPage:
    """Where a product's page is, or why it cannot be opened (`url` None, `why` one line)."""

    url: QUrl | None
    why: str = ""


def shop_page(link: str | None, title: str = "this product") -> ShopPage:
    """The page to open for a product whose link is `link`; only http and https addresses are opened."""
    text = (link or "").strip()
    if not text:
        return ShopPage(None, f"No shop link for {title}: products.csv has none in its link column")
    url = QUrl(text, QUrl.ParsingMode.TolerantMode)
    if not url.isValid() or url.scheme().lower() not in WEB_SCHEMES or not url.host():
        return ShopPage(None, f"Not opened: only http:// and https:// links are opened, and the link of {title} is {text!r}")
    return ShopPage(url)


def open_shop_page(link: str | None, title: str = "this product") -> str:
    """Open the product's page in the browser; '' once asked, else why it was not opened."""
    page = shop_page(link, title)
    if page.url is None:
        return page.why
    if not QDesktopServices.openUrl(page.url):
        return f"The system could not open {page.url.toString()}"
    return ""
