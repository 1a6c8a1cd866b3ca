"""Imports of optional dependencies with an error message naming the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

_EXTRA = {"numpy": "numpy", "pandas": "pandas", "matplotlib": "plot", "matplotlib.pyplot": "plot"}


def require(module: str) -> ModuleType:
    """Import `module` or raise ImportError saying `pip install sgdlab-client[<extra>]`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = _EXTRA.get(module, module)
        raise ImportError(f"{module} is needed for this; install it with: pip install sgdlab-client[{extra}]") from exc
