"""The command line: parses arguments, runs core jobs, turns errors into one-line messages."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, NoReturn, Sequence

from core.common import (
    Cancelled,
    CancelToken,
    ImageError,
    InputError,
    LookalikeError,
    Progress,
    SearchIndexError,
    TrainSettings,
    training_problem,
)

if TYPE_CHECKING:  # the commands import what they need when they run, to start fast
    from core.similarity import CatalogSearcher

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CANCELLED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"lookalike: {message} (see --help)\n")
        raise SystemExit(EXIT_USAGE)


_MOST = 100_000_000  # beyond any catalog, and within what Annoy and NumPy take as a count


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    if value > _MOST:
        raise argparse.ArgumentTypeError(f"must be at most {_MOST:,}, got {value}")
    return value


def _at_least_zero(text: str) -> int:
    value = _whole(text)
    if not 0 <= value <= _MOST:
        raise argparse.ArgumentTypeError(f"must be between 0 and {_MOST:,}, got {value}")
    return value


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


class _Reporter:
    """Progress as one rewritten line on a terminal, nothing when piped."""

    def __init__(self, stream=sys.stderr) -> None:
        self.stream = stream
        self.live = stream.isatty()

    def __call__(self, p: Progress) -> None:
        if not self.live:
            return
        total = f"/{p.total}" if p.total else ""
        extra = f" loss {p.loss:.4f}" if p.loss is not None else ""
        epoch = f" epoch {p.epoch}" if p.epoch is not None else ""
        self.stream.write(f"\r{p.stage}: {p.done}{total}{epoch}{extra} {p.detail}".ljust(78)[:120])
        self.stream.flush()

    def finish(self) -> None:
        if self.live:
            self.stream.write("\r" + " " * 78 + "\r")
            self.stream.flush()


def _workspace(args: argparse.Namespace, create: bool = True, thorough: bool = False):
    """The catalog's workspace; a damaged database is restored from its latest backup first, and that is said.

    `thorough`: check every page first (SQLite's quick_check), for runs that write to the database.
    """
    from core.storage import Workspace, recover_if_damaged

    ws = Workspace.locate(args.catalog, args.workspace, create=create)
    _say_recovered(recover_if_damaged(ws, thorough))
    return ws


def _say_recovered(note: str | None) -> None:
    for line in (note or "").splitlines():
        print(f"lookalike: {line}", file=sys.stderr)


def _recovering(command: Callable[..., int], args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    """Run a command; a workspace database it finds damaged on the way is restored from its latest backup, and the command run again."""
    from core.storage import DatabaseDamaged, Workspace, recover

    try:
        return command(args, reporter, cancel)
    except DatabaseDamaged as exc:
        if getattr(args, "catalog", None) is None:
            raise
        ws = Workspace.locate(args.catalog, args.workspace, create=False)
        if exc.path != ws.database:
            raise
        reporter.finish()
        _say_recovered(recover(ws, exc.reason))
        return command(args, reporter, cancel)


@contextlib.contextmanager
def _searcher(ws, reporter: _Reporter, locked: bool = False) -> Iterator["CatalogSearcher"]:
    """The catalog opened for searching; damaged index files are rebuilt from the stored embeddings first.

    `locked`: this run already holds the workspace.
    """
    from core.similarity import CatalogSearcher, rebuild_index
    from core.storage import DamagedIndexError

    try:
        searcher = CatalogSearcher(ws)
    except DamagedIndexError as exc:
        print(f"lookalike: {str(exc).split(';')[0]}; rebuilding it from the stored embeddings", file=sys.stderr)
        rebuild_index(ws, progress=reporter, locked=locked)
        reporter.finish()
        searcher = CatalogSearcher(ws)
    with searcher:
        yield searcher


def cmd_demo(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.demo import write_demo_catalog

    if not args.dir.strip():
        raise InputError("the demo catalog needs a folder name")
    products = write_demo_catalog(Path(args.dir), count=args.count, seed=args.seed, progress=reporter, cancel=cancel)
    reporter.finish()
    print(f"wrote {len(products)} product images and products.csv to {args.dir}")
    return 0


def _print_index_report(report) -> None:
    print(
        f"indexed {report.images} images: {report.encoded} encoded, {report.unchanged} unchanged, "
        f"{report.removed} gone, {len(report.failed)} unreadable "
        f"in {report.seconds:.1f} s ({report.encode_rate:.0f} images/s encoding)"
    )
    if report.moved:
        print(f"{report.moved} missing photos found again, with their lists")
    if report.missing:
        print(
            f"{report.missing} photos are missing from the catalog folder; they are kept with their lists "
            f"until they come back or you forget them (see: missing CATALOG)"
        )
    if report.repaired is not None:
        print(f"lookalike: {report.repaired}; rebuilt it from the stored embeddings", file=sys.stderr)
    if report.backup_problem is not None:
        print(f"lookalike: no backup was made: {report.backup_problem}", file=sys.stderr)
    if report.model is not None:
        print(f"model {report.model.model_id} trained on {report.model.trained_on}")
    if report.metadata is not None:
        line = f"metadata: {report.metadata.matched} rows matched"
        if report.metadata.unmatched:
            shown = ", ".join(report.metadata.unmatched[:5])
            more = f" and {len(report.metadata.unmatched) - 5} more" if len(report.metadata.unmatched) > 5 else ""
            line += f", {len(report.metadata.unmatched)} matched no image: {shown}{more}"
        print(line)
    if report.metadata_problem is not None:
        print(f"lookalike: product details not read: {report.metadata_problem}", file=sys.stderr)
    for path, reason in report.failed:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    for path, reason in report.skipped:
        print(f"not followed {path}: {reason}", file=sys.stderr)


def _index(ws, reporter: _Reporter, cancel: CancelToken, **options):
    """Index the catalog; a database found damaged on the way is restored from its latest backup and the run done again."""
    from core.similarity import index_catalog
    from core.storage import DatabaseDamaged, recover

    try:
        return index_catalog(ws, progress=reporter, cancel=cancel, **options)
    except DatabaseDamaged as exc:
        reporter.finish()
        _say_recovered(recover(ws, exc.reason))
        return index_catalog(ws, progress=reporter, cancel=cancel, **options)


def cmd_index(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.common import check_regular_file

    from core.common import SMALL_ENCODER

    model = SMALL_ENCODER if args.model == "small" else Path(args.model) if args.model else None
    for given, what in ((model, "encoder model"), (args.metadata, "metadata file")):
        if given:
            check_regular_file(Path(given), what)
    if args.model and args.previous_model:
        raise InputError("give --model or --previous-model, not both")
    ws = _workspace(args)
    if args.previous_model:
        model = ws.previous_encoder()
        if model is None:
            raise InputError(f"no previous encoder to go back to: {args.catalog} has used only the one in use")
    options = {"model": model, "metadata": Path(args.metadata) if args.metadata else None, "verify": args.verify}
    if args.cluster:
        from core.cluster import connect

        with connect(args.cluster, args.cluster_workers) as embedder:
            report = _index(ws, reporter, cancel, embedder=embedder, **options)
    else:
        report = _index(ws, reporter, cancel, **options)
    reporter.finish()
    _print_index_report(report)
    if args.verify:
        print(f"verified {report.checked} photos by their bytes: {report.changed} had changed since they were indexed "
              f"and were embedded again")
    return 0


def cmd_import_shop(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.common import check_regular_file
    from core.shop import DownloadSettings, import_into, read_shop_export

    export = Path(args.export)
    check_regular_file(export, "shop export")
    shop = read_shop_export(export)  # a file that is not an export is refused before any folder is made
    ws, report = import_into(
        shop, Path(args.catalog), args.workspace, media_url=args.media_url,
        media_dir=Path(args.media_dir) if args.media_dir else None,
        settings=DownloadSettings(workers=args.workers), progress=reporter, cancel=cancel,
    )
    reporter.finish()
    d = report.download
    print(
        f"{report.platform} export: {report.products} products, {report.photos} photos: {d.fetched} fetched, "
        f"{d.kept} already here, {len(d.failed)} failed" + (f", {d.removed} no longer listed removed" if d.removed else "")
    )
    print(report.summary())
    for line in report.problems:
        print(f"not read: {line}", file=sys.stderr)
    for line in d.failed:
        print(f"photo skipped: {line}", file=sys.stderr)
    if report.without_photo:
        shown = ", ".join(report.without_photo[:5]) + (f" and {len(report.without_photo) - 5} more" if len(report.without_photo) > 5 else "")
        have = "product has no photo and stays" if len(report.without_photo) == 1 else "products have no photo and stay"
        print(f"note: {len(report.without_photo)} {have} out of lists: {shown}", file=sys.stderr)
    if args.no_index:
        return 0
    index_report = _index(ws, reporter, cancel)
    reporter.finish()
    _print_index_report(index_report)
    return 0


def cmd_missing(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.storage import CatalogStore

    ws = _workspace(args, create=False, thorough=args.forget)
    with ws.exclusive("forgetting missing photos of") if args.forget else contextlib.nullcontext(), CatalogStore(ws.database) as store:
        missing = store.missing_items()
        if not missing:
            print("no photo is missing: every item's photo is in the catalog folder")
            return 0
        if not args.forget:
            for item in missing:
                print(f"{item.path}  missing since {item.missing_since}: {item.missing}")
            print(f"{len(missing)} photos missing; they come back with their lists when found again (index), "
                  f"or run: missing {args.catalog} --forget")
            return 0
        items, lists = store.forget_missing()
    print(f"forgot {items} missing photos and their {lists} lists")
    return 0


def _require_training() -> None:
    """Training imports PyTorch and onnx lazily; say which are missing in one line, before any work."""
    problem = training_problem()
    if problem:
        raise InputError(problem)


def cmd_train(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.common import check_destination

    _require_training()
    ws = _workspace(args, thorough=True)
    out = Path(args.out) if args.out else None
    if out is not None:  # before PyTorch loads and the minutes of training, not after
        check_destination(out, ws.catalog, ws.root)
    from core.training import train_on_catalog

    if args.epochs and args.steps:
        raise InputError("give --epochs or --steps, not both")
    settings = replace(TrainSettings(), start_from_in_use=not args.from_scratch)
    result = train_on_catalog(ws, epochs=args.epochs, steps=args.steps, out=out, settings=settings, keep=args.keep,
                              progress=reporter, cancel=cancel)
    reporter.finish()
    best = result.history[result.best_epoch - 1]
    if result.started_from == "the backbone":
        print(f"refitted the feature autoencoder on the backbone features of {result.images} images in {result.seconds:.0f} s "
              f"({result.steps} steps; final loss {best.train_loss:.4f})")
    else:
        print(
            f"trained {result.steps} steps ({len(result.history)} passes) on {result.images} images from {result.started_from} "
            f"in {result.seconds:.0f} s; best pass {best.epoch} (validation loss {best.val_loss:.4f})"
        )
    print(result.verdict)
    if result.index_report is not None:
        _print_index_report(result.index_report)
    elif out is not None:
        print(f"to use it: index {args.catalog} --model {result.model_path}")
    return 0


def _require_searchable(searcher: CatalogSearcher) -> None:
    """An index whose photos are all unreadable or gone answers nothing: say so instead."""
    if not len(searcher):
        raise SearchIndexError(f"no photo of {searcher.ws.catalog} can be searched: every one is unreadable or gone (see: index)")


def cmd_query(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.common import check_regular_file

    image = Path(args.image)
    check_regular_file(image, "image")
    with _searcher(_workspace(args, create=False), reporter) as searcher:
        _require_searchable(searcher)
        try:
            matches = searcher.similar_to_image(image, args.k, colour_weight=args.color_weight)
        except ImageError as exc:
            raise ImageError(f"{image}: {exc}") from None
    if args.json:
        print(json.dumps([m.as_json() for m in matches]))
    else:
        for m in matches:
            print(f"{m.score:.4f}  {m.sku or '-':<12}  {m.path}")
    return 0


def cmd_recommend(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.catalog import APP_THUMB_SIZE, ThumbnailCache
    from core.common import check_destination
    from core.lists import LIST_KINDS, PLATFORM_FORMATS, Curation, Rules, export_lists, write_export
    from core.storage import CatalogStore, atomic, backup_database

    ws = _workspace(args, create=False, thorough=True)
    out = Path(args.out)
    check_destination(out, ws.catalog, ws.root)
    atomic.check_writable(out)  # before the lists are made, not after
    rules = Rules(
        k=args.k,
        min_score=args.min_score,
        category=args.category,
        group=args.group,
        sku_prefix=args.sku_prefix,
        kind=args.kind,
        colour_weight=args.color_weight,
        photos=args.match_photos,
        variants=args.variants,
    )
    backup_problem = None
    # The lists are rewritten under the workspace's lock: an index run or another list run
    # meanwhile is turned away instead of mixing its changes or its rules with these.
    with ws.exclusive("making lists for"), _searcher(ws, reporter, locked=True) as searcher, CatalogStore(ws.database) as store:
        _require_searchable(searcher)
        made = Curation(store).generate(searcher, rules, progress=reporter, cancel=cancel)
        kinds = LIST_KINDS if args.format in PLATFORM_FORMATS else (rules.kind,)
        lists = export_lists(store, kinds)
        try:
            backup_database(ws, store)
        except LookalikeError as exc:
            backup_problem = str(exc)
    reporter.finish()
    thumbs = ThumbnailCache(ws.thumbs, APP_THUMB_SIZE) if args.format == "html" else None
    summary = write_export(lists, out, args.format, ws.catalog, thumbs, ws.root)
    print(f"made {made} {rules.kind} lists (manual edits kept); wrote {args.format} for {summary.products} products to {out}")
    for reason in summary.skipped:
        print(f"left out: {reason}", file=sys.stderr)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    if backup_problem is not None:
        print(f"lookalike: no backup was made: {backup_problem}", file=sys.stderr)
    return 0


def cmd_duplicates(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.common import check_destination
    from core.duplicates import KINDS, DuplicateMemory, find_duplicates, write_duplicates
    from core.storage import CatalogStore, atomic, read_state

    ws = _workspace(args, create=False, thorough=True)
    out = Path(args.out)
    check_destination(out, ws.catalog, ws.root)
    atomic.check_writable(out)
    with ws.exclusive("finding duplicates in"):
        with CatalogStore(ws.database) as store:
            if read_state(store) is None:
                raise SearchIndexError(f"{ws.catalog} is not indexed yet: run index first")
        groups = find_duplicates(ws, progress=reporter, cancel=cancel)
        with CatalogStore(ws.database) as store:
            DuplicateMemory(store).save(groups)
    reporter.finish()
    write_duplicates(groups, out, args.format)
    counts = ", ".join(f"{sum(g.kind == kind for g in groups)} {kind}" for kind in KINDS)
    photos = sum(len(g.members) for g in groups)
    print(f"found {len(groups)} groups ({counts}) holding {photos} photos; wrote {args.format} to {out}")
    print("lists made from now on keep them apart (recommend)")
    return 0


def cmd_evaluate(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.catalog import read_product_csv
    from core.lists import precision

    try:
        entries = json.loads(Path(args.recommendations).read_text(encoding="utf-8"))
        lists = {e["path"]: [r["path"] for r in e["recommendations"]] for e in entries}
    except FileNotFoundError:
        raise InputError(f"file not found: {args.recommendations}") from None
    except (ValueError, KeyError, TypeError):
        raise InputError(f"{args.recommendations}: not a recommend --format json file") from None
    labels = {row["path"]: row.get("category", "") for row in read_product_csv(Path(args.labels)).rows}
    labels = {path: label for path, label in labels.items() if label}
    quality = precision(lists, labels, args.k)
    if quality.queries == 0:
        raise InputError("no recommended item has a category in the labels file")
    print(
        f"precision@1 {quality.precision_at_1:.3f}  precision@{quality.k} {quality.precision_at_k:.3f}  "
        f"over {quality.queries} items"
    )
    return 0


@contextlib.contextmanager
def _data_folder(path: str | None) -> Iterator[Path]:
    """The benchmark's catalogs folder: the one given (kept), or a temporary one (removed after)."""
    if path:
        folder = Path(path).expanduser()
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="lookalike-bench-") as tmp:
        yield Path(tmp)


