"""Indexing on a cluster: the photos decoded and encoded by the workers of a Dask scheduler, for
catalogs that outgrow one machine (`index --cluster`). It imports core.common and core.similarity;
Dask itself only once a cluster is asked for, so the app and the default install never need it.
"""

from core.cluster.embedding import LOCAL, ClusterEmbedder, ClusterError, connect

__all__ = ["LOCAL", "ClusterEmbedder", "ClusterError", "connect"]
