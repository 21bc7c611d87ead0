// Submits the form marked data-autosubmit once the page loads (no inline script: strict CSP).
(function () {
  var form = document.querySelector("form[data-autosubmit]");
  if (form) { form.submit(); }
})();
