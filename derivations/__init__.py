"""Executable derivations, installed as :mod:`toymodels.derivations`.

Each module defines ``derive() -> Page`` (see :mod:`toymodels.derivation`): every equation on
the page is asserted when it runs. ``python derivations/NAME.py`` writes ``NAME.md`` next to
the script; ``toymodels show --derivation NAME`` prints it; ``toymodels reproduce`` puts every
page in the report.
"""
