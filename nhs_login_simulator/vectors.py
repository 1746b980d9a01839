"""Vectors of trust as NHS login uses them (Federation specification 5.1; NHS login's
"Introduction to Vectors of Trust").

A vector joins an identity proofing level (P0, P5, P9) with authentication components (Cp
password, Cd registered device, Ck shared key in a device, Cm FIDO). Components inside a vector
are ANDed; vectors in a ``vtr`` list are ORed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

PROOFING_LEVELS = ("P0", "P5", "P9")
AUTHENTICATION_COMPONENTS = ("Cp", "Cd", "Ck", "Cm")
AUTHENTICATION_PROFILES = ("Cp", "Cp.Cd", "Cp.Ck", "Cm")
ALLOWED_VECTORS = frozenset(
    f"{level}.{profile}" for level in PROOFING_LEVELS for profile in AUTHENTICATION_PROFILES
)
# An absent vtr means exactly this list: P9 with two factors.
DEFAULT_VTR = ("P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm")


class VtrError(ValueError):
    """The vtr parameter is not a JSON array of vectors NHS login offers."""


@dataclass(frozen=True)
class Vector:
    level: str
    components: frozenset[str]

    @classmethod
    def parse(cls, vector: str) -> Vector:
        level, *components = vector.split(".")
        return cls(level, frozenset(components))

    @property
    def rank(self) -> int:
        return PROOFING_LEVELS.index(self.level)


def level_rank(level: str) -> int:
    return PROOFING_LEVELS.index(level)


def vtr_parse(raw: str | None) -> tuple[str, ...]:
    """Parse the ``vtr`` request parameter; absent means the default P9 list."""
    if raw is None or raw == "":
        return DEFAULT_VTR
    try:
        parsed = json.loads(raw)
    except ValueError as error:
        raise VtrError("vtr is not valid JSON") from error
    if not isinstance(parsed, list) or not parsed:
        raise VtrError("vtr must be a non-empty JSON array")
    if not all(isinstance(vector, str) for vector in parsed):
        raise VtrError("vtr must be an array of strings")
    unknown = [vector for vector in parsed if vector not in ALLOWED_VECTORS]
    if unknown:
        raise VtrError(f"vtr contains vectors that are not offered: {', '.join(unknown)}")
    return tuple(parsed)


def vot_choose(requested: tuple[str, ...], level: str, methods: frozenset[str]) -> str | None:
    """The vector the user achieves: the requested one with the highest proofing level that
    their proofing level and sign-in methods satisfy, or None."""
    satisfied = [
        vector
        for vector in requested
        if Vector.parse(vector).rank <= level_rank(level)
        and Vector.parse(vector).components <= methods
    ]
    if not satisfied:
        return None
    return max(satisfied, key=lambda vector: Vector.parse(vector).rank)


def step_up_level(requested: tuple[str, ...], methods: frozenset[str]) -> str | None:
    """The lowest proofing level that would let the user satisfy a requested vector, given
    the sign-in methods they have; None if no requested vector fits their methods."""
    usable = [Vector.parse(v) for v in requested if Vector.parse(v).components <= methods]
    if not usable:
        return None
    return min(usable, key=lambda vector: vector.rank).level
