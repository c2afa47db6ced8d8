"""Duplicate photos in a catalog: exact copies (the same bytes), near-duplicates (one photo,
altered: resized, re-encoded, cropped, a banner put on) and variants (one design in another
colour), found from what indexing stored, remembered in the workspace with what a person said of
them, and written out for review. It imports core.common, core.catalog, core.storage and core.similarity.
"""

from core.duplicates.find import DuplicateSettings, find_duplicates, group_photos
from core.duplicates.groups import KINDS, DuplicateGroup, Member
from core.duplicates.memory import DuplicateMemory, KnownDuplicates
from core.duplicates.report import DUPLICATE_FORMATS, write_duplicates

__all__ = [
    "DUPLICATE_FORMATS",
    "DuplicateGroup",
    "DuplicateMemory",
    "DuplicateSettings",
    "KINDS",
    "KnownDuplicates",
    "Member",
    "find_duplicates",
    "group_photos",
    "write_duplicates",
]
