// The dashboard's charts, drawn from the JSON the page carries in #dashboard-data.
// No inline scripts: the page stays within a strict CSP. window.crmCharts lists the charts drawn.
(function () {
  "use strict";

  const source = document.getElementById("dashboard-data");
  window.crmCharts = [];
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const root = document.documentElement;
  const rtl = root.dir === "rtl";
  // Latin digits, as the server formats numbers the same way in both languages.
  const locale = (root.lang || "en") + "-u-nu-latn";
  const style = getComputedStyle(document.body);

  function cssColor(name, fallback) {
    return style.getPropertyValue("--bs-" + name).trim() || fallback;
  }

  const palette = [
    cssColor("primary", "#0d6efd"),
    cssColor("success", "#198754"),
    cssColor("warning", "#ffc107"),
    cssColor("info", "#0dcaf0"),
    cssColor("danger", "#dc3545"),
    cssColor("secondary", "#6c757d"),
    "#6f42c1",
    "#fd7e14",
    "#20c997",
    "#d63384",
  ];

  // Amounts arrive as exact decimal strings; the charts only need their approximate size.
  function numbers(values) {
    return values.map(Number);
  }

  // Motion only for those who have not asked their system for less.
  const animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: animation,
      locale: locale,
      plugins: {
        legend: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr", labels: { boxWidth: 12 } },
        tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" },
      },
    };
  }

  function doughnut(chart) {
    return {
      type: "doughnut",
      data: {
        labels: chart.labels,
        datasets: [
          {
            label: chart.label,
            data: numbers(chart.values),
            // A status keeps its badge's colour (the server names it), else the palette's.
            backgroundColor: chart.colours
              ? chart.colours.map(function (name) { return cssColor(name, "#6c757d"); })
              : palette,
          },
        ],
      },
      options: Object.assign(baseOptions(), { cutout: "55%" }),
    };
  }

  function bars(chart, horizontal) {
    const series = chart.series || [{ label: chart.label, values: chart.values }];
    const options = baseOptions();
    // Bars read in the page's direction: in Arabic the first one stands on the right, and
    // the value axis stands on the right too.
    const side = rtl ? "right" : "left";
    options.scales = { x: { reverse: rtl }, y: { beginAtZero: true, position: side } };
    if (horizontal) {
      options.indexAxis = "y";
      options.scales = { x: { reverse: rtl, beginAtZero: true }, y: { position: side } };
      options.plugins.legend.display = false;
    }
    // Every axis says what it counts, and in which unit.
    if (chart.axes) {
      const value = horizontal ? options.scales.x : options.scales.y;
      const category = horizontal ? options.scales.y : options.scales.x;
      value.title = { display: true, text: chart.axes.value };
      category.title = { display: true, text: chart.axes.category };
    }
    if (series.length === 1 && !horizontal) {
      options.plugins.legend.display = false;
    }
    return {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: series.map(function (serie, index) {
          return {
            label: serie.label,
            data: numbers(serie.values),
            backgroundColor: palette[index % palette.length],
            borderRadius: 4,
          };
        }),
      },
      options: options,
    };
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    const chart = data[canvas.dataset.chart];
    if (!chart) {
      return;
    }
    const config =
      canvas.dataset.chartType === "doughnut"
        ? doughnut(chart)
        : bars(chart, canvas.hasAttribute("data-chart-horizontal"));
    window.crmCharts.push(new window.Chart(canvas, config));
  });
})();
