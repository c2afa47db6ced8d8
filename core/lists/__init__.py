"""Recommendation lists and where they go: curation (lists made from lookalikes, then pinned,
blocked, reordered, added to and annotated, each edit one transaction, undone entry by entry; bulk edits
of many lists a few hundred lists a transaction), which lists want a review, a lookalike list with one place per product, recommending for a whole catalog, the export writer
for people and shop platforms, and scoring lists against known categories. Lists keep the
duplicates the workspace knows of apart. It imports core.common, core.storage, core.catalog,
core.similarity and core.duplicates.
"""

from core.lists import edits, review
from core.lists.curation import LIST_KINDS, BulkInterrupted, BulkStep, Curation, Entry, ListState, Rules, export_lists
from core.lists.edits import EditConflict, ListChange
from core.lists.evaluate import RetrievalQuality, nearest, precision, retrieval_quality
from core.lists.formats import FORMATS, PLATFORM_FORMATS, ExportSummary, write_export
from core.lists.products import Products, lookalike_products, one_per_product, product_of
from core.lists.recommend import Recommendation, recommend_all

__all__ = [
    "BulkInterrupted",
    "BulkStep",
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
    "lookalike_products",
    "nearest",
    "one_per_product",
    "precision",
    "product_of",
    "recommend_all",
    "retrieval_quality",
    "review",
    "write_export",
]
