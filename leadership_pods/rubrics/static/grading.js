// The grading page's running total: the automatic criteria's points plus the levels
// chosen, updated as faculty choose. The server scores again on every save.
(function () {
  "use strict";
  var form = document.getElementById("grading-form");
  var total = document.getElementById("running-total");
  if (!form || !total) { return; }
  var points = document.getElementById("total-points");
  var percent = document.getElementById("total-percent");
  var maximum = parseFloat(total.getAttribute("data-maximum")) || 0;

  function number(text) { var n = parseFloat(text); return isNaN(n) ? 0 : n; }
  function show(n) { return (Math.round(n * 100) / 100).toString(); }

  function update() {
    var sum = 0;
    var complete = true;
    form.querySelectorAll("[data-auto-points]").forEach(function (el) {
      sum += number(el.getAttribute("data-auto-points"));
    });
    form.querySelectorAll("fieldset[data-criterion]:not([data-auto-points])").forEach(function (set) {
      var chosen = set.querySelector("input[type=radio]:checked");
      if (chosen) { sum += number(chosen.getAttribute("data-points")); } else { complete = false; }
    });
    points.textContent = show(sum);
    percent.textContent = maximum > 0 ? show(sum / maximum * 100) : "0";
    var note = document.getElementById("total-incomplete");
    if (note) { note.hidden = complete; }
  }

  form.addEventListener("change", function (event) {
    if (event.target && event.target.type === "radio") { update(); }
  });
})();
