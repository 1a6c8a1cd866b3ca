"""Where `dynamics.backend: auto` should switch to compiled: the cold compile time of a new formula and of a new
finite sum (empty kernel cache, fresh process), against the NumPy backend's time per particle-step (row) on the
same landscapes, measured in the same run. Prints the work at which NumPy would take AMORTISE x the compile time.

    python bench/bench_compile_amortise.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from sgdlab.core.dynamics.backend import AMORTISE   # compile only when NumPy would take this many times the compile

FORMULA = {"landscape": {"expression": "(x**2 - 1)**2 + 0.5*y**2 + 0.3*x*y + 0.1*sin(3*x)", "variables": ["x", "y"]},
           "dynamics": {"lr": 0.05, "batch_size": 1}, "particles": 4000, "steps": 500, "seed": 1}
FINITE_SUM = {"landscape": {"finite_sum": {"per_sample": "0.5*(x*w - y)**2 + 0.05*w**4", "variables": ["w"],
                                           "data": {"x": [1.0, 0.5, -0.3, 2.0], "y": [0.2, 1.0, -1.0, 0.7]}}},
              "dynamics": {"method": "minibatch_sgd", "lr": 0.05, "batch_size": 2}, "particles": 4000, "steps": 500,
              "seed": 1}

CHILD = """
import json, sys
from sgdlab.core.simulation.run import simulate
spec = json.loads(sys.argv[1])
perf = simulate(spec)["performance"]
print(json.dumps(perf))
"""


def run(spec: dict, backend: str, cache: str) -> dict:
    """performance of `spec` on `backend` in a fresh process with kernel cache `cache`."""
    spec = {**spec, "dynamics": {**spec["dynamics"], "backend": backend}}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)], capture_output=True, text=True, check=True,
                         env={**os.environ, "SGDLAB_KERNEL_CACHE": cache})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    for name, spec, rows in (("formula", FORMULA, 1), ("finite_sum", FINITE_SUM, 2)):
        with tempfile.TemporaryDirectory() as cache:
            cold = run(spec, "compiled", cache)
            warm = run(spec, "compiled", cache)
        numpy = run(spec, "numpy", tempfile.gettempdir())
        units = spec["particles"] * spec["steps"] * rows
        per_unit = numpy["worker_seconds"] / units
        compiled_unit = cold["worker_seconds"] / units
        saved = per_unit - compiled_unit
        print(json.dumps({"landscape": name, "compile_seconds_cold": round(cold["compile_seconds"], 3),
                          "compile_seconds_cached": round(warm["compile_seconds"], 3),
                          "numpy_ns_per_row_step": round(1e9 * per_unit, 1),
                          "compiled_ns_per_row_step": round(1e9 * compiled_unit, 1),
                          "numpy_over_compiled": round(per_unit / compiled_unit, 2),
                          "work_where_numpy_takes_compile_x_amortise": f"{AMORTISE * cold['compile_seconds'] / per_unit:.2g}",
                          "work_where_compiling_breaks_even": f"{cold['compile_seconds'] / saved:.2g}" if saved > 0 else "never"}))


if __name__ == "__main__":
    main()
