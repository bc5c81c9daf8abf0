// The public report page: the township chosen narrows the village list; choosing a county
// loads its townships and villages. Without this script every village of the county is listed,
// grouped by township, and the county is chosen with its button.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var data = document.getElementById("village-parents");
  if (!form || !data) return;
  var parents = JSON.parse(data.textContent || "{}");
  var county = form.querySelector("select[name=county]");
  var township = form.querySelector("select[name=township]");
  var village = form.querySelector("select[name=village]");
  function narrow() {
    if (!township || !village) return;
    var chosen = township.value;
    village.querySelectorAll("option").forEach(function (option) {
      if (!option.value) return;
      var show = !chosen || String(parents[option.value]) === chosen;
      option.hidden = !show;
      option.disabled = !show;
    });
    village.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    var current = village.selectedOptions[0];
    if (current && current.disabled) village.value = "";
  }
  if (township) {
    township.addEventListener("change", narrow);
    narrow();
  }
  if (village && township) {
    village.addEventListener("change", function () {
      var parent = parents[village.value];
      if (parent && township.value !== String(parent)) {
        township.value = String(parent);
        narrow();
      }
    });
  }
  if (county) {
    county.addEventListener("change", function () {
      window.location.search = "?county=" + encodeURIComponent(county.value);
    });
  }
})();
