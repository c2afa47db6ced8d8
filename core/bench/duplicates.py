"""`bench duplicates`: how well near-duplicate photos are found, on a set made from any folder of photos.

The set: `originals` photos, each with its altered copies (the ways one photo comes back in a
catalog: resized, re-encoded, cropped, rotated, a banner or a watermark put on, brighter, a
border or letterbox added, mirrored) and a colourway (its hue turned: a variant, not a
duplicate), among `others` photos left as they are, plus a few byte-for-byte copies. Scored for
each method: precision, recall and F1 of near-duplicate pairs at the threshold that gives the
best F1 (an upper bound of what a fixed threshold gets), and the time per photo. Methods:
Lookalike's shape embedding (from indexing the set as a catalog), and imagehash's pHash and dHash
when imagehash is installed (`pip install imagehash`).

Then the finding itself, as `duplicates` makes it with its fixed thresholds: precision, recall
and F1 of the near-duplicate pairs its groups make, how many true groups it finds whole and how
many of its groups are pure, exact copies, colourways, its time per photo, and the share of
lists (made as `recommend` makes them) that hold a copy of their own product, before and after
the finding is known, and the recall of each alteration's pairs.

Two sets are made and scored: the tune set, by the edits above (those the finder's settings were
chosen on), and a held-out set, other originals altered by another family of edits
(core.bench.held_out_edits). A setting chosen on one set says nothing of its score there; the
held-out set's says how it does on edits it was not chosen for. An edit that leaves a photo's
bytes as they were makes no copy.
"""
from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from core.common import CancelToken, InputError, ProgressFn, no_progress
from core.storage import atomic

if TYPE_CHECKING:  # core.bench.real_duplicates reads labels; only its score's type is named here
    from core.bench.real_duplicates import RealCatalogScore

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def _crop(im: Image.Image, share: float = 0.08) -> Image.Image:
    w, h = im.size
    dx, dy = int(w * share / 2), int(h * share / 2)
    return im.crop((dx, dy, w - dx, h - dy))


def _banner(im: Image.Image) -> Image.Image:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    draw.rectangle((0, int(h * 0.86), w, h), fill=(200, 20, 40))
    draw.text((int(w * 0.08), int(h * 0.9)), "SALE -30%  FREE SHIPPING", fill=(255, 255, 255))
    return out


def _watermark(im: Image.Image) -> Image.Image:
    base = im.convert("RGBA")
    mark = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(mark)
    w, h = base.size
    r = int(min(w, h) * 0.12)
    draw.ellipse((w - 3 * r, h - 3 * r, w - r, h - r), fill=(40, 40, 40, 110))
    draw.text((w - int(2.6 * r), h - int(2.1 * r)), "SHOP", fill=(255, 255, 255, 180))
    return Image.alpha_composite(base, mark).convert("RGB")


def _letterbox(im: Image.Image) -> Image.Image:
    """Black bars to a 4:3 frame (wider still for a photo already wider than that)."""
    w, h = im.size
    frame = (max(w, round(h * 4 / 3)) + 2 * max(1, w // 16), h)
    out = Image.new("RGB", frame, (0, 0, 0))
    out.paste(im, ((frame[0] - w) // 2, 0))
    return out


def _hue_turn(im: Image.Image, turn: int = 85, least_saturation: int = 110) -> Image.Image:
    """Another colourway of the product: its hue turned, and a grey or black product given a colour.

    The white backdrop stays white (only pixels darker than it are coloured).
    """
    h, s, v = (np.asarray(band, np.int16) for band in im.convert("HSV").split())
    product = v < 235
    h = np.where(product, (h + turn) % 256, h)
    s = np.where(product, np.maximum(s, least_saturation), s)
    v = np.where(product, np.maximum(v, 60), v)  # black has no colour to show
    bands = [Image.fromarray(band.astype(np.uint8), "L") for band in (h, s, v)]
    return Image.merge("HSV", bands).convert("RGB")


# name -> (what it does to the photo, how it is saved: None = JPEG quality 92)
ALTERATIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "half": lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2)), Image.Resampling.LANCZOS),
    "q25": lambda im: im,
    "crop8": _crop,
    "rot4": lambda im: im.rotate(4, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255)),
    "banner": _banner,
    "bright25": lambda im: ImageEnhance.Brightness(im).enhance(1.25),
    "border30": lambda im: ImageOps.expand(im, border=30, fill=(255, 255, 255)),
    "mirror": ImageOps.mirror,
    "letterbox": _letterbox,
    "watermark": _watermark,
}


