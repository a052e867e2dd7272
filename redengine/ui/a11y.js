// Injected by app.py on every run (share_panel.inject_page_assets): the page's language on <html> for
// screen readers and fonts, and every chart's text alternative (the hidden .redengine-chart-text just
// before it, written by widgets.chart_with_text) as the chart's accessible name.
(() => {
  document.documentElement.lang = "__LANG__";
  if (window.__redengineCharts) return;
  window.__redengineCharts = true;
  const nameCharts = () => {
    for (const text of document.querySelectorAll(".redengine-chart-text")) {
      const holder = text.closest("[data-testid=stElementContainer]");
      const chart = holder?.nextElementSibling?.querySelector("[data-testid=stPlotlyChart]");
      if (chart && chart.getAttribute("aria-label") !== text.textContent) {
        chart.setAttribute("role", "img");
        chart.setAttribute("aria-label", text.textContent);
      }
    }
  };
  new MutationObserver(nameCharts).observe(document.body, { childList: true, subtree: true, characterData: true });
  nameCharts();
})();
