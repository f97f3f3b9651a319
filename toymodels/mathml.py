"""LaTeX math in Markdown turned into MathML, which browsers render natively (no script, no
network): ``$$ … $$`` becomes a displayed equation, ``$ … $`` inline math. Used by the HTML
report and by the documentation build (docs/hooks.py), so both render the same formulas."""

import html
import re

from latex2mathml.converter import convert

#: ``$$ … $$`` (display), then ``$ … $`` (inline: no space after the opening or before the closing
#: dollar, so prices and shell prompts in prose stay text).
DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$\w])\$(?=\S)([^$\n]+?)(?<=\S)\$(?![\w$])")


def latex_to_mathml(latex, display=False) -> str:
    """One formula as MathML, or its LaTeX source in a code element if latex2mathml cannot
    parse it (so a formula is never lost)."""
    # L''^{2} is valid LaTeX (primes then a power) but a double superscript to latex2mathml
    latex = re.sub(r"(\w)('+)\^", r"{\1\2}^", latex.strip())
    try:
        return convert(latex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - a formula latex2mathml cannot parse is shown as source
        return f"<pre>{html.escape(latex)}</pre>" if display else f"<code>{html.escape(latex)}</code>"


def extract_math(text):
    """``text`` with every ``$$ … $$`` and ``$ … $`` outside code replaced by a plain-word
    placeholder, and the list of MathML formulas they stand for. The Markdown renderer then
    never sees LaTeX (whose ``_`` and ``*`` it would read as emphasis); :func:`insert_math`
    puts the MathML into the rendered HTML."""
    formulas = []

    def hold(mathml):
        formulas.append(mathml)
        return f"MATHPLACEHOLDER{len(formulas) - 1}X"

    pieces = re.split(r"(```.*?```|`[^`\n]*`)", text, flags=re.S)
    for i in range(0, len(pieces), 2):  # even pieces are outside code
        piece = DISPLAY.sub(lambda m: hold(latex_to_mathml(m.group(1), display=True)), pieces[i])
        pieces[i] = INLINE.sub(lambda m: hold(latex_to_mathml(m.group(1))), piece)
    return "".join(pieces), formulas


def insert_math(rendered, formulas) -> str:
    """The rendered HTML with each placeholder of :func:`extract_math` replaced by its MathML."""
    return re.sub(r"MATHPLACEHOLDER(\d+)X", lambda m: formulas[int(m.group(1))], rendered)