# Alterations saved other than as JPEG at quality 92: name -> (Pillow format, quality).
SAVED_AS: dict[str, tuple[str, int]] = {"q25": ("JPEG", 25)}
_SUFFIX = {"JPEG": ".jpg", "WEBP": ".webp"}


@dataclass(frozen=True)
class DuplicateSet:
    folder: Path
    photos: list[str]  # relative paths
    near: dict[str, int]  # photo -> its near-duplicate group (an original and its altered copies)
    variant_of: dict[str, int]  # a colourway -> the group of the original it was made from
    exact: dict[str, int]  # byte-for-byte copies -> their group
    sources: tuple[Path, ...] = ()  # the files the originals were made from


def build_duplicate_set(
    source: Path, folder: Path, originals: int = 300, others: int = 1700, exact_copies: int = 20, seed: int = 0,
    alterations: dict[str, Callable[[Image.Image], Image.Image]] = ALTERATIONS,
    colourway: Callable[[Image.Image], Image.Image] | None = None, saved_as: dict[str, tuple[str, int]] = SAVED_AS,
    not_originals: frozenset[Path] = frozenset(),
) -> DuplicateSet:
    """Write the set to `folder` (made anew) from the photos in `source`: each original altered by each of
    `alterations` (saved as `saved_as` says, else JPEG 92) and recoloured by `colourway` (default: its hue
    turned). Originals are never drawn from `not_originals` (another set's), so two sets can hold other photos."""
    colourway = colourway or _hue_turn
    files = _distinct(sorted(p for p in Path(source).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES))
    if len(files) < originals + others:
        raise InputError(f"{source} has {len(files)} distinct photos; the set needs {originals + others}")
    rng = random.Random(seed)
    if not_originals:
        candidates = [p for p in files if p not in not_originals]
        if len(candidates) < originals:
            raise InputError(f"{source} has {len(candidates)} photos not yet used as originals; the set needs {originals}")
        firsts = rng.sample(candidates, originals)
        chosen = firsts + rng.sample([p for p in files if p not in set(firsts)], others)
    else:  # drawn in one go, as the tune set always was
        chosen = rng.sample(files, originals + others)
        firsts = chosen[:originals]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    photos, near, variant_of, exact = [], {}, {}, {}
    for g, path in enumerate(chosen[:originals]):
        with Image.open(path) as src:
            im = src.convert("RGB")
        name = f"near/{g:04d}-original.jpg"
        _save(im, folder / name)
        near[name] = g
        photos.append(name)
        original = (folder / photos[-1]).read_bytes()
        for alteration, change in alterations.items():
            fmt, quality = saved_as.get(alteration, ("JPEG", 92))
            name = f"near/{g:04d}-{alteration}{_SUFFIX[fmt]}"
            _save(change(im), folder / name, fmt, quality)
            if (folder / name).read_bytes() == original:  # the edit changed nothing (more colour on a grey product)
                (folder / name).unlink()
                continue
            near[name] = g
            photos.append(name)
        name = f"variants/{g:04d}-colourway.jpg"
        _save(colourway(im), folder / name)
        variant_of[name] = g
        photos.append(name)
    for i, path in enumerate(chosen[originals:]):
        name = f"others/{i:04d}{path.suffix.lower()}"
        _first_copy(path, folder / name)
        photos.append(name)
        if i < exact_copies:
            copy = f"copies/{i:04d}-copy{path.suffix.lower()}"
            _first_copy(path, folder / copy)
            exact[name] = exact[copy] = i
            photos.append(copy)
    return DuplicateSet(folder, photos, near, variant_of, exact, tuple(firsts))


