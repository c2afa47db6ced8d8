"""Which encoder and index files make up a workspace's searchable state, and whether they are sound.

The state is a record in the workspace database: the model the embeddings come from, that
model's file, and the Annoy files of the last build, each sealed with its size and SHA-256.
Files are never rewritten in place: a build writes new files under new names (a generation
number, or the model's id), and they become the state only when the database commits the
record naming them. A run stopped at any moment therefore leaves the previous state whole;
files of older states are removed after the commit (or by the next run, if it never came).

Opening a state checks each file against its seal first. The full checksum is read only when
the file's size, modification time or inode changed since it was sealed, so an unchanged
index opens without reading it; a file damaged in place (overwritten, truncated, replaced)
fails its seal and is rebuilt from the stored embeddings instead of being handed to Annoy,
which does not check what it maps and can crash on a bad file.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from core.common import COLOUR_INDEX_NAME, DEFAULT_ENCODER, ENCODER_NAME, INDEX_NAME, SearchIndexError
from core.storage.store import CatalogStore

STATE_KEY = "index_state"
_CHUNK = 1 << 20
_STALE = re.compile(r"^(index|colour)-\d+\.ann$|^encoder-[0-9a-f]{16}\.onnx$|^\.(index|colour|encoder)-.*\.tmp$")


class DamagedIndexError(SearchIndexError):
    """An index file does not match its seal: rebuild it from the stored embeddings."""


@dataclass(frozen=True)
class Seal:
    """What a file of the state was when it was written."""

    name: str  # the file's name in the workspace folder
    size: int
    sha256: str
    mtime_ns: int
    inode: int


def seal(path: Path) -> Seal:
    """The seal of a file just written."""
    st = os.stat(path)
    return Seal(path.name, st.st_size, _sha256(path), st.st_mtime_ns, st.st_ino)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def problem(path: Path, expected: Seal) -> str | None:
    """None if the file is the one sealed, else what is wrong with it (one phrase)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if not os.path.isfile(path) or os.path.islink(path):
        return "not a regular file"
    if st.st_size != expected.size:
        return f"{st.st_size:,} bytes instead of {expected.size:,}"
    if (st.st_mtime_ns, st.st_ino) == (expected.mtime_ns, expected.inode):
        return None
    try:
        same = _sha256(path) == expected.sha256
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    return None if same else "its contents changed"


@dataclass(frozen=True)
class IndexState:
    """The searchable state recorded in a workspace: the model, its file, and the index files."""

    model_id: str
    encoder: str | None  # the encoder's file name in the workspace; None: the embedded default
    shape: Seal | None  # None only for a workspace indexed before index files were sealed
    colour: Seal | None
    generation: int = 0
    # The model in use before this one, and its file (None: the embedded default), to go back to.
    previous_model_id: str | None = None
    previous_encoder: str | None = None

    @property
    def shape_name(self) -> str:
        return self.shape.name if self.shape is not None else INDEX_NAME

    @property
    def colour_name(self) -> str | None:
        return self.colour.name if self.colour is not None else None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "IndexState":
        data = json.loads(text)
        shape = Seal(**data["shape"]) if data.get("shape") else None
        colour = Seal(**data["colour"]) if data.get("colour") else None
        return cls(str(data["model_id"]), data.get("encoder"), shape, colour, int(data.get("generation", 0)),
                   data.get("previous_model_id"), data.get("previous_encoder"))

    def followed_by(self, model_id: str, encoder: str | None, shape: Seal, colour: Seal | None, generation: int) -> "IndexState":
        """The state of a build after this one: a new model remembers this one's as the previous."""
        if model_id == self.model_id:
            return IndexState(model_id, encoder, shape, colour, generation, self.previous_model_id, self.previous_encoder)
        return IndexState(model_id, encoder, shape, colour, generation, self.model_id, self.encoder)


def read_state(store: CatalogStore) -> IndexState | None:
    """The state recorded in the database; None if the catalog was never indexed.

    A workspace from before sealed states has only `model_id` and fixed file names: it is
    read as an unsealed state, which the next index run replaces by a sealed one.
    """
    text = store.get_meta(STATE_KEY)
    if text is not None:
        try:
            return IndexState.from_json(text)
        except (ValueError, KeyError, TypeError):
            raise DamagedIndexError("the workspace's index record is unreadable; index the catalog again") from None
    model_id = store.get_meta("model_id")
    if model_id is None:
        return None
    root = store.path.parent
    legacy_colour = root / COLOUR_INDEX_NAME
    colour = Seal(COLOUR_INDEX_NAME, 0, "", 0, 0) if legacy_colour.is_file() else None
    return IndexState(model_id, ENCODER_NAME if (root / ENCODER_NAME).is_file() else None, None, colour)


def is_indexed(database: Path) -> bool:
    """Whether the workspace of this database has an index in use (its record and its file are there)."""
    if not database.is_file():
        return False
    with CatalogStore(database) as store:
        state = read_state(store)
    return state is not None and (database.parent / state.shape_name).is_file()


def encoder_path(root: Path, state: IndexState | None) -> Path:
    """The encoder file of a state (the embedded default when the state names none)."""
    if state is None or state.encoder is None:
        return DEFAULT_ENCODER
    return root / state.encoder


def previous_encoder_path(root: Path, state: IndexState | None) -> Path | None:
    """The file of the encoder in use before the current one, or None when there was none (or it is gone)."""
    if state is None or state.previous_model_id is None:
        return None
    if state.previous_encoder is None:
        return DEFAULT_ENCODER
    path = root / state.previous_encoder
    return path if path.is_file() else None


def check_state(root: Path, state: IndexState) -> None:
    """Raise DamagedIndexError if an index file of the state is not the one its seal names."""
    for what, expected in (("index", state.shape), ("colour index", state.colour)):
        if expected is None or not expected.sha256:
            continue  # unsealed (older workspace): checked by its item count only
        trouble = problem(root / expected.name, expected)
        if trouble is not None:
            raise DamagedIndexError(f"the {what} file {expected.name} is damaged ({trouble}); it is rebuilt from the stored embeddings by: index")


def staged_encoder_name(model_id: str) -> str:
    """The file name a new model gets in the workspace before it is put to use."""
    return f"encoder-{model_id}.onnx"


def next_names(state: IndexState | None) -> tuple[int, str, str]:
    """(generation, shape file name, colour file name) for the next build."""
    generation = (state.generation if state is not None else 0) + 1
    return generation, f"index-{generation}.ann", f"colour-{generation}.ann"


def remove_stale(root: Path, state: IndexState) -> None:
    """Delete files of earlier states (and temp files of stopped runs) that the state does not name.

    A process still searching an old index keeps its memory map; on systems that refuse to
    delete a file in use, the file stays until a later run.
    """
    keep = {state.shape_name, state.colour_name, state.encoder, state.previous_encoder}
    legacy = {INDEX_NAME, COLOUR_INDEX_NAME, ENCODER_NAME} if state.shape is not None else set()
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        if entry.name in keep:
            continue
        if _STALE.match(entry.name) or entry.name in legacy:
            try:
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.path)
            except OSError:
                pass
