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

  // The charts (uPlot, reading the series API) are drawn and kept live by chart.js.
})();