def _distinct(files: list[Path]) -> list[Path]:
    """The files less any byte-identical to an earlier one: the source's own copies would be true pairs the set does not know."""
    from core.catalog import content_hash

    seen: set[str] = set()
    kept = []
    for path in files:
        digest = content_hash(path)  # what the catalog tells exact copies by
        if digest not in seen:
            seen.add(digest)
            kept.append(path)
    return kept


def _save(im: Image.Image, path: Path, fmt: str = "JPEG", quality: int = 92) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, fmt, quality=quality)


def _first_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


@dataclass(frozen=True)
class PairScore:
    method: str
    threshold: float
    precision: float
    recall: float
    f1: float
    ms_per_photo: float  # beyond indexing: 0 for what indexing already computes


def best_f1(scores: np.ndarray, groups: np.ndarray, higher_is_closer: bool = True) -> tuple[float, float, float, float]:
    """(threshold, precision, recall, F1) at the best threshold over every pair of photos.

    `scores` is the full square matrix of pair scores; `groups` gives each photo its group,
    -1 for photos in none. Pairs within a group are the true ones.
    """
    n = len(groups)
    upper = np.triu_indices(n, 1)
    values = scores[upper] if higher_is_closer else -scores[upper]
    same = (groups[upper[0]] == groups[upper[1]]) & (groups[upper[0]] >= 0)
    order = np.argsort(-values, kind="stable")
    hits = np.cumsum(same[order])
    taken = np.arange(1, len(order) + 1)
    positives = int(same.sum())
    if positives == 0:
        raise InputError("the set has no duplicate pairs")
    precision = hits / taken
    recall = hits / positives
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1))
    threshold = float(values[order[best]]) * (1 if higher_is_closer else -1)
    return threshold, float(precision[best]), float(recall[best]), float(f1[best])


def _hash_matrix(bits: np.ndarray) -> np.ndarray:
    """Matching bits of every pair of hashes (higher is closer)."""
    signs = bits.astype(np.float32) * 2 - 1
    return (signs @ signs.T + bits.shape[1]) / 2


def _imagehash_rows(data: DuplicateSet, groups: np.ndarray) -> list[PairScore]:
    try:
        import imagehash
    except ImportError:
        return []
    rows = []
    for method, fn in (("pHash (imagehash)", imagehash.phash), ("dHash (imagehash)", imagehash.dhash)):
        started = time.perf_counter()
        bits = []
        for name in data.photos:
            with Image.open(data.folder / name) as im:
                bits.append(fn(im).hash.flatten())
        seconds = time.perf_counter() - started
        threshold, p, r, f = best_f1(_hash_matrix(np.array(bits)), groups)
        rows.append(PairScore(method, threshold, p, r, f, 1000 * seconds / len(data.photos)))
    return rows


def run_duplicate_bench(
    source: Path, folder: Path, originals: int = 300, others: int = 1700, seed: int = 0,
    progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
) -> tuple[DuplicateSet, list[PairScore], FindingScore]:
    """The tune set: made with ALTERATIONS, the edits the finder's settings were chosen on, then scored."""
    data = build_duplicate_set(source, folder / "set", originals, others, exact_copies=min(20, others), seed=seed)
    return (data, *_score_set(data, progress, cancel, hashes=True))