def _check_bench_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any measuring, a --out (or the contact sheets written beside it) that would land on
    a file of the photo folders the benchmark reads or keeps (--photos, --data)."""
    from core.common import check_destination

    if not args.out:
        return
    out = Path(args.out)
    sheets = {"duplicates": [f"{out.stem}-groups.png"], "quality": [f"{out.stem}-shipped.png", f"{out.stem}-trained.png"]}
    if args.what == "quality" and args.slider:
        sheets["quality"] = [f"{out.stem}-slider.png"]
    outs = [out] + [out.with_name(name) for name in sheets.get(args.what, []) if args.photos]
    folders = [Path(folder) for folder in (args.photos, args.data) if folder] or [None]
    for path in outs:
        for folder in folders:
            check_destination(path, folder)


def cmd_bench(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    _check_bench_outputs(args)
    if args.what == "duplicates":
        from core.bench import format_duplicates, run_duplicate_bench, run_held_out_bench, write_duplicates_json, write_group_sheet

        if not args.photos:
            raise InputError("bench duplicates needs --photos DIR, the folder of photos to make the set from")
        real = None
        with _data_folder(args.data) as folder:
            data, rows, finding = run_duplicate_bench(Path(args.photos), folder, progress=reporter, cancel=cancel)
            held_data, held_rows, held_finding = run_held_out_bench(Path(args.photos), folder, data, progress=reporter, cancel=cancel)
            if args.labels:
                from core.bench import LabelColumns, score_real_catalog

                columns = LabelColumns(args.id_column, args.type_column, args.group_column, args.colour_column)
                real = score_real_catalog(Path(args.photos), Path(args.labels), folder, columns, reporter, cancel)
            reporter.finish()
            print(format_duplicates(data, rows, finding, "tune set (the edits the settings were chosen on)"))
            print()
            print(format_duplicates(held_data, held_rows, held_finding, "held-out set (other photos, other edits)"))
            if real is not None:
                from core.bench import format_real_catalog

                print()
                print(format_real_catalog(real))
            if args.out:  # the picture beside the JSON, while the set is still there
                out = Path(args.out)
                print(f"groups found: {write_group_sheet(data, out.with_name(f'{out.stem}-groups.png'))}")
        if args.out:
            write_duplicates_json(rows, finding, Path(args.out), real, (held_rows, held_finding))
        return 0
    if args.what == "import":
        from core.bench import format_import, run_import_bench, write_import_json

        if args.photos and not args.labels:
            raise InputError("--photos needs --labels FILE.csv, the file that names each photo's type")
        real = (Path(args.photos), Path(args.labels)) if args.photos else None
        with _data_folder(args.data) as folder:
            result = run_import_bench(folder, args.import_photos, real=real, progress=reporter, cancel=cancel)
        reporter.finish()
        print(format_import(result))
        if args.out:
            write_import_json(result, Path(args.out))
        return 0
    if args.what == "quality" and args.slider:
        from core.bench import LabelColumns, format_slider_table, run_slider_bench, write_slider_json, write_slider_sheet

        if not (args.photos and args.labels):
            raise InputError("--slider needs --photos DIR and --labels FILE.csv, the photos and the file that names each one's type and colour")
        columns = LabelColumns(args.id_column, args.type_column, args.group_column, args.colour_column)
        rows, notes, sheets = run_slider_bench(Path(args.photos), Path(args.labels), columns, args.min_per_type,
                                               sheet_queries=tuple(args.slider_queries or ()), progress=reporter, cancel=cancel)
        reporter.finish()
        print(format_slider_table(rows, columns))
        for note in notes:
            print(note)
        if args.out:
            out = Path(args.out)
            write_slider_json(rows, notes, out)
            print(f"wrote {out}")
            if sheets:
                print(f"wrote {write_slider_sheet(sheets, out.with_name(f'{out.stem}-slider.png'))}")
        return 0
    if args.what == "quality" and args.photos:
        _require_training()
        from core.bench import LabelColumns, format_photo_table, run_photo_bench, write_photo_json

        if not args.labels:
            raise InputError("--photos needs --labels FILE.csv, the file that names each photo's type")
        columns = LabelColumns(args.id_column, args.type_column, args.group_column, args.colour_column)
        out = Path(args.out) if args.out else None
        sheet = out.with_suffix(".png") if out is not None else None
        rows, notes = run_photo_bench(Path(args.photos), Path(args.labels), columns, args.min_per_type, args.epochs,
                                      sheet, progress=reporter, cancel=cancel)
        reporter.finish()
        print(format_photo_table(rows, columns))
        for note in notes:
            print(note)
        if out is not None:
            write_photo_json(rows, notes, out)
            print(f"wrote {out} and contact sheets {sheet.stem}-shipped.png, {sheet.stem}-trained.png beside it")
        return 0
    if args.what == "quality":
        _require_training()
        from core.bench import format_table, run_quality_bench, write_quality_json

        rows, notes = run_quality_bench(
            demo_count=args.demo_count,
            fashion=not args.no_fashion_mnist,
            epochs=args.epochs or 10,
            train_limit=args.train_limit,
            progress=reporter,
            cancel=cancel,
        )
        reporter.finish()
        print(format_table(rows))
        for note in notes:
            print(note)
        if args.out:
            write_quality_json(rows, notes, Path(args.out))
        return 0
    if args.what == "speed":
        from core.bench import PARTS, Scale, format_report, run_speed_bench, write_speed_json

        unknown = [p for p in args.parts if p not in PARTS]
        if unknown:
            raise InputError(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
        scale = Scale(at_scale=args.scale_items, **({"query_sizes": tuple(args.sizes)} if args.sizes else {}))
        with _data_folder(args.data) as data:
            results = run_speed_bench(data, tuple(args.parts), scale, progress=reporter, cancel=cancel)
        reporter.finish()
        print(format_report(results))
        if args.out:
            write_speed_json(results, Path(args.out))
        return 0
    raise InputError(f"unknown benchmark {args.what!r}")


def cmd_build_default(args: argparse.Namespace, reporter: _Reporter, cancel: CancelToken) -> int:
    from core.common import check_destination

    _require_training()
    check_destination(Path(args.out), None)  # no catalog is read: a folder or a device is refused before the training
    from core.training import build_default_encoder, build_small_encoder

    if args.small:
        summary = build_small_encoder(Path(args.out), epochs=args.epochs, progress=reporter, cancel=cancel)
    else:
        summary = build_default_encoder(Path(args.out), progress=reporter, cancel=cancel)
    reporter.finish()
    print(summary)
    return 0


_EPILOG = """\
With no command, lookalike opens the desktop app:
  lookalike                          the desktop app (the most recent catalog, if any)
  lookalike --open FOLDER            the desktop app on this catalog
  lookalike --self-test [--screenshot FILE]
                                     drive the real window offscreen on a demo catalog, then exit
