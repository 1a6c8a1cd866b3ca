"""User formulas: an allowlist parser on Python's `ast` that builds a SymPy tree, and the FormulaLandscape.

The text is never evaluated as Python and never handed to SymPy's parser: it is tokenised and parsed by `ast`,
every node is checked against an allowlist, and a SymPy expression is built node by node. Constant
sub-expressions are folded in float64 (so `9**9**9` cannot make SymPy compute a gigantic integer).
Gradient and Hessian are derived symbolically and compiled with `sympy.lambdify(..., modules="numpy")`.
"""

from __future__ import annotations

import ast
import keyword
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy

from ...limits import DEFAULT_LIMITS, Limits
from ..errors import LimitExceeded, SpecError
from .base import Landscape

#: The functions a formula may call: name -> (SymPy constructor, NumPy function for constant folding).
FUNCTIONS: dict[str, tuple[Callable[[sympy.Expr], sympy.Expr], Callable[[float], float]]] = {
    "exp": (sympy.exp, np.exp),
    "log": (sympy.log, np.log),
    "sqrt": (sympy.sqrt, np.sqrt),
    "sin": (sympy.sin, np.sin),
    "cos": (sympy.cos, np.cos),
    "tan": (sympy.tan, np.tan),
    "tanh": (sympy.tanh, np.tanh),
    "sinh": (sympy.sinh, np.sinh),
    "cosh": (sympy.cosh, np.cosh),
    "abs": (sympy.Abs, np.abs),
}

_BINOPS: dict[type, tuple[str, Callable[[sympy.Expr, sympy.Expr], sympy.Expr], Callable[[float, float], float]]] = {
    ast.Add: ("+", lambda a, b: a + b, np.add),
    ast.Sub: ("-", lambda a, b: a - b, np.subtract),
    ast.Mult: ("*", lambda a, b: a * b, np.multiply),
    ast.Div: ("/", lambda a, b: a / b, np.divide),
    ast.Pow: ("**", lambda a, b: a ** b, np.power),
}

_OPERATOR_TEXT = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                  ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~"}

_WHITESPACE = " \t\n\r"  # characters other than printable ASCII are refused before parsing
_SMALL_INTEGER = 10**6  # integer literals below this stay exact SymPy Integers (prettier formulas)
DEFAULT_RANGE = (-3.0, 3.0)


def _column(col_offset: int) -> str:
    """A 1-based column for messages (the text is ASCII, so byte offsets are character offsets)."""
    return f"column {col_offset + 1}"


def _snippet(source: str, node: ast.AST) -> str:
    """The source text of a node, shortened for messages."""
    text = ast.get_source_segment(source, node) or type(node).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _node_text(source: str, node: ast.AST) -> str:
    """A short readable name of an AST node for an error message."""
    if isinstance(node, ast.Constant):
        return f"constant {_snippet(source, node)}"
    if isinstance(node, ast.Attribute):
        return f"attribute access '.{node.attr}'"
    return f"'{_snippet(source, node)}'"


def _refuse(what: str, node: ast.AST, lead: int, why: str = "is not allowed") -> SpecError:
    """A SpecError naming the refused token and its column."""
    col = getattr(node, "col_offset", 0) + lead
    return SpecError(f"{what} at {_column(col)} {why}")


def _syntax_error(text: str, exc: SyntaxError, lead: int) -> SpecError:
    """A SpecError for a syntax error at its real column (Python says offset 0 when the text ends too early)."""
    lines = text.split("\n")
    body = text.rstrip()
    line = max(1, exc.lineno or 1)
    if exc.offset and line <= len(lines) and sum(len(x) + 1 for x in lines[:line - 1]) + exc.offset <= len(body):
        col = sum(len(x) + 1 for x in lines[:line - 1]) + exc.offset - 1
        return SpecError(f"syntax error at {_column(col + lead)}: {exc.msg}")
    for op in ("**", "//", "*", "/", "+", "-", "%", "^", "(", ","):
        if body.endswith(op):
            return SpecError(f"syntax error at {_column(len(body) - len(op) + lead)}: the formula ends after "
                             f"'{op}', which needs something after it")
    return SpecError(f"syntax error at {_column(len(body) + lead)}: the formula ends too early ({exc.msg})")


