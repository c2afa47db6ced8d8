import errno

import pytest

from core.common import faults
from core.common.errors import Cancelled


def _reach(names, target, mode="cancel"):
    """The name of the point an armed fault stops at, or None if it never goes off."""
    with faults.arm(target, mode):
        for name in names:
            try:
                faults.point(name)
            except (Cancelled, OSError):
                return name
    return None


STEPS = ["db:schema:commit", "db:lists:commit", "db:lists:committed", "db:lists:commit", "file:index:replace"]


def test_a_count_a_name_and_the_kth_point_of_a_name_each_stop_at_their_own_step():
    assert _reach(STEPS, 4) == STEPS[3]
    assert _reach(STEPS, "lists:commit") == "db:lists:commit"
    assert _reach(STEPS, "db:lists:commit#2") == "db:lists:committed"  # a name containing the target counts
    with faults.arm("db:lists:commit#3", "cancel"):
        for name in STEPS[:3]:
            faults.point(name)
        with pytest.raises(Cancelled):
            faults.point(STEPS[3])
    assert _reach(STEPS, "db:lists:commit#4") is None
    assert _reach(STEPS, "index#1") == "file:index:replace"


def test_a_full_disk_fault_is_the_os_error_a_full_disk_gives():
    with faults.arm("index", "full"), pytest.raises(OSError) as raised:
        faults.point("file:index:replace")
    assert raised.value.errno == errno.ENOSPC
    assert not faults.fired()  # outside the block, nothing is armed
