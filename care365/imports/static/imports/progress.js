// The import page's progress bar: while a job runs, ask for the bar again every second and put
// it in place; when the job has finished, load the page again to show its report. Without
// JavaScript the page offers a Refresh button instead.
(function () {
  "use strict";
  function poll() {
    var box = document.getElementById("progress");
    if (!box || !box.dataset.poll) { return; }
    fetch(box.dataset.poll, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#progress");
        if (!fresh) { return; }
        box.replaceWith(fresh);
        if (fresh.dataset.finished) {
          window.setTimeout(function () { window.location.reload(); }, 300);
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, 1000); });
})();
