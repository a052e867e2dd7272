"""A shared view painted by the server: the HTML beside the app's root element that shows before Streamlit starts.

Pure: a described view (share.SharedView, the same one the page, the link preview and the chart image use) in,
an HTML string out. No Plotly and no JavaScript: the figures as a table with CSS bars, the sources, the snapshot,
the citation and the data API's URL for the same figures. The app's own drawing replaces it (STYLE); a reader
without JavaScript keeps it. Every text that came from the data or the URL is escaped here.
"""

from __future__ import annotations

import html
from dataclasses import replace

from redengine.core.i18n import LANGUAGE_NAMES, other_language, t
from redengine.present import pages
from redengine.present.share import Figure, SharedView

# Laid out like the app's first screen (the sidebar, the top navigation, then the page's title in the main
# block's padding), so the app's drawing takes its place without the title moving; on a phone the sidebar goes
# below and each figure is a card. Colours are the theme's (.streamlit/config.toml).
# It lies over the app (above its sidebar, z-index 999991) until the app has drawn the page's title (every page
# starts with one, and so does the app's data error); a browser without :has drops it as soon as the app mounts.
# Without JavaScript it stays. The :has names only an id and a tag: a selector naming data-testid or role, which
# nearly every element the app draws carries, made each of them re-check it (style recalculation 2-3x, measured).
STYLE = """<style>
body{margin:0}
.rv{display:flex;font-family:"Source Sans Pro","Source Sans 3","Noto Sans CJK SC","Noto Sans SC",sans-serif;
color:#2c2c2c;background:#fdfcfa;line-height:1.6;font-size:1rem;position:fixed;inset:0;overflow:auto;z-index:999992}
#root:not(:empty)~.rv{display:none}
@supports selector(:has(*)){#root:not(:empty)~.rv{display:flex}
body:has(#root h1) #root~.rv{display:none}}
.rv *{box-sizing:border-box}
.rv a{color:#8e2a20}
.rv-side{flex:0 0 300px;background:#f4efe9;padding:4.6rem 2rem 2rem;font-size:.95rem}
.rv-side p{margin:0 0 1rem}
.rv-page{flex:1 1 auto;min-width:0}
.rv nav{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1.5rem;min-height:3.75rem;padding:0 1.5rem}
.rv nav a{text-decoration:none;color:#2c2c2c}.rv nav a[aria-current]{font-weight:600;text-decoration:underline}
.rv main{padding:4.15rem 5rem 4rem}
.rv h1{font-size:2.75rem;font-weight:700;line-height:1.2;margin:0;padding:1.25rem 0 1rem}
.rv h2{font-size:1.5rem;font-weight:600;margin:1rem 0 .5rem}
.rv-small{color:#5d6d7e;font-size:.875rem;margin:.25rem 0}
.rv table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%;max-width:72rem}
.rv caption{text-align:left;font-weight:600;padding:.25rem 0}
.rv th,.rv td{border-bottom:1px solid #e5ddd3;padding:.4rem .75rem .4rem 0;text-align:left;vertical-align:top}
.rv thead th{font-size:.875rem;color:#5d6d7e;font-weight:600}
.rv-value{font-weight:600;white-space:nowrap}
.rv-bar{display:block;height:.5rem;background:#b03a2e;border-radius:2px;margin-top:.2rem;min-width:2px}
.rv-none{color:#5d6d7e;font-weight:400}
@media (max-width:768px){
.rv{flex-direction:column}.rv-side{order:2;flex:0 0 auto;padding:1rem .75rem}.rv-page{flex:0 0 auto}
.rv nav{padding:.5rem .75rem}.rv main{padding:1.9rem .75rem 2rem}.rv h1{font-size:2.25rem}
.rv table,.rv caption,.rv tbody,.rv tr,.rv td,.rv th{display:block;width:100%;min-width:0}
.rv thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
.rv tr{border:1px solid #e5ddd3;border-radius:.5rem;padding:.5rem .75rem;margin-bottom:.5rem;background:#fff}
.rv th,.rv td{border:0;padding:.1rem 0}
.rv td[data-label]::before{content:attr(data-label) " · ";color:#5d6d7e;font-size:.875rem;font-weight:400}
}
</style>"""


# The pages whose caption under the title, as the app writes it, takes no values from the data.
PLAIN_INTROS = ("compare", "profile", "sources", "changes")


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _navigation(shared: SharedView) -> str:
    """A plain link to each page, keeping the language and snapshot: the pages work without JavaScript too."""
    query = f"?lang={_text(shared.lang)}&amp;snapshot={_text(shared.snapshot.id)}"
    items = []
    for page in pages.PAGES:
        current = ' aria-current="page"' if page.url_path == shared.page else ""
        href = "./" if page == pages.DEFAULT else f"./{page.url_path}"
        items.append(f'<a href="{href}{query}"{current}>{_text(t(page.title_key, shared.lang))}</a>')
    return f'<nav aria-label="{_text(t("first_view_nav", shared.lang))}">{"".join(items)}</nav>'


