"""User formulas: hostile input is refused before anything is evaluated; derivatives are exact."""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy

from sgdlab.core.errors import LimitExceeded, SpecError
from sgdlab.core.landscapes import formula as formula_module
from sgdlab.core.landscapes.formula import FormulaLandscape, parse_formula
from sgdlab.limits import DEFAULT_LIMITS, Limits

#: Limits with a huge length bound, so the nesting checks (not the length check) must catch deep input.
LONG = Limits(max_expression_chars=10**7)


@pytest.fixture
def nothing_runs(monkeypatch):
    """Make compilation and Python evaluation fail loudly: a refused formula must never reach them."""
    def boom(*args, **kwargs):
        raise AssertionError("evaluated a refused formula")
    monkeypatch.setattr(formula_module.sympy, "lambdify", boom)
    monkeypatch.setattr(formula_module.sympy, "sympify", boom)
    monkeypatch.setattr("builtins.eval", boom)
    monkeypatch.setattr("builtins.exec", boom)
    monkeypatch.setattr("os.system", boom)


@pytest.mark.parametrize("text,variables,message", [
    # Python reports offset 0 for a formula that ends too early: the message points at the dangling operator
    ("w**4/4 - w**2/2 +", ["w"],
     "syntax error at column 17: the formula ends after '+', which needs something after it"),
    ("  w**", ["w"], "syntax error at column 4: the formula ends after '**', which needs something after it"),
    ("w 2", ["w"], "syntax error at column 3: invalid syntax"),
    ("(w", ["w"], "syntax error at column 1: '(' was never closed"),
    # '^' is XOR in Python: say where it is and what a power is written as
    ("w^4", ["w"], "operator '^' at column 2 is not allowed; a power is written '**', e.g. w**4"),
    ("w + 2 ^ w", ["w"], "operator '^' at column 7 is not allowed; a power is written '**', e.g. w**4"),
    ("w1**2 + w2", ["w2"],
     "name 'w1' at column 1 is not declared: the landscape's \"variables\" list declares the names (now: w2)"),
])
def test_parse_errors_say_where_and_what_to_write(text, variables, message):
    with pytest.raises(SpecError) as err:
        FormulaLandscape(text, variables)
    assert err.value.field == "expression"
    assert err.value.message == message


HOSTILE = [
    # text, the token the message must name, its column (1-based) or None when the message names another place
    ("__import__('os')", "__import__", 1),
    ("w + __import__('os').system('true')", "system", 5),
    ("().__class__", "__class__", 1),
    ("w.real", ".real", 1),
    ("lambda: 1", "lambda", 1),
    ("[w for w in x]", "comprehension", 1),
    ("'abc'", "'abc'", 1),
    ("b'abc' * w", "b'abc'", 1),
    ("9**9**9", "9**9", 4),
    ("w ** 65", "65", 6),
    ("(w**8)**9", "effective exponent", 1),
    ("w + y", "'y'", 5),
    ("exp(w, base=2)", "base", 8),
    ("exp(x=w)", "'x'", 5),
    ("w[0]", "subscript", 1),
    ("w if w > 0 else -w", "conditional", 1),
    ("w < 1", "comparison", 1),
    ("w // 2", "//", 3),
    ("w % 2", "%", 3),
    ("~w", "~", 1),
    ("open('x')", "'open'", 1),
    ("exp(w)(w)", "call of an expression", 1),
    ("exp", "'exp'", 1),
    ("exp(*w)", "*w", 5),
    ("1j * w", "1j", 1),
    ("True * w", "True", 1),
    ("1e400 * w", "1e400", 1),
    ("log(0) * w", "log(0)", 1),
    ("w + ü", "'ü'", 5),
    ("w;w", "syntax", 2),
]


@pytest.mark.parametrize("text,token,column", HOSTILE, ids=[h[0][:20] for h in HOSTILE])
def test_hostile_formulas_are_refused_naming_token_and_column(text, token, column, nothing_runs):
    with pytest.raises(SpecError) as err:
        FormulaLandscape(text, ["w"])
    message = err.value.message
    assert err.value.field == "expression"
    assert token in message
    assert f"column {column}" in message


@pytest.mark.parametrize("text", [
    "w" * 10**6,
    "(" * 10**4 + "w" + ")" * 10**4,
    "-(" * 10**4 + "w" + ")" * 10**4,
    "-" * 10**4 + "w",
    "exp(" * 10**4 + "w" + ")" * 10**4,
])
@pytest.mark.parametrize("limits", [DEFAULT_LIMITS, LONG], ids=["default", "no-length-limit"])
def test_huge_or_deep_input_is_refused_by_a_limit(text, limits, nothing_runs):
    with pytest.raises(SpecError) as err:
        FormulaLandscape(text, ["w"], limits=limits)
    assert err.value.field == "expression"
    assert len(err.value.message) < 300
    if limits is DEFAULT_LIMITS:
        assert isinstance(err.value, LimitExceeded) and err.value.limit == "max_expression_chars"
    elif text.startswith("w"):  # one long identifier: refused as an undeclared name
        assert "not declared" in err.value.message and "column 1" in err.value.message
    else:
        assert isinstance(err.value, LimitExceeded) and err.value.limit == "max_expression_depth"
        assert re.search(r"column \d+", err.value.message)