def run_held_out_bench(
    source: Path, folder: Path, tune: DuplicateSet, originals: int = 300, others: int = 1700, seed: int = 1,
    progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
) -> tuple[DuplicateSet, list[PairScore], FindingScore]:
    """The held-out set: other originals than `tune`'s, altered by the other family of edits
    (core.bench.held_out_edits), recoloured another way, then scored as the tune set is."""
    from core.bench.held_out_edits import HELD_OUT_EDITS, HELD_OUT_SAVED_AS, channel_colourway

    data = build_duplicate_set(
        source, folder / "held-out", originals, others, exact_copies=min(20, others), seed=seed, alterations=HELD_OUT_EDITS,
        colourway=channel_colourway, saved_as=HELD_OUT_SAVED_AS, not_originals=frozenset(tune.sources),
    )
    return (data, *_score_set(data, progress, cancel, hashes=False))


def _score_set(
    data: DuplicateSet, progress: ProgressFn, cancel: CancelToken | None, hashes: bool
) -> tuple[list[PairScore], FindingScore]:
    from core.similarity import index_catalog
    from core.storage import CatalogStore, Workspace, read_state

    groups = np.array([data.near.get(name, -1) for name in data.photos])
    ws = Workspace.locate(data.folder)
    index_catalog(ws, progress=progress, cancel=cancel)
    with CatalogStore(ws.database) as store:
        ids, vectors = store.embeddings(read_state(store).model_id)
        row = {int(i): n for n, i in enumerate(ids)}
        by_path = {item.path: item.id for item in store.items()}
        vectors = vectors[[row[by_path[name]] for name in data.photos]]
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    threshold, p, r, f = best_f1(vectors @ vectors.T, groups)
    rows = [PairScore("Lookalike shape embedding", threshold, p, r, f, 0.0)]
    if hashes:
        rows += _imagehash_rows(data, groups)
    return rows, score_finding(ws, data, progress, cancel)


@dataclass(frozen=True)
class FindingScore:
    """How `duplicates` (fixed thresholds) did on the set."""

    near_precision: float
    near_recall: float
    near_f1: float
    groups_whole: float  # true near groups found as one group (nothing of them elsewhere)
    groups_pure: float  # found near groups holding photos of one true group only
    exact_f1: float
    colourways_found: float  # colourways put in a variant group with their original's photos
    ms_per_photo: float  # finding the groups from what indexing stored
    lists_with_a_copy_before: float  # lists of the set's near photos holding a copy of their product
    lists_with_a_copy_after: float
    copies_per_list_before: float  # copies of its product a near photo's list holds, on average
    copies_per_list_after: float
    recall_by_kind: dict[str, float] = field(default_factory=dict)  # alteration -> recall of the true pairs its copies are in


