"""The filters (`msstereo.kernels.filters`) against naive references and SciPy.

The Gaussian blur of the occlusion error, the box mean of the guided filter,
the upsampling of the coarser scales of the aggregation, the 5x5 median of the PDE solver and the image-guided weighted median (with
the `msstereo.match` option that applies it).
"""

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter, median_filter, uniform_filter, zoom

import naive
import naive_occlusion
from msstereo.kernels.filters import (_select_near, add_upsampled, box_mean, gaussian_blur, gaussian_radius,
                                      guide_levels, median5, weighted_median)

RNG = np.random.default_rng(11)


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------
# Gaussian blur
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("sigma", [0.3, 0.5, 0.7, 1.0, 1.5, 2.3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_gaussian_blur_matches_naive_and_scipy(sigma, dtype):
    image = RNG.random((9, 13)).astype(dtype)
    got = gaussian_blur(image, sigma)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, naive_occlusion.gaussian_blur(image, sigma), **tol(dtype))
    # radius = ceil(3 sigma); scipy's rule int(truncate * sigma + 0.5) gives it back for this truncate.
    r = gaussian_radius(sigma)
    assert r == int(np.ceil(3 * sigma))
    np.testing.assert_allclose(got, gaussian_filter(image, sigma, mode="nearest", truncate=r / sigma),
                               **tol(dtype))
    np.testing.assert_allclose(got, gaussian_filter(image, sigma, mode="nearest", radius=r),
                               **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_gaussian_blur_of_zero_sigma_is_a_copy_and_constants_are_kept(dtype):
    image = RNG.random((4, 5)).astype(dtype)
    out = gaussian_blur(image, 0.0)
    np.testing.assert_array_equal(out, image)
    assert out is not image and not np.shares_memory(out, image)
    flat = np.full((6, 7), 3.25, dtype)
    np.testing.assert_allclose(gaussian_blur(flat, 1.7), flat, **tol(dtype))
    with pytest.raises(ValueError):
        gaussian_blur(image, -1.0)



# ---------------------------------------------------------------------------
# Box mean
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(23, 31, 5), (7, 9, 1), (1, 12, 3), (12, 1, 2), (3, 4, 16)])
@pytest.mark.parametrize("radius", [1, 4])
def test_box_mean_is_scipys_uniform_filter_bit_for_bit(dtype, shape, radius):
    u = RNG.standard_normal(shape).astype(dtype)
    want = uniform_filter(u, size=(2 * radius + 1, 2 * radius + 1, 1), mode="nearest")
    got = box_mean(u, radius)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_upsampled_is_scipys_zoom_bit_for_bit(dtype):
    # Values over sixteen decades in one window: sums that round, so the order of scipy's is checked too.
    for m, n, depth, factor in [(5, 7, 3, 2), (9, 3, 16, 2), (4, 5, 2, 4), (1, 1, 1, 2)]:
        coarse = (RNG.uniform(0, 1, (m, n, depth)) * 10.0 ** RNG.integers(-8, 8, (m, n, depth))).astype(dtype)
        rows, cols = factor * m - RNG.integers(0, factor), factor * n - RNG.integers(0, factor)
        got = RNG.uniform(0, 5, (rows, cols, depth)).astype(dtype)
        want = got + 0.3 * zoom(coarse, (factor, factor, 1), order=1, mode="nearest", grid_mode=True)[:rows, :cols]
        add_upsampled(got, coarse, factor, got.dtype.type(0.3))
        np.testing.assert_array_equal(got, want)


# ---------------------------------------------------------------------------
# The weighted median, and the match option that applies it
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("radius", [1, 3])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("ties", [False, True])
def test_weighted_median_matches_naive(radius, channels, ties):
    # With ties (four distinct values) the selection's equal-to-pivot part decides.
    d = RNG.integers(0, 4, (9, 12)).astype(float) if ties else RNG.uniform(0, 10, (9, 12))
    image = guide_levels(RNG.uniform(0, 1, (9, 12, channels)))
    mask = RNG.uniform(size=d.shape) < 0.6
    got = weighted_median(d, image, mask, radius, 0.2, 2.0, None)
    np.testing.assert_array_equal(got, naive.weighted_median(d, image, mask, radius, 0.2, 2.0))
    np.testing.assert_array_equal(got[~mask], d[~mask])


