// install-on-linode: small progressive enhancements. The pages work without it.
// - Copy buttons next to passwords.
// - Live status of a new server on the success page (server-sent events,
//   falling back to polling the status URL).
(function () {
  "use strict";

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) { return; }
      navigator.clipboard.writeText(target.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 2000);
      });
    });
  });

  var box = document.querySelector("[data-progress]");
  if (!box) { return; }
  var statusEl = document.getElementById("status");
  var elapsedEl = document.getElementById("elapsed");
  var noteEl = document.getElementById("access-note");

  function show(progress) {
    statusEl.textContent = progress.status;
    elapsedEl.textContent = "(" + progress.elapsed_secs + " s since it was created)";
    if (progress.access_note) { noteEl.textContent = progress.access_note; }
    box.setAttribute("data-watching", progress.watching ? "true" : "false");
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (progress) {
        if (!progress) { return; }
        show(progress);
        if (progress.watching) { setTimeout(poll, 2000); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }

  if (!window.EventSource) { poll(); return; }
  var events = new EventSource(box.getAttribute("data-progress"));
  var ended = false;
  events.onmessage = function (event) {
    var progress = JSON.parse(event.data);
    show(progress);
    if (!progress.watching) { ended = true; events.close(); }
  };
  events.onerror = function () {
    events.close();
    if (!ended) { setTimeout(poll, 2000); }
  };
})();