def _pairs(groups: list[set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for g in groups for a in g for b in g if a < b}


def _prf(found: set, truth: set) -> tuple[float, float, float]:
    hits = len(found & truth)
    p = hits / len(found) if found else 1.0
    r = hits / len(truth) if truth else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def _true_groups(assignment: dict[str, int]) -> list[set[str]]:
    groups: dict[int, set[str]] = {}
    for name, g in assignment.items():
        groups.setdefault(g, set()).add(name)
    return list(groups.values())


def _copies_in_lists(ws, data: DuplicateSet) -> tuple[float, float]:
    """Of the near photos' lists (10 each, default rules): the share holding another photo of their
    group, and how many such photos one holds on average."""
    from core.lists import Curation, Rules
    from core.similarity import CatalogSearcher
    from core.storage import CatalogStore

    with CatalogSearcher(ws) as searcher, CatalogStore(ws.database) as store:
        curation = Curation(store)
        curation.generate(searcher, Rules(k=10))
        path_of = {item.id: item.path for item in store.items()}
        states = [s for s in curation.all_states("related") if path_of[s.item_id] in data.near]
        copies = [
            sum(data.near.get(path_of[e.target_id]) == data.near[path_of[s.item_id]] for e in s.shown) for s in states
        ]
    return sum(c > 0 for c in copies) / max(1, len(states)), sum(copies) / max(1, len(states))


def score_finding(ws, data: DuplicateSet, progress: ProgressFn = no_progress, cancel: CancelToken | None = None) -> FindingScore:
    """Run the finding on the indexed set and score it (the workspace keeps the finding)."""
    from core.duplicates import DuplicateMemory, find_duplicates
    from core.storage import CatalogStore

    before = _copies_in_lists(ws, data)
    started = time.perf_counter()
    groups = find_duplicates(ws, progress=progress, cancel=cancel)
    seconds = time.perf_counter() - started
    found = {kind: [{m.path for m in g.members} for g in groups if g.kind == kind] for kind in ("exact", "near", "variant")}
    true_near = _true_groups(data.near)
    p, r, f = _prf(_pairs(found["near"]), _pairs(true_near))
    by_kind = _recall_by_kind(_pairs(found["near"]), _pairs(true_near))
    whole = sum(any(t <= g and not (g - t) & set(data.near) for g in found["near"]) for t in true_near)
    pure = sum(len({data.near.get(name, -1 - i) for i, name in enumerate(sorted(g))}) == 1 for g in found["near"])
    exact_f1 = _prf(_pairs(found["exact"]), _pairs(_true_groups(data.exact)))[2]
    colourways = sum(
        any(name in g and any(data.near.get(other) == group for other in g) for g in found["variant"])
        for name, group in data.variant_of.items()
    )
    with CatalogStore(ws.database) as store:
        DuplicateMemory(store).save(groups)
    after = _copies_in_lists(ws, data)
    return FindingScore(
        p, r, f, whole / max(1, len(true_near)), pure / max(1, len(found["near"])), exact_f1,
        colourways / max(1, len(data.variant_of)), 1000 * seconds / len(data.photos), before[0], after[0], before[1], after[1],
        by_kind,
    )


def _kind(name: str) -> str:
    """"near/0042-banner.jpg" -> "banner"; an original -> "original"."""
    return Path(name).stem.partition("-")[2]


def _recall_by_kind(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    """For each alteration, the share of the true pairs holding one of its copies that were found."""
    hits: dict[str, int] = {}
    totals: dict[str, int] = {}
    for pair in truth:
        for kind in {_kind(name) for name in pair} - {"original"}:
            totals[kind] = totals.get(kind, 0) + 1
            hits[kind] = hits.get(kind, 0) + (pair in found)
    return {kind: hits[kind] / totals[kind] for kind in sorted(totals)}


def format_duplicates(data: DuplicateSet, rows: list[PairScore], finding: FindingScore | None = None, title: str = "duplicate set") -> str:
    groups = len(set(data.near.values()))
    lines = [
        f"{title}: {len(data.photos)} photos: {groups} originals with {len(data.near) - groups} altered copies, "
        f"{len(data.variant_of)} colourways, {len(set(data.exact.values()))} exact copies",
        f"{'method':28} {'threshold':>9} {'precision':>9} {'recall':>7} {'F1':>6} {'ms/photo':>9}",
    ]
    for r in rows:
        lines.append(f"{r.method:28} {r.threshold:9.3f} {r.precision:9.3f} {r.recall:7.3f} {r.f1:6.3f} {r.ms_per_photo:9.2f}")
    if finding is not None:
        f = finding
        lines += [
            "",
            "duplicates (fixed thresholds), as the command finds them:",
            f"  near-duplicate pairs: precision {f.near_precision:.3f}  recall {f.near_recall:.3f}  F1 {f.near_f1:.3f}",
            f"  groups found whole {f.groups_whole:.3f}  groups pure {f.groups_pure:.3f}  exact copies F1 {f.exact_f1:.3f}  "
            f"colourways found {f.colourways_found:.3f}",
            "  recall by alteration: " + ", ".join(f"{kind} {value:.2f}" for kind, value in f.recall_by_kind.items()),
            f"  {f.ms_per_photo:.3f} ms a photo beyond indexing",
            f"  lists of near photos holding a copy of their product: {f.lists_with_a_copy_before:.3f} before, "
            f"{f.lists_with_a_copy_after:.3f} after; copies in such a list {f.copies_per_list_before:.2f} before, "
            f"{f.copies_per_list_after:.2f} after",
        ]
    return "\n".join(lines)


def write_group_sheet(data: DuplicateSet, out: Path, originals: int = 12, tile: int = 84, seed: int = 0) -> Path:
    """A picture of the finding stored in the set's workspace: random originals, each row the near group it
    was found in (a photo that is not one of its copies framed red), then the copies that group missed
    (framed orange); an original found in no group starts its row framed orange."""
    from core.duplicates import DuplicateMemory
    from core.storage import CatalogStore, Workspace

    with CatalogStore(Workspace.locate(data.folder).database) as store:
        found = [g for g in DuplicateMemory(store).groups() if g.kind in ("near", "exact")]
    group_of = {m.path: {x.path for x in g.members} for g in found for m in g.members}
    true_groups = _true_groups(data.near)
    picked = random.Random(seed).sample(true_groups, min(originals, len(true_groups)))
    rows = []
    for copies in picked:
        first = next((name for name in sorted(copies) if name.endswith("-original.jpg")), min(copies))
        shown = sorted(group_of.get(first, {first}))
        missed = sorted(copies - set(shown))
        cells = [(name, (40, 160, 60) if name in copies else (220, 30, 30)) for name in shown]
        if first not in group_of:
            cells = [(first, (240, 150, 0))]
        rows.append(cells + [(name, (240, 150, 0)) for name in missed if name != first])
    gap, label = 5, 12
    width = max(len(r) for r in rows) * (tile + gap) + gap
    sheet = Image.new("RGB", (width, len(rows) * (tile + label + gap) + gap), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for r, cells in enumerate(rows):
        y = gap + r * (tile + label + gap)
        for c, (name, frame) in enumerate(cells):
            x = gap + c * (tile + gap)
            with Image.open(data.folder / name) as im:
                thumb = ImageOps.contain(im.convert("RGB"), (tile, tile))
            sheet.paste(thumb, (x + (tile - thumb.width) // 2, y + (tile - thumb.height) // 2))
            draw.rectangle((x - 2, y - 2, x + tile + 1, y + tile + 1), outline=frame, width=2)
            draw.text((x, y + tile + 1), _short_name(name), fill=(0, 0, 0))
    with atomic.atomic_path(out) as tmp:
        sheet.save(tmp, format="PNG")
    return out


def _short_name(name: str) -> str:
    """"near/0042-banner.jpg" as "42 banner", "others/0107.jpg" as "other 107", "variants/0003-colourway.jpg" as "colourway 3"."""
    folder, stem = name.split("/", 1)[0], Path(name).stem
    number, _, what = stem.partition("-")
    number = str(int(number)) if number.isdigit() else number
    return f"{number} {what}" if folder == "near" else f"{_SINGULAR.get(folder, folder)} {number}"


_SINGULAR = {"others": "other", "variants": "colourway", "copies": "copy"}


def write_duplicates_json(
    rows: list[PairScore], finding: FindingScore | None, out: Path, real: RealCatalogScore | None = None,
    held_out: tuple[list[PairScore], FindingScore] | None = None,
) -> None:
    """The scores as JSON: the tune set's, the held-out set's and the catalog as it is
    (core.bench.real_duplicates), each when measured."""
    record = {
        "pairs": [asdict(r) for r in rows],
        "finding": asdict(finding) if finding is not None else None,
        "held_out": {"pairs": [asdict(r) for r in held_out[0]], "finding": asdict(held_out[1])} if held_out else None,
        "real_catalog": asdict(real) if real is not None else None,
    }
    atomic.write_text(out, json.dumps(record, indent=1) + "\n")
