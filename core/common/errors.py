"""The few exception types core raises; the command line and the GUI turn them into one-line messages."""


class LookalikeError(Exception):
    """Base class: a problem the user can act on, described in one line."""


class CatalogError(LookalikeError):
    """The catalog folder or its workspace is missing, empty or unusable."""


class ImageError(LookalikeError):
    """A file could not be read as an image."""


class ModelError(LookalikeError):
    """An encoder model is missing, corrupt or does not follow the encoder contract."""


class SearchIndexError(LookalikeError):
    """The similarity index is missing or does not match the catalog."""


class InputError(LookalikeError):
    """A bad argument or input file given by the user."""


class OutputError(LookalikeError):
    """A file Lookalike writes could not be written (read-only place, no permission, disk full)."""


class Cancelled(LookalikeError):
    """A long job was stopped through its cancel token."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)
