// clusterleap pages: forms and buttons act through the JSON API (with the session's CSRF token); charts read their
// data from data- attributes (the Content-Security-Policy allows no inline scripts).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var zh = document.body.getAttribute("data-lang") === "zh";
  var T = zh ? { working: "处理中…", saved: "已保存。", check: "已保存；请核对标记的数值。", failed: "未完成：" }
             : { working: "Working…", saved: "Saved.", check: "Saved; please check the marked values.", failed: "Not done: " };

  function call(method, url, body) {
    var init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }
  function go(target) {
    if (target === "reload") { window.location.reload(); } else if (target) { window.location.assign(target); }
  }
  function setStatus(root, text, bad) {
    var el = root.querySelector("[data-status]");
    if (el) { el.textContent = text; el.classList.toggle("bad", !!bad); }
  }
  function clearMarks(form) {
    form.querySelectorAll("[data-error-for],[data-warning-for]").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".field.has-error,.field.has-warning").forEach(function (el) { el.classList.remove("has-error", "has-warning"); });
    var box = form.querySelector("[data-form-errors]");
    if (box) { box.hidden = true; box.querySelector("ul").textContent = ""; }
  }
  function mark(form, fields, kind) {
    var first = null;
    var box = form.querySelector("[data-form-errors]");
    Object.keys(fields || {}).forEach(function (name) {
      var msg = fields[name];
      var slot = form.querySelector("[data-" + kind + '-for="' + name + '"]');
      var input = form.querySelector('[name="' + name + '"]');
      if (slot) { slot.textContent = msg; }
      if (input && kind === "error") { input.setAttribute("aria-invalid", "true"); first = first || input; }
      var field = slot ? slot.closest(".field") : null;
      if (field) { field.classList.add(kind === "error" ? "has-error" : "has-warning"); }
      if (box && kind === "error") {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = "#field-" + name;
        var label = field ? field.querySelector(".fname") : null;
        a.textContent = (label ? label.textContent : name) + ": " + msg;
        li.appendChild(a);
        box.querySelector("ul").appendChild(li);
        box.hidden = false;
      }
    });
    if (first) { first.focus(); }
  }

  document.querySelectorAll("form[data-api]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var button = ev.submitter;
      var url = form.getAttribute("data-api");
      var kind = form.getAttribute("data-kind");
      var body;
      if (kind === "values") {
        var values = {};
        form.querySelectorAll("input[name]").forEach(function (input) { values[input.name] = input.value; });
        body = { values: values };
        if (button && button.value === "true") { url += "?submit=true"; }
      } else {
        body = {};
        form.querySelectorAll("[data-field]").forEach(function (input) { body[input.name] = input.value; });
        if (button && button.name) { body[button.name] = button.value; }
      }
      clearMarks(form);
      setStatus(form, T.working, false);
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      call(form.getAttribute("data-method") || "POST", url, body).then(function (res) {
        form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        if (res.ok) {
          var warnings = res.data && res.data.warnings ? res.data.warnings : {};
          if (Object.keys(warnings).length) { mark(form, warnings, "warning"); setStatus(form, T.check, false); return; }
          setStatus(form, T.saved, false);
          go(form.getAttribute("data-then"));
          return;
        }
        var detail = res.data && res.data.detail ? res.data.detail : "HTTP " + res.status;
        mark(form, res.data && res.data.fields ? res.data.fields : {}, "error");
        setStatus(form, T.failed + detail, true);
      });
    });
  });

  document.querySelectorAll("button[data-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var root = button.closest(".toolbar") || document;
      setStatus(root, T.working, false);
      button.disabled = true;
      call("POST", button.getAttribute("data-action")).then(function (res) {
        button.disabled = false;
        if (res.ok) { setStatus(root, T.saved, false); go(button.getAttribute("data-then")); return; }
        setStatus(root, T.failed + (res.data && res.data.detail ? res.data.detail : "HTTP " + res.status), true);
      });
    });
  });

  document.querySelectorAll("form[data-logout]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      call("POST", form.getAttribute("action")).then(function () { go("/login"); });
    });
  });

  function charts() {
    if (!window.Plotly) { return; }
    var font = { family: getComputedStyle(document.body).fontFamily, size: 13 };
    var colors = ["#1f5fa8", "#c0392b", "#2e8b57", "#8e44ad"];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = JSON.parse(el.getAttribute("data-spec"));
      var names = (el.getAttribute("data-names") || "").split("|");
      var data, layout;
      if (el.getAttribute("data-chart") === "radar") {
        data = spec.series.map(function (s, i) {
          return { type: "scatterpolar", r: s.values.concat([s.values[0]]), theta: spec.labels.concat([spec.labels[0]]),
                   name: names[i] || s.name, fill: i === 0 ? "toself" : "none", opacity: i === 0 ? 0.75 : 1,
                   line: { color: colors[i % colors.length], width: 2,
                           dash: spec.series.length === 2 && i === 1 ? "dot" : "solid" } };
        });
        layout = { polar: { radialaxis: { range: [0, 100], tickfont: { size: 10 } } }, showlegend: true,
                   legend: { orientation: "h", y: -0.1 }, margin: { l: 120, r: 120, t: 30, b: 30 }, font: font };
      } else if (el.getAttribute("data-chart") === "trend") {
        data = [{ type: "scatter", mode: "lines+markers", x: spec.years, y: spec.mean, name: names[0], line: { color: colors[0] } },
                { type: "scatter", mode: "lines+markers", x: spec.years, y: spec.bench, name: names[1], line: { color: colors[1], dash: "dot" } }];
        layout = { xaxis: { dtick: 1 }, yaxis: { rangemode: "tozero" }, legend: { orientation: "h", y: -0.15 },
                   margin: { l: 50, r: 20, t: 10, b: 40 }, font: font };
      } else {
        data = [{ type: "scatter", mode: "lines+markers", x: spec.years, y: spec.rank, name: names[0], line: { color: colors[0] } },
                { type: "scatter", mode: "lines+markers", x: spec.years, y: spec.score, name: names[1], yaxis: "y2", line: { color: "#888", dash: "dot" } }];
        var ranks = spec.rank.filter(function (v) { return v !== null; });
        var span = ranks.length ? Math.max.apply(null, ranks) - Math.min.apply(null, ranks) : 1;
        layout = { xaxis: { dtick: 1 },
                   yaxis: { autorange: "reversed", title: { text: names[0] }, tickformat: "d",
                            dtick: Math.max(1, Math.ceil(span / 6)) },
                   yaxis2: { overlaying: "y", side: "right", title: { text: names[1] }, tickformat: ".1f" },
                   showlegend: false, margin: { l: 60, r: 70, t: 10, b: 30 }, font: font };
      }
      window.Plotly.newPlot(el, data, layout, { displayModeBar: false, responsive: true });
    });
  }
  if (document.readyState === "complete") { charts(); } else { window.addEventListener("load", charts); }
})();
