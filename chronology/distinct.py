"""Work done once per distinct value of a column, then spread back over its rows.

Agency exports repeat themselves: a few hundred date spellings, a handful of sources, the same
outcome text on most rows. Checking each distinct value once, and mapping the answers back with
numpy, keeps a 100,000-row load close to the cost of reading the file.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd


class Column:
    """A column of text cells as ``uniques[codes]``: each distinct value stored once."""

    __slots__ = ("codes", "uniques")

    def __init__(self, values: np.ndarray | list[str]) -> None:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        self.codes: np.ndarray = codes
        self.uniques: np.ndarray = np.asarray(uniques, dtype=object)

    @classmethod
    def stripped(cls, values: np.ndarray | list[str]) -> Column:
        """The column with spaces trimmed from each cell, as a reader sees it."""
        column = cls(values)
        column.uniques = _array([u.strip() for u in column.uniques.tolist()], object)
        return column

    def take(self, positions: np.ndarray) -> Column:
        """The cells at ``positions`` (indices or a mask), sharing this column's uniques."""
        column = object.__new__(Column)
        column.codes = self.codes[positions]
        column.uniques = self.uniques
        return column

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def values(self) -> np.ndarray:
        return self.uniques[self.codes]

    def map(self, function: Callable[[str], Any], dtype: Any = object) -> np.ndarray:
        """``function`` of every cell, calling it once per distinct value."""
        return _array([function(u) for u in self.uniques.tolist()], dtype)[self.codes]

    def where(self, test: Callable[[str], bool]) -> np.ndarray:
        """Positions of the cells for which ``test`` holds, in row order."""
        return np.flatnonzero(self.map(test, dtype=bool))

    def positions(self) -> dict[int, np.ndarray]:
        """Row positions of each distinct value, by its code; for reporting, not hot paths."""
        order = np.argsort(self.codes, kind="stable")
        bounds = np.flatnonzero(np.diff(self.codes[order])) + 1
        groups = np.split(order, bounds)
        return {int(self.codes[g[0]]): g for g in groups if len(g)}


def _array(items: list[Any], dtype: Any) -> np.ndarray:
    # fromiter, not np.array: a list of tuples or dates must stay one object per item.
    return np.fromiter(items, dtype=dtype, count=len(items))


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
