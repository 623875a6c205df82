"""Seconds and peak memory of `msstereo.match` per model and solver on a small Motorcycle pair."""

import msstereo

from .inputs import MOTORCYCLE_D_MAX, motorcycle_pair

CONFIGURATIONS = ("tv/relax", "default/relax", "ms-occ/pde", "ms-tv/optimize")
"""``model/solver`` pairs: the plain TV model with the global search (the quickest, hence first),
the default configuration, the paper's occlusion model with its PDE scheme, and the
Mumford-Shah model with the optimization view."""


class Match:
    """`msstereo.match` of `motorcycle_pair` over ``[0, MOTORCYCLE_D_MAX]``, one model and solver."""

    params = [list(CONFIGURATIONS)]
    param_names = ["model/solver"]
    # A match takes seconds: one call per sample, at most five samples or 20 s.
    number = 1
    repeat = (1, 5, 20.0)
    timeout = 300

    def setup_cache(self):
        """Compile the kernels of every configuration, once per environment and commit.

        asv runs this in a process of its own before the benchmarks of the
        class; Numba keeps what it compiles on disk (``cache=True``), so the
        benchmark processes only load the kernels: a compilation in one of
        them would add LLVM's memory to its peak. The whole pair, so that
        every path of the timed match is compiled.
        """
        left, right = motorcycle_pair()
        for configuration in self.params[0]:
            model, solver = configuration.split("/")
            msstereo.match(left, right, model=model, solver=solver, d_max=MOTORCYCLE_D_MAX)

    # Cold, compiling the four configurations takes a minute or more, longer on a busy machine.
    setup_cache.timeout = 1200

    def setup(self, configuration):
        """Load the pair, and the configuration's compiled kernels (a match of a crop of it)."""
        self.model, self.solver = configuration.split("/")
        self.left, self.right = motorcycle_pair()
        msstereo.match(self.left[:48, :64], self.right[:48, :64], model=self.model, solver=self.solver,
                       d_max=16)

    def _match(self):
        return msstereo.match(self.left, self.right, model=self.model, solver=self.solver,
                              d_max=MOTORCYCLE_D_MAX)

    def time_match(self, configuration):
        """Wall time of the whole match: pyramid, every level, the post-processing."""
        self._match()

    def peakmem_match(self, configuration):
        """Peak resident memory of the process through the match (Python, NumPy, Numba included)."""
        self._match()
