// Narrow screens (agent workspace and portal): the Menu button opens and closes the collapsed
// navigation, and every table cell gets its column's name as data-label, which the stylesheet
// shows before the value when tables become cards. Pages work without this file.
(function () {
  "use strict";

  function labelTables(root) {
    root.querySelectorAll("table").forEach(function (table) {
      var head = table.querySelector("thead tr") || table.querySelector("tr");
      if (!head || !head.querySelector("th")) return;
      var names = Array.prototype.map.call(head.children, function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[i] || "");
        });
      });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".menu-toggle");
    if (!button) return;
    var header = button.closest("header");
    var open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("DOMContentLoaded", function () { labelTables(document); });
  document.addEventListener("htmx:afterSwap", function (event) { labelTables(event.target); });
})();
