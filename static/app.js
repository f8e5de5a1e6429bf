// install-on-linode: small progressive enhancements. The pages work without it.
// - Copy buttons next to passwords.
// - Live status of a new server on the success page (server-sent events,
//   falling back to polling the status URL).
// - The price of the chosen plan in the chosen region on the form, from the
//   words the server put in data-prices (without scripts, the form's
//   "Update the price" button asks the server for them).
(function () {
  "use strict";

  var priceBox = document.getElementById("price");
  if (priceBox) {
    var table = JSON.parse(priceBox.getAttribute("data-prices") || "{}");
    var plan = document.getElementById("type");
    var region = document.getElementById("region");
    var backups = document.getElementById("backups");
    var backupsHint = document.getElementById("backups-hint");
    var hintStart = "Daily and weekly backups of the whole server, kept by Linode";
    var words = function (planId, regionId) {
      var byRegion = table[planId] || {};
      return byRegion[regionId] || byRegion[""];
    };
    var setText = function (id, text) {
      var el = document.getElementById(id);
      if (el) { el.textContent = text; }
    };
    var update = function () {
      var regionId = region ? region.value : "";
      if (plan) {
        Array.prototype.forEach.call(plan.options, function (option) {
          var w = words(option.value, regionId);
          if (w) { option.textContent = w[0]; }
        });
      }
      var chosen = words(plan ? plan.value : "", regionId);
      if (!chosen) { return; }
      var withBackups = backups && backups.checked && chosen[2];
      setText("price-plan", chosen[1]);
      setText("price-backups", chosen[2]);
      setText("price-total", withBackups ? chosen[3] : chosen[1]);
      var line = document.getElementById("price-backups-line");
      if (line) { line.hidden = !withBackups; }
      if (backupsHint) {
        backupsHint.textContent = chosen[2]
          ? hintStart + ": " + chosen[2] + " for this plan in this region."
          : hintStart + ".";
      }
    };
    [plan, region, backups].forEach(function (el) {
      if (el) { el.addEventListener("change", update); }
    });
    update();
  }

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

  var sentenceEl = document.getElementById("stage-sentence");
  var openRow = document.getElementById("open-app-row");
  var openLink = document.getElementById("open-app");
  var deleteForm = document.getElementById("delete-form");
  var cloudNote = document.getElementById("cloud-manager-note");

  function show(progress) {
    statusEl.textContent = progress.stage || progress.status;
    elapsedEl.textContent = "(" + progress.elapsed_secs + " s since it was created)";
    if (progress.access_note) { noteEl.textContent = progress.access_note; }
    if (sentenceEl && progress.stage_sentence) { sentenceEl.textContent = progress.stage_sentence; }
    if (openRow && progress.open_url) {
      openLink.setAttribute("href", progress.open_url);
      openRow.hidden = false;
    }
    if (deleteForm) { deleteForm.hidden = !progress.can_delete; }
    if (cloudNote) { cloudNote.hidden = !(progress.failed && !progress.can_delete); }
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
