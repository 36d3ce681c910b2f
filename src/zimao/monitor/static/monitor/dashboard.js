// Zone dashboard charts — 运行监测图表 (Apache ECharts, vendored under static/vendor/echarts).
// Chart data arrives as JSON in <script type="application/json"> blocks written by Django's
// json_script; the content security policy forbids inline scripts, so all behaviour is here.
(function () {
  "use strict";
  var instances = [];
  var RED = "#b71c1c", GREEN = "#00703c", GAP = "#d4351c", PALETTE = [RED, "#1d70b8", GREEN, "#f47738", "#4c2c92", "#85994b", "#28a197", "#6f777b"];

  function readSpec(el) {
    var src = document.getElementById(el.getAttribute("data-source"));
    if (!src) return null;
    try { return JSON.parse(src.textContent); } catch (e) { return null; }
  }

  function cartesian(spec) {
    var horizontal = !!spec.horizontal;
    var hasSecond = !horizontal && spec.series.some(function (s) { return s.axis === 1; });
    // Label spacing and slant, and whole-number ticks on count axes, are decided with the data
    // (monitor.picture.finish_chart), so tests read them from the chart's JSON.
    var labels = spec.category_axis || { interval: 0, rotate: 0 };
    var category = { type: "category", data: spec.categories,
      axisLabel: { interval: labels.interval, rotate: labels.rotate, hideOverlap: true } };
    var first = { type: "value", name: spec.unit || "" };
    if (spec.value_axis && spec.value_axis.minInterval) first.minInterval = spec.value_axis.minInterval;
    var values = [first];
    if (hasSecond) values.push({ type: "value", name: "%", splitLine: { show: false } });
    var series = spec.series.map(function (s) {
      return {
        name: s.name, type: s.kind === "line" ? "line" : "bar", data: s.data,
        yAxisIndex: hasSecond && s.axis === 1 ? 1 : 0, connectNulls: true,
        label: { show: true, position: horizontal ? "right" : "top" }
      };
    });
    if (spec.marks && series.length) {
      series[0].markLine = {
        symbol: "none", lineStyle: { color: RED, type: "dashed" },
        data: spec.marks.map(function (m) { return { xAxis: spec.categories[m.at], label: { formatter: m.label } }; })
      };
    }
    return {
      color: PALETTE, tooltip: { trigger: "axis" }, legend: { top: 0 },
      grid: { left: 16, right: hasSecond ? 48 : 32, bottom: 16, top: 48, containLabel: true },
      xAxis: horizontal ? values[0] : category, yAxis: horizontal ? category : values, series: series
    };
  }

  function markGaps(node) {
    var out = { name: node.name };
    if (node.gap) {
      out.itemStyle = { color: GAP, borderColor: GAP };
      out.label = { color: GAP, fontWeight: "bold" };
    }
    if (node.children) out.children = node.children.map(markGaps);
    return out;
  }

  function tree(spec) {
    return {
      tooltip: { trigger: "item", triggerOn: "mousemove" },
      series: [{
        type: "tree", data: [markGaps(spec.data)], top: "4%", left: "14%", bottom: "4%", right: "26%",
        symbolSize: 9, initialTreeDepth: -1, expandAndCollapse: true,
        label: { position: "left", verticalAlign: "middle", align: "right", fontSize: 12 },
        leaves: { label: { position: "right", verticalAlign: "middle", align: "left" } }
      }]
    };
  }

  function pie(spec) {
    var s = spec.series[0];
    return {
      color: PALETTE, tooltip: { trigger: "item" }, legend: { bottom: 0, type: "scroll" },
      series: [{ name: s.name, type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}: {c}" },
        data: spec.categories.map(function (c, i) { return { name: c, value: s.data[i] }; }) }]
    };
  }

  function optionFor(spec) {
    var option = spec.type === "tree" ? tree(spec) : spec.type === "pie" ? pie(spec) : cartesian(spec);
    option.animation = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    return option;
  }

  function render(root) {
    if (typeof window.echarts === "undefined") return;
    (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-rendered") === "true") return;
      var spec = readSpec(el);
      if (!spec) return;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(optionFor(spec));
      el.setAttribute("data-rendered", "true");
      instances.push(chart);
    });
  }

  function resizeAll() { instances.forEach(function (c) { c.resize(); }); }

  document.addEventListener("DOMContentLoaded", function () {
    render(document);
    window.addEventListener("resize", resizeAll);
    // Print at paper width: charts redraw before printing and again afterwards.
    window.addEventListener("beforeprint", resizeAll);
    window.addEventListener("afterprint", resizeAll);
    document.body.addEventListener("click", function (event) {
      if (event.target.closest("[data-print]")) window.print();
    });
    document.body.addEventListener("htmx:afterSwap", function (event) { render(event.target); });
  });
})();
