"""Recommendation lists and where they go: curation (lists made from lookalikes, then pinned,
blocked, reordered, added to and annotated, each edit one transaction, undone entry by entry), recommending for a whole catalog, the export writer
for people and shop platforms, and scoring lists against known categories. Lists keep the
duplicates the workspace knows of apart. It imports core.common, core.storage, core.catalog,
core.similarity and core.duplicates.
"""

from core.lists import edits
from core.lists.curation import LIST_KINDS, Curation, Entry, ListState, Rules, export_lists
from core.lists.edits import EditConflict, ListChange
from core.lists.evaluate import RetrievalQuality, nearest, precision, retrieval_quality
from core.lists.formats import FORMATS, PLATFORM_FORMATS, ExportSummary, write_export
from core.lists.products import Products, product_of
from core.lists.recommend import Recommendation, recommend_all

__all__ = [
    "Curation",
    "EditConflict",
    "Entry",
    "ExportSummary",
    "FORMATS",
    "LIST_KINDS",
    "ListChange",
    "ListState",
    "PLATFORM_FORMATS",
    "Products",
    "Recommendation",
    "RetrievalQuality",
    "Rules",
    "edits",
    "export_lists",
    "nearest",
    "precision",
    "product_of",
    "recommend_all",
    "retrieval_quality",
    "write_export",
]
