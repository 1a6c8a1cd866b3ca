"""Finite-sum landscapes over data, the seeded generators and the build_landscape dispatch."""

from __future__ import annotations

import numpy as np
import pytest

from sgdlab.core.errors import LimitExceeded, SpecError
from sgdlab.core.landscapes import datasets, finite_sum
from sgdlab.core.landscapes.build import build_landscape
from sgdlab.core.landscapes.finite_sum import FiniteSumFormulaLandscape
from sgdlab.limits import Limits
from sgdlab.spec.landscape import LandscapeSpec

DATA = {"x": [1.0, 2.0, 3.0, -1.0], "y": [1.0, 0.0, 2.0, 0.5]}


def least_squares():
    return FiniteSumFormulaLandscape("0.5*(x*w - y)**2", ["w"], DATA)


def test_least_squares_by_hand():
    L = least_squares()
    x, y = np.array(DATA["x"]), np.array(DATA["y"])
    w = np.array([[0.0], [1.0], [-0.7]])
    np.testing.assert_allclose(L.loss(w)[:, None], np.mean(0.5 * (x * w - y) ** 2, axis=1, keepdims=True))
    np.testing.assert_allclose(L.grad(w), np.mean((x * w - y) * x, axis=1, keepdims=True))
    np.testing.assert_allclose(L.hessian(w)[:, 0, 0], np.mean(x * x))
    assert L.n_samples == 4 and L.dim == 1


def test_sample_grad_shape_and_values():
    L = least_squares()
    x, y = np.array(DATA["x"]), np.array(DATA["y"])
    w = np.array([[0.5], [2.0]])
    idx = np.array([[0, 3, 3], [2, 1, 0]])
    g = L.sample_grad(w, idx)
    assert g.shape == (2, 3, 1)
    np.testing.assert_allclose(g[..., 0], (x[idx] * w - y[idx]) * x[idx])
    np.testing.assert_allclose(L.batch_grad(w, idx), g.mean(axis=1))


def test_mean_of_per_sample_gradients_is_the_gradient_in_two_variables():
    L = FiniteSumFormulaLandscape("log(1 + exp(-y*(a*x1 + b*x2))) + 0.01*(a**2 + b**2)", ["a", "b"],
                                  datasets.logistic_regression(50, dim=2, seed=1))
    w = np.random.default_rng(0).normal(size=(5, 2))
    all_rows = np.broadcast_to(np.arange(50), (5, 50))
    np.testing.assert_allclose(L.sample_grad(w, all_rows).mean(axis=1), L.grad(w), rtol=1e-12)
    np.testing.assert_allclose(L.batch_grad(w, all_rows), L.grad(w), rtol=1e-12)
    # and the gradient is the derivative of the loss
    h = 1e-6
    fd = np.stack([(L.loss(w + h * e) - L.loss(w - h * e)) / (2 * h) for e in np.eye(2)], axis=1)
    np.testing.assert_allclose(L.grad(w), fd, atol=1e-7)
    hess_fd = np.stack([(L.grad(w + h * e) - L.grad(w - h * e)) / (2 * h) for e in np.eye(2)], axis=2)
    np.testing.assert_allclose(L.hessian(w), hess_fd, atol=1e-6)


def test_chunking_over_particles_gives_the_same_result(monkeypatch):
    data = datasets.linear_regression(300, dim=1, noise=0.5, seed=4)
    L = FiniteSumFormulaLandscape("(w*x - y)**2", ["w"], data)
    w = np.linspace(-2, 2, 37)[:, None]
    whole = (L.loss(w), L.grad(w), L.hessian(w))
    monkeypatch.setattr(finite_sum, "CHUNK_ELEMENTS", 1000)  # 3 particles per chunk
    for a, b in zip(whole, (L.loss(w), L.grad(w), L.hessian(w))):
        np.testing.assert_allclose(a, b, rtol=1e-13)


def test_formula_without_data_columns_broadcasts():
    L = FiniteSumFormulaLandscape("w**2", ["w"], {"x": [1.0, 2.0]})
    w = np.array([[1.0], [3.0]])
    np.testing.assert_allclose(L.loss(w), [1.0, 9.0])
    assert L.sample_grad(w, np.zeros((2, 4), dtype=int)).shape == (2, 4, 1)


@pytest.mark.parametrize("gen,kwargs", [
    (datasets.linear_regression, {"n": 40, "dim": 3, "noise": 0.2}),
    (datasets.logistic_regression, {"n": 40, "dim": 1}),
    (datasets.gaussian_mixture, {"n": 40, "dim": 2, "components": 3, "separation": 2.0, "noise": 0.1}),
])
def test_generators_are_deterministic_per_seed(gen, kwargs):
    a, b, c = gen(seed=7, **kwargs), gen(seed=7, **kwargs), gen(seed=8, **kwargs)
    assert list(a) == datasets.input_names(kwargs["dim"]) + ["y"]
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])
        assert a[name].shape == (40,)
    assert any(not np.array_equal(a[n], c[n]) for n in a)


