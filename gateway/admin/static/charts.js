// Draws every chart of a page with Apache ECharts (vendored, SVG renderer).
// Each <div class="chart" data-chart="ID"> reads <script type="application/json" id="ID">:
// {"kind": "line"|"bar", "categories": [...], "series": [{"name": ..., "data": [...]}],
//  "unit": "..."}. A suppressed value ("<5") or a missing one is null: not drawn; the table
// beside each chart shows every value.
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var COLOURS = ["#0b5cad", "#d97706", "#11602c", "#8a1c12"];
  var charts = [];
  document.querySelectorAll("div.chart[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption({
      animation: false,
      aria: {enabled: true},
      color: COLOURS,
      grid: {left: 48, right: 16, top: 40, bottom: 40},
      legend: {top: 0, show: spec.series.length > 1},
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: spec.categories, axisLabel: {hideOverlap: true}},
      yAxis: {type: "value", minInterval: 1, name: spec.unit || "", max: spec.max},
      series: spec.series.map(function (s) {
        return {name: s.name, type: spec.kind, data: s.data, connectNulls: false,
                label: {show: spec.kind === "bar", position: "top"}};
      })
    });
    el.setAttribute("data-drawn", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
