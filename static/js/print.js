/* The print pages (督办单, 通报): a link marked data-print opens the browser's print dialog.
   A javascript: address would be inline script, which the Content-Security-Policy refuses. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-print]") : null;
    if (!link) { return; }
    event.preventDefault();
    window.print();
  });
})();
