"""What this installation can do: training needs PyTorch and ONNX, which the packaged app leaves out."""
from __future__ import annotations

import importlib.util
import sys

TRAINING_PACKAGES = ("torch", "onnx")


def training_problem() -> str | None:
    """Why this installation cannot train, in one line, or None when it can (found without importing)."""
    missing = [name for name in TRAINING_PACKAGES if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    where = "the packaged app does not include them" if getattr(sys, "frozen", False) else "pip install 'lookalike[train]'"
    return f"training needs {' and '.join(missing)}, which this installation lacks: {where}"
