"""The benchmarks behind `bench speed`, `bench quality` (with `--slider`, the colour slider on real photos), `bench import` and `bench duplicates`, and the catalogs, shops
and baselines they generate (with the photo server on 127.0.0.1 that the import is measured on): outside the product's path, so nothing else in core imports this package. It may
import every product package. The quality benchmarks train models, so their names load PyTorch
only when asked for; `bench speed` runs without it, as in the packaged app.
"""

from core.bench.duplicates import (
    DuplicateSet,
    PairScore,
    format_duplicates,
    run_duplicate_bench,
    run_held_out_bench,
    write_duplicates_json,
    write_group_sheet,
)
from core.bench.shop_import import ImportBench, format_import, run_import_bench, write_import_json
from core.bench.speed import PARTS, Scale, format_report, run_speed_bench
from core.bench.speed import write_json as write_speed_json

_QUALITY = {"run_quality_bench", "format_table", "write_quality_json"}
_PHOTOS = {"LabelColumns", "run_photo_bench", "format_photo_table", "write_photo_json"}
_SLIDER = {"run_slider_bench", "format_slider_table", "write_slider_json", "write_slider_sheet"}
_REAL = {"score_real_catalog", "format_real_catalog"}


def __getattr__(name: str) -> object:
    if name in _QUALITY:
        from core.bench import quality

        return getattr(quality, "write_json" if name == "write_quality_json" else name)
    if name in _PHOTOS:
        from core.bench import photos

        return getattr(photos, name)
    if name in _SLIDER:
        from core.bench import slider

        return getattr(slider, name)
    if name in _REAL:
        from core.bench import real_duplicates

        return getattr(real_duplicates, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DuplicateSet",
    "PairScore",
    "format_duplicates",
    "run_duplicate_bench",
    "run_held_out_bench",
    "score_real_catalog",
    "format_real_catalog",
    "write_duplicates_json",
    "write_group_sheet",
    "ImportBench",
    "LabelColumns",
    "PARTS",
    "Scale",
    "format_import",
    "format_report",
    "format_photo_table",
    "format_slider_table",
    "format_table",
    "run_import_bench",
    "run_photo_bench",
    "run_quality_bench",
    "run_slider_bench",
    "run_speed_bench",
    "write_import_json",
    "write_photo_json",
    "write_quality_json",
    "write_slider_json",
    "write_slider_sheet",
    "write_speed_json",
]
