// Light or dark: the reader's system setting until they choose with the
// toggle, then their choice, kept in this browser. Loaded in <head> (before
// the page is drawn, so a chosen theme never flashes the other one first).
(function () {
  "use strict";
  var root = document.documentElement;
  try {
    var kept = window.localStorage.getItem("theme");
    if (kept === "light" || kept === "dark") root.setAttribute("data-theme", kept);
  } catch (error) { /* Storage refused (private mode): the system's setting. */ }

  function isDark() {
    var chosen = root.getAttribute("data-theme");
    if (chosen) return chosen === "dark";
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  document.addEventListener("DOMContentLoaded", function () {
    // A page saying a post was saved names the editor's copy of its text
    // (site/static/site/editor.js) that the save carried: it is not needed now.
    Array.prototype.forEach.call(document.querySelectorAll("[data-forget]"), function (message) {
      var parts = message.getAttribute("data-forget").split(":");
      try {
        var name = "qp:text:" + parts[0], kept = JSON.parse(window.localStorage.getItem(name) || "null");
        if (kept && kept.nonce === parts[1]) window.localStorage.removeItem(name);
      } catch (error) { /* Nothing kept. */ }
    });
    // Logging out takes this account's copies with it: the next person at this browser sees none of them.
    var logout = document.querySelector("form[data-logout-user]");
    if (logout) {
      logout.addEventListener("submit", function () {
        var prefix = "qp:text:" + logout.getAttribute("data-logout-user") + "/";
        try {
          for (var i = window.localStorage.length - 1; i >= 0; i--) {
            var name = window.localStorage.key(i);
            if (name && name.indexOf(prefix) === 0) window.localStorage.removeItem(name);
          }
        } catch (error) { /* Nothing kept. */ }
      });
    }
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    function show() { button.setAttribute("aria-pressed", isDark() ? "true" : "false"); }
    button.parentElement.hidden = false;
    show();
    button.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { window.localStorage.setItem("theme", next); } catch (error) { /* Kept for this page only. */ }
      show();
    });
  });
})();
