"""Work done once per distinct value of a column, then spread back over its rows.

Agency exports repeat themselves: a few hundred date spellings, a handful of sources, the same
outcome text on most rows. Checking each distinct value once and mapping the answers back with
numpy means a 100,000-row file costs as many date readings as it has date spellings.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd


class Column:
    """A column of text cells as ``uniques[codes]``: each distinct value stored once."""

    __slots__ = ("codes", "uniques")

    def __init__(self, values: np.ndarray) -> None:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        self.codes: np.ndarray = codes
        self.uniques: np.ndarray = np.asarray(uniques, dtype=object)

    def positions(self) -> dict[int, np.ndarray]:
        """Row positions of each distinct value, by its code; for reporting, not hot paths."""
        order = np.argsort(self.codes, kind="stable")
        bounds = np.flatnonzero(np.diff(self.codes[order])) + 1
        return {int(self.codes[group[0]]): group for group in np.split(order, bounds)
                if len(group)}


def constant(value: Any, count: int) -> np.ndarray:
    """``count`` cells that all hold ``value``, the same object in each.

    Not ``np.full``: for text it stores a fresh copy in every cell, which costs time to make and
    again each time the column is reordered.
    """
    cells = np.empty(count, dtype=object)
    cells.fill(value)
    return cells


@contextmanager
def bulk() -> Iterator[None]:
    """Pause Python's cycle collector while columns of many small objects are built.

    Building a chronology makes hundreds of thousands of strings, tuples and dates and no
    reference cycles; the collector would otherwise walk every live object again and again
    while there is nothing for it to free. It is switched back on however the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
