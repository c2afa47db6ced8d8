"""The shop a catalog comes from: reading a Shopify, WooCommerce or Magento product export into
products, each with the shop's own identifier, its variants and its photos' addresses. It imports
core.common.
"""

from core.shop.exports import PLATFORMS, ShopExport, ShopProduct, read_shop_export

__all__ = ["PLATFORMS", "ShopExport", "ShopProduct", "read_shop_export"]
