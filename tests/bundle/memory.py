"""Whether an array's values live in a file mapping (shared through the page cache) or in the process."""
import mmap

import numpy as np


def is_mapped(array: np.ndarray) -> bool:
    """True when ``array`` is a view, at any depth, of a memory-mapped file."""
    while array is not None:
        if isinstance(array, (np.memmap, mmap.mmap)):
            return True
        array = getattr(array, "base", None)
    return False
