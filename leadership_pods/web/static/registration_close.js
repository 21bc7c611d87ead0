// Ends LTI Dynamic Registration: tells the LMS window that opened the tool to close it
// (1EdTech LTI-DR: postMessage {subject: 'org.imsglobal.lti.close'}). No inline script:
// the app's CSP allows scripts from 'self' only.
(function () {
  var button = document.getElementById("registration-close");
  function close() {
    var target = window.opener || window.parent;
    if (target && target !== window) {
      target.postMessage({subject: "org.imsglobal.lti.close"}, "*");
    }
  }
  if (button) {
    button.addEventListener("click", close);
    // with nothing to check, hand straight back; otherwise wait for the administrator
    if (button.getAttribute("data-auto-close") === "true") { close(); }
  }
})();
