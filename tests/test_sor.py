"""Red-black SOR (`msstereo.kernels.sor`) against the naive pixel-by-pixel orders of `naive.py`.

One kernel serves the d and w systems (image coefficients of the working
dtype) and the discontinuity functions ``v`` (numbers ``kappa`` and ``e``,
float64 sums, clipped to [0, 1]): both must be their plain red-black sweeps,
bit for bit, on images smaller than 3 rows or columns (the plain kernel),
larger, and taller than the wavefront's band of ``4 sweeps`` rows.
"""

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import naive
from msstereo.kernels.discontinuity import solve_discontinuity
from msstereo.kernels.sor import SorSystem, sor_increment, sor_pack, young_omega

RNG = np.random.default_rng(1)

SHAPES = [((1, 6), 4), ((6, 1), 4), ((2, 2), 4), ((3, 3), 4), ((4, 7), 4), ((7, 4), 4), ((6, 9), 4),
          ((9, 10), 4), ((9, 10), 1), ((45, 8), 10), ((46, 9), 3)]
"""(shape, sweeps): fewer than 3 rows or columns, more, and taller than the wavefront's band."""


# ---------------------------------------------------------------------------
# The d and w systems: image coefficients of the working dtype
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,sweeps", SHAPES)
def test_sor_matches_the_plain_red_black_order_bit_for_bit(dtype, shape, sweeps):
    # The kernel packs each colour and runs its sweeps as a wavefront over the rows (images
    # taller and shorter than the wavefront's band); it must still be the plain sweep, number
    # for number.
    d0, b, dd = (RNG.standard_normal(shape).astype(dtype) for _ in range(3))
    a = RNG.uniform(0.0, 2.0, shape).astype(dtype)
    g = RNG.uniform(0.0, 1.0, shape).astype(dtype)
    g[0, 0] = 0.0
    want = naive.red_black_sor(dd, d0, a, b, g, sweeps, 1.7)
    sor_increment(dd, d0, a, b, g, sweeps, 1.7)
    np.testing.assert_array_equal(dd, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 5), (3, 3), (6, 9), (9, 10)])
@pytest.mark.parametrize("constant", [False, True])
def test_sor_system_is_sor_increment_bit_for_bit(dtype, shape, constant):
    # Packed once for several diffusivities (and terms added to b), with a an array or a number.
    d0, b, b2, dd = (RNG.standard_normal(shape).astype(dtype) for _ in range(4))
    a = np.full(shape, 0.7, dtype) if constant else RNG.uniform(0.0, 2.0, shape).astype(dtype)
    system = SorSystem(d0, 0.7 if constant else a, b, dd)
    want = dd.copy()
    for k, add in enumerate((None, b2, None, b2)):
        g = RNG.uniform(0.0, 1.0, shape).astype(dtype)
        sor_increment(want, d0, a, b if add is None else b + add, g, 3 + k, 1.7)
        if k == 3:  # packed arguments (`sor_pack`), the packed add used as scratch
            g, add = sor_pack(g), sor_pack(add.copy())
        system.solve(g, 3 + k, 1.7, add)
        np.testing.assert_array_equal(system.add_increment(np.zeros(shape, dtype)), want)
    np.testing.assert_array_equal(system.add_increment(d0.copy()), d0 + want)
    np.testing.assert_array_equal(SorSystem(d0, a, b).add_increment(d0.copy()), d0)



def test_sor_converges_to_the_sparse_solution():
    m, n = 9, 12
    d0 = RNG.standard_normal((m, n))
    a = RNG.uniform(0.0, 2.0, (m, n))
    b = RNG.standard_normal((m, n))
    g = RNG.uniform(0.1, 1.0, (m, n))
    matrix, rhs = naive.lagged_system(d0, a, b, g)
    want = spla.spsolve(matrix.tocsc(), rhs).reshape(m, n)
    dd = np.zeros((m, n))
    sor_increment(dd, d0, a, b, g, 300, 1.5)
    np.testing.assert_allclose(dd, want, rtol=1e-9, atol=1e-9)



def test_young_omega_is_the_formula_of_the_local_jacobi_radius():
    g = np.full((8, 10), 0.5)
    for a, rho in ((0.0, 1.0), (2.0, 0.5), (6.0, 0.25)):
        assert young_omega(a, g) == pytest.approx(2.0 / (1.0 + np.sqrt(1.0 - rho**2)))
    # Packed coefficients (three dimensions) and a diagonal per pixel are read alike.
    assert young_omega(sor_pack(np.full(g.shape, 2.0)), sor_pack(g)) == pytest.approx(young_omega(2.0, g))


