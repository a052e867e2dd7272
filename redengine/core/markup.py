"""Text from outside the project's code, made safe to show: as Markdown text, as Plotly text, as code.

Streamlit renders Markdown (links, images, HTML-looking text, LaTeX `$…$`, directives such as
`:red[…]`, icon shortcodes such as `:material/home:`) in st.markdown, st.caption, alerts, metric
labels, values and help, widget labels and help, expander and tab labels. Plotly renders an HTML
subset (<br>, <b>, <i>, <span style>, <a href>, …) in titles, tick labels, bar text and hover
text. Every string that did not come from this code — URL parameters, snapshot fields, companion
tables, uploaded files, report texts, error messages quoting any of them — goes through one of
the helpers below before it reaches either.
"""

from __future__ import annotations

import html
import re

# Characters that reorder the text around them (Unicode bidi controls) and control characters:
# shown as a visible code point, since invisible they could make a value read as something else.
_HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Every ASCII punctuation character that Markdown, GitHub's extensions or Streamlit give a meaning to
# (emphasis, code, links, images, HTML, entities, lists, headings, tables, strikethrough, math,
# directives, arrows such as -> and >=, autolinks such as www.x.org), escaped with a backslash as
# CommonMark allows. Quotes, commas, slashes and the like mean nothing and stay as they are.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^@])")
# Some markup is found in text already parsed, where a backslash escape no longer shows: Streamlit's
# `:material_x:`, `:streamlit:` and emoji shortcodes, and GitHub's bare links (https://…, www.…,
# name@host.org). An invisible word joiner after every colon and @, and before the dot of www.,
# breaks them all.
_PARSED_TEXT_MARKUP = re.compile(r"(?<=[:@])|(?<=[wW]{3})(?=\.)")
WORD_JOINER = "\u2060"
_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)\s*")
CODE_LIMIT = 80  # characters of a rejected value worth echoing; the rest is cut


def _visible_controls(text: str) -> str:
    return _HIDDEN.sub(lambda match: f"[U+{ord(match.group()):04X}]", text)


def markdown_text(text: object) -> str:
    """`text` as literal text inside Streamlit Markdown: nothing in it becomes a link, image,
    emphasis, HTML, formula, directive or icon.

    Line breaks become Markdown line breaks (a blank line or indent would start a new block).
    """
    plain = _PARSED_TEXT_MARKUP.sub(WORD_JOINER, _visible_controls(str(text)).strip())
    return _LINE_BREAK.sub("  \n", _MARKDOWN_SPECIAL.sub(r"\\\1", plain))


def markdown_code(text: object, limit: int = CODE_LIMIT) -> str:
    """`text` as an inline code span, cut to `limit` characters (with '…'): how a rejected value is echoed."""
    plain = _visible_controls(str(text))
    if len(plain) > limit:
        plain = plain[:limit] + "…"
    plain = _LINE_BREAK.sub(" ", plain)
    # Streamlit rewrites ':material/' in the raw source, code spans included: the joiners keep it as typed.
    plain = _PARSED_TEXT_MARKUP.sub(WORD_JOINER, plain)
    # A fence longer than any run of backticks inside; padded when the value starts or ends with a backtick
    # or a space, which CommonMark would otherwise take as part of the fence or strip.
    longest = max((len(run) for run in re.findall(r"`+", plain)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if not plain or plain[:1] in ("`", " ") or plain[-1:] in ("`", " ") else ""
    return f"{fence}{padding}{plain}{padding}{fence}"


def plotly_text(text: object) -> str:
    """`text` as literal text in a Plotly label or hover: its HTML subset sees no tags or entities."""
    return html.escape(_visible_controls(str(text)), quote=False)
