"""Kernel modules: written once to a cache directory (content-addressed), imported, compiled once per process.

numba caches the machine code of `cache=True` functions next to their source file, so a kernel compiled by one
worker is loaded, not recompiled, by the next process (and after a restart). The module file is created
exclusively and never rewritten, so its timestamp (part of numba's cache key) stays valid for every process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np

from ....limits import MAX_CACHED_KERNELS
from .gradient_code import GradientCode
from .kernel_source import kernel_module_source

#: Environment variable naming the kernel cache directory (default: <tmp>/sgdlab-kernels-<uid>).
CACHE_DIR_ENV = "SGDLAB_KERNEL_CACHE"

_MODULES: dict[str, ModuleType] = {}
_READY: set[tuple[str, str]] = set()


def _private(path: Path) -> bool:
    """True when only this user can write in `path` (its modules are imported and numba's cache unpickled)."""
    st = path.stat()
    return (not hasattr(os, "getuid") or st.st_uid == os.getuid()) and not st.st_mode & 0o022


def cache_dir() -> Path:
    """The directory holding kernel modules and numba's cache files (created on demand, private to this user)."""
    default = Path(tempfile.gettempdir()) / f"sgdlab-kernels-{os.getuid() if hasattr(os, 'getuid') else 0}"
    path = Path(os.environ.get(CACHE_DIR_ENV) or default)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path):
            raise PermissionError(f"{path} is writable by others")
        probe = path / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError:  # unusable: a private directory for this process (compiles, but caches nothing across runs)
        path = Path(tempfile.mkdtemp(prefix="sgdlab-kernels-"))
    return path


def _write_once(path: Path, source: str) -> None:
    """Create `path` with `source` unless it exists with exactly that text; concurrent writers never leave a
    partial or rewritten file."""
    if path.exists():
        if path.read_text() != source:
            raise OSError(f"{path} does not hold the kernel it is named after")
        return
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(source)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _prune(directory: Path, keep: int) -> None:
    """Remove the oldest kernel modules (and numba's files for them) beyond `keep` (first in, first out: a
    module file is never touched after it is written, since its timestamp is part of numba's cache key)."""
    modules = sorted(directory.glob("sgdlab_kernel_*.py"), key=lambda p: p.stat().st_mtime)
    for old in modules[: max(0, len(modules) - keep)]:
        for f in [old, *(directory / "__pycache__").glob(f"{old.stem}.*")]:
            f.unlink(missing_ok=True)


def kernel_module(source: str, keep: int = MAX_CACHED_KERNELS) -> tuple[str, ModuleType]:
    """(key, module) of a kernel source: imported from its content-addressed file, once per process; at most
    `keep` modules stay on disk."""
    key = hashlib.sha256(source.encode()).hexdigest()[:24]
    module = _MODULES.get(key)
    if module is None:
        name = f"sgdlab_kernel_{key}"
        directory = cache_dir()
        path = directory / f"{name}.py"
        try:
            if not path.exists():
                _prune(directory, keep - 1)
            _write_once(path, source)
        except OSError:   # a foreign or damaged file: compile from a private copy instead
            path = Path(tempfile.mkdtemp(prefix="sgdlab-kernels-")) / f"{name}.py"
            path.write_text(source)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module          # numba's disk cache re-imports the module by name when loading
        spec.loader.exec_module(module)
        _MODULES[key] = module
    return key, module


def _compile_now(fn: Callable, code: GradientCode) -> None:
    """Call the kernel on an empty block: numba compiles (or loads from disk) the exact signature used later."""
    d = code.dim
    rows = code.rows if code.rows is not None else np.zeros((0, 0))
    empty_i = np.zeros(0, dtype=np.int64)
    rng = np.random.Generator(np.random.SFC64(0))
    fn(np.zeros((0, d)), np.zeros(1), 0, 0, 1.0, True, 1, rng, code.params, rows,
       False, empty_i, np.zeros(d), 0.0, False, empty_i, np.zeros(d), np.ones(d), np.ones(d, dtype=np.int64), 1, 0, 1)


def compiled_kernel(code: GradientCode, name: str, keep: int = MAX_CACHED_KERNELS
                    ) -> tuple[Callable, float]:
    """The kernel `name` for this gradient, ready to run, and the seconds spent getting it ready in this call
    (0 when this process had it already; a disk-cache load takes milliseconds, a compile about a second)."""
    started = time.perf_counter()
    key, module = kernel_module(kernel_module_source(code), keep)
    fn = getattr(module, name)
    if (key, name) not in _READY:
        _compile_now(fn, code)
        _READY.add((key, name))
    return fn, time.perf_counter() - started
