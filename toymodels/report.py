"""The report of ``toymodels reproduce``: ``REPORT.md`` and a self-contained ``report.html``.

One section per claim (statement, source, models and parameters, conventions, verdict, time,
every comparison with its tolerance and where that tolerance comes from, every wrong alternative
with the margin by which it is rejected, figures, details), then every derivation page. A claim
that rejects no alternative is flagged with its stated reason. The HTML is the same Markdown
rendered with markdown-it-py (CommonMark), the figures embedded as data URIs at one scale (100 px
per figure inch) and the equations, displayed and inline, converted to MathML by latex2mathml
(:mod:`toymodels.mathml`), which
browsers render natively: no script, no network, one file to send to a colleague.
"""

import base64
import json
import re
from datetime import datetime, timezone

from markdown_it import MarkdownIt

from . import __version__
from .mathml import extract_math, insert_math
from .verify.comparison import jsonable, show

CONVENTIONS = ("Squared losses carry the ½ (L = ½(f − y)², averaged over samples) unless a model "
               "states otherwise; sharpness is λ1(∇²L); GD step k is compared with flow time t = kη; "
               "the manifold flows use the slow time T = η²k.")

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 76rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1a1a1a; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.55rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
img { max-width: min(96vw, 1500px); height: auto; border: 1px solid #eee; display: block;
      position: relative; left: 50%; transform: translateX(-50%); }
p:not(:has(> img)), li, figcaption { max-width: 60rem; }  /* text lines stay short */
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
    lines = ["| comparison | measured | expected | tolerance | where the tolerance comes from | margin | result |",
             "|---|---|---|---|---|---|---|"]
    for c in verdict.comparisons:
        lines.append(f"| {_cell(c.name)} | {_cell(show(c.measured))} | {_cell(show(c.expected))} | "
                     f"{_cell(c.tolerance)} | {_cell(c.provenance)} | {show(c.margin)} | "
                     f"{'within' if c.within else '**outside**'} |")
    lines.append("")
    if verdict.rejections:
        lines += ["Wrong alternatives tried on the same data (margin: deviation in units of the same tolerance):",
                  "", "| comparison | wrong alternative | margin | needed | result |", "|---|---|---|---|---|"]
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


def to_html(markdown_text, figure_folder):
    """The Markdown report as one self-contained HTML page (figures embedded as PNG data)."""
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    text, formulas = extract_math(markdown_text)
    body = insert_math(parser.render(text), formulas)

    def embed(match):
        data = (figure_folder / match.group(1)).read_bytes()
        # PNG width (header bytes 16–20) at 200 dpi, shown at 100 px per inch: every figure at
        # the same scale; a wide grid may overflow the text column up to the window's width
        width = int.from_bytes(data[16:20], "big") // 2
        return f'src="data:image/png;base64,{base64.b64encode(data).decode("ascii")}" width="{width}"'

    body = re.sub(r'src="figures/([^"]+\.png)"', embed, body)
    # a key–value table has no header: drop the empty header row Markdown requires
    body = re.sub(r"<thead>\s*<tr>\s*<th></th>\s*<th></th>\s*</tr>\s*</thead>\s*", "", body)
    body = re.sub(r"<strong>PASS\.?</strong>", '<span class="pass">PASS</span>', body)
    body = re.sub(r"<strong>FAIL\.?</strong>", '<span class="fail">FAIL</span>', body)
    body = body.replace("<td>PASS</td>", '<td class="pass">PASS</td>').replace(
        "<td>FAIL</td>", '<td class="fail">FAIL</td>')
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>toymodels report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")
