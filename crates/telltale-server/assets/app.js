// telltale: the only script. Follows a running distribution's or
// registration's progress and reloads its page when it has finished (a
// finished registration's page leads on to the document). Everything else
// works without it.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job || job.dataset.finished === "true") return;
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");
  function poll() {
    fetch("/api/jobs/" + job.dataset.job, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        bar.max = Math.max(j.total, 1);
        bar.value = j.done;
        if (j.kind === "registration") {
          count.textContent = j.total === 0
            ? "finding the places a copy can vary…"
            : j.done + " of " + j.total + " sentences checked by the language model";
        } else {
          count.textContent = j.done + " of " + j.total + " copies";
        }
        if (j.finished) { window.location.reload(); } else { setTimeout(poll, 400); }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 300);
})();
