/* Behaviour every page shares, wired by data-* attributes: the Content-Security-Policy allows no inline
   script, so no onclick=/onchange= in the templates.
   - select[data-autosubmit]: choosing an option submits its form (the campaign switch in the top bar);
   - form[data-confirm]: asks the text of data-confirm before the form is sent (revoking a token);
   - [data-select-on-focus]: a read-only field selects its whole value when focused (a new token);
   - button[data-copy-from="id"]: copies the value of that field to the clipboard. */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      select.form.submit();
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field.matches && field.matches("[data-select-on-focus]")) { field.select(); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy-from]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy-from"));
    if (field && navigator.clipboard) { navigator.clipboard.writeText(field.value); }
  });
})();
