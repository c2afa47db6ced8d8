"""The demo catalog: studio-style product photos drawn from code, with their product list, so a
new user sees Lookalike work and the default encoder has shapes to learn from. It imports
core.common and core.storage.
"""

from core.demo.catalog import CATEGORIES, DemoProduct, render_product, write_demo_catalog

__all__ = [
    "CATEGORIES",
    "DemoProduct",
    "render_product",
    "write_demo_catalog",
]
