"""How shape and colour make one score: the blend search ranks by, and one pair's score split into the two."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.common import InputError


def blend(shape: float, colour: float, colour_weight: float) -> float:
    """(1 - w) * shape + w * colour: the score of a match at colour weight w."""
    return (1.0 - colour_weight) * shape + colour_weight * colour


@dataclass(frozen=True)
class ScoreParts:
    """One pair's score at a colour weight, and what its shape and its colour each bring to it.

    `colour_similarity` is None when the index holds no colours: search then ranks by shape
    alone whatever the weight, and so do these parts.
    """

    shape_similarity: float  # cosine of the shape embeddings
    colour_similarity: float | None  # cosine of the colour descriptors
    colour_weight: float  # the weight asked for, 0 (shape alone) to 1 (colour alone)

    @property
    def weight_used(self) -> float:
        """The colour weight the score is made with (0 without colours)."""
        return 0.0 if self.colour_similarity is None else self.colour_weight

    @property
    def shape(self) -> float:
        """The shape's part of the score."""
        return self.shape_similarity if self.colour_similarity is None else (1.0 - self.colour_weight) * self.shape_similarity

    @property
    def colour(self) -> float:
        """The colour's part of the score."""
        return 0.0 if self.colour_similarity is None else self.colour_weight * self.colour_similarity

    @property
    def score(self) -> float:
        """The score search gives the pair: the two parts added."""
        return self.shape if self.colour_similarity is None else self.shape + self.colour


def score_parts(
    shape_a: np.ndarray,
    shape_b: np.ndarray,
    colour_a: np.ndarray | None,
    colour_b: np.ndarray | None,
    colour_weight: float,
) -> ScoreParts:
    """The parts of b's score as a match for a, from unit-length embeddings and colour descriptors (None: no colours)."""
    if not 0.0 <= colour_weight <= 1.0:
        raise InputError("colour weight must be between 0 and 1")
    shape = float(np.dot(shape_a, shape_b))
    colour = float(np.dot(colour_a, colour_b)) if colour_a is not None and colour_b is not None else None
    return ScoreParts(shape, colour, colour_weight)