def _operator_column(source: str, node: ast.BinOp, op: str) -> int:
    """The 0-based column of a binary operator's own text (not of its left operand)."""
    left, right = node.left, node.right
    if left.end_lineno == right.lineno == node.lineno == 1 and left.end_col_offset is not None:
        found = source.split("\n")[0].find(op, left.end_col_offset, right.col_offset)
        if found >= 0:
            return found
    return node.col_offset


def _limit_error(limit: str, value: float, got: float, where: str) -> LimitExceeded:
    """A LimitExceeded whose message also says where in the text the bound was hit."""
    err = LimitExceeded(None, limit, value, got)  # type: ignore[arg-type]
    err.message = f"{where}: {err.message}"
    err.args = (err.message,)
    return err


def check_variables(variables: Sequence[str], extra_reserved: Sequence[str] = ()) -> list[str]:
    """Validate variable names: plain ASCII identifiers, not keywords, not function names, unique."""
    if isinstance(variables, str) or not isinstance(variables, (list, tuple)) or not variables:
        raise SpecError("give a non-empty list of variable names, e.g. ['w']")
    seen: set[str] = set()
    for name in variables:
        if not isinstance(name, str) or not name.isascii() or not name.isidentifier():
            raise SpecError(f"variable {name!r} is not a plain identifier")
        if keyword.iskeyword(name) or name in ("True", "False", "None"):
            raise SpecError(f"variable {name!r} is a Python keyword")
        if name in FUNCTIONS:
            raise SpecError(f"variable {name!r} is the name of a function")
        if name.startswith("__"):
            raise SpecError(f"variable {name!r} may not start with '__'")
        if name in seen or name in extra_reserved:
            raise SpecError(f"variable {name!r} is declared twice")
        seen.add(name)
    return list(variables)


def _prescan(text: str, limits: Limits) -> None:
    """Cheap checks before ast.parse: type, length, characters, bracket depth and runs of unary signs."""
    if not isinstance(text, str):
        raise SpecError("a formula must be a string")
    if len(text) > limits.max_expression_chars:
        raise _limit_error("max_expression_chars", limits.max_expression_chars, len(text), "formula too long")
    if not text.strip():
        raise SpecError("the formula is empty")
    depth = run = 0
    for i, ch in enumerate(text):
        if not (ch.isascii() and (ch.isprintable() or ch in _WHITESPACE)):
            shown = ch if ch.isprintable() else repr(ch)
            raise SpecError(f"character '{shown}' at {_column(i)} is not allowed")
        if ch == "(":
            depth += 1
            if depth > limits.max_expression_depth:
                raise _limit_error("max_expression_depth", limits.max_expression_depth, depth,
                                   f"brackets nested too deep at {_column(i)}")
        elif ch == ")":
            depth -= 1
        if ch in "+-":
            run += 1
            if run > limits.max_expression_depth:
                raise _limit_error("max_expression_depth", limits.max_expression_depth, run,
                                   f"too many signs in a row at {_column(i)}")
        elif ch not in " \t\r\n(":
            run = 0


def _measure(tree: ast.AST, limits: Limits, lead: int) -> None:
    """Count expression nodes and their nesting depth (iteratively) and enforce the limits.

    The builder recurses along left-associative chains too, but those are bounded by max_expression_nodes.
    """
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            nodes += 1
            depth += 1
            where = _column(getattr(node, "col_offset", 0) + lead)
            if nodes > limits.max_expression_nodes:
                raise _limit_error("max_expression_nodes", limits.max_expression_nodes, nodes,
                                   f"formula too large at {where}")
            if depth > limits.max_expression_depth:
                raise _limit_error("max_expression_depth", limits.max_expression_depth, depth,
                                   f"formula nested too deep at {where}")
        for child in ast.iter_child_nodes(node):
            # a left-associative chain a + b - c + ... is flat, not nested: its left operand adds no depth
            flat = isinstance(node, ast.BinOp) and child is node.left and isinstance(child, ast.BinOp)
            stack.append((child, depth - 1 if flat else depth))


