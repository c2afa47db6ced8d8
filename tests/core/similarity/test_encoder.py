import os
import threading
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from core.common.errors import Cancelled, ModelError
from core.common.jobs import CancelToken
from core.similarity.encoder import CONTRACT_KEYS, RUN_SECONDS, OnnxEncoder, _photos_per_run, _resident_bytes, _runs_at_once, normalise
from tests import encoder_graphs
from tests.conftest import SMALL_INPUT, rgb_array


def test_loads_contract_and_embeds_in_batches(small_encoder):
    enc = OnnxEncoder(small_encoder, threads=1)
    assert enc.info.input_size == SMALL_INPUT
    assert enc.info.latent_dim == 16
    assert enc.info.trained_on == "tests"
    batch = rgb_array(10, SMALL_INPUT)
    whole = enc.embed(batch)
    parts = np.concatenate([enc.embed(batch[:3]), enc.embed(batch[3:])])
    assert whole.shape == (10, 16) and whole.dtype == np.float32
    np.testing.assert_allclose(whole, parts, atol=1e-5)
    assert enc.embed(batch[:0]).shape == (0, 16)


def test_model_id_follows_file_content(small_encoder, tmp_path):
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(small_encoder.read_bytes())
    assert OnnxEncoder(copy).info.model_id == OnnxEncoder(small_encoder).info.model_id


def test_wrong_image_size_is_refused(small_encoder):
    with pytest.raises(ModelError):
        OnnxEncoder(small_encoder).embed(rgb_array(2, SMALL_INPUT + 4))


