"""Lookalike's pipeline: scanning, decoding, encoding, indexing and searching a product catalog.

Nothing in this package imports Qt. PyTorch is imported only by `model`, `train` and
`onnx_export`; everything else runs on ONNX Runtime, NumPy, Pillow and Annoy.
"""
