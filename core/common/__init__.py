"""What every part of Lookalike shares: its error types, its typed defaults and file names, the
cancel token and progress shape of long jobs, the fault points that tests stop writes at, and the
checks on files a user names, and what this installation can do. It imports nothing else of
Lookalike.
"""

from core.common import config, faults
from core.common.config import (
    COLOUR_INDEX_NAME,
    DEFAULT_ENCODER,
    SMALL_ENCODER,
    ENCODE_MEMORY_BYTES,
    ENCODER_NAME,
    IMAGE_SUFFIXES,
    INDEX_NAME,
    MAX_DECODE_BYTES,
    MAX_IMAGE_PIXELS,
    METADATA_NAME,
    RESOURCES,
    UNSUPPORTED_SUFFIXES,
    WORKSPACE_DIRNAME,
    IndexSettings,
    TrainSettings,
)
from core.common.errors import (
    Cancelled,
    CatalogError,
    ImageError,
    InputError,
    LookalikeError,
    ModelError,
    OutputError,
    SearchIndexError,
)
from core.common.files import check_destination, check_regular_file, csv_records, reading_csv
from core.common.installation import training_problem
from core.common.jobs import CancelToken, Progress, ProgressFn, Rate, no_progress

__all__ = [
    "COLOUR_INDEX_NAME",
    "CancelToken",
    "Cancelled",
    "CatalogError",
    "DEFAULT_ENCODER",
    "SMALL_ENCODER",
    "ENCODE_MEMORY_BYTES",
    "ENCODER_NAME",
    "IMAGE_SUFFIXES",
    "INDEX_NAME",
    "ImageError",
    "IndexSettings",
    "InputError",
    "LookalikeError",
    "MAX_DECODE_BYTES",
    "MAX_IMAGE_PIXELS",
    "METADATA_NAME",
    "ModelError",
    "OutputError",
    "Progress",
    "ProgressFn",
    "RESOURCES",
    "Rate",
    "SearchIndexError",
    "TrainSettings",
    "UNSUPPORTED_SUFFIXES",
    "WORKSPACE_DIRNAME",
    "check_destination",
    "check_regular_file",
    "csv_records",
    "config",
    "faults",
    "no_progress",
    "training_problem",
    "reading_csv",
]
