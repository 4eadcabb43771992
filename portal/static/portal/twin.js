/* Twin page: header, spec, runtime and the event/history lists follow the stream. */
(function () {
  "use strict";
  var page = document.querySelector(".twin-page");
  if (!page) return;
  var id = page.dataset.twinId;
  var field = function (k) { return page.querySelector('[data-field="' + k + '"]'); };

  function prepend(listId, parts) {
    var ol = document.getElementById(listId);
    var empty = ol.querySelector(".muted");
    if (empty) empty.remove();
    var li = document.createElement("li");
    var time = document.createElement("time");
    time.textContent = new Date().toISOString().slice(0, 19).replace("T", " ");
    li.appendChild(time);
    parts.forEach(function (p) {
      li.appendChild(document.createTextNode(" "));
      var el = document.createElement(p.tag || "span");
      el.textContent = p.text;
      li.appendChild(el);
    });
    ol.insertBefore(li, ol.firstChild);
  }

  function setStatus(status) {
    page.dataset.status = status;
    page.className = "twin-page status-" + status;
    field("status").textContent = status;
  }

  DTP.on("twin.update", function (p, type) {
    var t = p.twin;
    if (!t || t.id !== id) return;
    field("name").textContent = (t.ui && t.ui.name) || t.name;
    field("revision").textContent = String(t.revision);
    field("description").textContent = t.description || "";
    field("streams").textContent = String((t.streams || []).length);
    field("runtime").textContent = JSON.stringify(t.runtime || {}, null, 2);
    field("spec").textContent = JSON.stringify({ description: t.description, metadata: t.metadata,
      interfaces: t.interfaces, dependencies: t.dependencies }, null, 2);
    var ui = field("ui_url");
    ui.classList.toggle("hidden", !(t.ui && t.ui.url));
    ui.setAttribute("href", (t.ui && t.ui.url) || "#");
    setStatus(t.status);
    var changed = (p.runtime_changed || p.changed || []).join(", ");
    prepend("twin-events", [{ tag: "b", text: type }, { text: "#" + p.event.id + (changed ? ": " + changed : "") }]);
    prepend("history", [{ tag: "b", text: p.action || "update" }, { text: "r" + t.revision + (changed ? ": " + changed : "") }]);
  });
  DTP.on("twin.delete", function (p, type) {
    if (p.id !== id) return;
    setStatus(p.deleted ? "deleted" : (p.status || "deprecated"));
    prepend("twin-events", [{ tag: "b", text: type }, { text: "#" + p.event.id + ": " + (p.reason || "") }]);
  });
  DTP.on("twin.alert", function (p, type) {
    if (p.twin_id !== id) return;
    var alert = p.alert || {};
    prepend("alerts", [{ tag: "b", text: p.severity }, { text: alert.message || "" }]);
    prepend("twin-events", [{ tag: "b", text: type }, { text: "#" + p.event.id + ": " + p.severity }]);
  });

  // Observations are too many to be portal events: the charts refetch while the page is open.
  var charts = document.getElementById("charts");
  var SVG = "http://www.w3.org/2000/svg";
  function fmt(v) { return v === null ? "–" : String(Math.round(v * 1000) / 1000); }
  function drawCharts(data) {
    if (!data.charts.length) return;
    charts.textContent = "";
    data.charts.forEach(function (c) {
      var fig = document.createElement("figure");
      fig.className = "chart";
      fig.dataset.signal = c.signal;
      var cap = document.createElement("figcaption");
      var b = document.createElement("b");
      b.textContent = c.signal;
      var last = document.createElement("span");
      last.className = "last";
      last.dataset.part = "last";
      last.textContent = fmt(c.last);
      var range = document.createElement("small");
      range.className = "muted";
      range.dataset.part = "range";
      range.textContent = c.count + " points, " + fmt(c.low) + " – " + fmt(c.high) + ", last " + c.last_time;
      cap.append(b, " ", last, " " + c.unit + " ", range);
      var svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("viewBox", "0 0 260 48");
      svg.setAttribute("class", "spark");
      svg.setAttribute("preserveAspectRatio", "none");
      var line = document.createElementNS(SVG, "polyline");
      line.setAttribute("points", c.path);
      svg.appendChild(line);
      fig.append(cap, svg);
      charts.appendChild(fig);
    });
  }
  function refresh() {
    if (document.hidden) return;
    fetch(charts.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) drawCharts(data); })
      .catch(function () { /* the next tick tries again */ });
  }
  if (charts) setInterval(refresh, 5000);
})();
