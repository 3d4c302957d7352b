/* 驾驶舱 (supervision/dashboard_views.py): draws the status bar chart, the overdue heat map, the stacked
   bars by special action, the weekly burn-up and the reports per week with the vendored ECharts, from
   the JSON the page renders with json_script ("dashboard-data").
   Names come from the people who type them (units, special actions): an HTML tooltip only ever gets them
   through escape(); axis labels and titles are drawn on the canvas as text. */
(function () {
  "use strict";
  var charts = [];

  // Text for an HTML tooltip: whatever the name holds shows as text, never as markup.
  function escape(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Everything is drawn again from the JSON when the big screen's data partial is swapped in (htmx).
  function draw() {
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var source = document.getElementById("dashboard-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var theme = data.screen ? "dark" : null;
    var background = data.screen ? "transparent" : null;
    var fontSize = data.screen ? 16 : 12;

    function init(id) {
      var element = document.getElementById(id);
      if (!element) { return null; }
      var chart = window.echarts.init(element, theme, { renderer: "canvas" });
      charts.push(chart);
      return chart;
    }

    // ---- Tasks by status: a bar per status, a click opens the task list behind it ----
    var status = init("chart-status");
    if (status) {
      status.setOption({
        backgroundColor: background,
        animation: !data.screen,
        grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: data.status.labels, axisLabel: { fontSize: fontSize, interval: 0 } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: fontSize } },
        series: [{
          name: data.status.name,
          type: "bar",
          data: data.status.values,
          label: { show: true, position: "top", fontSize: fontSize },
          itemStyle: {
            color: function (p) { return ["#6c757d", "#0d6efd", "#b86e00", "#198754", "#adb5bd"][p.dataIndex % 5]; }
          }
        }]
      });
      status.on("click", function (p) { window.location.href = data.status.urls[p.dataIndex]; });
    }

    // ---- Overdue tasks: lead units (rows) × special actions (columns) ----
    var h = data.heatmap;
    var heatElement = document.getElementById("chart-heatmap");
    if (heatElement && !data.screen) {
      // One row per unit: grow with the units so that their names stay readable.
      var rowHeight = data.screen ? 20 : 26;
      heatElement.style.height = Math.max(heatElement.clientHeight, h.units.length * rowHeight + 190) + "px";
    }
    var heat = init("chart-heatmap");
    if (heat) {
      var cells = [];
      var max = 0;
      h.overdue.forEach(function (row, y) {
        row.forEach(function (value, x) {
          cells.push([x, y, value]);
          if (value > max) { max = value; }
        });
      });
      var narrow = heat.getWidth() < 500;
      // Column names are long (…专项行动): slant them once they no longer fit side by side.
      var slant = narrow || heat.getWidth() / Math.max(h.special_actions.length, 1) < 110;
      heat.setOption({
        backgroundColor: background,
        animation: !data.screen,
        title: h.units.length ? undefined : {
          text: h.empty, left: "center", top: "middle", textStyle: { fontSize: fontSize, fontWeight: "normal" }
        },
        tooltip: {
          position: "top",
          formatter: function (p) {
            return escape(h.units[p.value[1]].name) + " · " + escape(h.special_actions[p.value[0]].name) +
              "<br>" + escape(h.name) + ": " + escape(p.value[2]);
          }
        },
        grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
        xAxis: {
          type: "category",
          data: h.special_actions.map(function (a) { return a.name; }),
          splitArea: { show: !data.screen },
          axisLabel: { fontSize: data.screen ? 13 : fontSize, interval: 0, rotate: slant ? 40 : 0, width: slant ? 120 : 140, overflow: "truncate" }
        },
        yAxis: {
          type: "category",
          data: h.units.map(function (u) { return u.name; }),
          inverse: true,
          splitArea: { show: !data.screen },
          axisLabel: { fontSize: data.screen ? 13 : fontSize, width: narrow ? 80 : 160, overflow: "truncate" }
        },
        visualMap: {
          min: 0, max: Math.max(max, 1), calculable: true, orient: "horizontal", left: "center", bottom: 0,
          itemHeight: narrow ? 120 : 200, textStyle: { fontSize: fontSize },
          inRange: { color: [data.screen ? "#172a4a" : "#f8f9fa", "#f4b183", "#c8161d"] }
        },
        series: [{
          name: h.name,
          type: "heatmap",
          data: cells,
          label: { show: true, fontSize: fontSize, formatter: function (p) { return p.value[2] ? String(p.value[2]) : ""; } },
          emphasis: { itemStyle: { shadowBlur: 8, shadowColor: "rgba(0,0,0,.4)" } }
        }]
      });
    }

    // ---- Tasks by special action: a stacked bar per action, each stack opens the task list behind it ----
    var colours = {
      closed: "#198754", awaiting_close: "#b86e00", in_progress: "#0d6efd",
      not_started: "#6c757d", overdue: "#c8161d", cancelled: "#adb5bd"
    };
    var b = data.by_action;
    var barsElement = document.getElementById("chart-by-action");
    if (barsElement && b && !data.screen) {
      // One row per special action: grow with them so that every name stays readable.
      barsElement.style.height = Math.max(barsElement.clientHeight, b.labels.length * (data.screen ? 44 : 36) + 110) + "px";
    }
    var bars = b ? init("chart-by-action") : null;
    if (bars) {
      var barsNarrow = bars.getWidth() < 500;
      bars.setOption({
        backgroundColor: background,
        animation: !data.screen,
        title: b.labels.length ? undefined : {
          text: b.empty, left: "center", top: "middle", textStyle: { fontSize: fontSize, fontWeight: "normal" }
        },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
        legend: { type: barsNarrow ? "scroll" : "plain", top: 0, textStyle: { fontSize: fontSize } },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: fontSize } },
        yAxis: {
          type: "category",
          data: b.labels,
          inverse: true,
          axisLabel: { fontSize: fontSize, width: barsNarrow ? 84 : 180, overflow: "truncate" }
        },
        series: b.series.map(function (s) {
          return {
            name: s.name,
            type: "bar",
            stack: "tasks",
            barMaxWidth: 28,
            data: s.values,
            itemStyle: { color: colours[s.key] },
            label: { show: !barsNarrow, fontSize: fontSize - 1, formatter: function (p) { return p.value ? String(p.value) : ""; } },
            emphasis: { focus: "series" }
          };
        })
      });
      bars.on("click", function (p) {
        var s = b.series[p.seriesIndex];
        if (s && p.value) { window.location.href = s.urls[p.dataIndex]; }
      });
    }

    // ---- The campaign week by week: closed (bars), closed so far and the plan (lines) ----
    var wk = data.weeks;
    function emptyTitle(text) {
      return { text: text, left: "center", top: "middle", textStyle: { fontSize: fontSize, fontWeight: "normal" } };
    }
    function weekTooltip() {
      return {
        trigger: "axis",
        confine: true,
        formatter: function (items) {
          var lines = [escape(wk.titles[items[0].dataIndex])];
          items.forEach(function (p) { lines.push(p.marker + escape(p.seriesName) + ": " + escape(p.value)); });
          return lines.join("<br>");
        }
      };
    }
    var burnup = wk ? init("chart-burnup") : null;
    if (burnup) {
      var burnNarrow = burnup.getWidth() < 500;
      burnup.setOption({
        backgroundColor: background,
        animation: !data.screen,
        title: wk.labels.length ? undefined : emptyTitle(wk.empty),
        tooltip: weekTooltip(),
        legend: { type: burnNarrow ? "scroll" : "plain", top: 0, textStyle: { fontSize: fontSize } },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: wk.labels, axisLabel: { fontSize: fontSize } },
        // Up to the campaign's tasks, so that the line they end at shows.
        yAxis: {
          type: "value", minInterval: 1, axisLabel: { fontSize: fontSize },
          max: function (v) { return Math.max(v.max, wk.total); }
        },
        series: [
          { name: wk.names.closed, type: "bar", data: wk.closed, barMaxWidth: 24, itemStyle: { color: "#7fbf9b" } },
          {
            name: wk.names.closed_cumulative, type: "line", data: wk.closed_cumulative,
            itemStyle: { color: "#198754" }, lineStyle: { width: 3 }, symbolSize: 6,
            markLine: wk.labels.length ? {
              symbol: "none",
              lineStyle: { color: "#adb5bd", type: "dotted" },
              label: { formatter: wk.names.total + " " + wk.total, position: "insideEndTop", fontSize: fontSize - 1 },
              data: [{ yAxis: wk.total }]
            } : undefined
          },
          {
            name: wk.names.planned_cumulative, type: "line", data: wk.planned_cumulative,
            itemStyle: { color: "#c8161d" }, lineStyle: { type: "dashed" }, symbolSize: 4
          }
        ]
      });
    }

    var reports = wk ? init("chart-reports") : null;
    if (reports) {
      reports.setOption({
        backgroundColor: background,
        animation: !data.screen,
        title: wk.labels.length ? undefined : emptyTitle(wk.empty),
        tooltip: weekTooltip(),
        grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: wk.labels, axisLabel: { fontSize: fontSize } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: fontSize } },
        series: [{
          name: wk.names.reports, type: "bar", data: wk.reports, barMaxWidth: 28,
          itemStyle: { color: "#0d6efd" },
          label: { show: reports.getWidth() >= 500, position: "top", fontSize: fontSize - 1 }
        }]
      });
    }

  }

  // ---- The big screen: one page of panels at a time, in turn; the data comes in without a reload ----
  var page = 0;
  var timer = null;

  function showPage() {
    var box = document.getElementById("wa-screen-data");
    if (!box) { return; }
    var pages = box.querySelectorAll(".wa-screen-page");
    var dots = box.querySelector(".wa-screen-dots");
    if (!pages.length) { return; }
    page = page % pages.length;
    if (dots && dots.children.length !== pages.length) {
      dots.textContent = "";
      pages.forEach(function () { dots.appendChild(document.createElement("span")); });
    }
    pages.forEach(function (p, i) {
      p.classList.toggle("is-active", i === page);
      if (dots) { dots.children[i].classList.toggle("is-active", i === page); }
    });
  }

  function rotate() {
    var box = document.getElementById("wa-screen-data");
    if (!box || timer) { return; }
    var seconds = parseInt(box.getAttribute("data-rotate"), 10) || 20;
    timer = window.setInterval(function () { page += 1; showPage(); }, seconds * 1000);
  }

  draw();
  showPage();
  rotate();
  document.body.addEventListener("htmx:afterSwap", function () { draw(); showPage(); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