def test_generator_contents():
    lin = datasets.linear_regression(20000, dim=2, noise=0.0, seed=0)
    np.testing.assert_allclose(lin["y"], lin["x1"] + lin["x2"])
    log = datasets.logistic_regression(1000, seed=0)
    assert set(np.unique(log["y"])) == {-1.0, 1.0}
    # labels agree with the sign of x more often than not (P = sigmoid(2x))
    assert np.mean(np.sign(log["x"]) == log["y"]) > 0.7
    mix = datasets.gaussian_mixture(3000, dim=2, components=4, separation=3.0, noise=0.1, seed=0)
    labels = mix["y"].astype(int)
    centres = datasets.mixture_centres(2, 4, 3.0)
    pts = np.stack([mix["x1"], mix["x2"]], axis=1)
    assert np.abs(pts - centres[labels]).max() < 0.1 * 6  # 6 sigma
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 3.0)


@pytest.mark.parametrize("data,field", [
    ({"x": [1, 2], "y": [1]}, "finite_sum.data.y"),
    ({"x": [1, "a"]}, "finite_sum.data.x"),
    ({"x": [1, True]}, "finite_sum.data.x"),
    ({"x": [[1, 2]]}, "finite_sum.data.x"),
    ({"x": []}, "finite_sum.data.x"),
    ({"x": [1.0, 1e400]}, "finite_sum.data.x"),
    ({"x": "123"}, "finite_sum.data.x"),
    ({"w": [1]}, "finite_sum.data.w"),
    ({"exp": [1]}, "finite_sum.data.exp"),
    ({"if": [1]}, "finite_sum.data.if"),
    ({"a b": [1]}, "finite_sum.data.a b"),
    ({}, "finite_sum.data"),
    ({"generator": "nope"}, "finite_sum.data.generator"),
    ({"generator": "linear_regression", "n": 0}, "finite_sum.data.n"),
    ({"generator": "linear_regression", "bogus": 1}, "finite_sum.data.bogus"),
])
def test_invalid_data_names_the_column(data, field):
    spec = LandscapeSpec(finite_sum={"per_sample": "w**2", "data": data})
    with pytest.raises(SpecError) as err:
        build_landscape(spec)
    assert err.value.field == field


def test_data_limits():
    with pytest.raises(LimitExceeded) as err:
        FiniteSumFormulaLandscape("w", ["w"], {"x": [0.0] * 11}, limits=Limits(max_data_rows=10))
    assert err.value.field == "data.x" and err.value.limit == "max_data_rows"
    with pytest.raises(LimitExceeded) as err:
        FiniteSumFormulaLandscape("w", ["w"], {f"c{i}": [0.0] for i in range(4)}, limits=Limits(max_data_columns=3))
    assert err.value.limit == "max_data_columns"
    spec = LandscapeSpec(finite_sum={"per_sample": "w", "data": {"generator": "linear_regression", "n": 11}})
    with pytest.raises(LimitExceeded):
        build_landscape(spec, Limits(max_data_rows=10))


@pytest.mark.parametrize("block,field", [
    ({"finite_sum": {"per_sample": "w*z", "data": {"x": [1]}}}, "finite_sum.per_sample"),
    ({"finite_sum": {"per_sample": "w", "variables": ["exp"], "data": {"x": [1]}}}, "finite_sum.variables"),
    ({"finite_sum": {"per_sample": "w", "data": {"x": [1]}, "range": [[1, 0]]}}, "finite_sum.range"),
    ({"expression": "w.__class__"}, "expression"),
    ({"expression": "x + y", "variables": ["x"]}, "expression"),
    ({"builtin": "nope"}, "builtin"),
    ({"builtin": "double_well", "params": {"tilt": "x"}}, "params.tilt"),
])
def test_build_landscape_field_paths(block, field):
    with pytest.raises(SpecError) as err:
        build_landscape(LandscapeSpec(**block))
    assert err.value.field == field


def test_build_landscape_dispatch_and_dimension_limit():
    assert build_landscape(LandscapeSpec(builtin="muller_brown")).dim == 2
    assert build_landscape(LandscapeSpec(expression="w**2")).variables == ["w"]
    gen = {"generator": "linear_regression", "n": 30, "dim": 2, "seed": 3}
    L = build_landscape(LandscapeSpec(finite_sum={"per_sample": "(a*x1 + b*x2 - y)**2", "variables": ["a", "b"],
                                                  "data": gen}))
    assert L.n_samples == 30 and L.dim == 2
    with pytest.raises(LimitExceeded) as err:
        build_landscape(LandscapeSpec(expression="a+b+c", variables=["a", "b", "c"]), Limits(max_dim=2))
    assert err.value.limit == "max_dim"