def test_missing_and_corrupt_models_are_refused(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        OnnxEncoder(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a protobuf at all" * 10)
    with pytest.raises(ModelError, match="not a usable ONNX model"):
        OnnxEncoder(bad)


def _graph_model(path, in_shape, out_dims, meta=None):
    """A tiny real ONNX model: global average pool + flatten, with the given input shape."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, out_dims)
    nodes = [helper.make_node("GlobalAveragePool", ["x"], ["p"]), helper.make_node("Flatten", ["p"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, "g", [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    for k, v in (meta or {}).items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(path))
    return path


def test_foreign_model_following_the_contract_loads(tmp_path):
    path = _graph_model(tmp_path / "pool.onnx", ["N", 3, 24, 24], ["N", 3])
    enc = OnnxEncoder(path)
    assert enc.info.input_size == 24 and enc.info.latent_dim == 3
    white = np.full((1, 24, 24, 3), 255, np.uint8)
    np.testing.assert_allclose(enc.embed(white), [[1.0, 1.0, 1.0]], atol=1e-6)


def test_incompatible_models_are_refused_with_a_reason(tmp_path):
    grey = _graph_model(tmp_path / "grey.onnx", ["N", 1, 28, 28], ["N", 1])
    with pytest.raises(ModelError, match=r"input must be \(N, 3, S, S\)"):
        OnnxEncoder(grey)
    unsized = _graph_model(tmp_path / "unsized.onnx", ["N", 3, "H", "W"], ["N", 3])
    with pytest.raises(ModelError, match="input size"):
        OnnxEncoder(unsized)
    liar = _graph_model(tmp_path / "liar.onnx", ["N", 3, 24, 24], ["N", 3], {CONTRACT_KEYS["latent_dim"]: "64"})
    with pytest.raises(ModelError, match="64 dimensions"):
        OnnxEncoder(liar)


def test_normalise_gives_unit_rows_and_keeps_zero_rows():
    v = normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(v, [[0.6, 0.8], [0.0, 0.0]])


# ---- awkward models: a fixed batch, a wrong output shape, memory, slowness (tests/encoder_graphs.py) ----


@pytest.mark.parametrize("batch", [1, 3])
def test_a_model_with_a_fixed_batch_is_run_that_many_photos_at_a_time(tmp_path, batch):
    enc = OnnxEncoder(encoder_graphs.projection(tmp_path / "fixed.onnx", batch=batch))
    assert enc.photos_per_run == batch
    photos = rgb_array(7, SMALL_INPUT)  # 7: the last run is filled up to the batch
    pixels = photos.transpose(0, 3, 1, 2).reshape(7, -1).astype(np.float32) / 255
    expected = pixels @ encoder_graphs._projection(16)
    np.testing.assert_allclose(enc.embed(photos), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="runs go side by side only on a machine with two cores")
def test_runs_on_one_thread_go_side_by_side_and_give_their_rows_in_order(tmp_path):
    enc = OnnxEncoder(encoder_graphs.projection(tmp_path / "one.onnx", batch=1), threads=1)
    assert enc.runs_at_once == os.cpu_count()  # one run a core
    photos = rgb_array(9, SMALL_INPUT)  # nine runs of one photo, two or more going at a time
    pixels = photos.transpose(0, 3, 1, 2).reshape(9, -1).astype(np.float32) / 255
    np.testing.assert_allclose(enc.embed(photos), pixels @ encoder_graphs._projection(16), rtol=1e-4, atol=1e-4)
    assert OnnxEncoder(encoder_graphs.projection(tmp_path / "one.onnx", batch=1)).runs_at_once == 1  # all the cores in one run


@pytest.mark.parametrize("threads, run_mb, memory_mb, expected", [
    (1, 10, 1024, 2),  # one run a core
    (2, 10, 1024, 1),  # one run takes both cores
    (1, 600, 1024, 1),  # two runs' photos would not fit the budget
])
def test_runs_side_by_side_are_as_many_as_the_cores_and_the_memory_hold(monkeypatch, threads, run_mb, memory_mb, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert _runs_at_once(threads, run_mb * 2**20, memory_mb * 2**20) == expected


@pytest.mark.parametrize("build, words", [
    (encoder_graphs.transposed, "for one photo it gave shape (16, 1)"),
    (encoder_graphs.one_row, "photos it gave shape (1, 16)"),
])
def test_a_model_that_does_not_give_a_row_per_photo_is_refused_in_words(tmp_path, build, words):
    with pytest.raises(ModelError, match="must give one row per photo") as refused:
        OnnxEncoder(build(tmp_path / "odd.onnx")).embed(rgb_array(6, SMALL_INPUT))
    assert words in str(refused.value)


def test_photos_go_through_a_memory_hungry_model_as_many_as_fit_the_budget(tmp_path):
    budget = 256 * 2**20
    enc = OnnxEncoder(encoder_graphs.wide(tmp_path / "wide.onnx", 60), threads=1, memory=budget)
    assert enc.photos_per_run <= 3  # 60 MB a photo and some, beside the first photo's, kept by ONNX Runtime
    if enc.photo_seconds <= RUN_SECONDS / 3:  # on a machine too busy for 2 photos in RUN_SECONDS, time sets it at 1
        assert enc.photos_per_run >= 2  # the memory it has left for a second photo is used
    photos = rgb_array(12, SMALL_INPUT)
    before = _resident_bytes()
    vectors = enc.embed(photos)
    assert _resident_bytes() - before < budget  # all 12 at once would be 720 MB
    np.testing.assert_allclose(vectors, photos.transpose(0, 3, 1, 2).reshape(12, -1) / 255, atol=1e-6)


def test_a_model_that_cannot_get_memory_for_one_photo_says_so_in_one_line(tmp_path, capfd):
    with pytest.raises(ModelError) as refused:
        OnnxEncoder(encoder_graphs.wide(tmp_path / "huge.onnx", 2**28))  # 256 TB: more than any address space
    assert str(refused.value) == "huge.onnx needs more memory than this computer can give it for one photo"
    assert capfd.readouterr().err == ""  # ONNX Runtime logs nothing of its own


def test_a_cancel_stops_a_slow_model_in_the_middle_of_its_run(tmp_path):
    model = encoder_graphs.slow(tmp_path / "slow.onnx", layers=20)
    started = time.perf_counter()
    enc = OnnxEncoder(model, threads=1)
    one_photo = time.perf_counter() - started  # loading runs the model on one photo
    photos = rgb_array(8, SMALL_INPUT)
    cancel = CancelToken()
    timer = threading.Timer(0.5, cancel.cancel)
    timer.start()
    started = time.perf_counter()
    with pytest.raises(Cancelled):
        enc.embed(photos, cancel=cancel)
    stopped = time.perf_counter() - started
    timer.join()
    assert one_photo * 8 > 2.0, one_photo  # the run would have gone on for seconds
    assert stopped < 0.5 + 0.3, stopped
    np.testing.assert_allclose(enc.embed(photos[:2]), enc.embed(photos[:2]))  # and the encoder still works


@pytest.mark.parametrize("photo_mb, photo_seconds, expected", [
    (300, 0.01, 2),  # 1024 MB holds 3, one of them the first photo's, kept
    (1, 0.1, 5),  # half a second of work
    (1, 2.0, 1),  # one photo is more than half a second: one at a time
    (2048, 0.01, 1),  # one photo is more than the budget: still one at a time
    (0.01, 1e-5, 512),  # however little a photo takes
])
def test_photos_per_run_fit_the_memory_budget_and_half_a_second(photo_mb, photo_seconds, expected):
    assert _photos_per_run(photo_mb * 2**20, photo_seconds, 2**30) == expected
