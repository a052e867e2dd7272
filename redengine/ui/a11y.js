// Run on every page by widgets.common_controls: the page's language on the html element, for screen
// readers and fonts, and each chart's text alternative (the data-description of the
// .redengine-chart-text just before it, written by widgets.chart_with_text) as the chart's accessible
// name. No less-than sign anywhere in this file: Streamlit's sanitiser drops a script whose text looks
// like markup.
(() => {
  document.documentElement.lang = "__LANG__";
  if (window.__redengineCharts) return;
  window.__redengineCharts = true;
  const nameCharts = () => {
    for (const text of document.querySelectorAll(".redengine-chart-text")) {
      const holder = text.closest("[data-testid=stElementContainer]");
      const chart = holder?.nextElementSibling?.querySelector("[data-testid=stPlotlyChart]");
      if (chart && chart.getAttribute("aria-label") !== text.dataset.description) {
        chart.setAttribute("role", "img");
        chart.setAttribute("aria-label", text.dataset.description);
      }
    }
  };
  new MutationObserver(nameCharts).observe(document.body, { childList: true, subtree: true, characterData: true });
  nameCharts();
})();
