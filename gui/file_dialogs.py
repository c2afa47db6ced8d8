"""File and folder choosers that open where the user last chose a file of the same kind.

Each kind (catalog folders, shop exports, query photos, exports, encoders...) remembers its own
folder in QSettings under "folders/<kind>"; a folder gone since falls back to the home folder,
never the working directory. The dialogs are Qt's own, not the platform's, so they behave alike
everywhere and a typed new folder name can be accepted.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDir, QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def remembered_folder(settings: QSettings, kind: str) -> Path:
    """Where the last chooser of `kind` was left, or the home folder."""
    value = settings.value(f"folders/{kind}", "")
    folder = Path(str(value)) if value else None
    return folder if folder is not None and folder.is_dir() else Path(QDir.homePath())


def remember_folder(settings: QSettings, kind: str, folder: Path) -> None:
    settings.setValue(f"folders/{kind}", str(folder))


class FolderDialog(QFileDialog):
    """A folder chooser; with `may_create`, a typed name of a folder that does not exist yet is made and chosen."""

    def __init__(self, parent: QWidget | None, caption: str, start: Path, may_create: bool = False) -> None:
        super().__init__(parent, caption, str(start))
        self.may_create = may_create
        self.setFileMode(QFileDialog.FileMode.Directory)
        self.setOption(QFileDialog.Option.ShowDirsOnly, True)
        self.setOption(QFileDialog.Option.DontUseNativeDialog, True)

    def accept(self) -> None:
        chosen = self.selectedFiles()
        if self.may_create and chosen and not Path(chosen[0]).exists():
            folder = Path(chosen[0])
            try:
                folder.mkdir()
            except OSError as exc:
                QMessageBox.warning(self, self.windowTitle(), f"Cannot make the folder {folder}: {exc.strerror or exc}")
                return
        super().accept()


def _file_dialog(parent: QWidget | None, caption: str, start: Path, filters: str) -> QFileDialog:
    dialog = QFileDialog(parent, caption, str(start), filters)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    return dialog


def choose_folder(parent: QWidget | None, settings: QSettings, kind: str, caption: str,
                  fallback: Path | None = None, may_create: bool = False) -> Path | None:
    """A folder, chosen beside the last one of `kind` (which is selected, so Enter opens it again).

    Without a last one, the chooser opens in `fallback` (or the home folder).
    """
    last = settings.value(f"folders/{kind}", "")
    last_folder = Path(str(last)) if last else None
    if last_folder is not None and last_folder.parent.is_dir():
        start = last_folder.parent
    else:
        start = fallback if fallback is not None and fallback.is_dir() else Path(QDir.homePath())
    dialog = FolderDialog(parent, caption, start, may_create)
    if last_folder is not None and last_folder.parent == start and last_folder.is_dir():
        dialog.selectFile(last_folder.name)
    chosen = dialog.selectedFiles() if dialog.exec() else []
    dialog.deleteLater()
    if not chosen:
        return None
    folder = Path(chosen[0])
    remember_folder(settings, kind, folder)
    return folder


def choose_open_file(parent: QWidget | None, settings: QSettings, kind: str, caption: str, filters: str) -> Path | None:
    """An existing file, chosen in the folder of the last one of `kind`."""
    dialog = _file_dialog(parent, caption, remembered_folder(settings, kind), filters)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    chosen = dialog.selectedFiles() if dialog.exec() else []
    dialog.deleteLater()
    if not chosen:
        return None
    path = Path(chosen[0])
    remember_folder(settings, kind, path.parent)
    return path


def choose_save_file(parent: QWidget | None, settings: QSettings, kind: str, caption: str, name: str,
                     filters: str) -> tuple[Path | None, str]:
    """A file to write (its name suggested), in the folder of the last one of `kind`; and the filter chosen."""
    dialog = _file_dialog(parent, caption, remembered_folder(settings, kind), filters)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile(name)
    chosen = dialog.selectedFiles() if dialog.exec() else []
    name_filter = dialog.selectedNameFilter()
    dialog.deleteLater()
    if not chosen:
        return None, ""
    path = Path(chosen[0])
    remember_folder(settings, kind, path.parent)
    return path, name_filter
