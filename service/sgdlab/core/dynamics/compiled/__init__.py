"""Fused compiled stepping kernels (numba): gradient, noise, update and the every-step observers in one loop.

- `availability`: whether numba imports here (the `auto` backend falls back to numpy when it does not);
- `gradient_code`: the gradient of a landscape as Python source over scalars (catalog entries by hand,
  formulas and finite sums printed from their checked SymPy trees);
- `kernel_source`: the kernel module's source around that gradient;
- `kernel_cache`: file-backed kernel modules compiled once per process and cached on disk by numba;
- `stepper`: what a shard calls to advance a block of particles through a chunk of steps.
"""
