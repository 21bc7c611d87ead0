// The budget simulation's spreadsheet and CFO panel. No formula runs here: every change is
// sent to the server's model (POST …/budget/evaluate) and the grid shows what it returns;
// this script only formats numbers. The answer lives in two hidden inputs of the player's
// form (name="plan", name="negotiation", data-kind="json"); after each accepted change an
// `input` event on the form lets the player autosave them. No inline script (strict CSP).
(function () {
  "use strict";
  var root = document.getElementById("budget");
  if (!root) { return; }
  var form = document.getElementById("answer-form");
  var planInput = root.querySelector('input[name="plan"]');
  var negotiationInput = root.querySelector('input[name="negotiation"]');
  var evaluateUrl = root.getAttribute("data-evaluate-url");
  var cfoUrl = root.getAttribute("data-cfo-url");
  var uploadUrl = root.getAttribute("data-upload-url");
  var token = root.getAttribute("data-lt");
  var lockedBySubmission = root.getAttribute("data-locked") === "true";
  var cfoName = root.getAttribute("data-cfo-name");
  var maxRounds = root.getAttribute("data-max-rounds");
  var cfoPanel = root.querySelector("[data-cfo]");
  var undoButton = root.querySelector("[data-budget-undo]");
  var resetButton = root.querySelector("[data-budget-reset]");
  var busyText = root.querySelector("[data-budget-busy]");

  function parse(text) { try { return JSON.parse(text || "null"); } catch (e) { return null; } }
  var plan = parse(planInput.value) || { version: 1, levers: {} };
  var negotiation = parse(negotiationInput.value);
  var presented = parse(cfoPanel.getAttribute("data-presented"));
  var baselineLines = parse(root.getAttribute("data-baseline-lines")) || { revenue_lines: [], cost_lines: [] };
  var undoStack = [];
  var chain = Promise.resolve();
  var labels = {};
  Array.prototype.forEach.call(root.querySelectorAll("[data-lever-row]"), function (row) {
    var id = row.getAttribute("data-lever-row");
    labels[id] = row.querySelector("th span").textContent.trim();
  });

  // ---- numbers as the grid writes them (the server computes them) -------------------------
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD",
                                               minimumFractionDigits: 0, maximumFractionDigits: 0 });
  var figure = new Intl.NumberFormat("en-US", { maximumFractionDigits: 4 });
  function format(value, kind) {
    if (value === null || value === undefined) { return "—"; }
    if (kind === "money") { return money.format(Number(value)); }
    if (kind === "pct") { return String(value) + "%"; }
    if (kind === "int" || kind === "number") { return figure.format(Number(value)); }
    return String(value);
  }

  // ---- talking to the server --------------------------------------------------------------
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "X-Launch-Token": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      var renewed = response.headers.get("X-Launch-Token");
      if (renewed) { token = renewed; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }
  function busy(text) { busyText.textContent = text; }
  function later(work) {  // one request at a time, in the order asked
    chain = chain.then(work).catch(function () {
      busy("The spreadsheet could not reach the server. Check the connection and try again.");
    });
    return chain;
  }

  // ---- the plan -------------------------------------------------------------------------
  function clone(value) { return JSON.parse(JSON.stringify(value)); }
  function valueOf(p, id) { return p.levers[id] ? String(p.levers[id].value) : "0"; }
  function tidy(p) {
    Object.keys(p.levers).forEach(function (id) {
      var lever = p.levers[id];
      if (Number(lever.value) === 0 && !lever.justification && lever.recurring === null) {
        delete p.levers[id];
      }
    });
    return p;
  }
  function entry(p, id) {
    if (!p.levers[id]) { p.levers[id] = { value: "0", justification: "", recurring: null }; }
    return p.levers[id];
  }
  function samePlan(a, b) {
    if (!a || !b) { return false; }
    var ids = Object.keys(a.levers).concat(Object.keys(b.levers));
    return ids.every(function (id) {
      var x = a.levers[id] || {}, y = b.levers[id] || {};
      return Number(x.value || 0) === Number(y.value || 0) &&
        (x.justification || "") === (y.justification || "") &&
        (x.recurring === undefined ? null : x.recurring) === (y.recurring === undefined ? null : y.recurring);
    });
  }
  function unjustified(p) {
    return Object.keys(p.levers).filter(function (id) {
      return Number(p.levers[id].value) !== 0 && !String(p.levers[id].justification || "").trim();
    }).sort();
  }
  function concluded() { return !!(negotiation && negotiation.outcome); }
  function locked() { return lockedBySubmission || concluded(); }
  function store() {
    planInput.value = JSON.stringify(plan);
    negotiationInput.value = JSON.stringify(negotiation);
  }
  function notifySave() { form.dispatchEvent(new Event("input", { bubbles: true })); }
  function remember(snapshot) {
    undoStack.push(snapshot);
    if (undoStack.length > 50) { undoStack.shift(); }
  }

  // ---- the grid -------------------------------------------------------------------------
  function rows() { return root.querySelectorAll("[data-lever-row]"); }
  function syncInputs() {
    var frozen = locked();
    Array.prototype.forEach.call(rows(), function (row) {
      var id = row.getAttribute("data-lever-row");
      var lever = plan.levers[id] || { value: "0", justification: "", recurring: null };
      var changed = Number(lever.value) !== 0;
      var input = row.querySelector('[data-col="value"]');
      var why = row.querySelector('[data-col="why"]');
      var nature = row.querySelector('[data-col="nature"]');
      if (Number(input.value) !== Number(lever.value) || input.value === "") { input.value = String(lever.value); }
      input.disabled = frozen;
      if (document.activeElement !== why) { why.value = lever.justification || ""; }
      why.readOnly = frozen;
      nature.value = lever.recurring === true ? "recurring" : lever.recurring === false ? "one_time" : "";
      nature.disabled = frozen;
      row.setAttribute("data-changed", changed ? "true" : "false");
      row.querySelector("[data-why-for]").hidden = !changed;
      row.querySelector("[data-why-none]").hidden = changed;
      if (changed && !String(lever.justification || "").trim()) { why.setAttribute("aria-invalid", "true"); }
      else { why.removeAttribute("aria-invalid"); }
    });
    undoButton.disabled = frozen || undoStack.length === 0;
    resetButton.disabled = frozen;
    root.querySelector("[data-budget-locked]").hidden = !concluded();
    if (uploadBox) { uploadBox.hidden = locked(); }
    showUnjustified();
    showUnsent();
  }
  function showUnjustified() {
    var missing = unjustified(plan);
    var box = root.querySelector("[data-unjustified]");
    box.hidden = missing.length === 0;
    box.querySelector("[data-unjustified-list]").textContent =
      missing.map(function (id) { return labels[id] || id; }).join("; ");
  }
  // An answer carries only the lines whose figures differ from the baseline's; the others
  // show the baseline's figures, which the page is given once.
  function render(result) {
    var index = { totals: result.totals, summary: result.summary };
    baselineLines.revenue_lines.concat(baselineLines.cost_lines, result.revenue_lines, result.cost_lines)
      .forEach(function (l) { index["line." + l.id] = l; });
    result.pools.forEach(function (p) { index["pool." + p.id] = p; });
    result.quality.forEach(function (q) { index["quality." + q.id] = q; });
    Array.prototype.forEach.call(root.querySelectorAll("[data-cell]"), function (el) {
      var cell = el.getAttribute("data-cell");
      var cut = cell.lastIndexOf(":");
      var item = index[cell.slice(0, cut)];
      if (!item) { return; }
      var text = format(item[cell.slice(cut + 1)], el.getAttribute("data-format"));
      if (el.textContent !== text) { el.textContent = text; }
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-status-of]"), function (el) {
      var item = index[el.getAttribute("data-status-of")];
      if (item) { el.setAttribute("data-status", item.status); }
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-line]"), function (row) {
      var changed = result.changed_lines.indexOf(row.getAttribute("data-line")) !== -1;
      row.setAttribute("data-changed", changed ? "true" : "false");
    });
    var notes = root.querySelector("[data-notes]");
    notes.textContent = "";
    (result.notes.length ? result.notes : ["None: every line is within capacity and every contract tier holds."])
      .forEach(function (note) {
        var li = document.createElement("li");
        li.textContent = note;
        notes.appendChild(li);
      });
  }
  function refusal(id, text) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-refusal-for]"), function (el) {
      var mine = el.getAttribute("data-refusal-for") === id;
      if (!mine && el.textContent) { el.textContent = ""; }
      if (mine && el.textContent !== text) { el.textContent = text; }
    });
  }

  // Evaluate ``build(copy of the plan)`` on the server; keep it only if the model accepts it.
  function change(build, context) {
    return later(function () {
      var candidate = build(clone(plan));
      if (!candidate) { return null; }
      tidy(candidate);
      var slow = window.setTimeout(function () { busy("Recalculating…"); }, 400);
      return post(evaluateUrl, { plan: candidate }).then(function (res) {
        window.clearTimeout(slow);
        busy("");
        if (res.status === 200) {
          if (!context.noHistory) { remember(JSON.stringify(plan)); }
          plan = candidate;
          store();
          render(res.data.result);
          refusal(context.lever || "", "");
          syncInputs();
          notifySave();
          return true;
        }
        if (context.input) { context.input.value = context.previous; }
        var reasons = (res.data.refusals || []).map(function (r) { return r.reason; }).join(" ");
        var text = reasons || res.data.message || "That change could not be applied.";
        if (res.status === 409 && context.input) { text += " Your previous value is kept."; }
        if (context.lever) { refusal(context.lever, text); } else { busy(text); }
        return false;
      }, function () {
        window.clearTimeout(slow);
        if (context.input) { context.input.value = context.previous; }
        busy("The spreadsheet could not reach the server, so the change was not applied. " +
             "Check the connection and try again.");
        return false;
      });
    });
  }
  function commit(input) {
    if (locked()) { return; }
    var id = input.getAttribute("data-lever");
    var previous = valueOf(plan, id);
    var raw = input.value.trim();
    if (raw === "" || isNaN(Number(raw))) {
      input.value = previous;
      refusal(id, "Type a number: the change from today, 0 for none.");
      return;
    }
    if (Number(raw) === Number(previous)) { refusal(id, ""); return; }
    change(function (candidate) {
      entry(candidate, id).value = String(Number(raw));
      return candidate;
    }, { lever: id, input: input, previous: previous });
  }

  // ---- events from the grid -------------------------------------------------------------
  root.addEventListener("change", function (event) {
    var col = event.target.getAttribute && event.target.getAttribute("data-col");
    if (col === "value") { event.stopPropagation(); commit(event.target); }
    else if (col === "nature" && !locked()) {
      var id = event.target.getAttribute("data-lever");
      remember(JSON.stringify(plan));
      var v = event.target.value;
      entry(plan, id).recurring = v === "recurring" ? true : v === "one_time" ? false : null;
      tidy(plan);
      store();
      syncInputs();  // the event goes on to the player's form: autosave
    } else if (event.target.closest && event.target.closest("[data-objections], [data-upload]")) {
      event.stopPropagation();  // not part of the answer
    }
  });
  var editing = null;
  root.addEventListener("focusin", function (event) {
    if (event.target.getAttribute && event.target.getAttribute("data-col") === "why") {
      editing = { id: event.target.getAttribute("data-lever"), snapshot: JSON.stringify(plan), pushed: false };
    }
  });
  root.addEventListener("input", function (event) {
    var target = event.target;
    var col = target.getAttribute && target.getAttribute("data-col");
    if (col === "value" || (target.closest && target.closest("[data-objections], [data-upload]"))) {
      event.stopPropagation();  // not part of the answer until accepted or sent
      return;
    }
    if (col === "why" && !locked()) {
      var id = target.getAttribute("data-lever");
      if (editing && editing.id === id && !editing.pushed) { remember(editing.snapshot); editing.pushed = true; }
      entry(plan, id).justification = target.value;
      tidy(plan);
      store();
      if (target.value.trim()) { target.removeAttribute("aria-invalid"); } else { target.setAttribute("aria-invalid", "true"); }
      undoButton.disabled = undoStack.length === 0;
      showUnjustified();
      showUnsent();  // the event goes on to the player's form: autosave
    }
  });

  function visible(el) { return !el.disabled && !el.closest("[hidden]"); }
  function step(from, col, delta) {
    var cells = Array.prototype.filter.call(root.querySelectorAll('[data-col="' + col + '"]'), visible);
    var at = cells.indexOf(from);
    var next = cells[at + delta];
    if (next) { next.focus(); if (next.select && col === "value") { next.select(); } }
  }
  root.addEventListener("keydown", function (event) {
    var el = event.target;
    var col = el.getAttribute && el.getAttribute("data-col");
    if (!col || col === "nature" || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      if (col === "why") {
        var atStart = el.selectionStart === 0 && el.selectionEnd === 0;
        var atEnd = el.selectionStart === el.value.length;
        if ((event.key === "ArrowUp" && !atStart) || (event.key === "ArrowDown" && !atEnd)) { return; }
      }
      event.preventDefault();
      step(el, col, event.key === "ArrowUp" ? -1 : 1);
    } else if (col === "value" && (event.key === "PageUp" || event.key === "PageDown")) {
      event.preventDefault();
      try { if (event.key === "PageUp") { el.stepUp(); } else { el.stepDown(); } } catch (e) { return; }
      commit(el);
    } else if (col === "value" && event.key === "Enter") {
      event.preventDefault();
      commit(el);
    }
  });
  undoButton.addEventListener("click", function () {
    if (!undoStack.length || locked()) { return; }
    var snapshot = JSON.parse(undoStack.pop());
    change(function () { return snapshot; }, { noHistory: true });
  });
  resetButton.addEventListener("click", function () {
    if (locked()) { return; }
    change(function () { return { version: 1, levers: {} }; }, {});
  });

  // ---- the CFO --------------------------------------------------------------------------
  var KIND = {
    margin_short: "the margin", quality_floor: "a quality floor",
    one_time_as_recurring: "a one-time saving labelled recurring", one_time_bridge: "the one-time bridge",
    optimistic_volume: "a volume assumption", strategic_line_cut: "regional access"
  };
  var OUTCOME = { agreement: "Agreement", agreement_with_concessions: "Agreement with concessions",
                  impasse: "Impasse" };
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function words(message) {
    var prefix = cfoName + ": ";
    return message.indexOf(prefix) === 0 ? message.slice(prefix.length) : message;
  }
  function cfoEntry(turn) {
    var li = el("li", "budget-turn budget-turn-cfo");
    li.appendChild(el("p", "budget-speaker", "Round " + turn.round + " · " + cfoName + ", CFO"));
    li.appendChild(el("p", "", words(turn.message)));
    li.appendChild(el("p", "muted", "Operating margin of the plan reviewed: " + format(turn.margin, "money")));
    if (turn.objections.length) {
      var list = el("ul", "budget-objection-list");
      turn.objections.forEach(function (o) { list.appendChild(el("li", "", o.message)); });
      li.appendChild(list);
    }
    if (turn.counter_offer) { li.appendChild(el("p", "budget-counter", turn.counter_offer.message)); }
    return li;
  }
  function residentEntry(move, before) {
    var li = el("li", "budget-turn budget-turn-resident");
    li.appendChild(el("p", "budget-speaker", "Round " + move.round + " · You"));
    if (move.move === "revise") {
      li.appendChild(el("p", "", "I revised the plan and presented it again."));
    } else if (move.move === "accept_counter") {
      li.appendChild(el("p", "", "I accepted the counter-offer."));
    } else {
      (move.verdicts || []).forEach(function (v) {
        var objection = (before.objections || []).filter(function (o) { return o.id === v.objection_id; })[0];
        var about = objection ? KIND[objection.kind] || objection.kind : v.objection_id;
        li.appendChild(el("p", "", "On " + about + ": " + v.text));
        li.appendChild(el("p", "budget-verdict", cfoName + (v.accepted ? " (accepted): " : " (not accepted): ") + v.reply));
      });
    }
    return li;
  }
  function renderCfo() {
    var transcript = cfoPanel.querySelector("[data-transcript]");
    var state = cfoPanel.querySelector("[data-cfo-state]");
    var objections = cfoPanel.querySelector("[data-objections]");
    var buttons = {};
    Array.prototype.forEach.call(cfoPanel.querySelectorAll("[data-cfo-move]"), function (b) {
      buttons[b.getAttribute("data-cfo-move")] = b;
    });
    transcript.textContent = "";
    objections.textContent = "";
    cfoPanel.querySelector("[data-cfo-actions]").hidden = lockedBySubmission || concluded();
    if (!negotiation) {
      transcript.appendChild(el("li", "muted", "Nothing yet."));
      state.textContent = "You have not presented the plan yet.";
      buttons.open.hidden = false;
      buttons.argue.hidden = buttons.accept.hidden = buttons.revise.hidden = true;
      return;
    }
    var entries = negotiation.transcript || [];
    entries.forEach(function (e, i) {
      transcript.appendChild(e.speaker === "cfo" ? cfoEntry(e) : residentEntry(e, entries[i - 1] || {}));
    });
    var turn = entries[entries.length - 1] || { objections: [] };
    if (negotiation.outcome) {
      state.textContent = "Outcome: " + OUTCOME[negotiation.outcome] + " (after " + negotiation.rounds +
        " of " + maxRounds + " rounds).";
      return;
    }
    state.textContent = "Round " + negotiation.rounds + " of " + maxRounds + ". " + cfoName + " has " +
      turn.objections.length + " open objection" + (turn.objections.length === 1 ? "" : "s") + ".";
    var arguable = 0;
    turn.objections.forEach(function (o, i) {
      var box = el("div", "budget-objection");
      var id = "objection-" + i;
      box.appendChild(el("p", "budget-speaker", "Objection " + (i + 1) + ": " + (KIND[o.kind] || o.kind)));
      box.appendChild(el("p", "budget-objection-text", o.message)).id = id + "-text";
      if (o.arguable) {
        arguable += 1;
        var label = el("label", "", "Argue back: your answer on " + (KIND[o.kind] || o.kind) + ", with numbers");
        label.setAttribute("for", id);
        var area = el("textarea");
        area.id = id;
        area.rows = 3;
        area.maxLength = 2000;
        area.setAttribute("data-objection", o.id);
        area.setAttribute("aria-describedby", id + "-text");
        box.appendChild(label);
        box.appendChild(area);
      } else {
        box.appendChild(el("p", "muted", "Not open to argument: change the plan, or accept the counter-offer."));
      }
      objections.appendChild(box);
    });
    buttons.open.hidden = true;
    buttons.argue.hidden = arguable === 0;
    buttons.accept.hidden = !turn.counter_offer;
    buttons.revise.hidden = false;
  }
  function showUnsent() {
    var hint = cfoPanel.querySelector("[data-cfo-unsent]");
    hint.hidden = !negotiation || concluded() || samePlan(plan, presented);
  }
  function cfoMove(type) {
    var error = cfoPanel.querySelector("[data-cfo-error]");
    error.textContent = "";
    var move = { type: type };
    if (type === "argue") {
      move.answers = {};
      Array.prototype.forEach.call(cfoPanel.querySelectorAll("[data-objection]"), function (area) {
        if (area.value.trim()) { move.answers[area.getAttribute("data-objection")] = area.value; }
      });
      if (!Object.keys(move.answers).length) {
        error.textContent = "Write an answer to at least one objection first.";
        return;
      }
    }
    later(function () {
      busy(cfoName + " is reviewing…");
      return post(cfoUrl, { answer: { plan: plan, negotiation: negotiation }, move: move }).then(function (res) {
        busy("");
        if (res.status !== 200) {
          error.textContent = (res.data && res.data.message) || "The CFO could not take that move.";
          return;
        }
        if (!samePlan(res.data.answer.plan, plan)) { remember(JSON.stringify(plan)); }
        plan = res.data.answer.plan;
        negotiation = res.data.answer.negotiation;
        presented = res.data.plan;
        store();
        render(res.data.result);
        renderCfo();
        syncInputs();
        notifySave();
        var focus = document.activeElement;
        if (!focus || focus === document.body || focus.closest("[hidden]")) {
          cfoPanel.querySelector("[data-cfo-state]").focus();
        }
      });
    });
  }
  Array.prototype.forEach.call(cfoPanel.querySelectorAll("[data-cfo-move]"), function (button) {
    button.addEventListener("click", function () { cfoMove(button.getAttribute("data-cfo-move")); });
  });

  // ---- the Excel round trip -------------------------------------------------------------
  // (the download link is the player's: it waits for a pending autosave before leaving)
  var uploadBox = root.querySelector("[data-upload]");
  var uploadFile = uploadBox.querySelector("[data-upload-file]");
  var uploadError = uploadBox.querySelector("[data-upload-error]");
  var uploadResult = uploadBox.querySelector("[data-upload-result]");
  var uploaded = null;
  function describe(value, justification, recurring, unit) {
    var text = value + " " + unit;
    if (recurring === true) { text += ", recurring"; } else if (recurring === false) { text += ", one-time"; }
    return justification ? text + ". " + justification : text;
  }
  function closeUpload() {
    uploaded = null;
    uploadResult.hidden = true;
    uploadFile.value = "";
  }
  uploadBox.querySelector("[data-upload-send]").addEventListener("click", function () {
    uploadError.textContent = "";
    var file = uploadFile.files && uploadFile.files[0];
    if (!file) { uploadError.textContent = "Choose the workbook to upload first."; return; }
    later(function () {
      var body = new FormData();
      body.append("workbook", file);
      body.append("plan", JSON.stringify(plan));
      busy("Reading the workbook…");
      return fetch(uploadUrl, {
        method: "POST", credentials: "omit", body: body,
        headers: { "Accept": "application/json", "X-Launch-Token": token }
      }).then(function (response) {
        var renewed = response.headers.get("X-Launch-Token");
        if (renewed) { token = renewed; }
        return response.json().catch(function () { return {}; }).then(function (data) {
          busy("");
          if (response.status !== 200) {
            uploadError.textContent = data.message || "The workbook could not be read.";
            return;
          }
          uploaded = data.plan;
          var tbody = uploadResult.querySelector("[data-upload-rows]");
          tbody.textContent = "";
          data.differences.forEach(function (d) {
            var tr = el("tr");
            var th = el("th", "", d.label);
            th.setAttribute("scope", "row");
            tr.appendChild(th);
            tr.appendChild(el("td", "", describe(d.old_value, d.old_justification, d.old_recurring, d.unit)));
            tr.appendChild(el("td", "", describe(d.new_value, d.new_justification, d.new_recurring, d.unit)));
            tbody.appendChild(tr);
          });
          var none = data.differences.length === 0;
          uploadResult.querySelector("[data-upload-summary]").textContent = none
            ? "The workbook holds the same plan as the spreadsheet: there is nothing to apply."
            : data.differences.length + " lever" + (data.differences.length === 1 ? "" : "s") +
              " would change. Operating margin now " + format(data.margin_before, "money") +
              "; with the workbook's plan " + format(data.margin_after, "money") + ". Nothing changes until you apply it.";
          uploadResult.querySelector("[data-upload-apply]").hidden = none;
          uploadResult.hidden = false;
          uploadResult.focus();
        });
      });
    });
  });
  uploadBox.querySelector("[data-upload-apply]").addEventListener("click", function () {
    if (!uploaded || locked()) { return; }
    var next = clone(uploaded);
    change(function () { return next; }, {}).then(function () {
      if (samePlan(plan, next)) { closeUpload(); busy("The workbook's plan is applied. Undo takes it back."); }
    });
  });
  uploadBox.querySelector("[data-upload-discard]").addEventListener("click", closeUpload);

  renderCfo();
  syncInputs();
})();
