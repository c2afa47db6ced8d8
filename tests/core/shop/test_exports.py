"""Reading shop product exports: each platform told by its header, products with their variants and photos."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.common.errors import InputError
from core.shop import read_shop_export
from core.shop.exports import detect_platform

SHOPIFY_CURRENT = """\
Title,URL handle,Description,Vendor,Product category,Type,Tags,Published on online store,Status,SKU,Barcode,\
Option1 name,Option1 value,Option2 name,Option2 value,Price,Inventory quantity,Product image URL,Image position,\
Image alt text,Variant image URL,Gift card,SEO title,SEO description
Linen Shirt,linen-shirt,<p>Light.</p>,Acme,Apparel & Accessories > Clothing > Shirts & Tops,Shirts,"summer, linen",\
TRUE,Active,LS-S-WHT,,Size,S,Colour,White,49.00,3,https://cdn.shop.test/ls-back.jpg,2,back,\
https://cdn.shop.test/ls-white.jpg,FALSE,,
,linen-shirt,,,,,,,,LS-M-WHT,,,M,,White,49.00,5,https://cdn.shop.test/ls-front.jpg,1,front,,,,
,linen-shirt,,,,,,,,LS-S-BLU,,,S,,Blue,49.00,0,,,,https://cdn.shop.test/ls-blue.jpg,,,
Canvas Tote,canvas-tote,,Acme,,Bags,,TRUE,Active,CT-1,,Title,Default Title,,,19.00,9,https://cdn.shop.test/tote.jpg,1,,,FALSE,,
"""

SHOPIFY_OLDER = """\
Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,Option1 Value,Variant SKU,\
Variant Price,Image Src,Image Position,Image Alt Text,Variant Image,Status
wool-beanie,Wool Beanie,,Acme,Apparel & Accessories > Clothing Accessories > Hats,,,TRUE,Colour,Grey,WB-GRY,15,\
https://cdn.shop.test/wb-1.jpg,1,,,active
wool-beanie,,,,,,,,,Black,WB-BLK,15,https://cdn.shop.test/wb-2.jpg,2,,https://cdn.shop.test/wb-1.jpg,
"""

WOOCOMMERCE = """\
\ufeffID,Type,SKU,Name,Published,"Is featured?","Visibility in catalog","Short description",Description,\
"Regular price",Categories,Tags,Images,Parent,"Attribute 1 name","Attribute 1 value(s)"
101,variable,HOOD,Zip Hoodie,1,0,visible,,,,"Clothing > Hoodies, Clothing","warm","https://shop.test/wp-content/uploads/hood.jpg, https://shop.test/wp-content/uploads/hood-2.jpg",,Size,"S, M"
102,variation,HOOD-S,"Zip Hoodie - S",1,0,visible,,,45,,,https://shop.test/wp-content/uploads/hood-s.jpg,id:101,Size,S
103,variation,,"Zip Hoodie - M",1,0,visible,,,45,,,,HOOD,Size,M
104,simple,,Leather Belt,1,0,visible,,,25,Accessories,,https://shop.test/wp-content/uploads/belt.jpg,,,
105,"variation, virtual",X-9,"Orphan",1,0,visible,,,25,,,,id:999,,
"""

MAGENTO = """\
sku,store_view_code,attribute_set_code,product_type,categories,product_websites,name,description,weight,\
product_online,visibility,price,url_key,base_image,small_image,thumbnail_image,additional_images,\
additional_attributes,configurable_variations,configurable_variation_labels
MH01-XS-Black,,Top,simple,"Default Category/Men/Tops/Hoodies & Sweatshirts",base,"Chaz Kangeroo Hoodie-XS-Black",,1,1,\
Not Visible Individually,52,chaz-kangeroo-hoodie-xs-black,/m/h/mh01-black_main.jpg,/m/h/mh01-black_main.jpg,\
/m/h/mh01-black_main.jpg,,"color=Black,size=XS",,
MH01-XS-Gray,,Top,simple,"Default Category/Men/Tops/Hoodies & Sweatshirts",base,"Chaz Kangeroo Hoodie-XS-Gray",,1,1,\
Not Visible Individually,52,chaz-kangeroo-hoodie-xs-gray,/m/h/mh01-gray_main.jpg,,,,"color=Gray,size=XS",,
MH01,,Top,configurable,"Default Category/Men/Tops/Hoodies & Sweatshirts,Default Category/Collections",base,\
Chaz Kangeroo Hoodie,,,1,"Catalog, Search",52,chaz-kangeroo-hoodie,/m/h/mh01-gray_main.jpg,,,\
"/m/h/mh01-gray_alt1.jpg,/m/h/mh01-gray_back.jpg",,"sku=MH01-XS-Black,size=XS,color=Black|sku=MH01-XS-Gray,size=XS,color=Gray","size=Size,color=Color"
MH01,default,Top,configurable,,,"Chaz Kangeroo Hoodie (default view)",,,,,,,,,,,,,
24-MB01,,Bag,simple,Default Category/Gear/Bags,base,Joust Duffle Bag,,,1,"Catalog, Search",34,joust-duffle-bag,\
/m/b/mb01-blue-0.jpg,,,,,,
"""


def write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def by_key(export):
    return {p.key: p for p in export.products}


def test_shopify_current_template_groups_rows_by_handle_photos_in_position_order(tmp_path: Path) -> None:
    export = read_shop_export(write(tmp_path, SHOPIFY_CURRENT))
    assert export.platform == "shopify" and export.problems == []
    shirt, tote = export.products
    assert (shirt.key, shirt.name, shirt.category) == ("linen-shirt", "Linen Shirt", "Shirts")
    assert shirt.photos == (
        "https://cdn.shop.test/ls-front.jpg",  # position 1, though on the second row
        "https://cdn.shop.test/ls-back.jpg",
        "https://cdn.shop.test/ls-white.jpg",  # variant images after the product's own
        "https://cdn.shop.test/ls-blue.jpg",
    )
    assert shirt.variants == ("LS-S-WHT", "LS-M-WHT", "LS-S-BLU")
    assert (tote.key, tote.photos, tote.variants) == ("canvas-tote", ("https://cdn.shop.test/tote.jpg",), ("CT-1",))


def test_shopify_older_template_and_repeated_photos(tmp_path: Path) -> None:
    export = read_shop_export(write(tmp_path, SHOPIFY_OLDER))
    (beanie,) = export.products
    assert export.platform == "shopify"
    assert (beanie.key, beanie.name, beanie.category) == ("wool-beanie", "Wool Beanie", "Hats")
    assert beanie.photos == ("https://cdn.shop.test/wb-1.jpg", "https://cdn.shop.test/wb-2.jpg")  # wb-1 once
    assert beanie.variants == ("WB-GRY", "WB-BLK")


def test_woocommerce_variations_join_their_parent_by_id_or_sku(tmp_path: Path) -> None:
    export = read_shop_export(write(tmp_path, WOOCOMMERCE))
    assert export.platform == "woocommerce"
    products = by_key(export)
    assert list(products) == ["HOOD", "id:104"]  # a product without SKU is known by its ID
    hoodie = products["HOOD"]
    assert (hoodie.name, hoodie.category, hoodie.shop_id) == ("Zip Hoodie", "Hoodies", "101")
    assert hoodie.photos == tuple(f"https://shop.test/wp-content/uploads/{n}" for n in ("hood.jpg", "hood-2.jpg", "hood-s.jpg"))
    assert hoodie.variants == ("HOOD-S", "id:103")
    assert products["id:104"].sku == "" and products["id:104"].name == "Leather Belt"
    assert export.problems == ["line 6: variation of id:999, which is not in the export; skipped"]


def test_magento_simple_products_of_a_configurable_are_its_variants(tmp_path: Path) -> None:
    export = read_shop_export(write(tmp_path, MAGENTO))
    assert export.platform == "magento" and export.problems == []
    products = by_key(export)
    assert list(products) == ["MH01", "24-MB01"]  # the store view's repeat row adds nothing
    hoodie = products["MH01"]
    assert (hoodie.name, hoodie.category, hoodie.handle) == ("Chaz Kangeroo Hoodie", "Hoodies & Sweatshirts", "chaz-kangeroo-hoodie")
    assert hoodie.variants == ("MH01-XS-Black", "MH01-XS-Gray")
    assert hoodie.photos == ("/m/h/mh01-gray_main.jpg", "/m/h/mh01-gray_alt1.jpg", "/m/h/mh01-gray_back.jpg",
                             "/m/h/mh01-black_main.jpg")
    assert products["24-MB01"].photos == ("/m/b/mb01-blue-0.jpg",)


@pytest.mark.parametrize("header, platform", [
    ("Title,URL handle,SKU", "shopify"),
    ("Handle,Title,Variant SKU,Image Src", "shopify"),
    ("ID,Type,SKU,Name,Images", "woocommerce"),
    ("sku,product_type,name,base_image", "magento"),
    ("path,sku,name", None),
    ("Handle,Price", None),
])
def test_the_platform_is_told_by_the_header(header: str, platform: str | None) -> None:
    assert detect_platform(header.split(",")) == platform


def test_a_product_description_of_5_mb_is_read(tmp_path: Path) -> None:
    body = "<p>" + "Soft, warm wool. " * 330_000 + "</p>"
    assert len(body) > 5 * 2**20
    text = SHOPIFY_OLDER.replace("wool-beanie,Wool Beanie,,", f'wool-beanie,Wool Beanie,"{body}",', 1)
    export = read_shop_export(write(tmp_path, text))
    assert [p.handle for p in export.products] == ["wool-beanie"] and export.problems == []


def test_a_file_that_is_no_shop_export_gets_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"products\.csv: not a Shopify, WooCommerce or Magento product export"):
        read_shop_export(write(tmp_path, "path,sku\na.jpg,1\n", "products.csv"))
    with pytest.raises(InputError, match=r"line 3: a quoted field is not closed"):
        read_shop_export(write(tmp_path, 'Handle,Title\na,A\nb,"B\n'))
    with pytest.raises(InputError, match="not UTF-8"):
        (tmp_path / "latin.csv").write_bytes("Handle,Title\nb\xe9ret,B\xe9ret\n".encode("latin-1"))
        read_shop_export(tmp_path / "latin.csv")
    with pytest.raises(InputError, match="not found"):
        read_shop_export(tmp_path / "nope.csv")
