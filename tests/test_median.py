"""The image-guided weighted median (`msstereo.kernels.median`)."""

import numpy as np
import pytest

import naive
from msstereo.kernels.median import weighted_median

RNG = np.random.default_rng(11)


@pytest.mark.parametrize("radius", [1, 3])
@pytest.mark.parametrize("channels", [1, 3])
def test_weighted_median_matches_naive(radius, channels):
    d = RNG.uniform(0, 10, (9, 12))
    image = RNG.uniform(0, 1, (9, 12, channels))
    mask = RNG.uniform(size=d.shape) < 0.6
    got = weighted_median(d, image, mask, radius, 0.2, 2.0)
    np.testing.assert_array_equal(got, naive.weighted_median(d, image, mask, radius, 0.2, 2.0))
    np.testing.assert_array_equal(got[~mask], d[~mask])


def test_weighted_median_keeps_colour_edges_and_removes_specks():
    # Two regions of different colour and disparity, with specks of wrong disparity inside each.
    image = np.zeros((20, 20, 1))
    image[:, 10:] = 1.0
    truth = np.where(np.arange(20) < 10, 3.0, 8.0)[None, :].repeat(20, 0)
    d = truth.copy()
    d[5, 4] = d[12, 15] = 20.0
    got = weighted_median(d, image, np.ones(d.shape, bool), 3, 0.1, 3.0)
    np.testing.assert_array_equal(got, truth)
