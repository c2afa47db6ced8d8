"""From photos to lookalikes: embedding with an ONNX encoder (ONNX Runtime), colour descriptors,
the Annoy index, the indexing run that brings a workspace up to date with its catalog, and the
search that ranks a catalog's products for a photo or an item. It imports core.common,
core.storage and core.catalog.
"""

from core.similarity.colour import DIMENSIONS as COLOUR_DIMENSIONS
from core.similarity.colour import HUE_BINS as COLOUR_HUE_BINS
from core.similarity.colour import colour_descriptors, dominant_hue_bin
from core.similarity.encoder import (
    CONTRACT_KEYS,
    CONTRACT_VERSION,
    EncoderInfo,
    OnnxEncoder,
    check_encoder,
    normalise,
)
from core.similarity.index import SearchIndex, build_index
from core.similarity.indexing import (
    EmbeddedBatch,
    Embedder,
    IndexReport,
    decode_batch,
    embed_decoded,
    index_catalog,
    rebuild_index,
)
from core.similarity.search import CatalogSearcher, Match

__all__ = [
    "COLOUR_DIMENSIONS",
    "COLOUR_HUE_BINS",
    "CONTRACT_KEYS",
    "CONTRACT_VERSION",
    "CatalogSearcher",
    "EmbeddedBatch",
    "Embedder",
    "EncoderInfo",
    "IndexReport",
    "Match",
    "OnnxEncoder",
    "SearchIndex",
    "build_index",
    "check_encoder",
    "colour_descriptors",
    "decode_batch",
    "embed_decoded",
    "dominant_hue_bin",
    "index_catalog",
    "normalise",
    "rebuild_index",
]
