"""MkDocs hook.

- LaTeX between ``$`` or ``$$`` becomes MathML at build time, with the same code as the HTML
  report (toymodels.mathml), so the pages need no script and no network to show math.
- In the API pages the docstrings' citations of a theory page ("docs/theory/" + its name)
  become links to that page, and Sphinx roles (``:class:`~a.b.C```) are shown as the code they name.
"""

import posixpath
import re

from toymodels.mathml import extract_math, insert_math

_FORMULAS = {}
_CITATION = re.compile(r"(?<![\w/\"'=.-])docs/theory/([\w-]+)\.md")
_ROLE = re.compile(r":(?:class|func|mod|meth|data|attr|exc):<code>~?([^<]+)</code>")


def on_page_markdown(markdown, page, **kwargs):
    text, _FORMULAS[page.file.src_uri] = extract_math(markdown)
    return text


def on_page_content(html, page, **kwargs):
    html = insert_math(html, _FORMULAS.pop(page.file.src_uri, []))
    here = posixpath.dirname(page.file.dest_uri)
    html = _CITATION.sub(lambda m: f'<a href="{posixpath.relpath(f"theory/{m.group(1)}.html", here or ".")}">'
                                   f"{m.group(0)}</a>", html)
    return _ROLE.sub(lambda m: f"<code>{m.group(1)}</code>", html)
