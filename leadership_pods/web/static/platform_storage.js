// LTI platform storage (the lti.put_data / lti.get_data postMessage flow Canvas offers):
// keeps the login state in the LMS's own storage when the browser drops the tool's
// third-party cookies. Configuration comes from data- attributes (strict CSP, no inline JS).
(function () {
  var el = document.getElementById("platform-storage");
  if (!el) { return; }
  var mode = el.getAttribute("data-mode");
  var targetName = el.getAttribute("data-target") || "_parent";
  var origin = el.getAttribute("data-origin") || "*";
  var state = el.getAttribute("data-state");
  var messageId = "lp-" + Math.random().toString(36).slice(2);
  var done = false;

  function targetFrame() {
    try {
      if (targetName === "_parent") { return window.parent; }
      var frame = window.parent.frames[targetName];
      return frame || window.parent;
    } catch (e) { return window.parent; }
  }
  function fallback() {
    if (done) { return; }
    done = true;
    var next = document.getElementById("storage-fallback");
    if (next) { next.hidden = false; }
    if (mode === "put") { window.location.href = el.getAttribute("data-auth-url"); }
  }
  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.message_id !== messageId || done) { return; }
    if (origin !== "*" && event.origin !== origin) { return; }
    if (mode === "put" && data.subject === "lti.put_data.response") {
      done = true;
      window.location.href = el.getAttribute("data-auth-url");
    } else if (mode === "get" && data.subject === "lti.get_data.response") {
      done = true;
      var form = document.getElementById("launch-form");
      form.elements.lti_storage_state.value = data.value || "";
      form.submit();
    }
  });
  var message = { subject: mode === "put" ? "lti.put_data" : "lti.get_data",
                  message_id: messageId, key: "lp_state_" + state };
  if (mode === "put") { message.value = state; }
  targetFrame().postMessage(message, origin);
  window.setTimeout(fallback, 4000);
})();