@pytest.mark.parametrize("radius", [1, 3])
@pytest.mark.parametrize("zeros", [False, True])
def test_weighted_median_with_a_support_matches_naive(radius, zeros):
    # Some supports 0 (with zeros): those values never weigh, and a window may weigh nothing at all.
    d = RNG.uniform(0, 10, (9, 12))
    image = guide_levels(RNG.uniform(0, 1, (9, 12, 3)))
    mask = RNG.uniform(size=d.shape) < 0.8
    support = RNG.uniform(0, 1, d.shape) * (RNG.uniform(size=d.shape) < 0.5 if zeros else 1.0)
    for dtype in (np.float32, np.float64):
        got = weighted_median(d, image, mask, radius, 0.2, 2.0, support.astype(dtype))
        np.testing.assert_array_equal(got, naive.weighted_median(d, image, mask, radius, 0.2, 2.0,
                                                                 support.astype(dtype)))
    np.testing.assert_array_equal(weighted_median(d, image, mask, radius, 0.2, 2.0, np.ones(d.shape)),
                                  weighted_median(d, image, mask, radius, 0.2, 2.0, None))


def test_weighted_median_support_outvotes_a_majority_of_wrong_values():
    # A 7x7 block of wrong disparity fills most of the 9x9 windows at its centre: without a support they
    # win there; with little support they lose everywhere and the truth comes back.
    image = guide_levels(np.zeros((20, 20, 1)))
    truth = np.full((20, 20), 4.0)
    d = truth.copy()
    d[6:13, 6:13] = 9.0
    plain = weighted_median(d, image, np.ones(d.shape, bool), 4, 0.1, 3.0, None)
    assert (plain == 9.0).any()
    support = np.where(d == 9.0, 0.01, 1.0)
    np.testing.assert_array_equal(weighted_median(d, image, np.ones(d.shape, bool), 4, 0.1, 3.0, support), truth)


@pytest.mark.parametrize("ties", [False, True])
def test_the_selection_near_two_guesses_is_the_weighted_median_whatever_the_guesses(ties):
    # Guesses below, above, at and between window values, or outside it: the same answer.
    for _ in range(200):
        count = int(RNG.integers(1, 40))
        values = RNG.integers(0, 5, count).astype(float) if ties else RNG.uniform(0, 10, count)
        weights = np.exp(RNG.uniform(-5.0, 0.0, count))
        order = np.argsort(values, kind="stable")
        cumulative = np.cumsum(weights[order])
        want = values[order][np.searchsorted(cumulative, 0.5 * weights.sum())]
        pool = np.concatenate([values, RNG.uniform(-1, 11, 3), [-np.inf, np.inf]])
        guesses = RNG.choice(pool, 2)
        assert _select_near(values.copy(), weights.copy(), *guesses) == want


def test_weighted_median_keeps_colour_edges_and_removes_specks():
    # Two regions of different colour and disparity, with specks of wrong disparity inside each.
    image = np.zeros((20, 20, 1))
    image[:, 10:] = 1.0
    truth = np.where(np.arange(20) < 10, 3.0, 8.0)[None, :].repeat(20, 0)
    d = truth.copy()
    d[5, 4] = d[12, 15] = 20.0
    got = weighted_median(d, guide_levels(image), np.ones(d.shape, bool), 3, 0.1, 3.0, None)
    np.testing.assert_array_equal(got, truth)


def _step_scene():
    from msstereo.synthetic import synthetic_scene
    return synthetic_scene("step", shape=(48, 72), background=2.0, foreground=8.0)


@pytest.mark.parametrize("model", ["tv", "default"])
def test_match_applies_the_weighted_median_to_the_finished_disparities(model):
    # The option is the kernel applied once after the solve (and after the occlusion fill).
    import msstereo
    from msstereo.match import as_float_image
    scene = _step_scene()
    kw = dict(model=model, solver=msstereo.Relax(iterations=20), d_max=12, median_support="none", plane_segments=0.0)
    plain = msstereo.match(scene.left, scene.right, weighted_median=0, **kw)
    filtered = msstereo.match(scene.left, scene.right, weighted_median=3, median_color=0.1, **kw)
    from msstereo.models import get_model
    from msstereo.sensor import remove_column_parity

    def seen(image, name):
        """The guide: the float image as the model sees it (without the column pattern in `default`)."""
        image = as_float_image(image, name)
        return remove_column_parity(image)[0] if get_model(model).column_parity else image

    guide = seen(scene.left, "left")
    everywhere = np.ones(guide.shape[:2], bool)
    expected = weighted_median(plain.disparity, guide_levels(guide), everywhere, 3, 0.1, 4.0, None)
    np.testing.assert_array_equal(filtered.disparity, expected)
    assert filtered.disparity.dtype == np.float32
    if plain.disparity_right is not None:
        guide = seen(scene.right, "right")
        expected = weighted_median(plain.disparity_right, guide_levels(guide), everywhere, 3, 0.1, 4.0, None)
        np.testing.assert_array_equal(filtered.disparity_right, expected)


