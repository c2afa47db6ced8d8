"""Duplicate photos in a catalog: exact copies (the same bytes), near-duplicates (one photo,
altered: resized, re-encoded, cropped, a banner put on) and variants (one design in another
colour). Candidates come from what indexing stored; the photos themselves decide, registered onto
each other. The finding is remembered in the workspace with what a person said of it, shown with
its evidence, and written out for review. It imports core.common, core.catalog, core.storage and
core.similarity.
"""

from core.duplicates.evidence import Evidence, photo_evidence
from core.duplicates.find import DuplicateSettings, find_duplicates, group_photos
from core.duplicates.groups import KINDS, DuplicateGroup, Member
from core.duplicates.memory import DuplicateMemory, KnownDuplicates
from core.duplicates.report import DUPLICATE_FORMATS, write_duplicates

__all__ = [
    "DUPLICATE_FORMATS",
    "DuplicateGroup",
    "DuplicateMemory",
    "DuplicateSettings",
    "Evidence",
    "KINDS",
    "KnownDuplicates",
    "Member",
    "find_duplicates",
    "photo_evidence",
    "group_photos",
    "write_duplicates",
]
