// The pod player: autosave with versions and retries, local drafts, time on task, and
// the small widgets of each section type. No inline script (strict CSP); state comes
// from data- attributes on #player.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) { return; }
  var form = document.getElementById("answer-form");
  var status = document.getElementById("save-status");
  var readonly = player.getAttribute("data-readonly") === "true";
  var sectionId = player.getAttribute("data-section");
  var saveUrl = player.getAttribute("data-save-url");
  var version = parseInt(player.getAttribute("data-version"), 10) || 0;
  var draftKey = "lp-draft:" + player.getAttribute("data-attempt") + ":" + sectionId;
  var launchToken = player.getAttribute("data-lt");
  var sectionList = document.getElementById("section-list");
  if (sectionList && window.matchMedia("(min-width: 761px)").matches) { sectionList.open = true; }

  // ---- answers from the form ------------------------------------------------------
  function setPath(target, path, value) {
    var parts = path.split(".");
    var node = target;
    for (var i = 0; i < parts.length - 1; i++) {
      if (typeof node[parts[i]] !== "object" || node[parts[i]] === null) { node[parts[i]] = {}; }
      node = node[parts[i]];
    }
    node[parts[parts.length - 1]] = value;
  }
  function collect() {
    var answer = {};
    var lists = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled && el.type !== "hidden") { return; }
      var kind = el.getAttribute("data-kind");
      if (el.type === "radio") {
        if (el.checked) { setPath(answer, el.name, kind === "int" ? parseInt(el.value, 10) : el.value); }
      } else if (el.type === "checkbox" && kind === "list") {
        lists[el.name] = lists[el.name] || [];
        if (el.checked) { lists[el.name].push(el.value); }
      } else if (el.type === "checkbox") {
        setPath(answer, el.name, el.checked);
      } else if (kind === "json") {
        try { setPath(answer, el.name, JSON.parse(el.value || "null")); } catch (e) { /* keep out */ }
      } else if (kind === "float") {
        setPath(answer, el.name, parseFloat(el.value) || 0);
      } else {
        setPath(answer, el.name, el.value);
      }
    });
    Object.keys(lists).forEach(function (name) {
      if (lists[name].length) { setPath(answer, name, lists[name]); }
    });
    return answer;
  }
  function show(text, state) {
    status.textContent = text;
    status.setAttribute("data-state", state || "");
  }

  // ---- time on task: visible, and touched in the last minute --------------------------
  var activeMs = 0, lastTick = Date.now(), lastInteraction = Date.now();
  ["keydown", "pointerdown", "input", "scroll"].forEach(function (type) {
    document.addEventListener(type, function () { lastInteraction = Date.now(); }, true);
  });
  window.setInterval(function () {
    var now = Date.now();
    if (document.visibilityState === "visible" && now - lastInteraction < 60000) {
      activeMs += now - lastTick;
    }
    lastTick = now;
  }, 5000);

  // ---- saving -----------------------------------------------------------------------
  var pending = null, inFlight = false, timer = null, retryDelay = 1000, blocked = false;
  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return "s" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function keepDraft(answer) {
    try { window.localStorage.setItem(draftKey, JSON.stringify({ version: version, answer: answer })); }
    catch (e) { /* storage may be blocked: the server copy still counts */ }
  }
  function dropDraft() {
    try { window.localStorage.removeItem(draftKey); } catch (e) { /* ignore */ }
  }
  function queue(withAnswer) {
    if (readonly || blocked) { return; }
    var answer = withAnswer === false ? undefined : collect();
    if (answer !== undefined) { keepDraft(answer); }
    pending = { save_id: uuid(), section: sectionId, position: sectionId, answer: answer };
    show("Saving…", "saving");
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, 800);
  }
  function flush(keepalive) {
    if (!pending || inFlight || blocked) { return; }
    var body = { save_id: pending.save_id, version: version, section: pending.section,
                 position: pending.position, active_ms: activeMs };
    if (pending.answer !== undefined) { body.answer = pending.answer; }
    var sent = pending, sentActive = activeMs;
    inFlight = true;
    fetch(saveUrl, {
      method: "POST", credentials: "omit", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-Launch-Token": launchToken },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data, token: response.headers.get("X-Launch-Token") };
      });
    }).then(function (result) {
      inFlight = false;
      if (result.status === 200) {
        version = result.data.version;
        activeMs = Math.max(0, activeMs - sentActive);
        if (result.token) { launchToken = result.token; }
        retryDelay = 1000;
        if (pending === sent) { pending = null; dropDraft(); show("All changes saved", "saved"); }
        else { flush(); }
        updateProgress(result.data);
      } else if (result.status === 409 && result.data.error === "conflict") {
        blocked = true;
        show(result.data.message + " Your text is kept in this browser.", "conflict");
      } else if (result.status >= 500 || result.status === 429) {
        retry();
      } else {
        blocked = result.status === 401 || result.status === 409;
        show((result.data && result.data.message) || "This change could not be saved.", "error");
      }
    }).catch(function () { inFlight = false; retry(); });
  }
  function retry() {
    show("Offline or busy — your work is kept here and will be saved when the connection returns.", "retrying");
    window.setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }
  function updateProgress(data) {
    var text = document.getElementById("progress-text");
    if (text && data.total) { text.textContent = data.completed + " of " + data.total + " sections done"; }
    var current = document.querySelector('.section-nav [aria-current="step"]');
    if (current && data.section_complete) { current.parentNode.classList.add("done"); }
  }
  window.addEventListener("online", function () { flush(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(true); }
  });
  window.addEventListener("pagehide", function () { flush(true); });
  window.setInterval(function () {  // record time on task even while only reading
    if (!pending && activeMs >= 30000) { queue(false); }
  }, 60000);
  if (!readonly) {
    form.addEventListener("input", function () { queue(); });
    form.addEventListener("change", function () { queue(); });
  }
  // keep links and forms on this launch (the token is renewed by every save)
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href*='lt=']") : null;
    if (link) { link.href = link.href.replace(/([?&]lt=)[^&]*/, "$1" + encodeURIComponent(launchToken)); }
    if (pending) { flush(true); }
  }, true);

  // a draft newer than the server's copy (a crash or lost connection) comes back
  (function restoreDraft() {
    if (readonly) { return; }
    var stored = null;
    try { stored = JSON.parse(window.localStorage.getItem(draftKey) || "null"); } catch (e) { return; }
    if (!stored || stored.version !== version) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("textarea[name]"), function (el) {
      var value = el.name.split(".").reduce(function (node, key) { return node && node[key]; }, stored.answer);
      if (typeof value === "string" && value !== el.value) { el.value = value; }
    });
    queue();
  })();

  // ---- slides -------------------------------------------------------------------------
  var slides = form.querySelectorAll("[data-slide]");
  if (slides.length) {
    var viewedInput = form.querySelector('input[name="viewed"]');
    var viewed = JSON.parse(viewedInput.value || "[]");
    var controls = form.querySelector(".slide-controls");
    var counter = form.querySelector("[data-slide-counter]");
    var current = 0;
    for (var i = 0; i < slides.length; i++) { if (viewed.indexOf(i) === -1) { current = i; break; } }
    function showSlide(n, focus) {
      current = Math.max(0, Math.min(slides.length - 1, n));
      Array.prototype.forEach.call(slides, function (s, i) { s.hidden = i !== current; });
      counter.textContent = "Slide " + (current + 1) + " of " + slides.length;
      form.querySelector("[data-slide-prev]").disabled = current === 0;
      form.querySelector("[data-slide-next]").disabled = current === slides.length - 1;
      if (viewed.indexOf(current) === -1) {
        viewed.push(current);
        viewedInput.value = JSON.stringify(viewed);
        queue();
      }
      if (focus) { slides[current].querySelector("h2").setAttribute("tabindex", "-1"); slides[current].querySelector("h2").focus(); }
    }
    controls.hidden = false;
    form.querySelector("[data-slide-prev]").addEventListener("click", function () { showSlide(current - 1, true); });
    form.querySelector("[data-slide-next]").addEventListener("click", function () { showSlide(current + 1, true); });
    if (readonly) { viewedInput.disabled = true; }
    showSlide(current, false);
  }

  // ---- video progress -----------------------------------------------------------------
  var video = form.querySelector("[data-video]");
  if (video) {
    var watched = form.querySelector('input[name="watched_seconds"]');
    var duration = form.querySelector('input[name="duration_seconds"]');
    var lastQueued = 0;
    video.addEventListener("timeupdate", function () {
      duration.value = video.duration || 0;
      if (video.currentTime > parseFloat(watched.value || "0")) { watched.value = video.currentTime.toFixed(1); }
      if (Date.now() - lastQueued > 15000) { lastQueued = Date.now(); queue(); }
    });
    video.addEventListener("ended", function () { queue(); });
  }

  // ---- knowledge check: feedback once answered -------------------------------------------
  Array.prototype.forEach.call(form.querySelectorAll("[data-question]"), function (fieldset) {
    fieldset.addEventListener("change", function () {
      Array.prototype.forEach.call(fieldset.querySelectorAll("input"), function (input) {
        var feedback = fieldset.querySelector('[data-feedback="' + input.value + '"]');
        if (feedback) { feedback.hidden = !input.checked; }
      });
      var explanation = fieldset.querySelector("[data-explanation]");
      if (explanation) { explanation.hidden = false; }
    });
  });

  // ---- branching case: each decision is saved, then the page shows what follows -----------
  var pathInput = form.querySelector('input[name="path"]');
  function saveThenReload() {
    queue();
    window.clearTimeout(timer);
    var wait = window.setInterval(function () {
      if (!pending && !inFlight) { window.clearInterval(wait); window.location.reload(); }
      else if (!inFlight) { flush(); }
    }, 100);
  }
  Array.prototype.forEach.call(form.querySelectorAll("[data-case-choice]"), function (button) {
    button.addEventListener("click", function () {
      if (readonly) { return; }
      var path = JSON.parse(pathInput.value || "[]");
      path.push({ node: button.getAttribute("data-case-node"), choice: button.getAttribute("data-case-choice") });
      pathInput.value = JSON.stringify(path);
      Array.prototype.forEach.call(form.querySelectorAll("[data-case-choice]"), function (b) { b.disabled = true; });
      saveThenReload();
    });
  });
  var restart = form.querySelector("[data-case-restart]");
  if (restart) {
    restart.addEventListener("click", function () { pathInput.value = "[]"; saveThenReload(); });
  }

  // ---- word counts and speaking time ------------------------------------------------------
  function words(text) { var m = text.match(/[\w'’-]+/g); return m ? m.length : 0; }
  function updateCounts() {
    var total = 0;
    Array.prototype.forEach.call(form.querySelectorAll("[data-count-for]"), function (p) {
      var area = document.getElementById(p.getAttribute("data-count-for"));
      var n = words(area.value); total += n;
      var min = area.getAttribute("data-min-words"), max = area.getAttribute("data-max-words");
      p.textContent = n + " words" + (min ? " (at least " + min + ")" : "") + (max ? " (at most " + max + ")" : "");
    });
    var summary = form.querySelector("[data-total-words]");
    if (summary) {
      var target = summary.getAttribute("data-target"), wpm = parseInt(summary.getAttribute("data-wpm"), 10);
      var text = "Total: " + total + " words" + (target ? " of about " + target : "");
      if (summary.getAttribute("data-speaking") === "true") {
        var minutes = summary.getAttribute("data-target-minutes");
        text += " · about " + (total / wpm).toFixed(1) + " minutes spoken at " + wpm + " words a minute" + (minutes ? " (aim for " + minutes + ")" : "");
      }
      summary.textContent = text;
    }
  }
  if (form.querySelector("[data-count-for]")) { form.addEventListener("input", updateCounts); }
})();
