// Pairwise keyboard layer. No inline scripts (CSP); everything also works with the mouse.
(function () {
  "use strict";

  var focusedSide = "left";
  // A request is on its way or its answer not yet on screen: every key is ignored meanwhile.
  var inFlight = false;
  var renderedAt = 0;
  var LINE = 40;

  function pane() { return document.getElementById("review-pane"); }
  function form() { return document.getElementById("verdict-form"); }

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type));
  }

  function say(text) {
    var toasts = document.getElementById("toasts");
    if (!toasts) return;
    var note = document.createElement("div");
    note.className = "toast";
    note.setAttribute("role", "status");
    note.textContent = text;
    toasts.appendChild(note);
    setTimeout(function () { note.remove(); }, 4000);
  }

  function setFocus(side) {
    var answer = document.getElementById("answer-" + side);
    if (!answer) return;
    focusedSide = side;
    document.querySelectorAll(".answer").forEach(function (a) { a.classList.toggle("focused", a === answer); });
    answer.focus({ preventScroll: true });
  }

  function openEditorEl() {
    var area = document.querySelector(".answer .editor:not([hidden]) textarea");
    return area || null;
  }

  function isDirty(area) { return !!area && (area.value !== area.dataset.original || area.dataset.draft === "1"); }

  function openEditor(side) {
    var answer = document.getElementById("answer-" + side);
    if (!answer || !form()) return;
    var current = openEditorEl();
    if (current && current.closest(".answer") === answer) {
      // Back into a kept draft: the text stays as it was.
      var kept = current.closest(".editor");
      delete kept.dataset.asked;
      kept.querySelector(".editor-hint").textContent = "";
      current.focus();
      return;
    }
    if (current && isDirty(current)) {
      say("Save (Ctrl+Enter) or discard (Esc twice) the other gold edit first.");
      current.focus();
      return;
    }
    closeEditors();
    var editor = answer.querySelector(".editor");
    var area = editor.querySelector("textarea");
    editor.hidden = false;
    area.disabled = false;
    form().querySelector("input[name=edited_side]").value = side;
    answer.classList.add("editing");
    area.focus();
  }

  function closeEditors() {
    document.querySelectorAll(".answer .editor").forEach(function (editor) {
      var area = editor.querySelector("textarea");
      editor.hidden = true;
      area.disabled = true;
      area.value = area.dataset.original;
      delete area.dataset.draft;
      delete editor.dataset.asked;
      editor.querySelector(".editor-hint").textContent = "";
      editor.closest(".answer").classList.remove("editing");
    });
    var side = form() && form().querySelector("input[name=edited_side]");
    if (side) side.value = "";
  }

  // Esc in an edited editor never throws the edit away at once: the first Esc keeps it as a draft and says so.
  function escapeEditor(area) {
    var editor = area.closest(".editor");
    var answer = area.closest(".answer");
    if (!isDirty(area) || editor.dataset.asked === "1") {
      closeEditors();
      setFocus(answer.getAttribute("data-side"));
      return;
    }
    editor.dataset.asked = "1";
    editor.querySelector(".editor-hint").textContent =
      "Draft kept. Ctrl+Enter saves it and prefers this answer; Esc again discards it; w goes back to editing.";
    setFocus(answer.getAttribute("data-side"));
  }

  function toggleHelp() {
    var help = document.getElementById("help");
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }

  function toggleGuidelines() {
    var panel = document.getElementById("guidelines");
    if (!panel) return;
    panel.hidden = !panel.hidden;
    document.body.classList.toggle("with-guidelines", !panel.hidden);
  }

  function togglePattern(key) {
    var answer = document.getElementById("answer-" + focusedSide);
    if (!answer) return false;
    var box = answer.querySelector('input[type=checkbox][data-hotkey="' + CSS.escape(key) + '"]');
    if (!box) return false;
    box.checked = !box.checked;
    box.closest(".chip").classList.toggle("on", box.checked);
    return true;
  }

  function tooSoon() {
    var p = pane();
    var min = p ? Number(p.dataset.minMs || 0) : 0;
    return performance.now() - renderedAt < min;
  }

  // Every verdict goes through htmx with the form's token; the browser never submits the form itself.
  function sendVerdict(value, fromEditor) {
    var f = form();
    if (!f || inFlight || !window.htmx) return;
    var area = openEditorEl();
    if (area && isDirty(area) && !fromEditor) {
      say("You have an unsaved gold edit: Ctrl+Enter saves it, Esc twice discards it.");
      return;
    }
    if (tooSoon()) { say("Too quick: read both answers first."); return; }
    inFlight = true;
    window.htmx.ajax("POST", f.getAttribute("action"), {
      source: f, values: { verdict: value }, target: "#review-pane", swap: "outerHTML",
    });
  }

  function sendAction(key) {
    var button = pane() && pane().querySelector('[data-key="' + key + '"]');
    if (!button || button.disabled || inFlight || !window.htmx) return false;
    var url = button.getAttribute("hx-post");
    if (!url) { button.click(); return true; }
    if (key === "s" && tooSoon()) { say("Too quick: read both answers first."); return true; }
    inFlight = true;
    window.htmx.ajax("POST", url, { source: form() || button, target: "#review-pane", swap: "outerHTML" });
    return true;
  }

  function scrollAnswer(amount) {
    var diff = document.getElementById("diff");
    var box = diff && diff.open ? document.getElementById("diff-body")
      : document.querySelector("#answer-" + focusedSide + " .answer-body");
    if (!box) return false;
    box.scrollBy({ top: amount === "page" ? box.clientHeight * 0.9 : amount === "-page" ? -box.clientHeight * 0.9 : amount });
    return true;
  }

  function scrollKey(event) {
    var key = event.key;
    if (key === "j" || key === "ArrowDown") return scrollAnswer(LINE);
    if (key === "k" || key === "ArrowUp") return scrollAnswer(-LINE);
    if (key === "PageDown" || (key === " " && !event.shiftKey)) return scrollAnswer("page");
    if (key === "PageUp" || (key === " " && event.shiftKey)) return scrollAnswer("-page");
    return null;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!pane()) return;
    if (inFlight && !(event.ctrlKey || event.metaKey || event.altKey)) { event.preventDefault(); return; }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var area = openEditorEl();
      if (area) { event.preventDefault(); sendVerdict(area.dataset.editor, true); }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // Enter in a field of the verdict form never submits it (implicit submission is off as well).
    if (event.key === "Enter" && target.form && target.form.id === "verdict-form" && target.tagName === "INPUT") {
      event.preventDefault();
      return;
    }
    var diff = document.getElementById("diff");
    if (diff && diff.open) {
      if (event.key === "d") { event.preventDefault(); toggleDiff(); }
      else if (scrollKey(event)) event.preventDefault();
      return;
    }
    if (event.key === "Escape") {
      var help = document.getElementById("help");
      if (help && help.open) return;
      var guidelines = document.getElementById("guidelines");
      if (guidelines && !guidelines.hidden) { toggleGuidelines(); return; }
      var editing = openEditorEl();
      if (editing) { escapeEditor(editing); event.preventDefault(); return; }
      if (isTyping(target)) target.blur();
      return;
    }
    if (isTyping(target)) return;
    var key = event.key;
    var handled = true;
    var onAnswer = target.closest && (target.closest(".answer") === target || target === document.body);
    if (key === "?") toggleHelp();
    else if (key === "[") setFocus("left");
    else if (key === "]") setFocus("right");
    else if (key === "a") sendVerdict("left");
    else if (key === "b") sendVerdict("right");
    else if (key === "e") sendVerdict("tie");
    else if (key === "n") sendVerdict("not_a_pair");
    else if (key === "s" || key === "u" || key === "r") handled = sendAction(key);
    else if (key === "d") toggleDiff();
    else if (key === "g") toggleGuidelines();
    else if (key === "w") openEditor(focusedSide);
    else if (key === "c") { var c = pane().querySelector('input[name=comment]'); if (c) c.focus(); else handled = false; }
    else if (key === "f") { var f = pane().querySelector('input[name=flagged]'); if (f) f.checked = !f.checked; else handled = false; }
    else if (key === " " && !onAnswer) handled = false;
    else {
      var scrolled = scrollKey(event);
      handled = scrolled === null ? togglePattern(key) : scrolled;
    }
    if (handled) event.preventDefault();
  });

  function toggleDiff() {
    var diff = document.getElementById("diff");
    if (!diff) return;
    if (diff.open) {
      diff.close();
      return;
    }
    if (!diff.dataset.loaded && window.htmx) {
      diff.dataset.loaded = "1";
      window.htmx.ajax("GET", diff.dataset.src, { target: "#diff-body", swap: "outerHTML" });
    }
    diff.showModal();
    var body = document.getElementById("diff-body");
    if (body) body.focus({ preventScroll: true });
  }

  // The verdict form is never submitted natively: a mouse click on a verdict button goes through htmx too.
  document.addEventListener("submit", function (event) {
    if (!event.target || event.target.id !== "verdict-form") return;
    event.preventDefault();
    event.stopPropagation();
    var submitter = event.submitter;
    if (submitter && submitter.name === "verdict") sendVerdict(submitter.value, submitter.dataset.action === "save-gold");
  }, true);

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-action]");
    if (!el) return;
    var action = el.getAttribute("data-action");
    if (action === "help") toggleHelp();
    else if (action === "diff") toggleDiff();
    else if (action === "guidelines") toggleGuidelines();
    else if (action === "edit") { setFocus(el.getAttribute("data-side")); openEditor(el.getAttribute("data-side")); }
    else if (action === "cancel-edit") { closeEditors(); setFocus(focusedSide); }
    else if (action === "more") { el.closest(".clamp").classList.toggle("open"); }
  });

  // Closing the diff (d, Esc or its button) gives focus back to the answer that had it.
  document.addEventListener("close", function (event) {
    if (event.target && event.target.id === "diff") setFocus(focusedSide);
  }, true);

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches(".chip input[type=checkbox]")) box.closest(".chip").classList.toggle("on", box.checked);
  });

  document.addEventListener("focusin", function (event) {
    var answer = event.target.closest && event.target.closest(".answer");
    if (answer) {
      focusedSide = answer.getAttribute("data-side");
      document.querySelectorAll(".answer").forEach(function (a) { a.classList.toggle("focused", a === answer); });
    }
  });

  // Runs once per rendered pane: a diff or toast swap inside the page leaves focus where it is.
  function init() {
    var p = pane();
    if (!p || p.dataset.ready !== undefined) return;
    p.dataset.ready = "";
    renderedAt = performance.now();
    focusedSide = "left";
    window.scrollTo(0, 0);
    var draft = document.querySelector(".answer textarea[data-draft='1']");
    if (draft) {
      var side = draft.dataset.editor;
      setFocus(side);
      var editor = draft.closest(".editor");
      editor.hidden = false;
      draft.disabled = false;
      form().querySelector("input[name=edited_side]").value = side;
      editor.dataset.asked = "1";
      editor.querySelector(".editor-hint").textContent =
        "Your undone gold edit is back. Ctrl+Enter saves it and prefers this answer; Esc discards it.";
    } else if (document.getElementById("answer-left")) setFocus("left");
    // "more" only where the prompt or follow-up is actually cut off.
    p.querySelectorAll(".clamp").forEach(function (box) {
      var md = box.querySelector(".md");
      var more = box.querySelector(".more");
      if (md && more && md.scrollHeight <= md.clientHeight + 1) more.hidden = true;
    });
    var min = Number(p.dataset.minMs || 0);
    setTimeout(function () { if (pane() === p) p.dataset.ready = "keys"; }, min);
  }

  document.addEventListener("DOMContentLoaded", init);
  // Loads that only fill in part of the pane (the standalone panel after each pair, the diff's body) are
  // background: keys stay live while they run, and their end does not end a verdict's request.
  function background(detail) {
    var elt = detail && detail.elt, target = detail && detail.target;
    return Boolean((elt && elt.id === "standalone-panel" && elt.getAttribute("hx-trigger") === "load") ||
      (target && target.id === "diff-body"));
  }
  var foreground = null;  // the XMLHttpRequest of the request that holds the keys
  document.addEventListener("htmx:afterSettle", function (event) {
    var detail = event.detail || {};
    if (foreground && detail.xhr === foreground) { inFlight = false; foreground = null; }
    else if (!foreground && !background(detail)) inFlight = false;
    // The standalone panel loads after the pane and swaps itself: that must not take the focus (an open editor).
    var elt = event.target;
    if (elt && elt.closest && elt.closest("#standalone-panel")) return;
    init();
  });
  // The pane is marked busy while a request is in flight: dimmed, and closed to the mouse (app.css).
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (background(event.detail)) return;
    inFlight = true;
    foreground = event.detail ? event.detail.xhr : null;
    var p = pane(); if (p) p.classList.add("busy");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    if (background(detail) && detail.xhr !== foreground) return;
    var p = pane(); if (p) p.classList.remove("busy");
    if (detail.failed) { inFlight = false; foreground = null; }
  });
  document.addEventListener("htmx:sendError", function () { inFlight = false; foreground = null; });
})();

