// The twin page's charts: one uPlot per signal (mean, min and max over time, the unit on the y axis),
// a time-range picker, a hover read-out, kept live by refetching the series API. A signal with an
// anomaly detector (data-score: its `<signal>:anomaly_score` series, from the same API) gets the
// score as a fifth series on a right-hand 0..1 axis: the bucket's highest score, so a short
// anomaly stays visible in 1-minute and 1-hour buckets. The API answers from
// raw rows, the 1-minute or the 1-hour rollup (whichever fits MAX_POINTS), so 30 days stay light.
// No inline script or style: uPlot styles elements through the CSSOM, which the site's CSP allows.
(function () {
  "use strict";
  var box = document.getElementById("charts");
  if (!box || typeof uPlot === "undefined") return;

  var RANGES = [["15m", "15 min", 900], ["1h", "1 h", 3600], ["24h", "24 h", 86400], ["7d", "7 d", 604800],
                ["30d", "30 d", 2592000]];
  var REFRESH = { "15m": 5, "1h": 5, "24h": 15, "7d": 60, "30d": 60 };  // seconds between refetches
  var MAX_POINTS = 2000;
  var range = "1h";
  var charts = {};  // signal -> {plot, fig, busy}
  var timer = null;

  function fmt(v) {
    if (v === null || v === undefined) return "–";
    return String(Math.round(v * 1000) / 1000);
  }
  function part(el, name) { return el.querySelector('[data-part="' + name + '"]'); }
  function seconds(span) { return RANGES.filter(function (r) { return r[0] === span; })[0][2]; }

  function picker() {
    var group = document.createElement("div");
    group.className = "ranges";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "time range");
    RANGES.forEach(function (r) {
      var b = document.createElement("button");
      b.type = "button";
      b.dataset.range = r[0];
      b.textContent = r[1];
      b.setAttribute("aria-pressed", String(r[0] === range));
      group.appendChild(b);
    });
    group.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-range]");
      if (!b || b.dataset.range === range) return;
      range = b.dataset.range;
      group.querySelectorAll("button").forEach(function (x) {
        x.setAttribute("aria-pressed", String(x.dataset.range === range));
      });
      box.dataset.range = range;
      refreshAll();
      schedule();
    });
    box.parentNode.insertBefore(group, box);
    box.dataset.range = range;
  }

  function readout(fig) {
    return function (u) {
      var i = u.cursor.idx, out = part(fig, "readout");
      if (!out) return;
      if (i === null || i === undefined || u.data[0][i] === undefined) { out.textContent = ""; return; }
      var when = new Date(u.data[0][i] * 1000).toISOString().replace(".000Z", "Z");
      out.textContent = when + "  mean " + fmt(u.data[1][i]) + "  min " + fmt(u.data[2][i]) + "  max " +
        fmt(u.data[3][i]) + "  (" + (fig.dataset.counts ? fig.dataset.counts.split(",")[i] : "") + " obs)" +
        (u.data.length > 4 ? "  score " + fmt(u.data[4][i]) : "");
    };
  }

  function makePlot(fig) {
    var host = part(fig, "plot"), unit = host.dataset.unit || "";
    var out = document.createElement("output");
    out.dataset.part = "readout";
    out.className = "readout";
    fig.appendChild(out);
    var value = function (u, v) { return fmt(v); };
    var opts = {
      width: Math.max(240, host.clientWidth || 600), height: 180,
      scales: { x: { time: true } },
      series: [{}, { label: "mean", stroke: "#2563eb", width: 1.5, value: value },
               { label: "min", stroke: "#93c5fd", width: 1, dash: [4, 4], value: value },
               { label: "max", stroke: "#93c5fd", width: 1, dash: [4, 4], value: value }],
      axes: [{}, { label: unit, size: 64 }],
      legend: { live: true },
      hooks: { setCursor: [readout(fig)] },
    };
    if (fig.dataset.score) {
      opts.scales.score = { auto: false, range: [0, 1] };
      opts.series.push({ label: "anomaly score", scale: "score", stroke: "#dc2626", width: 1, spanGaps: true,
                         value: value });
      opts.axes.push({ scale: "score", side: 1, label: "anomaly score", size: 48, grid: { show: false } });
    }
    return new uPlot(opts, opts.series.map(function () { return []; }), host);
  }

  function load(signal) {
    var c = charts[signal];
    if (c.busy) return;
    c.busy = true;
    var now = Date.now();
    var q = new URLSearchParams({ signal: signal, from: new Date(now - seconds(range) * 1000).toISOString(),
                                  to: new Date(now + 1000).toISOString(), max_points: String(MAX_POINTS) });
    function get(name) {
      q.set("signal", name);
      return fetch(box.dataset.series + "?" + q, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; });
    }
    var score = c.fig.dataset.score;
    Promise.all([get(signal), score ? get(score) : null])
      .then(function (found) { if (found[0] && (!score || found[1])) draw(c, found[0], found[1]); })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { c.busy = false; });
  }

  function draw(c, data, score) {
    var p = data.points, cols = [[], [], [], []], counts = {};
    p.forEach(function (pt) {
      var x = Date.parse(pt.time) / 1000;
      cols[0].push(x);
      cols[1].push(pt.mean);
      cols[2].push(pt.min);
      cols[3].push(pt.max);
      counts[x] = pt.count;
    });
    if (score) {  // the score may be at another resolution (fewer points): join on time
      var s = score.points;
      cols = uPlot.join([cols, [s.map(function (pt) { return Date.parse(pt.time) / 1000; }),
                                s.map(function (pt) { return pt.max; })]]);
      c.fig.dataset.scorePoints = String(s.length);
      c.fig.dataset.scoreMax = s.length ? fmt(Math.max.apply(null, s.map(function (pt) { return pt.max; }))) : "";
    }
    c.fig.dataset.counts = cols[0].map(function (x) { return counts[x] === undefined ? "" : counts[x]; }).join(",");
    c.plot.setData(cols);
    c.fig.dataset.resolution = data.resolution;
    c.fig.dataset.points = String(p.length);
    var last = part(c.fig, "last"), info = part(c.fig, "range");
    if (p.length && last) last.textContent = fmt(p[p.length - 1].last);
    if (info) {
      info.textContent = p.length + " points (" + (data.resolution === "raw" ? "raw" : data.resolution + " buckets") +
        ") over " + RANGES.filter(function (r) { return r[0] === range; })[0][1];
    }
  }

  function adopt() {
    box.querySelectorAll("figure.chart[data-signal]").forEach(function (fig) {
      var signal = fig.dataset.signal;
      if (charts[signal] || !part(fig, "plot")) return;
      charts[signal] = { fig: fig, plot: makePlot(fig), busy: false };
    });
  }

  // A twin with no data yet has no figures: ask observations.json which signals have appeared.
  function discover() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.charts.length) return;
        data.charts.forEach(function (c) {
          if (charts[c.signal]) return;
          var empty = part(box, "empty");
          if (empty) empty.remove();
          var fig = document.createElement("figure"), cap = document.createElement("figcaption");
          var b = document.createElement("b"), last = document.createElement("span"), info = document.createElement("small");
          var host = document.createElement("div");
          fig.className = "chart";
          fig.dataset.signal = c.signal;
          if (c.score) fig.dataset.score = c.score;
          b.textContent = c.signal;
          last.className = "last";
          last.dataset.part = "last";
          info.className = "muted";
          info.dataset.part = "range";
          host.className = "plot";
          host.dataset.part = "plot";
          host.dataset.unit = c.unit;
          cap.append(b, " ", last, " " + c.unit + " ", info);
          fig.append(cap, host);
          box.appendChild(fig);
        });
        adopt();
        refreshAll();
      })
      .catch(function () { /* the next tick tries again */ });
  }

  function refreshAll() {
    if (document.hidden) return;
    var signals = Object.keys(charts);
    if (!signals.length) { discover(); return; }
    signals.forEach(load);
  }

  function schedule() {
    if (timer) clearInterval(timer);
    timer = setInterval(refreshAll, REFRESH[range] * 1000);
  }

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (s) {
      var c = charts[s], host = part(c.fig, "plot");
      c.plot.setSize({ width: Math.max(240, host.clientWidth), height: 180 });
    });
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) refreshAll(); });

  picker();
  adopt();
  refreshAll();
  schedule();
})();
