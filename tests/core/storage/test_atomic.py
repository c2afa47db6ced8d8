from __future__ import annotations

from pathlib import Path

import pytest

from core.common.errors import OutputError
from core.storage import atomic


class Boom(Exception):
    pass


def leftovers(folder: Path, target: Path) -> list[str]:
    """Names in `folder` other than the target itself (temp files would show up here)."""
    return sorted(p.name for p in folder.iterdir() if p != target)


def test_write_bytes_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(b"old")
    atomic.write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert leftovers(tmp_path, target) == []


def test_write_text_keeps_newlines_and_encoding(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    atomic.write_text(target, "a\r\nb\nç\n")
    assert target.read_bytes() == "a\r\nb\nç\n".encode("utf-8")
    atomic.write_text(target, "é", encoding="latin-1")
    assert target.read_bytes() == b"\xe9"


def test_target_replaced_only_when_body_succeeds(tmp_path: Path) -> None:
    target = tmp_path / "index.ann"
    target.write_bytes(b"old")
    with atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"fresh")
        assert tmp.parent == tmp_path
        assert tmp != target
        assert target.read_bytes() == b"old"  # not yet replaced while the body runs
    assert target.read_bytes() == b"fresh"
    assert not tmp.exists()
    assert leftovers(tmp_path, target) == []


def test_exception_in_body_keeps_old_content_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "catalog.csv"
    target.write_text("old content")
    seen: list[Path] = []
    with pytest.raises(Boom):
        with atomic.atomic_path(target) as tmp:
            seen.append(tmp)
            tmp.write_text("half written")
            raise Boom()
    assert target.read_text() == "old content"
    assert not seen[0].exists()
    assert leftovers(tmp_path, target) == []


def test_exception_without_existing_target_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with pytest.raises(Boom):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise Boom()
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_is_cleaned_up_too(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("keep")
    with pytest.raises(KeyboardInterrupt):
        with atomic.atomic_path(target) as tmp:
            tmp.write_text("x")
            raise KeyboardInterrupt()
    assert target.read_text() == "keep"
    assert leftovers(tmp_path, target) == []


def test_parent_folders_are_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.txt"
    atomic.write_text(target, "deep")
    assert target.read_text() == "deep"
    assert leftovers(target.parent, target) == []


def test_new_files_get_the_usual_permissions_and_old_ones_keep_theirs(tmp_path):
    import os
    import stat

    from core.storage.atomic import write_bytes

    mask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.bin"
        write_bytes(fresh, b"x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        private = tmp_path / "private.bin"
        private.write_bytes(b"old")
        os.chmod(private, 0o600)
        write_bytes(private, b"new")
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    finally:
        os.umask(mask)


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real" / "list.csv"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    atomic.write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"


def test_a_place_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match=f"cannot write {blocker / 'out.csv'}: {blocker} is a file, not a folder"):
        atomic.write_text(blocker / "out.csv", "data")
    assert blocker.read_text() == "x" and sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_writability_is_checked_up_front_and_leaves_nothing_behind(tmp_path: Path) -> None:
    atomic.check_writable(tmp_path / "new" / "recs.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["new"] and not any((tmp_path / "new").iterdir())
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        atomic.check_writable(tmp_path / "a-file" / "recs.csv")
