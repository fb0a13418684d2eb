/* The dashboard's charts: ECharts over the JSON the page embeds in #stats-data. */
(function () {
  "use strict";
  var node = document.getElementById("stats-data");
  if (!node || !window.echarts) { return; }
  var data = JSON.parse(node.textContent);
  var charts = [];
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var c = window.echarts.init(el, null, { renderer: "svg" });
    c.setOption(Object.assign({ animation: false, tooltip: { trigger: "axis" }, grid: { left: 48, right: 48, top: 40, bottom: 56 } }, option));
    charts.push(c);
  }
  function rate(rows, key) { return rows.map(function (r) { return r[key]; }); }
  var periods = data.trend.map(function (r) { return r.period; });
  chart("chart-trend", {
    legend: { top: 0 },
    xAxis: { type: "category", data: periods },
    yAxis: [{ type: "value", name: "%", max: 100 }, { type: "value", name: "评价数" }],
    series: [
      { name: "评价数", type: "bar", yAxisIndex: 1, data: rate(data.trend, "evaluations"), itemStyle: { color: "#c9d6e8" } },
      { name: "好评率", type: "line", data: rate(data.trend, "good_rate") },
      { name: "差评率", type: "line", data: rate(data.trend, "bad_rate") },
      { name: "实名差评回访率", type: "line", data: rate(data.trend, "callback_rate") },
      { name: "差评整改率", type: "line", data: rate(data.trend, "rectify_rate") },
      { name: "按期整改率", type: "line", data: rate(data.trend, "on_time_rate") }
    ]
  });
  chart("chart-units", {
    legend: { top: 0 },
    xAxis: { type: "category", data: data.units.map(function (u) { return u.name; }), axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: "value", name: "%", max: 100 },
    series: [
      { name: "好评率", type: "bar", data: rate(data.units, "good_rate") },
      { name: "差评整改率", type: "bar", data: data.units.map(function (u) {
        return { value: u.rectify_rate, itemStyle: { color: u.bottom ? "#c62828" : "#2e7d32" } };
      }) }
    ]
  });
  ["item", "reason"].forEach(function (dim) {
    var rows = data.hot[dim].filter(function (r) { return r.bad > 0; }).reverse();
    chart("chart-hot-" + dim, {
      grid: { left: 120, right: 24, top: 10, bottom: 24 },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: rows.map(function (r) { return r.name || r.key; }) },
      series: [{ name: "差评数", type: "bar", data: rate(rows, "bad"), itemStyle: { color: "#d9822b" } }]
    });
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
}());
