import numpy as np
import pytest

from core.common.errors import InputError
from core.demo.render import render_product


def test_render_product_is_deterministic_for_a_given_generator():
    a = render_product("boots", np.random.default_rng(7), size=(240, 300))
    b = render_product("boots", np.random.default_rng(7), size=(240, 300))
    c = render_product("boots", np.random.default_rng(8), size=(240, 300))
    assert a.size == (240, 300) and a.mode == "RGB"
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(a), np.asarray(c))


def test_render_product_rejects_unknown_category():
    with pytest.raises(InputError):
        render_product("spaceships", np.random.default_rng(0))
