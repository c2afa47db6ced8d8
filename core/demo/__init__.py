"""The demo catalog: studio-style product photos drawn from code, with their product list, so a
new user sees Lookalike work and the default encoder has shapes to learn from. `palette` colours
them, `sketch` and `products` outline each kind, `render` lights them into photos, and `catalog`
writes the folder. It imports core.common and core.storage.
"""

from core.demo.catalog import DemoProduct, write_demo_catalog
from core.demo.products import CATEGORIES
from core.demo.render import render_product

__all__ = [
    "CATEGORIES",
    "DemoProduct",
    "render_product",
    "write_demo_catalog",
]
