"""Keeping duplicates out of a list: a product's list never shows another photo of the product
itself, nor two photos of one product; colourways of one design count as one unless the rules
ask for them. What is known comes from the workspace's stored duplicate finding.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from core.duplicates import KnownDuplicates
from core.lists.products import Products


def keep_apart(
    known: KnownDuplicates,
    products: Products,
    source: int,
    suggestions: Iterable[tuple[int, float]],
    variants: bool,
) -> Iterator[tuple[int, float]]:
    """`suggestions` (best first, taken as needed) without the source's duplicates and with one of each group.

    Of a group of copies the member chosen to stay is the one kept, else the best match. With
    `variants` False, colourways of the source's design are left out and of any other design
    only the best match stays.
    """
    if not known:
        yield from suggestions
        return
    own = products.photos_of(source)
    own_photos = {known.photo_of[p] for p in own if p in known.photo_of}
    own_designs = {known.design_of[p] for p in own if p in known.design_of}
    taken_photos: set[int] = set()
    taken_designs: set[int] = set()
    for target, score in suggestions:
        photos = {known.photo_of[p] for p in products.photos_of(target) if p in known.photo_of}
        if photos & own_photos or photos & taken_photos:
            continue
        if any(known.keeper.get(g, target) not in products.photos_of(target) for g in photos):
            continue  # a person chose another member of its group to stay
        designs = set() if variants else {known.design_of[p] for p in products.photos_of(target) if p in known.design_of}
        if designs & own_designs or designs & taken_designs:
            continue
        taken_photos |= photos
        taken_designs |= designs
        yield target, score
