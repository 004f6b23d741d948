// Pairwise keyboard layer. No inline scripts (CSP); everything also works with the mouse.
(function () {
  "use strict";

  var focusedSide = "left";

  function pane() { return document.getElementById("review-pane"); }
  function form() { return document.getElementById("verdict-form"); }

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable ||
      (tag === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type));
  }

  function setFocus(side) {
    var answer = document.getElementById("answer-" + side);
    if (!answer) return;
    focusedSide = side;
    document.querySelectorAll(".answer").forEach(function (a) { a.classList.toggle("focused", a === answer); });
    answer.focus({ preventScroll: true });
  }

  function click(selector) {
    var el = pane() && pane().querySelector(selector);
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }

  function openEditor(side) {
    var answer = document.getElementById("answer-" + side);
    if (!answer || !form()) return;
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
      editor.hidden = true;
      editor.querySelector("textarea").disabled = true;
      editor.closest(".answer").classList.remove("editing");
    });
    var side = form() && form().querySelector("input[name=edited_side]");
    if (side) side.value = "";
  }

  function toggleHelp() {
    var help = document.getElementById("help");
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
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

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (event.key === "Escape") {
      var help = document.getElementById("help");
      if (help && help.open) return;
      closeEditors();
      if (isTyping(target)) target.blur();
      return;
    }
    if (isTyping(target)) return;
    if (!pane()) return;
    var key = event.key;
    var handled = true;
    if (key === "?") toggleHelp();
    else if (key === "[") setFocus("left");
    else if (key === "]") setFocus("right");
    else if (key === "a" || key === "b" || key === "e" || key === "n" || key === "s" || key === "u") {
      handled = click('[data-key="' + key + '"]');
    }
    else if (key === "d") toggleDiff();
    else if (key === "w") openEditor(focusedSide);
    else if (key === "c") { var c = pane().querySelector('input[name=comment]'); if (c) c.focus(); else handled = false; }
    else if (key === "f") { var f = pane().querySelector('input[name=flagged]'); if (f) f.checked = !f.checked; else handled = false; }
    else handled = togglePattern(key);
    if (handled) event.preventDefault();
  });

  function toggleDiff() {
    var diff = document.getElementById("diff");
    if (!diff) return;
    if (!diff.dataset.loaded && window.htmx) {
      diff.dataset.loaded = "1";
      window.htmx.ajax("GET", diff.dataset.src, { target: "#diff-body", swap: "outerHTML" });
    }
    diff.hidden = !diff.hidden;
    if (!diff.hidden) diff.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-action]");
    if (!el) return;
    var action = el.getAttribute("data-action");
    if (action === "help") toggleHelp();
    else if (action === "diff") toggleDiff();
    else if (action === "edit") { setFocus(el.getAttribute("data-side")); openEditor(el.getAttribute("data-side")); }
    else if (action === "cancel-edit") closeEditors();
  });

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

  function init() {
    focusedSide = "left";
    if (document.getElementById("answer-left")) setFocus("left");
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", function (event) {
    // The standalone panel loads after the pane and swaps itself: that must not take the focus (an open editor).
    var elt = event.target;
    if (elt && elt.closest && elt.closest("#standalone-panel")) return;
    init();
  });
  // The pane is marked busy while a request is in flight: dimmed, and closed to the mouse (app.css).
  document.addEventListener("htmx:beforeRequest", function () {
    var p = pane(); if (p) p.classList.add("busy");
  });
  document.addEventListener("htmx:afterRequest", function () {
    var p = pane(); if (p) p.classList.remove("busy");
  });
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