def test_long_flat_sums_are_not_mistaken_for_nesting():
    expr = parse_formula(" + ".join(f"{k}*w**{k % 7}" for k in range(1, 60)), ["w"])
    assert expr.free_symbols == {sympy.Symbol("w", real=True)}
    with pytest.raises(LimitExceeded) as err:
        parse_formula("+".join(["w"] * 300), ["w"])
    assert err.value.limit == "max_expression_nodes"


@pytest.mark.parametrize("variables,needle", [
    (["exp"], "function"), (["lambda"], "keyword"), (["w", "w"], "twice"), (["1w"], "identifier"),
    (["w.x"], "identifier"), (["__class__"], "__"), ([], "non-empty"), ("w", "list")])
def test_bad_variables_are_refused(variables, needle):
    with pytest.raises(SpecError) as err:
        FormulaLandscape("1", variables)
    assert err.value.field == "variables" and needle in err.value.message


def test_undefined_formula_is_refused():
    with pytest.raises(SpecError, match="undefined"):
        FormulaLandscape("w / 0", ["w"])


def test_the_issue_example_matches_its_analytic_gradient():
    L = FormulaLandscape("w**4/4 - w**2/2 + 0.1*w", ["w"])
    w = np.linspace(-2.5, 2.5, 101)[:, None]
    x = w[:, 0]
    np.testing.assert_allclose(L.loss(w), x**4 / 4 - x**2 / 2 + 0.1 * x, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(L.grad(w)[:, 0], x**3 - x + 0.1, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(L.hessian(w)[:, 0, 0], 3 * x**2 - 1, rtol=1e-13, atol=1e-14)
    out = np.empty_like(w)
    assert L.grad(w, out=out) is out
    assert L.dim == 1 and L.default_range == [(-3.0, 3.0)]


@pytest.mark.parametrize("text,variables", [
    ("sin(x)*cosh(y/2) + sqrt(1 + x**2) - log(2 + tanh(y)) + exp(-(x-1)**2 - y**2)", ["x", "y"]),
    ("abs(a - 0.3)**3 + tan(b/3) * sinh(c/4) + (a*b*c)**2 / (1 + a**2)", ["a", "b", "c"]),
    ("-(u**2) + +3*u - -u", ["u"]),
])
def test_formula_derivatives_match_finite_differences(text, variables):
    L = FormulaLandscape(text, variables)
    w = np.random.default_rng(3).uniform(-1.5, 1.5, size=(25, len(variables)))
    h = 1e-6
    eye = np.eye(len(variables))
    g_fd = np.stack([(L.loss(w + h * e) - L.loss(w - h * e)) / (2 * h) for e in eye], axis=1)
    np.testing.assert_allclose(L.grad(w), g_fd, atol=1e-6)
    hess_fd = np.stack([(L.grad(w + h * e) - L.grad(w - h * e)) / (2 * h) for e in eye], axis=2)
    np.testing.assert_allclose(L.hessian(w), hess_fd, atol=1e-5)


def test_constants_broadcast_to_every_particle():
    L = FormulaLandscape("x**2 + 3*y", ["x", "y"], range=[[-1, 1], [0, 2]])
    w = np.random.default_rng(0).normal(size=(6, 2))
    assert L.loss(w).shape == (6,)
    np.testing.assert_array_equal(L.grad(w)[:, 1], 3.0)
    np.testing.assert_array_equal(L.hessian(w)[:, 0, 0], 2.0)
    np.testing.assert_array_equal(L.hessian(w)[:, 1, :], 0.0)
    assert FormulaLandscape("7", ["w"]).loss(w[:, :1]).tolist() == [7.0] * 6
    assert L.default_range == [(-1.0, 1.0), (0.0, 2.0)]


def test_non_finite_values_are_left_for_the_simulator():
    L = FormulaLandscape("log(w)", ["w"])
    values = L.loss(np.array([[-1.0], [0.0], [1.0]]))
    assert np.isnan(values[0]) and np.isneginf(values[1]) and values[2] == 0.0


def test_constant_folding_keeps_numbers_small():
    assert parse_formula("2**10 * w", ["w"]) == 1024 * sympy.Symbol("w", real=True)
    assert parse_formula("(2**0.5)**2 * w", ["w"]).free_symbols


@pytest.mark.parametrize("rng,needle", [([[-1, 1], [0, 1]], "one"), ([[1, -1]], "lo < hi")])
def test_bad_range_is_refused(rng, needle):
    with pytest.raises(SpecError) as err:
        FormulaLandscape("w", ["w"], range=rng)
    assert err.value.field == "range" and needle in err.value.message
