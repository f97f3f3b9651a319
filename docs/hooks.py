"""MkDocs hook: LaTeX between ``$`` or ``$$`` becomes MathML at build time, with the same code as
the HTML report (toymodels.mathml), so the pages need no script and no network to show math."""

from toymodels.mathml import extract_math, insert_math

_FORMULAS = {}


def on_page_markdown(markdown, page, **kwargs):
    text, _FORMULAS[page.file.src_uri] = extract_math(markdown)
    return text


def on_page_content(html, page, **kwargs):
    return insert_math(html, _FORMULAS.pop(page.file.src_uri, []))
