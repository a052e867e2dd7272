"""Hostile text, in one place: what an attacker puts in a link or a snapshot, and the checks that
what the dashboard renders still shows it as text.

Used by test_markup (the helpers), test_hostile (every page through AppTest) and
test_browser_hostile (every page in Chromium).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa

from redengine.data import schema, store

HOSTILE = [
    # Markdown links and images, to places outside and to scripts
    "[Click to verify](https://example.org)",
    "![](https://example.org/pixel.png)",
    "[x](javascript:alert(1))",
    "[data](data:text/html,<b>x</b>)",
    "[a](https://example.org 'title')",
    "[ref][1]\n\n[1]: https://example.org",
    "<https://example.org/autolink>",
    "https://example.org/bare",
    "www.example.org",
    "user@example.org",
    "javascript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    # Plotly's HTML subset and plain HTML
    '<span style="font-size:300px;color:red">BIG</span>',
    "<a href='https://example.org'>link</a>",
    "line<br>break",
    "<b>bold</b><i>italic</i><sup>2</sup><sub>3</sub>",
    "<img src=https://example.org/x.png>",
    "<script>alert(1)</script>",
    "<iframe src='https://example.org'></iframe>",
    "<style>*{font-size:300px}</style>",
    "&lt;b&gt;entity&lt;/b&gt; &#60;i&#62; &amp;",
    # LaTeX
    "$x^2$",
    "$$\\int_0^1 f(x)\\,dx$$",
    # Streamlit's icons, emoji and directives
    ":material/home: icon",
    ":material_warning:",
    ":streamlit:",
    ":smile: :+1: :-1:",
    ":red[red text]",
    ":red-background[background]",
    ":small[tiny] :blue-badge[badge]",
    ':color[c]{foreground="red"}',
    # Markdown that restyles
    "**bold** _italic_ ~~strike~~",
    "`code` ``two``",
    "```\nfenced\n```",
    "# Heading",
    "> quote",
    "- list item",
    "1. ordered",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "---",
    "line one\n\n    indented code",
    "-> <- >= <= -- arrows",
    "\\*escaped\\* \\[x\\](y)",
    # Characters that hide or reorder text
    "\u202eevil\u202c reversed",
    "\u2066isolate\u2069 \u200fmark",
    "a\u200bb\u200cc\u200dd\ufeffe zero-width",
    "\x00\x07\x1b[31m control",
    # Odd but harmless, which must survive as typed
    "%{y} %{text} plotly template",
    "'; DROP TABLE facts; --",
    '🏮 江岸区 Jiang\'an & "quotes"',
    # Very long
    "x" * 10_000,
]
assert len(HOSTILE) >= 40

HOSTILE_IDS = [
    f"{index:02d}-{re.sub(r'[^a-z0-9]+', '-', text[:24].lower()).strip('-') or 'x'}"
    for index, text in enumerate(HOSTILE)
]


def hostile(index: int) -> str:
    """The corpus as an endless cycle: any index names a string."""
    return HOSTILE[index % len(HOSTILE)]


# --- Markdown as Streamlit receives it ------------------------------------------------------------

_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_ESCAPED = re.compile(r"\\.", re.DOTALL)
# The only HTML the dashboard writes into Markdown itself: line breaks, and a name in the other language
# marked as such (the Profile's heading).
_OWN_HTML = re.compile(r"<br>|</span>|<span lang=\"(?:en|zh-CN)\">")
_MARKDOWN_MARKUP = {
    "link or image": re.compile(r"\]\(|\]\[|!\[|\]:"),
    "HTML tag or autolink": re.compile(r"<[A-Za-z/!?]"),
    "entity": re.compile(r"&#?\w+;"),
    "LaTeX": re.compile(r"\$"),
    "directive, shortcode or URL": re.compile(r":(?=[^\s\u2060])"),
    "bare domain": re.compile(r"(?i)www\."),
    "bidi control": re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"),
}
# Found by Streamlit in the raw source or in parsed text, where a backslash no longer counts:
# icon and emoji shortcodes, and GitHub's bare links.
_PARSED_TEXT_MARKUP = re.compile(
    r":material/|:material_\w+:|:streamlit:|:[\w+-]+:|https?://|www\.|[\w.+-]@[\w-]+\.\w", re.IGNORECASE
)


def markdown_problems(body: str) -> list[str]:
    """What in a Markdown source Streamlit would turn into markup: unescaped links, images, tags,
    entities, formulas, directives and shortcodes (code spans are literal, except for shortcodes)."""
    parsed = body.replace("\\", "")
    problems = [f"shortcode or bare link {m.group()!r}" for m in _PARSED_TEXT_MARKUP.finditer(parsed)]
    outside_code = _OWN_HTML.sub(" ", _ESCAPED.sub("□", _CODE_SPAN.sub("□", body)))
    for name, pattern in _MARKDOWN_MARKUP.items():
        problems += [
            f"{name} {outside_code[max(0, m.start() - 20) : m.end() + 20]!r}" for m in pattern.finditer(outside_code)
        ]
    return problems


# --- st.html: the Sources page's report text, the Overview's evidence matrix ----------------------------

# The report's frame, marks and anchors, and the script that scrolls to a followed figure; the
# evidence matrix's table, cells, folded figures and links to a fact (ids only) in Sources.
_HTML_OWN = re.compile(
    r"<style>[^<]*</style>|<div class=\"report\" tabindex=\"0\" role=\"region\" aria-label=\"[^\"<>]*\">|</div>"
    r"|<mark class=\"fact(?: target)?\">|</mark>|<br>"
    r"|<a id=\"fact-[0-9a-f]+\"></a>"
    r"|<script>document\.getElementById\('fact-[0-9a-f]+'\)\?\.scrollIntoView\(\{block:'center'\}\)</script>"
    r"|<div class=\"figure\">|</?(?:table|thead|tbody|tr|td|th|details|summary)>|</span>|</a>"
    r"|<div class=\"evidence\" tabindex=\"0\" role=\"region\" aria-label=\"[^\"<>]*\">"
    r"|<td data-place=\"[^\"<>]*\"><div>"
    r"|<th class=\"concept\"(?: scope=\"row\")?>|<span class=\"(?:reach|marks|nr)\">"
    r"|<a href=\"\./sources\?[\w=&;.%-]*\" target=\"_self\">"
    # the share panel: the chart's image for phones (attributes escaped) and the lines printed under it
    r"|<div class=\"redengine-(?:phone-image|print-only)\">|</?p>"
    r"|<img src=\"[^\"<>]*\" alt=\"[^\"<>]*\" loading=\"lazy\">"
    # #24: the page script (a11y.js, which holds no '<'); a chart's text alternative, an attribute; the
    # Overview's place chips; figure lists with quotes (Compare, a phone's Profile); a table as cards
    r"|<script>// Run on every page by widgets\.common_controls[^<]*</script>"
    r"|<span class=\"redengine-chart-text\" hidden data-description=\"[^\"<>]*\">"
    r"|<ul class=\"redengine-(?:places|figure-list|cards)\"(?: aria-label=\"[^\"<>]*\")?>|</ul>"
    r"|</?(?:li|strong|dl|dt|dd|blockquote)>"
    r"|<a href=\"\./profile\?[\w=&;.%-]*\" target=\"_self\">"
    r"|<span class=\"swatch\" aria-hidden=\"true\" style=\"background:#[0-9a-f]{6}\">"
    r"|<span class=\"(?:names|meta)\">|<span lang=\"(?:en|zh-CN)\">"
    # Compare's HTML bars: the figure (its text alternative an attribute), a row's keys, its parts and bar
    r"|<figure class=\"redengine-bars\" role=\"img\" aria-label=\"[^\"<>]*\"><ul>|</figure>"
    r"|<li(?: data-(?:place|period|definition|value)=\"[^\"<>]*\")+>"
    r"|<span class=\"(?:place|value|details|none)\">"
    r"|<span class=\"bar(?: hatched)?\" style=\"width:[\d.]+%;background-color:#[0-9a-f]{6}\" aria-hidden=\"true\">"
)


def html_problems(body: str) -> list[str]:
    """Tags in st.html that the dashboard did not write itself."""
    return [body[max(0, m.start() - 20) : m.end() + 40] for m in re.finditer(r"<[A-Za-z/!?]", _HTML_OWN.sub("", body))]


# --- Plotly figures -------------------------------------------------------------------------------

# The tags the dashboard's own chart code writes; anything else would be markup from outside.
_PLOTLY_OWN_TAG = re.compile(r"<br>|<b>|</b>|<extra></extra>|<span style='font-size:11px;color:#7f8c8d'>|</span>")
_PLOTLY_MARKUP = re.compile(r"<[A-Za-z/!?]|&(?!amp;|lt;|gt;)#?\w+;")


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def plotly_problems(spec: str) -> list[str]:
    """Tags or entities in a figure's text that the dashboard did not write itself."""
    figure = json.loads(spec)
    texts = strings_in({"data": figure.get("data"), "layout": figure.get("layout")})
    return [text[:120] for text in texts if _PLOTLY_MARKUP.search(_PLOTLY_OWN_TAG.sub("", text))]