@pytest.mark.parametrize("a", [0.05, 0.5, 3.0])
def test_young_omega_converges_about_as_fast_as_the_best_factor(a):
    # The lagged systems of the d-step: a = 1 / (2 theta) over a diffusivity that varies by
    # pixel. After 4 sweeps from 0, the error left by Young's factor is within 1 % of the
    # initial error of that of the best factor of a fine grid, and under half of that of a
    # fixed 1.8 where the diagonal is strong.
    m, n = 40, 48
    g = RNG.uniform(0.3, 1.5, (m, n))
    g[:, n // 2] = 0.01  # an edge: little diffusivity across it
    d0, b = RNG.standard_normal((m, n)), RNG.standard_normal((m, n))
    matrix, rhs = naive.lagged_system(d0, np.full((m, n), a), b, g)
    want = spla.spsolve(matrix.tocsc(), rhs).reshape(m, n)

    def error(omega):
        dd = np.zeros((m, n))
        sor_increment(dd, d0, a, b, g, 4, omega)
        return np.sqrt(np.mean((dd - want) ** 2)) / np.sqrt(np.mean(want**2))

    best = min(error(omega) for omega in np.arange(1.0, 2.0, 0.02))
    young = error(young_omega(a, g))
    assert young <= best + 0.01
    if a >= 0.5:
        assert young < 0.5 * error(1.8)


def test_a_number_and_a_pair_are_read_as_the_image_they_stand_for():
    # float64 throughout: a number is the same at every pixel, a pair (image, number) is the
    # image plus the number, summed in the same precision, so the sweeps agree to the bit.
    shape = (9, 10)
    d0, b, dd = (RNG.standard_normal(shape) for _ in range(3))
    a = RNG.uniform(0.0, 2.0, shape)
    g = RNG.uniform(0.0, 1.0, shape)
    for small in (False, True):  # the packed kernel and the plain one
        if small:
            d0, b, dd, a, g = (u[:2] for u in (d0, b, dd, a, g))
        want = dd.copy()
        sor_increment(want, np.full_like(d0, 0.25), a + 0.5, np.full_like(b, -0.75), np.full_like(g, 0.6), 5, 1.7)
        got = dd.copy()  # with bounds that clip nothing, as the v-step calls it: one kernel less to compile
        sor_increment(got, 0.25, (a, 0.5), -0.75, 0.6, 5, 1.7, (-np.inf, np.inf))
        np.testing.assert_array_equal(got, want)
        clipped = dd.copy()
        sor_increment(clipped, 0.25, (a, 0.5), -0.75, 0.6, 5, 1.7, (-0.5, 0.5))
        assert clipped.min() >= -0.5 and clipped.max() <= 0.5 and not np.array_equal(clipped, got)


# ---------------------------------------------------------------------------
# The discontinuity functions: (a + kappa) v - e lap(v) = kappa, clipped to [0, 1]
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,sweeps", SHAPES)
def test_projected_sor_matches_the_plain_red_black_order_bit_for_bit(dtype, shape, sweeps):
    # The kernel packs each colour and runs its sweeps as a wavefront over the rows; it must
    # still be the plain sweep, number for number.
    v = RNG.uniform(0.0, 1.0, shape).astype(dtype)
    a = RNG.uniform(0.0, 3.0, shape).astype(dtype)
    want = naive.projected_red_black_sor(v, a, 0.06, 0.3, sweeps, 1.8)
    solve_discontinuity(v, a, 0.06, 0.3, sweeps, 1.8)
    np.testing.assert_array_equal(v, want)



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,sweeps", SHAPES)
def test_the_sor_on_vs_coefficients_is_the_projected_update_in_float64_bit_for_bit(dtype, shape, sweeps):
    # The one SOR with x0 = 0, coefficient (a, kappa), b = -kappa, g = e and the clip: the
    # naive update sums kappa, a + kappa and e v in float64 for either dtype of v. Edge
    # strengths from 0 to large, v at the bounds, and an omega that overshoots them, so
    # that the clip acts.
    v = RNG.uniform(0.0, 1.0, shape).astype(dtype)
    v[RNG.random(shape) < 0.2] = 1.0
    v[RNG.random(shape) < 0.2] = 0.0
    a = (RNG.exponential(2.0, shape) * (RNG.random(shape) < 0.7)).astype(dtype)
    kappa, e = 0.05, 0.4
    want = naive.projected_red_black_sor(v, a, kappa, e, sweeps, 1.95)
    sor_increment(v, 0.0, (a, kappa), -kappa, e, sweeps, 1.95, (0.0, 1.0))
    assert v.dtype == dtype
    np.testing.assert_array_equal(v, want)
