/* Alarms, live: the header's and the cards' counts by severity on every page; on the Alarms page the
   rows update from alarm.* events and the Acknowledge / Clear buttons post to the API with the CSRF
   token. Data is only ever written with textContent (no markup from the server's JSON). */
(function () {
  "use strict";
  var SEVERITIES = ["critical", "major", "minor", "warning"];
  var countsUrl = "/alarms/counts.json";

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setCount(el, bySeverity) {
    var total = 0;
    el.textContent = "";
    SEVERITIES.forEach(function (sev) {
      var n = (bySeverity && bySeverity[sev]) || 0;
      total += n;
      if (!n && !el.hasAttribute("data-alarm-counts")) return;
      var span = document.createElement("span");
      span.className = "sev sev-" + sev;
      span.dataset.sev = sev;
      span.title = sev;
      span.textContent = String(n);
      el.appendChild(span);
    });
    el.dataset.total = String(total);
    if (!el.hasAttribute("data-alarm-counts")) el.hidden = total === 0;
  }

  function refreshCounts() {
    return fetch(countsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c) return;
        document.querySelectorAll("[data-alarm-counts]").forEach(function (el) { setCount(el, c.total); });
        document.querySelectorAll("[data-alarm-count]").forEach(function (el) {
          setCount(el, c.twins[el.dataset.alarmCount] || {});
        });
      })
      .catch(function () {});
  }

  function cell(row, name) { return row.querySelector('[data-cell="' + name + '"]'); }

  function showAlarm(row, alarm) {
    var sev = cell(row, "severity");
    sev.textContent = alarm.severity;
    sev.className = "sev sev-" + alarm.severity;
    cell(row, "status").textContent = alarm.status;
    cell(row, "acknowledged").textContent = alarm.acknowledged ? "yes" : "no";
    cell(row, "peak").textContent = alarm.peak === null ? "—" : String(alarm.peak);
    var ack = row.querySelector('[data-alarm-action="ack"]');
    var clear = row.querySelector('[data-alarm-action="clear"]');
    if (ack) ack.hidden = !!alarm.acknowledged;
    if (clear) clear.hidden = alarm.status !== "active";
    row.dataset.status = alarm.status;
    row.dataset.acknowledged = alarm.acknowledged ? "1" : "";
  }

  function matches(table, alarm) {
    var f = table.dataset;
    return (!f.filterStatus || f.filterStatus === alarm.status) &&
      (!f.filterSeverity || f.filterSeverity === alarm.severity) &&
      (!f.filterTwin || f.filterTwin === alarm.twin) && (!f.filterTenant || f.filterTenant === alarm.tenant);
  }

  function mayOperate(table, alarm) {
    if (table.dataset.operatorAll) return true;
    return (table.dataset.operatorTenants || "").split(",").indexOf(alarm.tenant) >= 0;
  }

  function button(action, label) {
    var b = document.createElement("button");
    b.type = "button";
    b.dataset.alarmAction = action;
    b.textContent = label;
    return b;
  }

  function newRow(table, alarm) {
    var tr = document.createElement("tr");
    tr.dataset.alarmId = String(alarm.id);
    var cells = [["severity", alarm.severity], ["twin", alarm.twin], ["rule", alarm.rule], ["status", ""],
                 ["acknowledged", ""], ["started", alarm.started_at], ["peak", ""], ["actions", ""]];
    cells.forEach(function (c) {
      var td = document.createElement("td");
      if (c[0] === "severity") { var s = document.createElement("span"); s.dataset.cell = "severity"; td.appendChild(s); }
      else if (["status", "acknowledged", "peak"].indexOf(c[0]) >= 0) td.dataset.cell = c[0];
      else if (c[0] === "twin") {
        var a = document.createElement("a");
        a.href = "/twins/" + encodeURIComponent(alarm.twin) + "/";
        a.textContent = alarm.twin;
        td.appendChild(a);
      } else if (c[0] === "started") td.textContent = (alarm.started_at || "").slice(0, 19).replace("T", " ");
      else if (c[0] === "actions") {
        td.className = "actions";
        if (mayOperate(table, alarm)) { td.appendChild(button("ack", "Acknowledge")); td.appendChild(button("clear", "Clear")); }
      } else td.textContent = c[1] || "";
      tr.appendChild(td);
    });
    return tr;
  }

  function onAlarmEvent(data) {
    refreshCounts();
    var table = document.getElementById("alarm-table");
    var alarm = data && data.alarm;
    if (!table || !alarm) return;
    var row = table.querySelector('tr[data-alarm-id="' + CSS.escape(String(alarm.id)) + '"]');
    if (!row && matches(table, alarm)) {
      var empty = table.querySelector("tr.empty");
      if (empty) empty.remove();
      row = newRow(table, alarm);
      table.tBodies[0].insertBefore(row, table.tBodies[0].firstChild);
    }
    if (row) showAlarm(row, alarm);
  }

  function act(button) {
    var row = button.closest("tr");
    var error = document.getElementById("alarm-error");
    button.disabled = true;
    fetch("/api/alarms/" + encodeURIComponent(row.dataset.alarmId) + "/" + button.dataset.alarmAction, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json", "Content-Type": "application/json" },
      body: "{}"
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      button.disabled = false;
      if (!res.ok) { if (error) error.textContent = res.body.detail || "refused"; return; }
      if (error) error.textContent = "";
      showAlarm(row, res.body);
      refreshCounts();
    }).catch(function () { button.disabled = false; if (error) error.textContent = "the server did not answer"; });
  }

  function redeliver(button) {
    button.disabled = true;
    fetch(button.dataset.redeliver, { method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), Accept: "application/json" } })
      .then(function (r) { if (r.ok) location.reload(); else r.json().then(function (b) {
        var e = document.getElementById("webhook-error"); if (e) e.textContent = b.detail || "refused";
        button.disabled = false; }); });
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-alarm-action]");
    if (b) { act(b); return; }
    var r = e.target.closest("button[data-redeliver]");
    if (r) redeliver(r);
  });
  if (window.DTP) ["alarm.raise", "alarm.update", "alarm.clear"].forEach(function (t) { window.DTP.on(t, onAlarmEvent); });
  document.addEventListener("DOMContentLoaded", refreshCounts);
})();
