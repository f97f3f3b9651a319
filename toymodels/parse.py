"""Safe parsing of loss strings typed on the command line.

The string is parsed with :mod:`ast` and the syntax tree is translated node by node into
SymPy. Nothing is ever evaluated as Python: only numbers, declared symbol names, the
arithmetic operators and a whitelist of functions are accepted, so attribute access,
subscripts, dunder names, lambdas and calls of anything else are rejected with a
:class:`~toymodels.errors.ParseError` that names the offending piece.

SymPy multiplies out numbers exactly, so ``9**9**9**9`` or ``a**(10**10**10)`` would run until
killed: the size of what is accepted is bounded (the length of the string, the number of
syntax nodes, the size of a power's exponent and of an exact number), and a string outside the
bounds is rejected at once with the bound it broke.
"""

import ast
import math

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

#: Bounds on what is parsed: characters, syntax nodes, |exponent| of a power, decimal digits of
#: an exact number (a loss needs none of these to be large; each makes SymPy slow past it).
MAX_LENGTH = 5_000
MAX_NODES = 1_000
MAX_EXPONENT = 1_000
MAX_DIGITS = 1_000


def parse_expression(text: str, symbols: dict) -> sp.Expr:
    """Translate ``text`` into a SymPy expression over the given ``symbols``.

    ``symbols`` maps each allowed name to its SymPy symbol. Decimal literals become exact
    rationals (``0.5`` is ``1/2``), so derivations stay exact.
    """
    if not isinstance(text, str) or not text.strip():
        raise ParseError("the loss string is empty; write an expression such as '(a*b-1)**2/2'")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the loss string has {len(text)} characters, more than the {MAX_LENGTH} accepted")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ParseError(f"the loss string {_shown(text)} is not a valid expression: {exc.msg} "
                         f"(at column {exc.offset})") from None
    except (RecursionError, MemoryError):
        raise ParseError("the loss string is nested too deeply to parse") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise ParseError(f"the loss string has {nodes} syntax nodes, more than the {MAX_NODES} accepted; "
                         "write a shorter expression (e.g. with a sum over data in Python)")
    try:
        expr = _translate(tree.body, symbols, text)
    except RecursionError:
        raise ParseError("the loss string is nested too deeply to translate") from None
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ParseError(f"the loss string {_shown(text)} is undefined as written (a division by zero or an "
                         "infinite value); check its constants")
    return expr


def _shown(text) -> str:
    """``text`` quoted for a message, shortened when long."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _digits(number) -> float:
    """Decimal digits of an exact SymPy number (of its numerator and denominator), 0 otherwise."""
    if not isinstance(number, sp.Rational):
        return 0.0
    return max(len(str(abs(number.p))), len(str(number.q)))


def _power(base, exponent, text):
    """base**exponent, refused when the exponent or the exact result would be huge."""
    if exponent.is_number and exponent.is_real and abs(float(exponent)) > MAX_EXPONENT:
        raise ParseError(f"the exponent {exponent if _digits(exponent) < 30 else 'in it'} in {_shown(text)} is "
                         f"larger than {MAX_EXPONENT} in size; a loss has no use for it, and SymPy "
                         "would compute it exactly")
    if isinstance(base, sp.Rational) and isinstance(exponent, sp.Rational):
        digits = _digits(base) * abs(float(exponent))
        if digits > MAX_DIGITS:
            raise ParseError(f"{_shown(text)} makes an exact number of about {digits:.0f} digits, more than "
                             f"{MAX_DIGITS}; use smaller numbers or a float")
    return base**exponent


def _product(a, b, text):
    """a*b, refused when two exact numbers make a huge one (repeated products of big powers)."""
    if isinstance(a, sp.Rational) and isinstance(b, sp.Rational) and _digits(a) + _digits(b) > MAX_DIGITS:
        raise ParseError(f"{_shown(text)} makes an exact number of more than {MAX_DIGITS} digits; use "
                         "smaller numbers")
    return a * b


_BINARY = {
    ast.Add: lambda a, b, text: a + b,
    ast.Sub: lambda a, b, text: a - b,
    ast.Mult: _product,
    ast.Div: lambda a, b, text: _product(a, 1 / b, text) if b != 0 else a * sp.zoo,
    ast.Pow: _power,
}


def _translate(node, symbols, text):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ParseError(f"only numbers are allowed as literals in {_shown(text)}, found {node.value!r}")
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise ParseError(f"the number {node.value!r} in {_shown(text)} is not finite")
        number = sp.Integer(node.value) if isinstance(node.value, int) else sp.Rational(repr(node.value))
        if _digits(number) > MAX_DIGITS:
            raise ParseError(f"a number in {_shown(text)} has more than {MAX_DIGITS} digits")
        return number
    if isinstance(node, ast.Name):
        if "__" in node.id:
            raise ParseError(f"dunder names such as {node.id!r} are not allowed in a loss string")
        if node.id in symbols:
            return symbols[node.id]
        if node.id in ALLOWED_CONSTANTS:
            return ALLOWED_CONSTANTS[node.id]
        raise ParseError(f"unknown name {node.id!r} in {_shown(text)}; declare it as a parameter or "
                         f"sample symbol (known: {', '.join(sorted(symbols)) or 'none'}; "
                         f"constants: {', '.join(ALLOWED_CONSTANTS)})")
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise ParseError(f"'^' is not a power in {_shown(text)}; write '**' instead")
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ParseError(f"operator {type(node.op).__name__} is not allowed in a loss string; "
                             "use + - * / **")
        return op(_translate(node.left, symbols, text), _translate(node.right, symbols, text), text)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        operand = _translate(node.operand, symbols, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ParseError(f"only plain function calls like exp(x) are allowed in {_shown(text)}; "
                             "attribute access and computed calls are rejected")
        name = node.func.id
        if "__" in name:
            raise ParseError(f"dunder names such as {name!r} are not allowed in a loss string")
        if name not in ALLOWED_FUNCTIONS:
            raise ParseError(f"unknown function {name!r} in {_shown(text)}; allowed: "
                             f"{', '.join(sorted(ALLOWED_FUNCTIONS))}")
        if node.keywords or len(node.args) != 1:
            raise ParseError(f"{name}() takes exactly one positional argument in {_shown(text)}")
        return ALLOWED_FUNCTIONS[name](_translate(node.args[0], symbols, text))
    if isinstance(node, ast.Attribute):
        raise ParseError(f"attribute access ('.{node.attr}') is not allowed in a loss string")
    raise ParseError(f"{type(node).__name__} is not allowed in a loss string {_shown(text)}; "
                     "use numbers, declared symbols, + - * / ** and the allowed functions")
