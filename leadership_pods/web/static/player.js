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
  // ``pending`` is the latest change not yet sent; ``unacked`` is the save sent last
  // whose answer has not come back. Until it is answered it is sent again (same save_id:
  // the server answers a repeated save_id without applying it twice) before anything
  // newer, so a save that arrived but whose answer was lost never turns the next one
  // into a "changed in another tab" conflict. The last save sent, answered or not, is
  // also kept as the outbox (see ``memo``): a page rendered before that save was
  // applied (a reload races the save sent as the old page goes) sends it again and
  // shows it, instead of showing the older text and conflicting on its first save.
  var pending = null, unacked = null, inFlight = false, timer = null, retryDelay = 1000;
  var blocked = false;
  var outboxKey = "lp-outbox:" + player.getAttribute("data-attempt");
  var lastSaveId = player.getAttribute("data-last-save") || "";
  function uuid() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return "s" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  // Where drafts and the outbox are kept: localStorage; or, where the browser denies
  // storage to the embedded tool (third-party cookies blocked: an LMS frame in Chrome's
  // incognito mode, for one), this page's session-history entry, which survives a reload
  // of the page (not a relaunch from the LMS). history.state is written at most every
  // 250 ms (browsers throttle replaceState) and at once when the page is left.
  var memo = (function () {
    try {
      var ls = window.localStorage;
      ls.setItem("lp-probe", "1");
      ls.removeItem("lp-probe");
      return {
        get: function (key) { try { return JSON.parse(ls.getItem(key) || "null"); } catch (e) { return null; } },
        set: function (key, value) { try { ls.setItem(key, JSON.stringify(value)); } catch (e) { /* full */ } },
        remove: function (key) { try { ls.removeItem(key); } catch (e) { /* ignore */ } },
        sync: function () {}
      };
    } catch (e) { /* denied: fall back to history.state */ }
    var state = window.history.state;
    var data = state && typeof state === "object" && state.lp && typeof state.lp === "object" ? state.lp : {};
    var dirty = false, syncTimer = null;
    function sync() {
      window.clearTimeout(syncTimer);
      syncTimer = null;
      if (!dirty) { return; }
      dirty = false;
      try {
        var current = window.history.state;
        var next = current && typeof current === "object" ? Object.assign({}, current) : {};
        next.lp = data;
        window.history.replaceState(next, "");
      } catch (e) { /* too large, or throttled: the server copy still counts */ }
    }
    function later() { dirty = true; if (!syncTimer) { syncTimer = window.setTimeout(sync, 250); } }
    return {
      get: function (key) { return Object.prototype.hasOwnProperty.call(data, key) ? data[key] : null; },
      set: function (key, value) { data[key] = JSON.parse(JSON.stringify(value)); later(); },
      remove: function (key) { if (Object.prototype.hasOwnProperty.call(data, key)) { delete data[key]; later(); } },
      sync: sync
    };
  })();
  function load(key) { return memo.get(key); }
  function store(key, value) { memo.set(key, value); }
  function forget(key) { memo.remove(key); }
  function keepDraft(answer) { store(draftKey, { version: version, answer: answer }); }
  function dropDraft() { forget(draftKey); }
  var replayed = null;  // the outbox of the last page, sent again from this one
  function setUnacked(body) {
    unacked = body;
    store(outboxKey, { body: body, acked: false });
  }
  var lastQueuedAnswer = JSON.stringify(collect());  // as rendered, then as last queued
  function queue(withAnswer) {
    if (readonly || blocked) { return; }
    var answer = withAnswer === false ? undefined : collect();
    if (answer !== undefined) {
      var json = JSON.stringify(answer);
      if (json === lastQueuedAnswer && !pending) { return; }  // e.g. "change" on leaving a textarea
      lastQueuedAnswer = json;
      keepDraft(answer);
    }
    pending = { save_id: uuid(), section: sectionId, position: sectionId, answer: answer };
    show("Saving…", "saving");
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, 800);
  }
  function unsaved() { return !!(pending || unacked || inFlight); }
  function flush(keepalive) {
    if (inFlight || blocked) { return; }
    if (!unacked) {
      if (!pending) { return; }
      var body = { save_id: pending.save_id, version: version, section: pending.section,
                   position: pending.position, active_ms: activeMs };
      if (pending.answer !== undefined) { body.answer = pending.answer; }
      pending = null;
      setUnacked(body);
    }
    var sent = unacked, text = JSON.stringify(sent);
    inFlight = true;
    fetch(saveUrl, {  // keepalive bodies are limited to 64 KB in all (larger ones fail at once)
      method: "POST", credentials: "omit", keepalive: !!keepalive && text.length < 60000,
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-Launch-Token": launchToken },
      body: text
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data, token: response.headers.get("X-Launch-Token") };
      });
    }).then(function (result) {
      inFlight = false;
      if (result.status === 200) {
        version = result.data.version;
        lastSaveId = sent.save_id;
        if (sent !== replayed) { activeMs = Math.max(0, activeMs - (sent.active_ms || 0)); }
        if (result.token) { launchToken = result.token; }
        retryDelay = 1000;
        if (unacked === sent) { unacked = null; store(outboxKey, { body: sent, acked: true }); }
        if (pending) {
          if (pending.answer !== undefined) { keepDraft(pending.answer); }  // now based on this version
          flush();
        } else { dropDraft(); show("All changes saved", "saved"); }
        updateProgress(result.data);
      } else if (result.status >= 500 || result.status === 429) {
        retry();
      } else {
        if (unacked === sent) { unacked = null; forget(outboxKey); }  // refused: not applied
        if (result.status === 409 && result.data.error === "conflict") {
          blocked = true;
          show(result.data.message + " Your text is kept in this browser.", "conflict");
        } else {
          blocked = result.status === 401 || result.status === 409;
          show((result.data && result.data.message) || "This change could not be saved.", "error");
        }
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
  // leaving: send what is left (keepalive outlives the page) and note it for the next page.
  // beforeunload comes before a reload requests the new page; pagehide only once it arrived.
  function leaving() { flush(true); memo.sync(); }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { leaving(); }
  });
  window.addEventListener("beforeunload", leaving);
  window.addEventListener("pagehide", leaving);
  window.setInterval(function () {  // record time on task even while only reading
    if (!pending && activeMs >= 30000) { queue(false); }
  }, 60000);
  // the answer form is never submitted: answers go by autosave (no inline handler: CSP)
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  if (!readonly) {
    form.addEventListener("input", function () { queue(); });
    form.addEventListener("change", function () { queue(); });
  }
  // keep links on this launch (the token is renewed by every save), and leave the page
  // only once its changes are saved, so the next page is rendered from them
  function freshHref(href) {
    return href.replace(/([?&]lt=)[^&]*/, "$1" + encodeURIComponent(launchToken));
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link) { return; }
    var carriesToken = /[?&]lt=/.test(link.getAttribute("href"));
    if (carriesToken) { link.href = freshHref(link.href); }
    if (!unsaved() || blocked || event.defaultPrevented || event.button !== 0 ||
        event.ctrlKey || event.metaKey || event.shiftKey || event.altKey ||
        (link.target && link.target !== "_self") || link.origin !== window.location.origin ||
        link.getAttribute("href").charAt(0) === "#") {
      if (unsaved()) { flush(true); }
      return;
    }
    event.preventDefault();
    window.clearTimeout(timer);
    flush();
    var waited = 0;
    var wait = window.setInterval(function () {
      waited += 100;
      if (!unsaved() || blocked || waited >= 4000) {  // offline: go on; the outbox and draft keep it
        window.clearInterval(wait);
        if (unsaved()) { flush(true); }
        window.location.href = carriesToken ? freshHref(link.href) : link.href;
      } else if (!inFlight) { flush(); }
    }, 100);
  }, true);

  // answers put back into the form (a restored draft or a save sent from the last page)
  function valueAt(answer, name) {
    return name.split(".").reduce(function (node, key) {
      return node !== null && typeof node === "object" ? node[key] : undefined;
    }, answer);
  }
  function fill(answer) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) { return; }
      var value = valueAt(answer, el.name);
      if (el.tagName === "TEXTAREA") {
        if (typeof value === "string" && value !== el.value) { el.value = value; }
      } else if (el.type === "radio") {
        if (value !== undefined) { el.checked = String(value) === el.value; }
      } else if (el.type === "checkbox" && el.getAttribute("data-kind") === "list") {
        if (Array.isArray(value)) { el.checked = value.indexOf(el.value) !== -1; }
      } else if (el.type === "checkbox") {
        if (typeof value === "boolean") { el.checked = value; }
      }
    });
  }
  // After a reload, a crash or a lost connection. If this page was rendered at the
  // version the last save was sent from, that save (applied or not) is sent again first
  // and shown; then a draft newer than what the page shows comes back: one based on the
  // version the page will be at, or based on the version just before the last save
  // when the page already includes that save (the server moved only by this browser).
  function recover() {
    if (readonly) { return; }
    var record = load(outboxKey), draft = load(draftKey);
    var outbox = record && record.body;
    var base = version;
    if (outbox && typeof outbox.version === "number" && typeof outbox.save_id === "string") {
      if (outbox.version === version) {
        replayed = unacked = outbox;
        if (outbox.section === sectionId && outbox.answer !== undefined) { fill(outbox.answer); }
        base = version + 1;
      } else {
        if (draft && outbox.save_id === lastSaveId && version === outbox.version + 1 &&
            draft.version === outbox.version) { draft.version = version; }
        forget(outboxKey);
      }
    }
    if (draft && (draft.version === version || draft.version === base)) {
      fill(draft.answer);
      queue();
      if (!pending) { dropDraft(); }  // the page already shows it
    }  // an older draft (a conflict) stays where it is, as the conflict message says
    lastQueuedAnswer = JSON.stringify(collect());
    if (unacked) { show("Saving…", "saving"); flush(); }
  }

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
  function showFeedback(fieldset) {
    var answered = false;
    Array.prototype.forEach.call(fieldset.querySelectorAll("input"), function (input) {
      var feedback = fieldset.querySelector('[data-feedback="' + input.value + '"]');
      if (feedback) { feedback.hidden = !input.checked; }
      answered = answered || input.checked;
    });
    var explanation = fieldset.querySelector("[data-explanation]");
    if (explanation && answered) { explanation.hidden = false; }
  }
  var questions = form.querySelectorAll("[data-question]");
  Array.prototype.forEach.call(questions, function (fieldset) {
    fieldset.addEventListener("change", function () { showFeedback(fieldset); });
  });

  // ---- branching case: each decision is saved, then the page shows what follows -----------
  var pathInput = form.querySelector('input[name="path"]');
  function saveThenReload() {
    queue();
    window.clearTimeout(timer);
    var wait = window.setInterval(function () {
      if (!unsaved()) { window.clearInterval(wait); window.location.reload(); }
      else if (blocked) { window.clearInterval(wait); }
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

  recover();
  Array.prototype.forEach.call(questions, showFeedback);
  if (form.querySelector("[data-count-for]")) { updateCounts(); }
})();
