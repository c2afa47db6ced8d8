"""From photos to lookalikes: embedding with an ONNX encoder (ONNX Runtime), colour descriptors,
the Annoy index, the indexing run that brings a workspace up to date with its catalog, the
search that ranks a catalog's products for a photo or an item, and one pair's score split into
its shape and its colour. It imports core.common,
core.storage and core.catalog.
"""

from core.similarity.blend import ScoreParts, blend, score_parts
from core.similarity.colour import DIMENSIONS as COLOUR_DIMENSIONS
from core.similarity.colour import HUE_BINS as COLOUR_HUE_BINS
from core.similarity.colour import Swatch, colour_descriptors, dominant_hue_bin, main_colours
from core.similarity.encoder import (
    CONTRACT_KEYS,
    CONTRACT_VERSION,
    FEATURES_OUTPUT,
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
    "FEATURES_OUTPUT",
    "CatalogSearcher",
    "EmbeddedBatch",
    "Embedder",
    "EncoderInfo",
    "IndexReport",
    "Match",
    "OnnxEncoder",
    "ScoreParts",
    "SearchIndex",
    "Swatch",
    "blend",
    "build_index",
    "check_encoder",
    "colour_descriptors",
    "decode_batch",
    "embed_decoded",
    "dominant_hue_bin",
    "index_catalog",
    "main_colours",
    "normalise",
    "rebuild_index",
    "score_parts",
]
