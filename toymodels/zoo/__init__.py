"""The catalog of toy models, looked up by short name: ``zoo.get("two_layer_scalar", y=1)``.

Each entry is a builder function registered with :func:`register`; its keyword arguments
are the model's parameters, and the facts it states (minimum, manifold, λ1 on the manifold)
live next to the formula and are checked by the ``zoo.conformance`` claim.
"""

import importlib
import inspect
import numbers
import pkgutil

from ..errors import InvalidInputError, UnknownNameError

_BUILDERS = {}


def register(builder):
    """Add ``builder`` (a function returning a Model) to the zoo under its function name."""
    _BUILDERS[builder.__name__] = builder
    return builder


def names() -> list[str]:
    """Sorted names of every zoo entry."""
    return sorted(_BUILDERS)


def parameters(name) -> dict:
    """The parameters of entry ``name`` with their default values."""
    return {p.name: p.default for p in inspect.signature(_builder(name)).parameters.values()}


def _builder(name):
    if name not in _BUILDERS:
        raise UnknownNameError(f"unknown zoo model {name!r}; valid names: {', '.join(names())}")
    return _BUILDERS[name]


def get(name, **params):
    """Build zoo entry ``name`` with the given parameters (others take their defaults)."""
    builder = _builder(name)
    valid = parameters(name)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        listed = ", ".join(f"{k}={v!r}" for k, v in valid.items()) or "none"
        raise UnknownNameError(f"zoo model {name!r} has no parameter {', '.join(unknown)}; "
                               f"valid parameters (with defaults): {listed}")
    for key, value in params.items():
        _check_kind(name, key, value, valid[key])
    return builder(**params)


def _kind(value):
    """'number', 'numbers' (a tuple or list of numbers), 'word' or None (anything) for a value."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return "number"
    if isinstance(value, (tuple, list)) and value and all(_kind(v) == "number" for v in value):
        return "numbers"
    return "word" if isinstance(value, str) else None


def _check_kind(name, key, value, default):
    """A value of the kind of the parameter's default (numbers stay numbers: a word given for a
    number would otherwise become a SymPy symbol deep inside the builder)."""
    expected = _kind(default)
    if expected is None or _kind(value) == expected or (expected == "number" and _is_sympy_number(value)):
        return
    if expected == "numbers" and _kind(value) == "number":
        return  # a single number where a list is expected: the builder says whether that is fine
    kinds = {"number": "a number", "numbers": "a comma-separated list of numbers", "word": "a word"}
    raise InvalidInputError(f"zoo model {name!r}: parameter {key} takes {kinds[expected]} (default "
                            f"{default!r}), got {value!r}")


def _is_sympy_number(value):
    return getattr(value, "is_number", False) is True


# Importing the entry modules registers them: a new family of models is a new module here.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
