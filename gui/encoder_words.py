"""The encoder in use and a training's verdict on a new one, in the words a merchandiser reads.

The expert's facts (the model's id, its file, what its metadata says it was trained on, the
check's exact shares) go to tooltips; times are the user's local time.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from pathlib import Path
from typing import Any

from core.common import DEFAULT_ENCODER, SMALL_ENCODER
from core.similarity import EncoderInfo

# What core/training/job.py writes into an encoder trained on a catalog.
_CATALOG_TRAINED = re.compile(r"^catalog (?P<name>.+) \((?P<photos>\d+) images, from (?P<start>.+)\)$")


def local_time(iso: str, now: dt.datetime | None = None) -> str:
    """An ISO time (UTC as stored) as '7 Dec at 14:05' in local time, the year added when not this one; '' if unreadable."""
    try:
        when = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    when = when.astimezone()
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone()
    day = f"{when.day} {when:%b}" if when.year == now.year else f"{when.day} {when:%b} {when.year}"
    return f"{day} at {when:%H:%M}"


@functools.cache
def _built_in() -> dict[str, str]:
    """The embedded encoders' model ids (those of OnnxEncoder.info) and their names; a workspace may use a copy."""
    names = {}
    for path, name in ((DEFAULT_ENCODER, "Built-in encoder"), (SMALL_ENCODER, "Built-in small encoder")):
        try:
            names[hashlib.sha256(path.read_bytes()).hexdigest()[:16]] = name
        except OSError:
            pass
    return names


def is_built_in(info: EncoderInfo) -> bool:
    return info.model_id in _built_in() or Path(info.path).resolve() == DEFAULT_ENCODER.resolve()


def encoder_line(info: EncoderInfo, built: str, catalog: str) -> str:
    """'Trained on this catalog (1,000 photos) on 7 Dec at 14:05 · index built 7 Dec at 14:07' for the status bar."""
    created = local_time(info.created)
    on = f" on {created}" if created else ""
    trained = _CATALOG_TRAINED.match(info.trained_on)
    if is_built_in(info):
        what = _built_in().get(info.model_id, "Built-in encoder")
    elif trained is not None:
        where = "this catalog" if trained["name"] == catalog else f"the catalog “{trained['name']}”"
        what = f"Trained on {where} ({int(trained['photos']):,} photos){on}"
    else:
        what = f"Encoder trained on {info.trained_on}{on}"
    indexed = local_time(built) if built else ""
    return f"{what} · index built {indexed}" if indexed else f"{what} · not indexed yet"


def encoder_tooltip(info: EncoderInfo) -> str:
    """The expert's facts about the encoder in use."""
    return (f"Encoder {info.model_id}\n{info.path}\nTrained on {info.trained_on}\n"
            f"Detail kept: {info.latent_dim} numbers per photo, from {info.input_size} x {info.input_size} pixels")


def verdict(result: Any) -> str:
    """What a finished training did, and whether the new encoder beats the one in use and by how much.

    `result` is a core.training.CatalogTrainResult (PyTorch is imported only to train).
    """
    check = result.check
    measured = ""
    if check is not None and check.conclusive:
        points = round(100 * (check.new - check.in_use))
        by = (f"better by {points} points" if points > 0 else f"worse by {-points} points" if points < 0
              else "as good, within a point")
        measured = (f"The new encoder is {by}: it keeps {check.new:.0%} of a photo's lookalikes when the photo is "
                    f"retaken a little differently, the one in use {check.in_use:.0%} (checked on {check.photos:,} photos).")
    elif check is not None:
        measured = f"{check.photos:,} photos are too few to tell which encoder is better (the check needs 100)."
    if result.put_to_use:
        return f"The new encoder is in use. {measured}".strip()
    if result.set_aside is not None:
        return f"The encoder in use stays. {measured}".strip()
    return f"The new encoder was written to {result.model_path}. {measured}".strip()