@dataclass
class _Built:
    """A built sub-expression and, when it has no variables, its float64 value."""

    expr: sympy.Expr
    value: float | None


def _number(value: float, node: ast.AST, lead: int, source: str) -> _Built:
    """A constant as a SymPy number; non-finite constants are refused."""
    if not np.isfinite(value):
        raise _refuse(f"constant '{_snippet(source, node)}'", node, lead,
                      "is not a finite real number")
    if float(value).is_integer() and abs(value) < _SMALL_INTEGER:
        return _Built(sympy.Integer(int(value)), float(value))
    return _Built(sympy.Float(float(value)), float(value))


class _Builder:
    """Check an AST node by node against the allowlist and build the SymPy expression."""

    def __init__(self, source: str, symbols: dict[str, sympy.Symbol], limits: Limits, lead: int):
        self.source = source
        self.symbols = symbols
        self.limits = limits
        self.lead = lead

    def build(self, node: ast.AST) -> _Built:
        """Dispatch on the node type; anything not on the allowlist is refused with its column."""
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self._refused(node)

    def _refused(self, node: ast.AST) -> SpecError:
        kinds = {ast.Attribute: None, ast.Subscript: "subscript", ast.Lambda: "lambda",
                 ast.ListComp: "comprehension", ast.SetComp: "comprehension", ast.DictComp: "comprehension",
                 ast.GeneratorExp: "comprehension", ast.Compare: "comparison", ast.BoolOp: "boolean operator",
                 ast.IfExp: "conditional expression", ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict",
                 ast.Set: "set", ast.Starred: "starred argument", ast.NamedExpr: "assignment expression",
                 ast.JoinedStr: "f-string", ast.Await: "await", ast.Yield: "yield", ast.Slice: "slice"}
        label = kinds.get(type(node))
        what = _node_text(self.source, node) if label is None else f"{label} '{_snippet(self.source, node)}'"
        return _refuse(what, node, self.lead)

    def _constant(self, node: ast.Constant) -> _Built:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _refuse(_node_text(self.source, node), node, self.lead, "is not allowed (only real numbers)")
        try:
            as_float = float(value)
        except OverflowError:
            as_float = float("inf")
        return _number(as_float, node, self.lead, self.source)

    def _name(self, node: ast.Name) -> _Built:
        if node.id in self.symbols:
            return _Built(self.symbols[node.id], None)
        if node.id in FUNCTIONS:
            raise _refuse(f"function '{node.id}'", node, self.lead, "must be called, e.g. exp(w)")
        raise _refuse(f"name '{_snippet(self.source, node)}'", node, self.lead,
                      f"is not declared: the landscape's \"variables\" list declares the names "
                      f"(now: {', '.join(self.symbols) or 'none'})")

    def _unary(self, node: ast.UnaryOp) -> _Built:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            op = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise _refuse(f"operator '{op}'", node, self.lead)
        inner = self.build(node.operand)
        if isinstance(node.op, ast.UAdd):
            return inner
        if inner.value is not None:
            return _number(-inner.value, node, self.lead, self.source)
        return _Built(-inner.expr, None)

    def _binop(self, node: ast.BinOp) -> _Built:
        entry = _BINOPS.get(type(node.op))
        if entry is None:
            op = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            col = _operator_column(self.source, node, op) + self.lead
            hint = "; a power is written '**', e.g. w**4" if op == "^" else ""
            raise SpecError(f"operator '{op}' at {_column(col)} is not allowed{hint}")
        symbol, make, fold = entry
        left, right = self.build(node.left), self.build(node.right)
        if symbol == "**" and right.value is not None and abs(right.value) > self.limits.max_exponent:
            raise _limit_error("max_exponent", self.limits.max_exponent, abs(right.value),
                               f"exponent '{_snippet(self.source, node.right)}' at "
                               f"{_column(node.right.col_offset + self.lead)} is too large")
        if left.value is not None and right.value is not None:
            with np.errstate(all="ignore"):
                return _number(float(fold(np.float64(left.value), np.float64(right.value))), node, self.lead, self.source)
        expr = make(left.expr, right.expr)
        self._check_effective_exponent(expr, node)
        return _Built(expr, None)

    def _check_effective_exponent(self, expr: sympy.Expr, node: ast.AST) -> None:
        """SymPy merges (w**a)**b into w**(a*b): keep the merged numeric exponent within max_exponent."""
        if isinstance(expr, sympy.Pow) and expr.exp.is_Number:
            got = abs(float(expr.exp))
            if got > self.limits.max_exponent:
                raise _limit_error("max_exponent", self.limits.max_exponent, got,
                                   f"power at {_column(node.col_offset + self.lead)} has an effective exponent "
                                   "that is too large")

    def _call(self, node: ast.Call) -> _Built:
        if isinstance(node.func, ast.Attribute):
            raise self._refused(node.func)
        if not isinstance(node.func, ast.Name):
            raise _refuse("call of an expression", node, self.lead)
        name = node.func.id
        if name not in FUNCTIONS:
            raise _refuse(f"function '{_snippet(self.source, node.func)}'", node, self.lead,
                          f"is not allowed (allowed: {', '.join(FUNCTIONS)})")
        if node.keywords:
            kw = node.keywords[0]
            raise _refuse(f"keyword argument '{kw.arg or '**'}' of '{name}'", kw, self.lead)
        if len(node.args) != 1:
            raise _refuse(f"function '{name}'", node, self.lead,
                          f"takes exactly one argument (got {len(node.args)})")
        if isinstance(node.args[0], ast.Starred):
            raise self._refused(node.args[0])
        arg = self.build(node.args[0])
        make, fold = FUNCTIONS[name]
        if arg.value is not None:
            with np.errstate(all="ignore"):
                return _number(float(fold(np.float64(arg.value))), node, self.lead, self.source)
        return _Built(make(arg.expr), None)


