/* Events page: every stored event arrives as a new row on top. */
(function () {
  "use strict";
  DTP.on("*", function (p, type) {
    if (!p.event) return;  // health badges are not stored events
    var body = document.getElementById("event-rows");
    if (!body) return;
    var tr = document.createElement("tr");
    tr.dataset.eventId = String(p.event.id);
    var subject = (p.twin && p.twin.id) || p.id || p.path || (p.service && p.service.id) || "";
    [String(p.event.id), String(p.event.created_at || "").slice(0, 19).replace("T", " "), type, p.event.tenant || "—", subject,
     (p.runtime_changed || p.changed || []).join(", ")].forEach(function (text, i) {
      var td = document.createElement("td");
      var el = i === 2 ? document.createElement("span") : i === 4 ? document.createElement("code") : td;
      if (el !== td) { el.className = i === 2 ? "etype" : ""; td.appendChild(el); }
      el.textContent = text;
      tr.appendChild(td);
    });
    body.insertBefore(tr, body.firstChild);
  });
})();
