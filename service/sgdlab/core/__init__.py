"""Pure-NumPy core: landscapes, dynamics, observers and the simulation loop. Knows nothing of HTTP."""