def make_symbols(names: Sequence[str]) -> dict[str, sympy.Symbol]:
    """Real SymPy symbols for the given names (real, so |w|' is sign(w))."""
    return {name: sympy.Symbol(name, real=True) for name in names}


def parse_formula(text: str, variables: Sequence[str], limits: Limits = DEFAULT_LIMITS) -> sympy.Expr:
    """Parse `text` with the allowlist into a SymPy expression in `variables` (raises SpecError)."""
    names = check_variables(variables)
    return parse_with_symbols(text, make_symbols(names), limits)


def parse_with_symbols(text: str, symbols: dict[str, sympy.Symbol], limits: Limits) -> sympy.Expr:
    """parse_formula with prepared symbols (shared by FormulaLandscape and finite sums)."""
    _prescan(text, limits)
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(stripped, exc, lead) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise SpecError(f"the formula could not be parsed ({type(exc).__name__})") from None
    _measure(tree, limits, lead)
    built = _Builder(stripped, symbols, limits, lead).build(tree.body)
    expr = built.expr
    _check_defined(expr)
    return expr


def _check_defined(expr: sympy.Expr) -> None:
    """Refuse expressions SymPy found undefined (e.g. w/0 gives zoo) or complex."""
    bad = [a for a in expr.atoms(sympy.Number) if not (a.is_real and a.is_finite)] + \
        [a for a in expr.atoms(sympy.NumberSymbol, sympy.core.numbers.ImaginaryUnit) if not a.is_real]
    if bad or expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo, sympy.I):
        raise SpecError("the formula is undefined or not real (division by zero or similar)")


def _drop_distributions(expr: sympy.Expr) -> sympy.Expr:
    """Second derivatives of abs() give DiracDelta; replace it by 0 (the almost-everywhere value)."""
    return expr.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))


@dataclass(frozen=True)
class CompiledDerivatives:
    """Loss, gradient and Hessian of an expression, lambdified over the given argument symbols."""

    loss: Callable[..., object]
    grad: Callable[..., Sequence[object]]
    hessian: Callable[..., Sequence[object]]
    grad_exprs: tuple[sympy.Expr, ...]
    hessian_exprs: tuple[tuple[sympy.Expr, ...], ...]


