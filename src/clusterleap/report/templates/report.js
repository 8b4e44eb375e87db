/* clusterleap report: draws the charts from the JSON data blob with plotly.js (inlined above). No network, no
   eval, no HTML built from data: plotly gets pre-escaped labels and the page only toggles attributes. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var print = data.mode === "print";
  var config = {
    displaylogo: false, responsive: !print, staticPlot: print,
    modeBarButtonsToRemove: ["lasso2d", "select2d"], toImageButtonOptions: {format: "svg"}
  };
  var pending = [];

  function draw(div, fig) {
    div.setAttribute("data-drawing", "1");
    var p = Plotly.newPlot(div, fig.data, fig.layout, Object.assign({}, config, fig.config || {})).then(function () {
      div.setAttribute("data-drawn", "1");
    });
    pending.push(p);
    return p;
  }

  function drawRadar(div) {
    if (div.hasAttribute("data-drawing")) { return; }
    var R = data.radar;
    var i = Number(div.getAttribute("data-radar"));
    var s = R.scores[i] || [];
    var own = Object.assign({}, R.unit, {r: s.concat(s.slice(0, 1)), theta: R.theta, name: R.names[i]});
    draw(div, {data: R.base.concat([own]), layout: R.layout, config: R.config});
  }

  document.querySelectorAll("[data-chart]").forEach(function (div) {
    var key = div.getAttribute("data-chart").split(":");
    var fig = (data.charts[key[0]] || [])[Number(key[1])];
    if (fig) { draw(div, fig); }
  });

  function watch(details) {
    var div = details.querySelector("[data-radar]");
    if (!div) { return; }
    if (details.open) { drawRadar(div); }
    details.addEventListener("toggle", function () { if (details.open) { drawRadar(div); } });
  }
  document.querySelectorAll("details.profile").forEach(watch);
  if (print) { document.querySelectorAll("[data-radar]").forEach(drawRadar); }

  function openTarget(id) {
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", function () { openTarget(location.hash.slice(1)); });
  if (location.hash) { openTarget(location.hash.slice(1)); }
  var jump = document.getElementById("jump");
  if (jump) {
    jump.addEventListener("change", function () { if (jump.value) { location.hash = jump.value; } });
  }

  Promise.all(pending).then(function () {
    window.__reportReady = true;
  }, function (err) {
    window.__reportError = String(err);
    console.error("clusterleap report: a chart failed to draw: " + err);
  });
})();