def test_match_weighs_the_median_by_the_views_confidences_and_gets_closer_to_the_truth():
    # median_support="confidence": the median of the unfiltered result, each view's values weighted by
    # that view's confidence (the right view's from the mirrored pair), and fewer wrong pixels.
    import msstereo
    from msstereo.match import as_float_image
    from msstereo.problems import view_confidences
    from msstereo.sensor import remove_column_parity
    scene = _step_scene()
    kw = dict(model="default", solver=msstereo.Relax(iterations=20), d_max=12, plane_segments=0.0)
    plain = msstereo.match(scene.left, scene.right, **kw, weighted_median=0)
    weighed = msstereo.match(scene.left, scene.right, **kw, weighted_median=3)
    unweighed = msstereo.match(scene.left, scene.right, **kw, weighted_median=3, median_support="none")
    guides = [remove_column_parity(as_float_image(image, name))[0]
              for image, name in ((scene.left, "left"), (scene.right, "right"))]
    raws = [plain.disparity, plain.disparity_right]
    supports = view_confidences(raws, [plain.v, plain.v_right], [plain.occlusion, plain.occlusion_right], guides)
    for raw, support, guide, got in zip(raws, supports, guides, (weighed.disparity, weighed.disparity_right)):
        want = weighted_median(raw, guide_levels(guide), np.ones(raw.shape, bool), 3, 0.05, 4.0, support)
        np.testing.assert_array_equal(got, want)
    # Each view's support ranks its own values: higher where they are right.
    for raw, truth, support in zip(raws, (scene.disparity, scene.disparity_right), supports):
        right = np.abs(raw - truth) <= 1
        assert support[right].mean() > support[~right].mean() + 0.1
    nonocc = scene.masks["nonocc"]
    bad = [np.mean(np.abs(r.disparity - scene.disparity)[nonocc] > 1) for r in (weighed, unweighed)]
    assert bad[0] < bad[1]


@pytest.mark.parametrize("params, message", [
    (dict(weighted_median=-1), "weighted_median"),
    (dict(median_support="confidence"), "median_support"),
    (dict(median_support="mean"), "median_support"),
    (dict(weighted_median=2.5), "weighted_median"),
    (dict(weighted_median=100), "weighted_median"),
    (dict(median_color=0.0), "median_color"),
    (dict(median_space=float("nan")), "median_space"),
])
def test_bad_weighted_median_parameters_raise(params, message):
    import msstereo
    scene = _step_scene()
    with pytest.raises(ValueError, match=message):
        msstereo.match(scene.left, scene.right, model="tv", solver="pde", d_max=12, **params)


# ---------------------------------------------------------------------------
# The 5x5 median
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (2, 3), (4, 4), (6, 5), (23, 31)])
def test_median5_is_scipys_5x5_median(dtype, shape):
    # Random values, and few distinct ones (ties; 0-1 inputs decide a selection network).
    for values in (RNG.normal(size=shape), RNG.integers(0, 2, shape), RNG.integers(0, 4, shape)):
        d = values.astype(dtype)
        got = median5(d)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, median_filter(d, size=5, mode="nearest"))


def test_median5_selects_the_13th_of_any_25_values():
    # Every window of a 5x5 image holds all its 25 values once clamped at the centre pixel.
    for _ in range(200):
        d = RNG.permutation(25).reshape(5, 5).astype(float) if _ % 2 else RNG.integers(0, 2, (5, 5)) * 1.0
        assert median5(d)[2, 2] == np.sort(d.ravel())[12]



@pytest.mark.parametrize("shape", [(150, 7), (150, 5, 3)])
def test_guide_levels_in_strips_are_the_whole_image_rounding(shape):
    from msstereo.kernels.filters import GUIDE_STRIP
    image = RNG.uniform(-0.1, 1.1, shape).astype(np.float32)  # some outside [0, 1]: clipped
    assert shape[0] > 2 * GUIDE_STRIP
    plain = np.rint(np.clip(image.astype(np.float64), 0.0, 1.0) * 255).astype(np.uint8)
    np.testing.assert_array_equal(guide_levels(image), plain.reshape(shape[:2] + (-1,)))