def compile_derivatives(expr: sympy.Expr, wrt: Sequence[sympy.Symbol],
                        args: Sequence[sympy.Symbol]) -> CompiledDerivatives:
    """Differentiate `expr` w.r.t. `wrt` symbolically and lambdify loss, gradient and Hessian over `args`."""
    grads = tuple(_drop_distributions(sympy.diff(expr, s)) for s in wrt)
    hess = tuple(tuple(_drop_distributions(sympy.diff(g, s)) for s in wrt) for g in grads)
    for e in grads + tuple(h for row in hess for h in row):
        _check_defined(e)
    flat_hess = [h for row in hess for h in row]
    return CompiledDerivatives(
        loss=sympy.lambdify(list(args), expr, modules="numpy"),
        grad=sympy.lambdify(list(args), list(grads), modules="numpy", cse=True),
        hessian=sympy.lambdify(list(args), flat_hess, modules="numpy", cse=True),
        grad_exprs=grads, hessian_exprs=hess)


def checked_variables(variables: Sequence[str], limits: Limits) -> list[str]:
    """The variable names, checked (field `variables`) and within max_dim."""
    try:
        names = check_variables(variables)
    except SpecError as exc:
        raise exc.at("variables") from None
    if len(names) > limits.max_dim:
        raise LimitExceeded("variables", "max_dim", limits.max_dim, len(names))
    return names


def check_range(range_: Sequence[Sequence[float]] | None, dim: int) -> list[tuple[float, float]]:
    """A plotting range: one (lo, hi) with lo < hi per dimension; default [-3, 3] each."""
    if range_ is None:
        return [DEFAULT_RANGE] * dim
    if len(range_) != dim:
        raise SpecError(f"give one [lo, hi] per variable ({dim}), got {len(range_)}", "range")
    out = []
    for i, pair in enumerate(range_):
        lo, hi = (float(v) for v in pair)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise SpecError(f"range {i} must have finite lo < hi (got [{lo:g}, {hi:g}])", "range")
        out.append((lo, hi))
    return out


def _columns(w: np.ndarray) -> list[np.ndarray]:
    """The coordinate columns of a (n, d) array."""
    return [w[:, k] for k in range(w.shape[1])]


class FormulaLandscape(Landscape):
    """A landscape given by a user formula in named variables; derivatives are symbolic."""

    def __init__(self, expression: str, variables: Sequence[str] = ("w",),
                 range: Sequence[Sequence[float]] | None = None, limits: Limits = DEFAULT_LIMITS):
        names = checked_variables(variables, limits)
        self.default_range = check_range(range, len(names))
        symbols = make_symbols(names)
        try:
            self.expr = parse_with_symbols(expression, symbols, limits)
        except SpecError as exc:
            raise exc.at("expression") from None
        self.variables = names
        self.dim = len(names)
        self.name = "expression"
        self.formula = expression.strip()
        try:
            self._compiled = compile_derivatives(self.expr, list(symbols.values()), list(symbols.values()))
        except SpecError as exc:
            raise exc.at("expression") from None

    def loss(self, w: np.ndarray) -> np.ndarray:
        """L(w) for each row: (n, d) -> (n,)."""
        with np.errstate(all="ignore"):
            value = self._compiled.loss(*_columns(w))
        return np.broadcast_to(np.asarray(value, dtype=float), (w.shape[0],)).copy()

    def grad(self, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """grad L(w): (n, d) -> (n, d), into `out` when given."""
        if out is None:
            out = np.empty_like(w, dtype=float)
        with np.errstate(all="ignore"):
            parts = self._compiled.grad(*_columns(w))
        for k, part in enumerate(parts):
            out[:, k] = part
        return out

    def hessian(self, w: np.ndarray) -> np.ndarray:
        """Hessian: (n, d) -> (n, d, d)."""
        n, d = w.shape
        out = np.empty((n, d, d))
        with np.errstate(all="ignore"):
            parts = self._compiled.hessian(*_columns(w))
        for k, part in enumerate(parts):
            out[:, k // d, k % d] = part
        return out
