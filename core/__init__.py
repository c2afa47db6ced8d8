"""Lookalike without its window: every step from a catalog folder to exported lists.

The packages follow the data's way (docs/architecture.md draws it):

- `catalog`: the photo folder, its product list, decoding, thumbnails.
- `similarity`: embedding (ONNX Runtime), the Annoy index, indexing runs, search.
- `lists`: curated recommendation lists and their exports.
- `training`: the autoencoder (PyTorch) and the ONNX encoders it makes.
- `storage`: the workspace, its database, atomic writes, backups.
- `common`: errors, defaults, job progress and cancel, fault points.
- `demo`: the drawn demo catalog. `bench`: the benchmarks, outside the product's path.
- `cli`: the command line, which like gui/ uses each package through the names it exports.

Nothing here imports Qt; only `training` (and the quality benchmark) imports PyTorch.
"""
