"""Safe parsing of loss strings typed on the command line.

The string is parsed with :mod:`ast` and the syntax tree is translated node by node into
SymPy. Nothing is ever evaluated as Python: only numbers, declared symbol names, the
arithmetic operators and a whitelist of functions are accepted, so attribute access,
subscripts, dunder names, lambdas and calls of anything else are rejected with a
:class:`~toymodels.errors.ParseError` that names the offending piece.
"""

import ast

import sympy as sp

from .errors import ParseError
from .functions import logcosh

#: Functions a loss string may call, by the name the user types.
ALLOWED_FUNCTIONS = {
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
    "abs": sp.Abs, "logcosh": logcosh,
}
#: Named constants a loss string may use.
ALLOWED_CONSTANTS = {"pi": sp.pi, "E": sp.E}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def parse_expression(text: str, symbols: dict) -> sp.Expr:
    """Translate ``text`` into a SymPy expression over the given ``symbols``.

    ``symbols`` maps each allowed name to its SymPy symbol. Decimal literals become exact
    rationals (``0.5`` is ``1/2``), so derivations stay exact.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParseError("the loss string is empty; write an expression such as '(a*b-1)**2/2'")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ParseError(f"the loss string {text!r} is not a valid expression: {exc.msg} "
                         f"(at column {exc.offset})") from None
    return _translate(tree.body, symbols, text)


def _translate(node, symbols, text):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ParseError(f"only numbers are allowed as literals in {text!r}, found {node.value!r}")
        return sp.Integer(node.value) if isinstance(node.value, int) else sp.Rational(repr(node.value))
    if isinstance(node, ast.Name):
        if "__" in node.id:
            raise ParseError(f"dunder names such as {node.id!r} are not allowed in a loss string")
        if node.id in symbols:
            return symbols[node.id]
        if node.id in ALLOWED_CONSTANTS:
            return ALLOWED_CONSTANTS[node.id]
        raise ParseError(f"unknown name {node.id!r} in {text!r}; declare it as a parameter or "
                         f"sample symbol (known: {', '.join(sorted(symbols)) or 'none'}; "
                         f"constants: {', '.join(ALLOWED_CONSTANTS)})")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise ParseError(f"'^' is not a power in {text!r}; write '**' instead")
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ParseError(f"operator {type(node.op).__name__} is not allowed in a loss string; "
                             "use + - * / **")
        return op(_translate(node.left, symbols, text), _translate(node.right, symbols, text))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _translate(node.operand, symbols, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ParseError(f"only plain function calls like exp(x) are allowed in {text!r}; "
                             "attribute access and computed calls are rejected")
        name = node.func.id
        if "__" in name:
            raise ParseError(f"dunder names such as {name!r} are not allowed in a loss string")
        if name not in ALLOWED_FUNCTIONS:
            raise ParseError(f"unknown function {name!r} in {text!r}; allowed: "
                             f"{', '.join(sorted(ALLOWED_FUNCTIONS))}")
        if node.keywords or len(node.args) != 1:
            raise ParseError(f"{name}() takes exactly one positional argument in {text!r}")
        return ALLOWED_FUNCTIONS[name](_translate(node.args[0], symbols, text))
    if isinstance(node, ast.Attribute):
        raise ParseError(f"attribute access ('.{node.attr}') is not allowed in a loss string")
    raise ParseError(f"{type(node).__name__} is not allowed in a loss string {text!r}; "
                     "use numbers, declared symbols, + - * / ** and the allowed functions")