// Keys of the review screen's standalone panel (t: apply the transform, p: edit the gold prompt,
// y / i: accept / ignore the first suggestion). Its own listener, apart from the verdict keys above.
(function () {
  "use strict";

  function typing(el) {
    var tag = el && el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || (el && el.isContentEditable) ||
      (tag === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type));
  }

  function standaloneKey(key) {
    var panel = document.getElementById("standalone-panel");
    if (!panel) return false;
    if (key === "p") {
      var field = panel.querySelector('[data-standalone-field="p"]');
      if (field) { field.focus(); return true; }
      return false;
    }
    var button = panel.querySelector('[data-standalone-key="' + key + '"]');
    if (button && !button.disabled) { button.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (["t", "p", "y", "i"].includes(event.key) && standaloneKey(event.key)) event.preventDefault();
  });
})();

// Code blocks are highlighted here, in the browser (static/vendor/highlight-*.min.js): the server sends them
// escaped, with their language as a class, so showing a pair costs the server no highlighting (Pygments took
// about 5 ms for an answer with 70 lines of Python, on every pair shown).
(function () {
  "use strict";
  var MAX_CHARS = 50000;  // longer blocks stay plain: highlighting them would hold the page up

  // The fence's language, or, for a fence named by a file path ("```src/paginate.ts", as Continue writes
  // them), the language of the path's extension; null when highlight.js knows neither.
  function languageOf(code) {
    var match = /(?:^|\s)language-(\S+)/.exec(code.className);
    if (!match) return null;
    if (window.hljs.getLanguage(match[1])) return match[1];
    var extension = /\.([\w+#-]+)$/.exec(match[1]);
    return extension && window.hljs.getLanguage(extension[1]) ? extension[1] : null;
  }

  function highlightCode(root) {
    if (!window.hljs || !root || !root.querySelectorAll) return;
    root.querySelectorAll(".md pre code[class*='language-']:not([data-highlighted])").forEach(function (code) {
      var language = languageOf(code);
      if (!language || code.textContent.length > MAX_CHARS) {
        code.dataset.highlighted = "no";  // a language it does not know stays plain, without a console warning
        return;
      }
      code.className = "language-" + language;
      window.hljs.highlightElement(code);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // VBA (Excel macros) has no grammar of its own; Visual Basic's, in the common bundle, reads it.
    if (window.hljs && window.hljs.getLanguage("vbnet")) window.hljs.registerAliases(["vba"], { languageName: "vbnet" });
    // GLSL shaders (an agent session's fence) are C in their syntax; C's grammar, in the common bundle, reads them.
    if (window.hljs && window.hljs.getLanguage("c")) window.hljs.registerAliases(["glsl"], { languageName: "c" });
    // CUDA kernels (an SRE's session in the twenty-third batch) are C++ with a few keywords; C++'s grammar reads them.
    if (window.hljs && window.hljs.getLanguage("cpp")) window.hljs.registerAliases(["cuda"], { languageName: "cpp" });
    highlightCode(document.body);
  });
  document.addEventListener("htmx:afterSettle", function (event) { highlightCode(event.target); });
})();
