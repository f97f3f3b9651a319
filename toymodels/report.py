"""The report of ``toymodels reproduce``: ``REPORT.md`` and a self-contained ``report.html``.

One section per claim (statement, source, models and parameters, conventions, verdict, time,
every comparison with its tolerance and where that tolerance comes from, every wrong alternative
with the margin by which it is rejected, figures, details), then every derivation page. A claim
that rejects no alternative is flagged with its stated reason. The HTML is the same Markdown rendered with markdown-it-py (CommonMark), the
figures embedded as data URIs and the equations converted to MathML by latex2mathml, which
browsers render natively: no script, no network, one file to send to a colleague.
"""

import base64
import html
import json
import re
from datetime import datetime, timezone

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt

from . import __version__
from .verify.comparison import jsonable, show

CONVENTIONS = ("Squared losses carry the ½ (L = ½(f − y)², averaged over samples) unless a model "
               "states otherwise; sharpness is λ1(∇²L); GD step k is compared with flow time t = kη; "
               "the manifold flows use the slow time T = η²k.")

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
img { max-width: 100%; border: 1px solid #eee; }
pre { background: #f7f7f7; padding: 0.6rem; overflow-x: auto; font-size: 0.8rem; }
code { font-size: 0.9em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2rem; margin-top: 2.5rem; }
h3 { margin-top: 2rem; }
math[display="block"] { margin: 0.8rem 0; font-size: 1.1rem; }
.pass { color: #006d2c; font-weight: bold; } .fail { color: #b30000; font-weight: bold; }
figcaption { font-size: 0.88rem; color: #444; margin-bottom: 1rem; }
"""


def _verdict_word(passed):
    return "PASS" if passed else "FAIL"


def _cell(value):
    return str(value).replace("|", "\\|").replace("\n", " ")


def _anchor(claim_id):
    return "claim-" + claim_id.replace(".", "-")


def _demote(markdown, levels):
    """Shift every Markdown heading down by ``levels`` (a derivation page inside the report)."""
    return re.sub(r"^(#+) ", lambda m: "#" * min(6, len(m.group(1)) + levels) + " ", markdown, flags=re.M)


def comparison_lines(verdict):
    """The comparisons of ``verdict`` and its wrong alternatives, as Markdown tables."""
    if verdict.error:
        return [f"**The claim raised an exception:** `{_cell(verdict.error)}`", ""]
    lines = ["| comparison | measured | expected | tolerance | where the tolerance comes from | margin | |",
             "|---|---|---|---|---|---|---|"]
    for c in verdict.comparisons:
        lines.append(f"| {_cell(c.name)} | {_cell(show(c.measured))} | {_cell(show(c.expected))} | "
                     f"{_cell(c.tolerance)} | {_cell(c.provenance)} | {show(c.margin)} | "
                     f"{'ok' if c.within else '**outside**'} |")
    lines.append("")
    if verdict.rejections:
        lines += ["Wrong alternatives tried on the same data (margin: deviation in units of the same tolerance):",
                  "", "| comparison | wrong alternative | margin | needed | |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(c.name)} | {_cell(r.name)} | {show(r.margin)} | > {r.required:g} | "
                  f"{'rejected' if r.rejected else '**not rejected**'} |" for c, r in verdict.rejections]
    else:
        lines.append(f"**Rejects no alternative.** {_cell(verdict.nothing_rejected or 'No reason given.')}")
    return lines + [""]


def markdown(results, derivations, *, quick, seconds):
    """The report as Markdown.

    ``results``: list of (claim, verdict, figures, cached) with figures a list of
    (FigureSpec, relative PNG path or None, error text or None); ``derivations``: list of
    (name, Page or None, error text or None).
    """
    passed = sum(v.passed for _, v, _, _ in results)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# toymodels report", "",
             f"toymodels {__version__}, {stamp}. Mode: "
             f"{'quick (the reduced sizes CI uses)' if quick else 'full (the sizes the claims state)'}. "
             f"{passed} of {len(results)} claims passed; total time {seconds:.0f} s.", "",
             f"**Conventions.** {CONVENTIONS}", "",
             "Each claim lists its comparisons; the **margin** is the deviation from what is expected in "
             "units of the tolerance (a comparison passes at ≤ 1), and each wrong alternative is rejected "
             "when its margin on the same data exceeds the stated factor.", "",
             "| claim | verdict | summary | time (s) |", "|---|---|---|---|"]
    for claim, verdict, _, cached in results:
        lines.append(f"| [{claim.id}](#{_anchor(claim.id)}) | {_verdict_word(verdict.passed)} | "
                     f"{_cell(verdict.summary)} | {verdict.seconds:.1f}{' (cached)' if cached else ''} |")
    lines += ["", "## Claims", ""]
    for claim, verdict, figures, cached in results:
        lines += [f'<a id="{_anchor(claim.id)}"></a>', "", f"### {claim.id}", "",
                  f"**{_verdict_word(verdict.passed)}.** {claim.statement}", "",
                  "| | |", "|---|---|",
                  f"| source | {_cell(claim.source)} |",
                  f"| models and parameters | {_cell(claim.models or 'see details')} |",
                  f"| conventions | {_cell(claim.conventions or CONVENTIONS)} |",
                  *([f"| defined in | {_cell(claim.origin)} |"] if claim.origin else []),
                  *([f"| shared runs | {_cell(', '.join(claim.uses))} |"] if claim.uses else []),
                  f"| summary | {_cell(verdict.summary)} |",
                  f"| time | {verdict.seconds:.1f} s{' (from the cache of an earlier run)' if cached else ''} |",
                  "", *comparison_lines(verdict)]
        for spec, path, error in figures:
            if error:
                lines += [f"**Figure {spec.name} failed:** `{_cell(error)}`", ""]
            else:
                lines += [f"![{spec.name}]({path})", "", f"*Figure {spec.name}.* {spec.caption}", ""]
        data = {c.name: c.data for c in verdict.comparisons if c.data}
        details = json.dumps(jsonable({**({"comparison data": data} if data else {}), **verdict.details}),
                             indent=1, default=str, ensure_ascii=False)
        lines += ["<details><summary>Details (all measured values)</summary>", "", "```json", details, "```",
                  "", "</details>", ""]
    lines += ["## Derivations", "",
              "Each page is produced by a script in `derivations/` that asserts every equation on it "
              "(symbolically, or with mpmath to 50 digits) when it runs.", ""]
    for name, page, error in derivations:
        if error:
            lines += [f"### {name}", "", f"**FAILED:** `{_cell(error)}`", ""]
        else:
            lines += [_demote(page.markdown(), 2), ""]
    return "\n".join(lines)


def _math_to_mathml(markdown_text):
    """Replace every ``$$ … $$`` display equation by MathML (or its LaTeX source if it fails)."""

    def convert(match):
        # L''^{2} is valid LaTeX (primes then a power) but a double superscript to latex2mathml
        latex = re.sub(r"(\w)('+)\^", r"{\1\2}^", match.group(1).strip())
        try:
            return latex_to_mathml(latex, display="block")
        except Exception:  # noqa: BLE001 - a formula latex2mathml cannot parse is shown as source
            return f"<pre>{html.escape(latex)}</pre>"

    return re.sub(r"\$\$(.+?)\$\$", convert, markdown_text, flags=re.S)


def to_html(markdown_text, figure_folder):
    """The Markdown report as one self-contained HTML page (figures embedded as PNG data)."""
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    body = parser.render(_math_to_mathml(markdown_text))

    def embed(match):
        path = figure_folder / match.group(1)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'src="data:image/png;base64,{data}"'

    body = re.sub(r'src="figures/([^"]+\.png)"', embed, body)
    body = re.sub(r"<strong>PASS\.?</strong>", '<span class="pass">PASS</span>', body)
    body = re.sub(r"<strong>FAIL\.?</strong>", '<span class="fail">FAIL</span>', body)
    body = body.replace("<td>PASS</td>", '<td class="pass">PASS</td>').replace(
        "<td>FAIL</td>", '<td class="fail">FAIL</td>')
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>toymodels report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")
