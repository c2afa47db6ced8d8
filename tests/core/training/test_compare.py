from pathlib import Path

import numpy as np

from core.catalog.images import load_batch
from core.demo import write_demo_catalog
from core.similarity.encoder import OnnxEncoder
from core.training.compare import MIN_PHOTOS, altered, compare_encoders


def _demo_squares(tmp_path: Path, count: int) -> np.ndarray:
    products = write_demo_catalog(tmp_path / "demo", count=count, seed=7)
    squares, errors = load_batch([tmp_path / "demo" / p.path for p in products], 64)
    assert not any(errors)
    return squares


def test_altered_copies_are_the_same_photos_a_little_changed_and_repeatable(tmp_path):
    squares = _demo_squares(tmp_path, 10)
    a, b = altered(squares, seed=1), altered(squares, seed=1)
    assert a.shape == squares.shape and np.array_equal(a, b)
    assert all(not np.array_equal(x, y) for x, y in zip(a, squares))
    darkest = a.reshape(len(a), -1).min(axis=1)
    assert (darkest < 200).all()  # the product is still in frame
    ratio = a.reshape(len(a), -1).mean(axis=1) / squares.reshape(len(a), -1).mean(axis=1)
    assert ((ratio > 0.7) & (ratio < 1.3)).all()


def test_an_encoder_against_itself_is_not_better_and_scores_are_repeatable(tmp_path, default_encoder):
    squares = _demo_squares(tmp_path, MIN_PHOTOS)
    encoder = OnnxEncoder(default_encoder)
    first = compare_encoders(encoder, encoder, squares)
    assert first.new == first.in_use and 0 < first.new <= 1 and first.conclusive and not first.new_is_better
    assert compare_encoders(encoder, encoder, squares) == first


def test_the_trained_default_beats_an_untrained_encoder(tmp_path, default_encoder, small_encoder):
    squares = _demo_squares(tmp_path, 120)
    check = compare_encoders(OnnxEncoder(default_encoder), OnnxEncoder(small_encoder), squares)
    assert check.new_is_better, check
    assert "with the new encoder" in check.describe()


def test_too_few_photos_decide_nothing(tmp_path, default_encoder, small_encoder):
    squares = _demo_squares(tmp_path, 30)
    check = compare_encoders(OnnxEncoder(default_encoder), OnnxEncoder(small_encoder), squares)
    assert not check.conclusive and not check.new_is_better and "too few" in check.describe()
