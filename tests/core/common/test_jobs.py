import threading

import pytest

from core.common.errors import Cancelled
from core.common.jobs import CancelToken, Progress, Rate


def test_cancel_token_is_seen_from_another_thread():
    token = CancelToken()
    token.raise_if_cancelled()
    worker = threading.Thread(target=token.cancel)
    worker.start()
    worker.join()
    assert token.cancelled
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()


def test_progress_and_rate():
    p = Progress("encode", 3, 10, detail="x", loss=0.5, epoch=2)
    assert (p.stage, p.done, p.total, p.loss, p.epoch) == ("encode", 3, 10, 0.5, 2)
    assert Rate().per_second(0) == 0.0
