/* 导入清单 (tasks/views/imports.py): the upload form posts with htmx; this shows the upload's progress
   in its <progress>, then "正在解析…" once the file is sent and the server reads it. The words come from
   the template's data-* attributes (translated there). A refused file comes back as the form's partial
   with status 400, which htmx would not swap by default: it is swapped here. No inline script (CSP). */
(function () {
  "use strict";

  function container(event) {
    var target = event.target;
    return target && target.closest ? target.closest("[data-import-form]") : null;
  }

  function parts(box) {
    return {
      panel: box.querySelector("[data-import-progress]"),
      bar: box.querySelector("progress"),
      status: box.querySelector("[data-import-status]"),
      button: box.querySelector("button[type=submit]")
    };
  }

  function show(box, state) {
    var p = parts(box);
    if (!p.panel) { return; }
    box.dataset.importState = state;
    p.panel.hidden = false;
    p.status.textContent = p.status.dataset[state] || "";
    if (state === "parsing") {
      // An indeterminate bar: the server's work has no measurable progress.
      p.bar.removeAttribute("value");
    }
    if (p.button) { p.button.disabled = state !== "failed"; }
  }

  document.addEventListener("htmx:beforeSend", function (event) {
    var box = container(event);
    if (!box) { return; }
    var p = parts(box);
    if (p.bar) { p.bar.max = 100; p.bar.value = 0; }
    show(box, "uploading");
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var box = container(event);
    // The response's download reports progress too; once the upload is done, stay on "parsing".
    if (!box || box.dataset.importState !== "uploading" || !event.detail.lengthComputable) { return; }
    var p = parts(box);
    p.bar.max = event.detail.total;
    p.bar.value = event.detail.loaded;
    if (event.detail.loaded >= event.detail.total) { show(box, "parsing"); }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (container(event) && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  ["htmx:sendError", "htmx:responseError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var box = container(event);
      if (box && box.isConnected) { show(box, "failed"); }
    });
  });

  // The commit writes every row in one request (seconds for a large file): one click only, and say so.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-import-commit]")) { return; }
    var button = form.querySelector("button[type=submit]");
    if (!button) { return; }
    if (button.dataset.sent) { event.preventDefault(); return; }
    button.dataset.sent = "1";
    // Disabled after this event: a button disabled now would drop out of the submission.
    window.setTimeout(function () {
      button.disabled = true;
      if (button.dataset.busy) { button.textContent = button.dataset.busy; }
    }, 0);
  });
})();
