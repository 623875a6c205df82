"""Seconds of the kernels that take most of a match, on fixed random inputs.

Each class makes its inputs with the dtypes `msstereo.match` gives them
(float32 images and maps, int16 grid indices), so that the timed call runs
the same compiled specialization as a match does. ``rows`` is the image
height; the width is 4/3 of it.
"""

import numpy as np

from msstereo.kernels.filters import box_mean, guide_levels, weighted_median
from msstereo.kernels.search import search
from msstereo.kernels.sor import sor_increment
from msstereo.kernels.warp import warp

from .inputs import image_shape, rng

ROWS = [120, 240]
"""Image heights: that of the `benchmarks.asv_bench.match` pair, and four times its pixels."""


class _Kernel:
    """One kernel on inputs of ``rows`` x ``4 rows / 3`` pixels: `make` them, `call` the kernel.

    ``setup`` calls the kernel once, so that its compilation (or the
    loading of Numba's cache) is not timed.
    """

    params = [ROWS]
    param_names = ["rows"]

    def setup(self, rows):
        self.make(rng(), image_shape(rows))
        self.call()

    def make(self, generator, shape):
        """Make the inputs of an image of `shape` from `generator`, as attributes."""
        raise NotImplementedError

    def call(self):
        """Run the kernel once on the inputs."""
        raise NotImplementedError


class SorIncrement(_Kernel):
    """`msstereo.kernels.sor.sor_increment`: 10 red-black sweeps (the PDE solver's default) at omega 1.8."""

    def make(self, generator, shape):
        """A random system with ``a >= 0`` and ``g > 0`` (symmetric positive definite)."""
        self.d0 = generator.uniform(0, 32, shape).astype(np.float32)
        self.a = generator.uniform(0, 1, shape).astype(np.float32)
        self.b = generator.uniform(-1, 1, shape).astype(np.float32)
        self.g = generator.uniform(0.1, 1, shape).astype(np.float32)
        self.dd = np.zeros(shape, np.float32)

    def call(self):
        # In place: the increment changes from call to call, the work (a fixed number of sweeps) does not.
        sor_increment(self.dd, self.d0, self.a, self.b, self.g, 10, 1.8)

    def time_sor_increment(self, rows):
        self.call()


class Search(_Kernel):
    """`msstereo.kernels.search.search`: the relaxation's ``a``-step over 65 samples (0 to 32 px by 0.5)."""

    samples = 65

    def make(self, generator, shape):
        """A random cost volume over the whole range (``base`` 0), ``d`` and ``a`` inside it; ``theta`` 1."""
        self.cost = generator.uniform(0, 1, shape + (self.samples,)).astype(np.float32)
        self.floor = self.cost.min(axis=2)
        self.d = generator.uniform(0, 32, shape).astype(np.float32)
        self.a = generator.uniform(0, 32, shape).astype(np.float32)
        self.gate = np.ones(shape, np.float32)
        self.base = np.zeros(shape, np.int16)

    def call(self):
        return search(self.cost, self.floor, self.d, self.a, self.gate, 1.0, 0.0, 0.5, self.base)

    def time_search(self, rows):
        self.call()


class WeightedMedian(_Kernel):
    """`msstereo.kernels.filters.weighted_median` with the ``default`` model's radius 8, colour 0.05, space 4."""

    def make(self, generator, shape):
        """A random disparity and RGB guide; every pixel filtered."""
        self.d = generator.uniform(0, 32, shape).astype(np.float32)
        self.image = guide_levels(generator.uniform(0, 1, shape + (3,)))
        self.mask = np.ones(shape, bool)

    def call(self):
        # Without a support, passed as the package passes it: one compiled specialization.
        return weighted_median(self.d, self.image, self.mask, 8, 0.05, 4.0, None)

    def time_weighted_median(self, rows):
        self.call()


class Warp(_Kernel):
    """`msstereo.kernels.warp.warp`: three feature images, cubic, with slopes (a warp of the PDE solver)."""

    def make(self, generator, shape):
        """Random features and a random disparity that sends some samples outside the image."""
        self.features = generator.uniform(0, 1, (3,) + shape).astype(np.float32)
        self.d = generator.uniform(0, 32, shape).astype(np.float32)

    def call(self):
        return warp(self.features, self.d, -1, 3, True)

    def time_warp(self, rows):
        self.call()


class BoxMean(_Kernel):
    """`msstereo.kernels.filters.box_mean`: radius 4 (the ``default`` model's aggregation) over 16 slices."""

    def make(self, generator, shape):
        """A random block of 16 cost slices, as the guided filter passes them."""
        self.volume = generator.uniform(0, 1, shape + (16,)).astype(np.float32)

    def call(self):
        return box_mean(self.volume, 4)

    def time_box_mean(self, rows):
        self.call()
