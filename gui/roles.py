"""Custom item-data roles shared by the list models and the thumbnail delegate."""
from __future__ import annotations

from enum import IntEnum

from PySide6.QtCore import Qt

_USER = int(Qt.ItemDataRole.UserRole.value)


class Roles(IntEnum):
    """Qt.UserRole + n; pass a member wherever Qt expects a role (it is an int)."""

    ItemIdRole = _USER + 1  # int: the item's id in the catalog store
    PathRole = _USER + 2  # str: path relative to the catalog folder
    SkuRole = _USER + 3  # str | None
    NameRole = _USER + 4  # str | None
    CategoryRole = _USER + 5  # str | None
    ScoreRole = _USER + 6  # float | None: similarity to the query; None outside results
    ThumbKeyRole = _USER + 7  # str: thumbnail cache key (the content hash)
    SourcePathRole = _USER + 8  # str: absolute path of the photo to make the thumbnail from
    PinnedRole = _USER + 9  # bool: a curated entry a person placed
    MissingRole = _USER + 10  # str | None: why the item's photo is not in the catalog folder now
    PhotoCountRole = _USER + 11  # int | None: the photos of the product a catalog tile shows (None outside the catalog)
    LinkRole = _USER + 12  # str | None: the product's page in the shop, as products.csv gives it


ItemIdRole = Roles.ItemIdRole
PathRole = Roles.PathRole
SkuRole = Roles.SkuRole
NameRole = Roles.NameRole
CategoryRole = Roles.CategoryRole
ScoreRole = Roles.ScoreRole
ThumbKeyRole = Roles.ThumbKeyRole
SourcePathRole = Roles.SourcePathRole
PinnedRole = Roles.PinnedRole
MissingRole = Roles.MissingRole
PhotoCountRole = Roles.PhotoCountRole
LinkRole = Roles.LinkRole
