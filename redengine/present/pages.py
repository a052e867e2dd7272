"""The dashboard's pages, in menu order: one entry each. app.py builds the navigation from it; the server
knows from it which URLs are pages (link previews) and which pages have a chart image of their own.

A new page is one file in pages/ and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    url_path: str  # also the name the rest of the code uses for the page
    icon: str  # a Material Symbols name, as st.Page takes it
    has_image: bool = False  # /share/<page>.png draws this page's own chart; the others share the Overview's

    @property
    def script(self) -> str:
        return f"pages/{self.url_path}.py"

    @property
    def title_key(self) -> str:
        return f"page_{self.url_path}"


PAGES = (
    Page("overview", ":material/home:", has_image=True),
    Page("compare", ":material/bar_chart:", has_image=True),
    Page("profile", ":material/location_on:", has_image=True),
    Page("comparable", ":material/join_inner:"),
    Page("sources", ":material/description:"),
    Page("changes", ":material/compare_arrows:"),
    Page("sql", ":material/terminal:"),
)
BY_PATH = {page.url_path: page for page in PAGES}
DEFAULT = PAGES[0]
IMAGE_PAGES = tuple(page.url_path for page in PAGES if page.has_image)
# The only views whose first screen draws Plotly charts: these Overview sections (views.OVERVIEW_SECTIONS). Their
# HTML starts loading Plotly at once; Compare draws its bars in HTML.
OVERVIEW_PLOTLY_SECTIONS = ("charts", "coverage")


def of_path(path: str) -> Page | None:
    """The page a URL path opens (Streamlit serves index.html for any path), or None for a path no page has."""
    name = path.strip("/")
    return DEFAULT if name == "" else BY_PATH.get(name)


def path_of(page: str) -> str:
    return "/" if page == DEFAULT.url_path else f"/{page}"
