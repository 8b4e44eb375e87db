// clusterleap administration pages: forms that send JSON or a file to the API (with the session's CSRF token),
// the recipe form (one method and its parameters per stage), and errors shown at the field, the YAML line or the
// template's cell. No inline scripts (the Content-Security-Policy allows none).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var zh = document.body.getAttribute("data-lang") === "zh";
  var T = zh ? { working: "处理中…", saved: "已保存。", failed: "未完成：", notdone: "未完成：请查看标出的问题。" }
             : { working: "Working…", saved: "Saved.", failed: "Not done: ", notdone: "Not done: see the marked problems." };

  function send(method, url, body, isForm) {
    var init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf, "Accept": "application/json" } };
    if (isForm) { init.body = body; } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    });
  }
  function status(root, text, bad) {
    var el = root.querySelector("[data-status]");
    if (el) { el.textContent = text; el.classList.toggle("bad", !!bad); }
  }
  function busy(root, on) { root.querySelectorAll("button").forEach(function (b) { b.disabled = on; }); }
  function clear(form) {
    form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    var box = form.querySelector("[data-form-errors]");
    if (box) { box.hidden = true; box.querySelector("ul").textContent = ""; }
    var probs = form.querySelector("[data-problems]");
    if (probs) { probs.hidden = true; probs.querySelector("tbody").textContent = ""; }
  }
  function fail(form, res) {
    var detail = res.data && res.data.detail ? res.data.detail : "HTTP " + res.status;
    var fields = res.data && res.data.fields ? res.data.fields : {};
    var box = form.querySelector("[data-form-errors]");
    var shown = false;
    Object.keys(fields).forEach(function (name) {
      var slot = form.querySelector('[data-error-for="' + name + '"]');
      var input = form.querySelector('[name="' + name + '"]');
      if (slot) { slot.textContent = fields[name]; shown = true; }
      if (input) { input.setAttribute("aria-invalid", "true"); }
      var row = slot ? slot.closest(".field") : null;
      if (row && row.tagName !== "TR") { row.classList.add("has-error"); }
      if (!input && slot && slot.closest("label")) {  // a parameter: its input shares the slot's label
        var near = slot.closest("label").querySelector("input");
        if (near) { near.setAttribute("aria-invalid", "true"); }
      }
      if (box) {
        var li = document.createElement("li");
        var stageRow = form.querySelector('[data-stage-row="' + name.split(".")[0] + '"] .fname');
        var where = stageRow ? stageRow.textContent + (name.indexOf(".") > 0 ? " › " + name.split(".")[1] : "") : name;
        var tierInput = /^grading\.\d+\./.test(name) ? form.querySelector('[name="' + name + '"]') : null;
        if (tierInput) { where = tierInput.getAttribute("aria-label"); }
        else if (name === "grading" && form.querySelector("#grading")) { where = form.querySelector("#grading").parentNode.firstChild.textContent.trim(); }
        li.textContent = where + ": " + fields[name];
        box.querySelector("ul").appendChild(li);
        box.hidden = false;
      }
    });
    if (fields.yaml) { showLine(form, fields.yaml); }
    if (!shown && !box) {
      var any = form.querySelector("[data-error-for]");
      if (any) { any.textContent = detail; }
    }
    var first = form.querySelector('[aria-invalid="true"]');
    if (first && !fields.yaml) { first.focus(); }
    var said = Object.keys(fields).some(function (k) { return detail.indexOf(fields[k]) >= 0; });
    status(form, said ? T.notdone : T.failed + detail, true);
  }
  // select the line a YAML error names in the text area, so that it is in view and marked
  function showLine(form, message) {
    var m = /line (\d+)/.exec(message);
    var area = form.querySelector("textarea");
    if (!m || !area) { return; }
    var n = parseInt(m[1], 10);
    var lines = area.value.split("\n");
    var start = 0;
    for (var i = 0; i < n - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    var end = start + (lines[n - 1] || "").length;
    area.focus();
    area.setSelectionRange(start, end);
    var lh = parseFloat(getComputedStyle(area).lineHeight) || 18;
    area.scrollTop = Math.max(0, (n - 3) * lh);
  }
  function go(form, res) {
    var then = form.getAttribute("data-then");
    if (then === "reload") { window.location.reload(); }
    else if (then === "recipe" && res.data && res.data.id) { window.location.assign("/recipes/" + res.data.id); }
    else if (then && then.charAt(0) === "/") { window.location.assign(then); }
  }

  // JSON forms: the body is the named inputs (data-int: a number; data-list: comma-separated values)
  document.querySelectorAll("form[data-json-api]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = {};
      form.querySelectorAll("input[name],select[name],textarea[name]").forEach(function (el) {
        var v = el.value;
        if (el.hasAttribute("data-list")) { body[el.name] = v.split(/[,，\s]+/).filter(function (x) { return x; }); }
        else if (el.hasAttribute("data-int")) { body[el.name] = /^\s*-?\d+\s*$/.test(v) ? parseInt(v, 10) : v; }
        else { body[el.name] = v; }
      });
      clear(form); status(form, T.working, false); busy(form, true);
      send(form.getAttribute("data-method") || "POST", form.getAttribute("data-json-api"), body).then(function (res) {
        busy(form, false);
        if (!res.ok) { fail(form, res); return; }
        status(form, T.saved, false);
        if (form.getAttribute("data-then") === "show-password") {
          var box = document.getElementById("generated");
          if (res.data && res.data.password && box) {
            box.querySelector("[data-user]").textContent = res.data.username;
            box.querySelector("[data-password]").textContent = res.data.password;
            box.hidden = false;
            form.querySelectorAll("input").forEach(function (el) { el.value = ""; });
            var table = document.querySelector("#accounts tbody");
            if (table) {  // the new account joins the list (a reload would lose the password shown once)
              var tr = document.createElement("tr");
              var role = form.querySelector('select[name="role"]');
              [res.data.username, role.options[role.selectedIndex].text, res.data.clusters.join(", ")].forEach(function (text) {
                var td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
              });
              tr.setAttribute("data-user", res.data.username);
              table.appendChild(tr);
            }
            return;
          }
          window.location.reload();
          return;
        }
        go(form, res);
      });
    });
  });

  // file uploads (multipart): problems keyed "CLUSTER.field" go to the problems table, one row each
  document.querySelectorAll("form[data-upload-api]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var input = form.querySelector('input[type="file"]');
      var data = new FormData();
      if (input.files.length) { data.append("file", input.files[0]); }
      var url = form.getAttribute("data-upload-api");
      var flag = form.querySelector("input[data-query]");
      if (flag && flag.checked) { url += "?submit=true"; }
      clear(form); status(form, T.working, false); busy(form, true);
      send("POST", url, data, true).then(function (res) {
        busy(form, false);
        if (res.ok) { status(form, T.saved, false); go(form, res); return; }
        var fields = res.data && res.data.fields ? res.data.fields : {};
        var table = form.querySelector("[data-problems]");
        var keys = Object.keys(fields).filter(function (k) { return k !== "file"; });
        if (table && keys.length) {
          var body = table.querySelector("tbody");
          keys.sort().forEach(function (k) {
            var dot = k.indexOf(".");
            var tr = document.createElement("tr");
            [dot < 0 ? k : k.slice(0, dot), dot < 0 ? "" : k.slice(dot + 1), fields[k]].forEach(function (text) {
              var td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
            });
            tr.setAttribute("data-problem", k);
            body.appendChild(tr);
          });
          table.hidden = false;
          status(form, T.failed + (res.data.detail || ""), true);
          return;
        }
        fail(form, res);
      });
    });
  });

  // buttons that send one JSON request (disable an account, open or close a round, add a built-in framework)
  document.querySelectorAll("button[data-json-action]").forEach(function (button) {
    button.addEventListener("click", function () {
      var root = button.closest(".toolbar") || document;
      var raw = button.getAttribute("data-body");
      status(root, T.working, false); button.disabled = true;
      send(button.getAttribute("data-method") || "POST", button.getAttribute("data-json-action"),
           raw ? JSON.parse(raw) : undefined).then(function (res) {
        button.disabled = false;
        if (res.ok) { window.location.reload(); return; }
        status(root, T.failed + (res.data && res.data.detail ? res.data.detail : "HTTP " + res.status), true);
      });
    });
  });

  // the recipe form: the chosen method of each stage shows its summary and parameters
  var recipe = document.querySelector("form[data-recipe-form]");
  if (recipe) {
    var show = function (select) {
      var stage = select.getAttribute("data-stage");
      recipe.querySelectorAll('[data-params-for="' + stage + '"],[data-summary-for="' + stage + '"]').forEach(function (el) {
        el.hidden = el.getAttribute("data-method") !== select.value;
      });
    };
    recipe.querySelectorAll("select[data-stage]").forEach(function (select) {
      select.addEventListener("change", function () { show(select); });
    });
    // the grading scheme built in the form: tiers highest first, numbered as the server names their fields
    var builder = recipe.querySelector("[data-scheme-builder]");
    var gradingSelect = recipe.querySelector('[name="grading"]');
    var number = function () {
      builder.querySelectorAll("[data-tiers] tr[data-tier]").forEach(function (row, i) {
        var n = i + 1;
        row.querySelector("[data-tier-number]").textContent = String(n);
        row.querySelectorAll("input[data-tier-field]").forEach(function (input) {
          var f = input.getAttribute("data-tier-field");
          input.name = "grading." + n + "." + f;
          input.nextElementSibling.setAttribute("data-error-for", input.name);
          var head = builder.querySelector('th[data-col="' + f + '"]');
          input.setAttribute("aria-label", builder.querySelector("thead th").textContent + " " + n + " › " + (head ? head.textContent : f));
        });
      });
    };
    if (builder) {
      gradingSelect.addEventListener("change", function () { builder.hidden = gradingSelect.value !== "custom"; });
      builder.addEventListener("click", function (ev) {
        var target = ev.target;
        if (target.hasAttribute("data-add-tier")) {
          var row = builder.querySelector("template[data-tier-template]").content.firstElementChild.cloneNode(true);
          builder.querySelector("[data-tiers]").appendChild(row);
          number();
          row.querySelector("input").focus();
        } else if (target.hasAttribute("data-remove-tier")) {
          target.closest("tr").remove();
          number();
        }
      });
      number();
    }
    recipe.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var stages = {};
      recipe.querySelectorAll("select[data-stage]").forEach(function (select) {
        var stage = select.getAttribute("data-stage");
        var params = {};
        var box = recipe.querySelector('[data-params-for="' + stage + '"][data-method="' + select.value + '"]');
        if (box) {
          box.querySelectorAll("input[data-param]").forEach(function (input) {
            if (input.value.trim() !== "") { params[input.getAttribute("data-param")] = input.value; }
          });
        }
        stages[stage] = { method: select.value, params: params };
      });
      var body = { name: recipe.querySelector('[name="name"]').value, stages: stages,
                   basis: recipe.querySelector('[name="basis"]').value,
                   grading: recipe.querySelector('[name="grading"]').value,
                   base_id: parseInt(recipe.getAttribute("data-base"), 10) };
      if (builder && body.grading === "custom") {
        body.scheme = { name: builder.querySelector('[name="scheme.name"]').value, tiers: [] };
        builder.querySelectorAll("[data-tiers] tr[data-tier]").forEach(function (row) {
          var tier = {};
          row.querySelectorAll("input[data-tier-field]").forEach(function (input) {
            tier[input.getAttribute("data-tier-field")] = input.value;
          });
          body.scheme.tiers.push(tier);
        });
      }
      clear(recipe); status(recipe, T.working, false); busy(recipe, true);
      send("POST", recipe.getAttribute("data-recipe-form"), body).then(function (res) {
        busy(recipe, false);
        if (res.ok) { status(recipe, T.saved, false); window.location.assign("/recipes/" + res.data.id); return; }
        fail(recipe, res);
      });
    });
  }
})();
