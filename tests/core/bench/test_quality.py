import numpy as np

from core.bench.quality import format_table, grey_pixels, hue_bins, run_quality_bench, write_json
from core.bench.seed_model import SIDE, seed_embeddings, train_seed


def test_seed_autoencoder_trains_and_embeds_in_32_numbers():
    rng = np.random.default_rng(0)
    squares = np.full((24, 64, 64, 3), 255, np.uint8)
    for s in squares:
        x, y = rng.integers(8, 40, 2)
        s[y : y + 16, x : x + 16] = rng.integers(0, 200, 3)
    model = train_seed(squares, epochs=1)
    vectors = seed_embeddings(model, squares)
    assert vectors.shape == (24, 32) and np.isfinite(vectors).all()
    assert SIDE == 32


def test_quality_bench_scores_every_method_on_the_demo(tmp_path, default_encoder):
    rows, notes = run_quality_bench(demo_count=40, fashion=False, epochs=1, demo_train_count=40)
    methods = [r.method for r in rows]
    assert methods[:2] == ["Lookalike (shipped encoder)", "Lookalike's small encoder"] and len(rows) == 5
    assert any("seed autoencoder" in m for m in methods) and any("grey pixels" in m for m in methods)
    shipped, small, _, histogram, _ = rows
    assert (shipped.dims, small.dims) == (512, 64) and shipped.quality.queries == small.quality.queries == 40
    assert shipped.quality.precision_at_10 > histogram.quality.precision_at_10
    assert shipped.quality.colour_leakage < histogram.quality.colour_leakage
    assert notes == ["Fashion-MNIST part not run (--no-fashion-mnist)"]
    table = format_table(rows)
    assert table.count("\n") == len(rows) + 1 and "| demo |" in table
    write_json(rows, notes, tmp_path / "q.json")
    assert (tmp_path / "q.json").read_text().startswith("{")


def test_baseline_features():
    squares = np.full((2, 64, 64, 3), 255, np.uint8)
    squares[1, 20:40, 20:40] = (200, 20, 20)
    grey = grey_pixels(squares)
    assert grey.shape == (2, 1024) and grey[0].max() == 0 and grey[1].max() > 0
    assert hue_bins(squares).tolist() == [-1, 0]
