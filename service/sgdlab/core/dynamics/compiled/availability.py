"""Whether the compiled backend can run here: numba imports (checked once per process)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def numba_status() -> tuple[bool, str]:
    """(True, numba version) when numba imports, else (False, the reason)."""
    try:
        import numba
    except Exception as exc:  # ImportError, or a numba built against another numpy
        return False, f"numba cannot be imported ({type(exc).__name__}: {exc})"
    return True, f"numba {numba.__version__}"