def _sidebar(shared: SharedView, base: str) -> str:
    """What the app's sidebar holds: its name, the language (a link to the same view in the other one) and the
    snapshot."""
    other = other_language(shared.lang)
    in_other = replace(shared, params={**shared.params, "lang": other}, lang=other).url(base)
    language = f'<a href="{_text(in_other)}" lang="{_text(t("html_lang", other))}">{_text(LANGUAGE_NAMES[other])}</a>'
    snapshot = f"{_text(t('snapshot', shared.lang))}: {_text(shared.snapshot.id)}"
    return (
        f'<div class="rv-side"><p><b>{_text(t("app_title", shared.lang))}</b></p>'
        f"<p>{_text(t('language', shared.lang))}: {_text(LANGUAGE_NAMES[shared.lang])} · {language}</p>"
        f"<p>{snapshot}</p></div>"
    )


def _bar_scales(figures: tuple[Figure, ...]) -> dict[tuple[str, str], float]:
    """The largest amount of each definition and unit that two figures or more report: bars compare only
    figures of one definition."""
    groups: dict[tuple[str, str], list[float]] = {}
    for figure in figures:
        if figure.reported:
            groups.setdefault((figure.definition, figure.unit), []).append(abs(figure.amount))
    return {key: max(amounts) for key, amounts in groups.items() if len(amounts) > 1 and max(amounts) > 0}


def _figure_table(shared: SharedView) -> str:
    """The figures as a table: place, definition, value with its mark, period, scope, verdict (the columns
    that say something for this view)."""
    lang, figures = shared.lang, shared.figures
    columns = [
        ("col_place", lambda f: f.place, len({f.place for f in figures}) > 1),
        ("definition", lambda f: f.definition, True),
        ("col_value", None, True),
        ("col_period", lambda f: f.period, True),
        ("col_scope", lambda f: f.scope, True),
        ("col_comparable", lambda f: f.verdict, any(f.verdict for f in figures)),
    ]
    shown = [(t(key, lang), cell) for key, cell, wanted in columns if wanted]
    scales = _bar_scales(figures)
    header = "".join(f'<th scope="col">{_text(label)}</th>' for label, _ in shown)
    rows = []
    for figure in figures:
        cells = []
        for index, (label, cell) in enumerate(shown):
            tag, scope = ("th", ' scope="row"') if index == 0 else ("td", "")
            content = _value_cell(figure, scales) if cell is None else _text(cell(figure))
            cells.append(f'<{tag}{scope} data-label="{_text(label)}">{content}</{tag}>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    scale_note = f'<p class="rv-small">{_text(t("first_view_scale", lang))}</p>' if scales else ""
    return (
        f"<table><caption>{_text(shared.title)}</caption><thead><tr>{header}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{scale_note}"
    )


def _value_cell(figure: Figure, scales: dict[tuple[str, str], float]) -> str:
    if not figure.reported:
        return f'<span class="rv-none">{_text(figure.value)}</span>'
    value = f'<span class="rv-value">{_text(figure.value)}</span>'
    largest = scales.get((figure.definition, figure.unit))
    if largest is None:
        return value
    width = round(100 * abs(figure.amount) / largest, 1)
    return f'{value}<span class="rv-bar" style="width:{width}%" aria-hidden="true"></span>'


def first_view(shared: SharedView, base: str) -> str:
    """The view as HTML to follow the app's root element: navigation, the page's title, the view's figures, note,
    sources, snapshot, citation and the data API's URL for them. `base` is the public scheme and host."""
    lang = shared.lang
    page_title = t(pages.BY_PATH[shared.page].title_key, lang)
    no_script = "first_view_no_script" if shared.figures else "first_view_no_script_page"
    parts = [f"<h1>{_text(page_title)}</h1>"]
    if shared.page in PLAIN_INTROS:
        parts.append(f'<p class="rv-small">{_text(t(f"{shared.page}_intro", lang))}</p>')
    parts += [
        f'<p class="rv-small rv-loading">{_text(t("first_view_loading", lang))}</p>',
        "<noscript><style>.rv-loading{display:none}</style>"
        f'<p class="rv-small">{_text(t(no_script, lang))}</p></noscript>',
    ]
    if shared.figures:
        parts.append(_figure_table(shared))
    elif shared.title != page_title:
        parts.append(f"<h2>{_text(shared.title)}</h2>")
    if shared.note:
        parts.append(f'<p class="rv-small">{_text(shared.note)}</p>')
    if shared.sources:
        parts.append(f"<p>{_text(shared.sources_text)}</p>")
    parts.append(f'<p class="rv-small">{_text(t("share_cite", lang))}: {_text(shared.citation(base))}</p>')
    api_csv, api_json = shared.api_url(base), shared.api_url(base, "json")
    parts.append(
        f'<p><a href="{_text(api_csv)}">{_text(t("first_view_api", lang))}</a> · '
        f'<a href="{_text(api_json)}">{_text(t("first_view_api_json", lang))}</a></p>'
    )
    return (
        f'{STYLE}<div class="rv" lang="{_text(t("html_lang", lang))}">{_sidebar(shared, base)}'
        f'<div class="rv-page">{_navigation(shared)}<main>{"".join(parts)}</main></div></div>'
    )
