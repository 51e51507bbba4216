// Portal enhancements; every page works without this file.
// Warn before upload when a chosen file is a .doc/.docx/.pdf (the server warns again after).
(function () {
  "use strict";
  function check(input) {
    var box = input.parentNode.querySelector(".file-warning");
    if (!box) return;
    var exts = (box.dataset.extensions || ".doc .docx .pdf").split(" ");
    var flagged = Array.prototype.filter.call(input.files || [], function (f) {
      var name = f.name.toLowerCase();
      return exts.some(function (ext) { return name.endsWith(ext); });
    }).map(function (f) { return f.name; });
    if (flagged.length) {
      box.textContent = flagged.join(", ") + ": " + (box.dataset.warning ||
        "We prefer plain-text logs and screenshots to .doc and .pdf files.");
      box.classList.add("notice", "warn");
      box.hidden = false;
    } else {
      box.textContent = "";
      box.hidden = true;
    }
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=file]")) check(event.target);
  });
})();