# --- a data directory whose every text field is hostile ----------------------------------------------

PLACES = 13  # all drawn in the Overview's coverage matrix and in Compare's chart at once
CATEGORIES = ("organizations", "volunteers", "service_centers", "investment")
VARIANTS = math.ceil(len(HOSTILE) / PLACES)  # variant k, row r: string 13k + r (+ a field offset)
LANGS = ("zh", "en")


def hostile_data_dir(root: Path, variant: int) -> Path:
    """A data directory whose every text field is hostile, written without validation (names with
    markup are refused by `snapshot add`, but the pages must not trust that)."""
    first = PLACES * variant

    def text(row: int, field: int) -> str:
        return hostile(first + row + field)

    districts = [
        {
            "district_id": f"place_{r}",
            **{column: text(r, j) for j, column in enumerate(schema.NAME_COLUMNS["districts"])},
            "level": "district",
        }
        for r in range(PLACES)
    ]
    concepts = [
        {
            "concept_id": f"concept_{m}",
            "category": category,
            "name_zh": text(m, 14),
            "name_en": text(m, 15),
            "description_en": text(m, 16),
        }
        for m, category in enumerate(CATEGORIES)
    ]
    metrics = [
        {
            "metric_id": f"metric_{m}",
            "category": category,
            "name_zh": text(m, 1),
            "name_en": text(m, 2),
            "unit": "count",
            "concept_id": f"concept_{m}",
            "measure": "stock",
            "description_en": text(m, 3),
        }
        for m, category in enumerate(CATEGORIES)
    ]
    sources = [
        {
            "source_id": f"src_{r}",
            "title_zh": text(r, 4),
            "title_en": text(r, 5),
            "publisher": text(r, 6),
            "published": date(2021, 1, 1),
            "file": f"sources/src_{r}.txt",
            "period_start": date(2020, 1, 1),
            "period_end": date(2020, 12, 31),
            "period_label": text(r, 7),
            "period_note": text(r, 8),
        }
        for r in range(PLACES)
    ]
    facts = [
        {
            "district_id": f"place_{r}",
            "metric_id": f"metric_{m}",
            "value": float(100 * (r + 1) + m),
            "qualifier": "exact",
            "period_start": date(2020, 1, 1 + m),
            "period_end": date(2020, 12, 31),
            "period_label": text(r, 9 + 7 * m),
            "period_basis": "stated",
            # every other figure is for a hostile part of the place
            "scope_zh": text(r, 40 + 2 * m) if r % 2 else None,
            "scope_en": text(r, 41 + 2 * m) if r % 2 else None,
            "value_as_written": text(r, 10 + 7 * m),
            "source_id": f"src_{r}",
            "quote": text(r, 11 + 7 * m),
            "note": text(r, 12 + 7 * m),
        }
        for r in range(PLACES)
        for m in range(len(CATEGORIES))
    ]
    data_dir = root / f"hostile-{variant}"
    for kind, rows in (("districts", districts), ("concepts", concepts), ("metrics", metrics), ("sources", sources)):
        store.write_parquet(data_dir / store.DIMENSION_FILES[kind], pa.Table.from_pylist(rows, schema.DIMENSIONS[kind]))
    (data_dir / "sources").mkdir()
    for r in range(PLACES):
        quotes = "。".join(f["quote"] for f in facts if f["source_id"] == f"src_{r}")
        (data_dir / "sources" / f"src_{r}.txt").write_text(f"{text(r, 13)}\n{quotes}", encoding="utf-8")
    table = pa.Table.from_pylist(facts, schema.FACTS)
    table = table.append_column("snapshot_id", pa.array(["hostile"] * len(table), pa.string()))
    written = store.write_snapshot_files(data_dir / "snapshots", "hostile.parquet", table)
    store.write_manifest(data_dir, [store.SnapshotEntry(id="hostile", added="2026-01-01T00:00:00+00:00", **written)])
    return data_dir
