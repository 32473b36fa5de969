// The scan history chart of the app page: findings of each finished scan by
// severity, drawn with uPlot from the JSON the element's data-chart-src
// names. Severity is told by the line's dash pattern and the legend's text
// as well as by colour; the page has the same numbers in a table.
(function () {
  "use strict";

  // Colours and dashes by severity, worst first (the order of the data).
  var looks = {
    critical: { css: "--critical", dash: [] },
    high: { css: "--high", dash: [8, 4] },
    medium: { css: "--medium", dash: [3, 3] },
    low: { css: "--low", dash: [1, 4] }
  };

  function colour(name) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || "#888";
  }

  function draw(el, payload) {
    var series = [{ label: "finished" }];
    payload.series.forEach(function (name) {
      var look = looks[name] || { css: "--fg", dash: [] };
      series.push({
        label: name,
        stroke: colour(look.css),
        dash: look.dash,
        width: 2,
        points: { show: true, size: 6 }
      });
    });
    var opts = {
      width: Math.max(320, el.clientWidth),
      height: 260,
      series: series,
      // Times in UTC, as the rest of the dashboard shows them.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      // The legend names the series; the table below has the numbers.
      legend: { live: false },
      scales: {
        // The scans' span with a little room; one scan sits in the middle
        // of two days (uPlot would widen a single instant by a thousand
        // days).
        x: { time: true, range: function (u) {
          var xs = u.data[0], lo = xs[0], hi = xs[xs.length - 1];
          if (lo === hi) {
            return [lo - 86400, hi + 86400];
          }
          var pad = (hi - lo) * 0.02;
          return [lo - pad, hi + pad];
        } },
        y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } }
      },
      axes: [
        { stroke: colour("--fg"), grid: { stroke: colour("--line") } },
        { stroke: colour("--fg"), grid: { stroke: colour("--line") }, label: "findings" }
      ]
    };
    el.textContent = "";
    var plot = new uPlot(opts, payload.data, el);
    el.setAttribute("data-points", String(payload.data[0].length));
    window.addEventListener("resize", function () {
      plot.setSize({ width: Math.max(320, el.clientWidth), height: 260 });
    });
  }

  function load(el) {
    var src = el.getAttribute("data-chart-src");
    fetch(src, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("HTTP " + r.status);
        }
        return r.json();
      })
      .then(function (payload) { draw(el, payload); })
      .catch(function (err) {
        el.textContent = "The chart could not be loaded (" + err.message + "); the table below has its numbers.";
      });
  }

  function start() {
    document.querySelectorAll("[data-chart-src]").forEach(load);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
