"""A fold never changes its input: it works on a copy of the document."""

from __future__ import annotations

import pickle
from typing import TypeVar

T = TypeVar("T")


def copy_of(document: T) -> T:
    """A deep copy of a read-model document. A pickle round trip copies these trees of dicts,
    lists and plain values in half the time of `copy.deepcopy`, which took a tenth of the
    replay's time (profile of `bench/projector.py --rate 0`), and keeps every type."""
    copied: T = pickle.loads(pickle.dumps(document, pickle.HIGHEST_PROTOCOL))
    return copied
