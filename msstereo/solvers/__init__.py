"""Per-level solvers: the paper's PDE scheme and the optimization view."""
