"Property tests of the schedules over random configurations, and a Monte Carlo cross-check of the theory's amplification formula."

import numpy as np, pytest, torch
from pixeldiff_nb.schedule import PixelSchedule
from pixeldiff_nb import theory


def random_cases(n, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        T = int(rng.integers(1, 400))
        gamma = float(rng.uniform(0.5, 0.9 * T))  # gamma < T: no warning
        yield PixelSchedule(gamma, T), torch.from_numpy(rng.uniform(4e-3, 1, (3, 2, 2))), rng


def algorithm1_recursion(s, x0, x_i, i, Z, noise=None):
    "Algorithm 1's loop (001 Appendix D) with the torch schedule's coefficients, the true x0 standing in for the scale estimate."
    x, a = x_i, s.alpha(x0)
    for j in range(i, 0, -1):
        x = (x - (1 - a) / (1 - s.alpha_bar(x0, j)).sqrt() * Z[j - 1]) / a.sqrt()
        if noise is not None:
            x = x + s.beta_tilde(x0, j).sqrt() * noise[j - 1]
    return x


@pytest.mark.parametrize('k', range(3))
def test_posterior_is_consistent_with_marginals(k):
    "If x_j ~ q(x_j|x0) and x_{j-1} ~ q(x_{j-1}|x_j,x0) then x_{j-1} ~ q(x_{j-1}|x0): means and variances, exactly."
    for s, x0, rng in random_cases(30, seed=k):
        if s.T < 2:
            continue
        j = int(rng.integers(1, s.T + 1))
        ab_j, ab_j1 = s.alpha_bar(x0, j), s.alpha_bar(x0, j - 1)
        mean_at_mean, var = s.q_posterior(x0, ab_j.sqrt() * x0, j)  # posterior mean is linear in x_j
        coef2 = s.q_posterior(x0, ab_j.sqrt() * x0 + 1, j)[0] - mean_at_mean
        torch.testing.assert_close(mean_at_mean, ab_j1.sqrt() * x0, rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(coef2**2 * (1 - ab_j) + var, 1 - ab_j1, rtol=1e-7, atol=1e-12)


def test_coefficients_are_ordered():
    "alpha_bar decreases in i and in x0 (bright pixels lose signal faster); 0 <= beta_tilde <= 1 - alpha."
    for s, x0, rng in random_cases(40, seed=5):
        i = torch.arange(s.T + 1)
        ab = torch.stack([s.alpha_bar(x0, int(k)) for k in i])
        assert (ab[1:] < ab[:-1]).all()
        xs = torch.linspace(4e-3, 1, 50, dtype=torch.float64)
        assert (s.alpha_bar(xs, max(1, s.T // 2)).diff() < 0).all()
        j = int(rng.integers(1, s.T + 1))
        bt = s.beta_tilde(x0, j)
        assert (bt >= 0).all() and (bt <= 1 - s.alpha(x0) + 1e-15).all()


def test_algorithm1_injected_noise_matches_closed_form():
    "Torch Monte Carlo of Algorithm 1's recursion with Z = 0 (noise only) against theory.open_loop_variance."
    s = PixelSchedule(20.0, 200)
    x0 = torch.tensor([0.004, 0.1, 0.3, 0.6], dtype=torch.float64).expand(20_000, 4)
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(s.T, *x0.shape, generator=g, dtype=torch.float64)
    x = algorithm1_recursion(s, x0, torch.zeros_like(x0), s.T, torch.zeros_like(noise), noise)
    pred = np.sqrt(theory.open_loop_variance(x0[0].numpy(), s.T, 20.0, s.T))
    np.testing.assert_allclose(x.std(0).numpy() / pred, 1, atol=0.03)


def test_theory_matches_schedule_on_random_inputs():
    for s, x0, rng in random_cases(20, seed=9):
        i = int(rng.integers(1, s.T + 1))
        ab = s.alpha_bar(x0, i)
        np.testing.assert_allclose(
            (ab * x0**2 / (1 - ab)).numpy(), theory.pixel_snr(x0.numpy(), i / s.T, s.gamma), rtol=1e-8
        )


def test_z_error_gain_and_block_gain_match_the_recursion():
    "A unit error in Z^j moves x0_hat by -z_error_gain; a unit error in x_K is multiplied by block_amplification over K steps."
    s = PixelSchedule(20.0, 200)
    x0 = torch.tensor([0.004, 0.3, 0.7, 1.0], dtype=torch.float64)
    g = torch.Generator().manual_seed(3)
    Z = torch.randn(200, 4, generator=g, dtype=torch.float64)
    base = algorithm1_recursion(s, x0, torch.zeros(4, dtype=torch.float64), 200, Z)
    for j in (1, 57, 200):
        dZ = Z.clone()
        dZ[j - 1] += 1
        moved = algorithm1_recursion(s, x0, torch.zeros(4, dtype=torch.float64), 200, dZ) - base
        np.testing.assert_allclose(-moved.numpy(), theory.z_error_gain(x0.numpy(), j, 20.0, 200), rtol=1e-9)
    K = 10
    moved = algorithm1_recursion(s, x0, torch.ones(4, dtype=torch.float64), K, Z) - algorithm1_recursion(
        s, x0, torch.zeros(4, dtype=torch.float64), K, Z
    )
    np.testing.assert_allclose(moved.numpy(), theory.block_amplification(x0.numpy(), K, 20.0, 200), rtol=1e-12)