Each command has its own help: lookalike COMMAND --help
"""


TRAINING_COMMANDS = ("train", "build-default")


def _parser() -> argparse.ArgumentParser:
    from core.lists import FORMATS, LIST_KINDS

    trains = training_problem() is None or not getattr(sys, "frozen", False)  # from source, say what to install instead
    parser = _Parser(
        prog="lookalike",
        description="Find visually similar products in a catalog of product photos, and curate and export 'you may also like' lists.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")

    def command(name: str, help_text: str, parent: argparse._SubParsersAction = sub) -> argparse.ArgumentParser:
        return parent.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")

    # Commands this installation refuses (training, in the packaged app) get a parser of their
    # own that is never shown, so help offers only what works; run() explains the refusal.
    unlisted = _Parser(prog="lookalike").add_subparsers(parser_class=_Parser)

    def catalog_command(name: str, help_text: str, hidden: bool = False) -> argparse.ArgumentParser:
        p = command(name, help_text, unlisted if hidden else sub)
        p.add_argument("catalog", metavar="CATALOG", help="the catalog folder of product photos")
        p.add_argument("--workspace", metavar="W", help="where Lookalike keeps its files for this catalog (default: CATALOG/.lookalike)")
        return p

    p = command("demo", "write a demo catalog of product photos, with its products.csv")
    p.add_argument("dir", metavar="DIR", help="a new or empty folder (or an earlier demo, which is rewritten)")
    p.add_argument("--count", type=_positive, default=400, metavar="N", help="how many products (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="which products: the same seed draws the same ones (default: %(default)s)")
    p.set_defaults(run=cmd_demo)

    p = catalog_command("index", "embed the catalog's new and changed photos and build the similarity index")
    p.add_argument("--model", metavar="M.onnx", help="an ONNX encoder to use from now on, or 'small' for the small, fast encoder "
                   "(about 20 times faster, less exact) (default: the one in use, at first the embedded default)")
    p.add_argument("--metadata", metavar="FILE.csv", help="product CSV with a path or filename column (default: CATALOG/products.csv, when there)")
    p.add_argument("--previous-model", action="store_true", help="go back to the encoder in use before the current one (default: keep the current one)")
    p.add_argument("--verify", action="store_true", help="read every photo and embed again those whose bytes changed, whatever their "
                   "size and dates say (default: read only photos whose size, dates or inode changed)")
    p.add_argument("--cluster", metavar="ADDRESS", help="decode and encode on the Dask scheduler at ADDRESS (tcp://host:8786), or 'local' for one started "
                   "here; the catalog must be where every worker reads it by the same path (default: this machine, no cluster)")
    p.add_argument("--cluster-workers", type=_positive, default=2, metavar="N", help="with --cluster local: worker processes of one thread each (default: %(default)s)")
    p.set_defaults(run=cmd_index)

    p = command("import-shop", "make a catalog of a Shopify, WooCommerce or Magento product export: fetch its photos, keep its products, index")
    p.add_argument("export", metavar="EXPORT.csv", help="the shop's product export (the platform is told by its header)")
    p.add_argument("catalog", metavar="CATALOG", help="the folder the photos go into (made if missing; a rerun fetches only what is missing or changed)")
    p.add_argument("--workspace", metavar="W", help="where Lookalike keeps its files for this catalog (default: CATALOG/.lookalike)")
    p.add_argument("--media-url", metavar="URL", help="Magento: the address its image paths are under, e.g. https://shop.example/media/catalog/product (default: none)")
    p.add_argument("--media-dir", metavar="DIR", help="Magento: a copy of pub/media/catalog/product to take the images from instead (default: none)")
    p.add_argument("--workers", type=_positive, default=8, metavar="N", help="photos fetched at once (default: %(default)s)")
    p.add_argument("--no-index", action="store_true", help="only fetch the photos and write products.csv (default: index them too)")
    p.set_defaults(run=cmd_import_shop)

    p = catalog_command("missing", "list the photos gone from the catalog folder (kept with their lists), or forget them")
    p.add_argument("--forget", action="store_true", help="remove the missing photos from the workspace, with their lists (default: only list them)")
    p.set_defaults(run=cmd_missing)

    p = catalog_command("train", "train an encoder on the catalog's own photos (needs PyTorch)", hidden=not trains)
    p.add_argument("--epochs", type=_positive, metavar="N", help="passes over the photos (default: 600 steps from the encoder in use, 10 passes from scratch)")
    p.add_argument("--steps", type=_positive, metavar="N", help="optimiser steps of 128 photos, whatever the catalog's size (default: see --epochs)")
    p.add_argument("--from-scratch", action="store_true", help="start from a fresh encoder (default: from the encoder in use, when it is one of Lookalike's)")
    p.add_argument("--keep", choices=("better", "new"), default="better",
                   help="better: use the new encoder only if a check on the catalog's photos finds it better; new: use it anyway (default: %(default)s)")
    p.add_argument("--out", metavar="M.onnx", help="only write the model here (default: make it the catalog's encoder and index again)")
    p.set_defaults(run=cmd_train)

    p = catalog_command("query", "list the catalog products that look most like a photo")
    p.add_argument("image", metavar="IMAGE", help="the photo to match (JPEG, PNG, WebP, ...)")
    p.add_argument("-k", type=_positive, default=10, metavar="K", help="how many matches (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="print a JSON array of {path, score, sku} (default: a table)")
    p.add_argument("--color-weight", type=_weight, default=0.0, metavar="W", help="0 matches by shape; higher weighs colour in, among the closest shapes (1: colour ranks them) (default: %(default)s)")
    p.set_defaults(run=cmd_query)

    p = catalog_command("recommend", "make every product's recommendation list (keeping manual edits) and export the lists")
    p.add_argument("-k", type=_positive, default=10, metavar="K", help="products per list (default: %(default)s)")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (outside the catalog's photos and its workspace)")
    p.add_argument("--format", choices=FORMATS, default="csv", help="what to write (default: %(default)s)")
    p.add_argument("--min-score", type=float, default=0.0, metavar="S", help="leave out matches less alike than this, -1 to 1 (default: %(default)s)")
    p.add_argument("--category", choices=("any", "same", "other"), default="any", help="recommend from any, the same or only other categories (default: %(default)s)")
    p.add_argument("--group", choices=("none", "sku-prefix", "base-name"), default="none", help="leave out variants of the product itself, found by SKU prefix or file name (default: %(default)s)")
    p.add_argument("--sku-prefix", type=_at_least_zero, default=0, metavar="N", help="with --group sku-prefix: prefix length; 0 is up to the last - or _ (default: %(default)s)")
    p.add_argument("--kind", choices=LIST_KINDS, default="related", help="which list to fill (default: %(default)s)")
    p.add_argument("--match-photos", choices=("main", "all"), default="main",
                   help="a shop product with several photos is matched by its main photo or by all of them (default: %(default)s)")
    p.add_argument("--color-weight", type=_weight, default=0.0, metavar="W", help="0 matches by shape; higher weighs colour in, among the closest shapes (1: colour ranks them) (default: %(default)s)")
    p.add_argument("--variants", choices=("apart", "include"), default="apart",
                   help="colourways of one design, as duplicates found them and a person confirmed them (Find Duplicates › Same Design): apart keeps the product's own out and one of any other design (default: %(default)s)")
    p.set_defaults(run=cmd_recommend)

    p = catalog_command("duplicates", "find exact copies, near-duplicates and colour variants among the catalog's photos, and write them out")
    p.add_argument("--out", required=True, metavar="FILE", help="the file to write (outside the catalog's photos and its workspace)")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="what to write (default: %(default)s)")
    p.set_defaults(run=cmd_duplicates)

    p = command("evaluate", "precision by category of a recommend --format json file")
    p.add_argument("recommendations", metavar="RECOMMENDATIONS.json", help="what recommend --format json wrote")
    p.add_argument("--labels", required=True, metavar="FILE.csv", help="product CSV with path and category columns")
    p.add_argument("-k", type=_positive, default=10, metavar="K", help="how many of each list count (default: %(default)s)")
    p.set_defaults(run=cmd_evaluate)

    p = command("bench", "measure quality (needs PyTorch), speed or a shop import on this machine" if trains
                else "measure speed or a shop import on this machine")
    p.add_argument("what", choices=("quality", "speed", "import", "duplicates") if trains else ("speed", "import", "duplicates"), help="which benchmark")
    p.add_argument("--parts", nargs="+", default=["indexing", "queries", "memory", "incremental", "startup", "recommend", "cluster"], metavar="PART",
                   help="speed: which parts to run, of those and scale (a million thumbnails end to end, about an hour) (default: %(default)s)")
    p.add_argument("--scale-items", type=_positive, default=1_000_000, metavar="N", help="speed: photos in the scale part's catalog (default: %(default)s)")
    p.add_argument("--sizes", type=_positive, nargs="+", metavar="N", help="speed: vector counts for query latency (default: 10000 100000 1000000)")
    p.add_argument("--data", metavar="DIR", help="speed: keep the benchmark catalogs here and reuse them (default: a temporary folder)")
    p.add_argument("--import-photos", type=_positive, default=1000, metavar="N", help="import: photos in the shop export (default: %(default)s)")
    p.add_argument("--demo-count", type=_positive, default=1000, metavar="N", help="quality: demo products to score (default: %(default)s)")
    p.add_argument("--epochs", type=_positive, metavar="N", help="quality: training epochs (default: 10; with --photos, what train does by default)")
    p.add_argument("--train-limit", type=_positive, default=None, metavar="N", help="quality: train on at most this many Fashion-MNIST items (default: all)")
    p.add_argument("--no-fashion-mnist", action="store_true", help="quality: leave Fashion-MNIST out (default: use it when installed)")
    p.add_argument("--photos", metavar="DIR", help="duplicates: the photos to make the set from; quality: score a folder of real labelled photos instead of the demo and Fashion-MNIST (default: not run)")
    p.add_argument("--labels", metavar="FILE.csv", help="quality --photos: the label file, a row per photo named by its id column; duplicates: with it, `duplicates` is also judged on the --photos folder as it is, pairs whose labels differ counted as certain mistakes (default: none)")
    p.add_argument("--id-column", default="id", metavar="C", help="quality --photos: the column that is each photo's file name without suffix (default: %(default)s)")
    p.add_argument("--type-column", default="articleType", metavar="C", help="quality --photos: the fine label scored (default: %(default)s)")
    p.add_argument("--group-column", default="subCategory", metavar="C", help="quality --photos: the coarse label scored (default: %(default)s)")
    p.add_argument("--colour-column", default="baseColour", metavar="C", help="quality --photos: the colour label (default: %(default)s)")
    p.add_argument("--min-per-type", type=_positive, default=20, metavar="N", help="quality --photos: score only types with this many photos (default: %(default)s)")
    p.add_argument("--slider", action="store_true", help="quality --photos: only what the shape-colour slider does: p@10 by type and same colour in the top 10 at 0, 0.25, 0.5, 0.75 and 1, for even and odd ids (no training) (default: off)")
    p.add_argument("--slider-queries", nargs="+", metavar="ID", help="quality --slider --out: photo ids whose top 10 at each slider value go on a contact sheet beside the JSON (default: none)")
    p.add_argument("--out", metavar="FILE.json", help="also write the results as JSON here, and contact sheets beside it (default: print only)")
    p.set_defaults(run=cmd_bench)

    p = command("build-default", "train the embedded default encoder (needs PyTorch)", sub if trains else unlisted)
    p.add_argument("--out", default=str(Path("resources") / "default_encoder.onnx"), metavar="M.onnx", help="where to write it (default: %(default)s)")
    p.add_argument("--small", action="store_true", help="build the small encoder instead (write it to resources/small_encoder.onnx) (default: off)")
    p.add_argument("--epochs", type=_positive, default=12, metavar="N", help="--small: passes over the training photos (default: %(default)s)")
    p.set_defaults(run=cmd_build_default)
    return parser


def run(argv: Sequence[str]) -> int:
    """Run one command; returns the exit status. Errors become one line on stderr."""
    if argv and argv[0] in TRAINING_COMMANDS and not training_problem() is None:
        try:
            _require_training()
        except InputError as exc:
            print(f"lookalike: {argv[0]}: {exc}", file=sys.stderr)
            return EXIT_ERROR
    args = _parser().parse_args(list(argv))
    cancel = CancelToken()
    reporter = _Reporter()
    command: Callable[..., int] = args.run
    try:
        return _recovering(command, args, reporter, cancel)
    except Cancelled:
        reporter.finish()
        print("lookalike: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        cancel.cancel()
        reporter.finish()
        print("lookalike: interrupted", file=sys.stderr)
        return EXIT_CANCELLED
    except LookalikeError as exc:
        reporter.finish()
        print(f"lookalike: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a file the user named that the system refused: say which and why
        if os.environ.get("LOOKALIKE_DEBUG"):
            raise
        reporter.finish()
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"lookalike: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        reporter.finish()
        print("lookalike: not enough memory for this run; close other programs or index fewer photos at a time", file=sys.stderr)
        return EXIT_ERROR
    except sqlite3.Error as exc:  # anything the store did not put in words already
        if os.environ.get("LOOKALIKE_DEBUG"):
            raise
        reporter.finish()
        print(f"lookalike: the workspace database failed: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:
        if os.environ.get("LOOKALIKE_DEBUG"):
            raise
        reporter.finish()
        print(f"lookalike: internal error: {type(exc).__name__}: {exc} (LOOKALIKE_DEBUG=1 shows details)", file=sys.stderr)
        return EXIT_ERROR
