// The robustness page: start an analysis and cancel one through the JSON API (with the session's CSRF token), and
// follow queued and running analyses by polling GET /api/jobs/{id}; when one ends, the page reloads to show it.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var zh = document.body.getAttribute("data-lang") === "zh";
  var PHASE = zh ? { queued: "等待中", preparing: "准备中", propagating: "计算中", summarising: "汇总中", running: "计算中" }
                 : { queued: "waiting", preparing: "preparing", propagating: "propagating", summarising: "summarising", running: "running" };
  var T = zh ? { working: "处理中…", failed: "未完成：" } : { working: "Working…", failed: "Not done: " };

  function call(method, url, body) {
    var init = { method: method, credentials: "same-origin",
                 headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }
  function status(root, text, bad) {
    var el = root.querySelector("[data-status]");
    if (el) { el.textContent = text; el.classList.toggle("bad", !!bad); }
  }
  function detail(res) { return res.data && res.data.detail ? res.data.detail : "HTTP " + res.status; }

  var form = document.querySelector("form[data-start-job]");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
      var body = { samples: parseInt(form.elements.samples.value, 10) };
      if (form.elements.seed.value.trim()) { body.seed = parseInt(form.elements.seed.value, 10); }
      if (form.elements.space.value.trim()) { body.space = form.elements.space.value; }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status(form, T.working, false);
      call("POST", "/api/runs/" + form.elements.run.value + "/robustness", body).then(function (res) {
        button.disabled = false;
        if (res.ok) { window.location.assign(window.location.pathname + "?run=" + form.elements.run.value); return; }
        var fields = res.data && res.data.fields ? res.data.fields : {};
        Object.keys(fields).forEach(function (name) {
          var slot = form.querySelector('[data-error-for="' + name + '"]');
          if (slot) { slot.textContent = fields[name]; }
        });
        status(form, T.failed + detail(res), true);
      });
    });
  }

  document.querySelectorAll("button[data-cancel-job]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      call("POST", "/api/jobs/" + button.getAttribute("data-cancel-job") + "/cancel").then(function (res) {
        if (!res.ok) { button.disabled = false; status(document, T.failed + detail(res), true); }
      });
    });
  });

  function follow(row) {
    var id = row.getAttribute("data-job");
    var bar = row.querySelector("[data-job-progress]");
    var phase = row.querySelector("[data-job-phase]");
    var badge = row.querySelector("[data-job-state]");
    function tick() {
      call("GET", "/api/jobs/" + id).then(function (res) {
        if (!res.ok || !res.data) { window.setTimeout(tick, 3000); return; }
        var job = res.data;
        if (job.state !== "queued" && job.state !== "running") { window.location.reload(); return; }
        var pct = Math.round(job.progress * 100);
        if (bar) { bar.value = job.progress; bar.textContent = pct + " %"; }
        if (phase) { phase.textContent = (PHASE[job.phase] || job.phase) + " " + pct + " %"; }
        if (badge) { badge.textContent = PHASE[job.state] || job.state; badge.className = "badge job-" + job.state; }
        row.setAttribute("data-state", job.state);
        window.setTimeout(tick, 1000);
      });
    }
    window.setTimeout(tick, 500);
  }
  document.querySelectorAll("tr[data-job]").forEach(function (row) {
    var st = row.getAttribute("data-state");
    if (st === "queued" || st === "running") { follow(row); }
  });
})();
