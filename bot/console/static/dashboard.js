/* Draws the dashboard's charts with Chart.js (served from the project) from the tables the
   page already shows; without JavaScript the tables are the figures. */
(function () {
  "use strict";
  if (!window.Chart) return;
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  // Distinct in hue and lightness; every chart also has a legend and a table.
  var colours = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828", "#00838f", "#5d4037"];
  Chart.defaults.font.size = 13;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var chart = data[canvas.dataset.chart];
    if (!chart) return;
    var kind = chart.kind;
    var type = kind === "line" ? "line" : kind === "doughnut" ? "doughnut" : "bar";
    var datasets = chart.series.map(function (s, i) {
      var colour = kind === "doughnut" ? chart.labels.map(function (_l, j) {
        return colours[j % colours.length];
      }) : colours[i % colours.length];
      return { label: s.label, data: s.data, backgroundColor: colour, borderColor: colour,
               borderWidth: kind === "line" ? 2 : 0, pointRadius: 2 };
    });
    var options = { plugins: { legend: { position: "bottom" } } };
    if (kind === "stacked") {
      options.scales = { x: { stacked: true }, y: { stacked: true, beginAtZero: true } };
    } else if (kind === "hbar") {
      options.indexAxis = "y";
      options.scales = { x: { beginAtZero: true } };
    } else if (kind !== "doughnut") {
      options.scales = { y: { beginAtZero: true } };
    }
    new Chart(canvas, { type: type, data: { labels: chart.labels, datasets: datasets },
                        options: options });
  });
})();
