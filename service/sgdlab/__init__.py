"""sgdlab: where SGD goes on a non-convex loss. Simulation core, theory, and the HTTP service."""

__version__ = "0.1.0"
