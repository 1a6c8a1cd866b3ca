"""NumPy views of result blocks (needs numpy: `pip install sgdlab-client[numpy]`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ._optional import require
from .models import HistogramDoc


@dataclass(frozen=True)
class HistogramArrays:
    """A histogram as arrays. 1-D: `edges` (bins+1,), `density`/`counts` (bins,). n-D: `edges` is a tuple of
    per-axis edge arrays and `density`/`counts` have shape (bx, by, ...) when the sizes fit, else stay flat."""

    edges: Any
    density: Any
    counts: Optional[Any]
    step: Optional[int] = None

    @property
    def dim(self) -> int:
        """Number of axes."""
        return 1 if not isinstance(self.edges, tuple) else len(self.edges)

    @property
    def centers(self) -> Any:
        """Bin centres (an array in 1-D, a tuple of arrays in n-D)."""
        if isinstance(self.edges, tuple):
            return tuple(0.5 * (e[1:] + e[:-1]) for e in self.edges)
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    @property
    def widths(self) -> Any:
        """Bin widths (an array in 1-D, a tuple of arrays in n-D)."""
        if isinstance(self.edges, tuple):
            return tuple(e[1:] - e[:-1] for e in self.edges)
        return self.edges[1:] - self.edges[:-1]


def histogram_arrays(doc: HistogramDoc, edges: Optional[list[list[float]]] = None) -> HistogramArrays:
    """Convert a histogram document to arrays, reshaping row-major to the bin grid when it matches;
    `edges` stands in when the document has none (density-evolution snapshots use the job's grid)."""
    np = require("numpy")
    given = doc.edges if doc.edges is not None else edges
    if given is None:
        raise ValueError("this histogram has no edges")
    axes = [np.asarray(e, dtype=float) for e in given]
    shape = tuple(len(e) - 1 for e in axes)
    density = np.asarray(doc.density, dtype=float)
    counts = np.asarray(doc.counts, dtype=float) if doc.counts is not None else None
    if len(axes) > 1 and int(np.prod(shape)) == density.size:
        density = density.reshape(shape)
        counts = counts.reshape(shape) if counts is not None and counts.size == density.size else counts
    edges: Any = axes[0] if len(axes) == 1 else tuple(axes)
    return HistogramArrays(edges=edges, density=density, counts=counts, step=doc.step)
