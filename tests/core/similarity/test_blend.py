import numpy as np
import pytest

from core.common.errors import InputError
from core.similarity.blend import ScoreParts, blend, score_parts


def _unit(*values: float) -> np.ndarray:
    vector = np.array(values, np.float32)
    return vector / np.linalg.norm(vector)


def test_the_parts_add_up_to_the_blended_score_exactly():
    shape_a, shape_b = _unit(1, 2, 3), _unit(3, 2, 1)
    colour_a, colour_b = _unit(1, 0, 1), _unit(1, 1, 0)
    for weight in (0.0, 0.25, 0.5, 0.7, 1.0):
        parts = score_parts(shape_a, shape_b, colour_a, colour_b, weight)
        assert parts.shape_similarity == pytest.approx(float(shape_a @ shape_b))
        assert parts.colour_similarity == pytest.approx(0.5)
        assert parts.shape == (1.0 - weight) * parts.shape_similarity
        assert parts.colour == weight * parts.colour_similarity
        assert parts.score == parts.shape + parts.colour == blend(parts.shape_similarity, parts.colour_similarity, weight)
        assert parts.weight_used == weight


def test_without_colours_the_score_is_the_shape_whatever_the_weight():
    parts = score_parts(_unit(1, 0), _unit(1, 1), None, None, 0.6)
    assert parts == ScoreParts(pytest.approx(0.70710678), None, 0.6)
    assert parts.weight_used == 0.0 and parts.colour == 0.0
    assert parts.shape == parts.score == parts.shape_similarity


def test_a_weight_outside_zero_to_one_is_refused():
    with pytest.raises(InputError):
        score_parts(_unit(1, 0), _unit(0, 1), _unit(1, 0), _unit(0, 1), 1.5)
