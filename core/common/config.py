"""Typed defaults in one place. QSettings (in the GUI) holds only the user's own choices."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[2] / "resources"

WORKSPACE_DIRNAME = ".lookalike"
DATABASE_NAME = "catalog.sqlite"
LOCK_NAME = "lock"  # held while a run rewrites the workspace
# The fixed file names of workspaces indexed before index files were sealed and named by build
# (core.storage.index_state reads them, and the next index run replaces them).
ENCODER_NAME = "encoder.onnx"
INDEX_NAME = "index.ann"
COLOUR_INDEX_NAME = "colour.ann"
THUMBS_DIRNAME = "thumbs"
METADATA_NAME = "products.csv"

DEFAULT_ENCODER = RESOURCES / "default_encoder.onnx"  # the ImageNet backbone under a feature autoencoder
SMALL_ENCODER = RESOURCES / "small_encoder.onnx"  # the small convolutional autoencoder: about 20 times faster, less exact

# Image files are recognised by content; these suffixes mark files that were meant to be
# images, so a file with one of them that is not an image is reported instead of ignored.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".avif"})
# Photo formats Lookalike cannot read: a file named so is reported with the reason, not ignored.
_SAVE_AS = "save it as JPEG or PNG to include it"
UNSUPPORTED_SUFFIXES = {
    ".heic": f"HEIC photos cannot be read; {_SAVE_AS}",
    ".heif": f"HEIF photos cannot be read; {_SAVE_AS}",
    ".psd": f"Photoshop files cannot be read; {_SAVE_AS}",
    ".svg": f"SVG drawings cannot be read; {_SAVE_AS}",
    ".dng": f"camera raw files cannot be read; {_SAVE_AS}",
    ".cr2": f"camera raw files cannot be read; {_SAVE_AS}",
    ".nef": f"camera raw files cannot be read; {_SAVE_AS}",
    ".arw": f"camera raw files cannot be read; {_SAVE_AS}",
}

# Refuse images above this many pixels (decompression bombs); a 100 MP camera photo still passes.
MAX_IMAGE_PIXELS = 150_000_000
# Refuse images whose decoding would hold more than this many bytes at once (the decoded frame,
# the decoder's own copies of it, and any full-size converted copy). 400 MiB admits a 100 MP RGB
# PNG or TIFF and a 24 MP WebP, refuses a 12000x12000 RGB PNG (549 MiB), and keeps indexing's two
# decode threads under 1 GiB of decoding; JPEGs decoded for a square or a thumbnail are drafted
# down first, so any JPEG under the pixel limit passes.
MAX_DECODE_BYTES = 400 * 2**20
# Memory an encoder's run may take for its activations: photos go through the encoder as many at
# a time as fit, by what one photo took when the model was loaded (at least one at a time).
ENCODE_MEMORY_BYTES = 2**30


@dataclass(frozen=True)
class IndexSettings:
    """How the catalog is encoded and indexed."""

    batch_size: int = 128
    decode_threads: int = 2
    # The threads of one run of the encoder while photos decode beside it: one thread spends less
    # CPU a photo than two (0.24 against 0.31 ms on the small encoder), and runs go side by side, one
    # a core (core.similarity.encoder), so that no thread of a run waits for one a decode has taken.
    encode_threads: int = 1
    annoy_trees: int = 100  # with search_k 10,000: recall@10 0.95 at p99 1.4 ms on 1M clustered vectors (bench speed)
    colour_trees: int = 10  # the colour index only proposes candidates for re-ranking
    annoy_search_k: int = 10_000
    # Changes since the last build (added, changed or removed items) up to this share of the
    # index are searched exactly beside it; beyond it the index is built again.
    rebuild_share: float = 0.05


@dataclass(frozen=True)
class TrainSettings:
    """How an encoder is trained on a catalog."""

    epochs: int = 10
    batch_size: int = 128
    learning_rate: float = 2e-3
    input_size: int = 64
    latent_dim: int = 64
    widths: tuple[int, ...] = (16, 32, 64, 128)
    seed: int = 0
    max_images: int = 60_000
    validation_share: float = 0.1
    # Reconstruct the photo as it was, not as augmented: the latent must then ignore the augmentation.
    canonical_target: bool = False
    # Share of each training image hidden under random blocks (a denoising task); 0 turns it off.
    erase_share: float = 0.0
    # Optimiser steps, whatever the catalog's size; None: `epochs` passes over the photos.
    steps: int | None = None
    # Start from the encoder in use (when it is one of Lookalike's) rather than from scratch;
    # it then keeps its architecture, and trains for `fine_tune_steps` unless told otherwise.
    start_from_in_use: bool = True
    fine_tune_steps: int = 600
    fine_tune_rate: float = 1e-3
    # Steps that train only the fresh decoder before the encoder it starts from moves too.
    warmup_steps: int = 150
