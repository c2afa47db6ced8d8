"""Learning what a catalog's products look like (PyTorch, imported only through this package): the
convolutional autoencoder, its training, the ONNX export that makes an encoder the rest of
Lookalike runs without PyTorch, training on a catalog and putting the encoder to use, and
building the embedded default from Fashion-MNIST and demo renders. It imports core.common,
core.storage, core.catalog, core.similarity and core.demo; nothing on the product's path
imports it except to train.
"""

from core.training import fashion_mnist
from core.training.default_encoder import build_default_encoder, build_small_encoder, demo_images
from core.training.job import CatalogTrainResult, measure_training, train_on_catalog
from core.training.onnx_export import export_encoder
from core.training.train import train_autoencoder

__all__ = [
    "CatalogTrainResult",
    "build_default_encoder",
    "build_small_encoder",
    "demo_images",
    "export_encoder",
    "fashion_mnist",
    "measure_training",
    "train_autoencoder",
    "train_on_catalog",
]
