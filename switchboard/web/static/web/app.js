// Switchboard agent workspace: keyboard shortcuts. Pages work without this file (and without
// htmx); it only adds shortcuts: "/" search, "g v" views, "j"/"k" move in lists, Enter opens,
// "r" reply.
(function () {
  "use strict";
  var pendingG = false;

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    var list = document.querySelector("[data-list]");
    if (!list) return [];
    return Array.prototype.slice.call(list.querySelectorAll("[data-href], li"));
  }

  function move(step) {
    var items = rows();
    if (!items.length) return;
    var current = items.findIndex(function (el) { return el.classList.contains("selected"); });
    var next = Math.max(0, Math.min(items.length - 1, current + step));
    if (current >= 0) items[current].classList.remove("selected");
    items[next].classList.add("selected");
    items[next].scrollIntoView({ block: "nearest" });
  }

  function open() {
    var selected = document.querySelector("[data-list] .selected");
    if (!selected) return false;
    var href = selected.getAttribute("data-href");
    var link = selected.querySelector("a[href]");
    window.location.href = href || (link && link.getAttribute("href"));
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "v") { window.location.href = "/"; event.preventDefault(); }
      return;
    }
    if (key === "/") {
      var search = document.getElementById("global-search");
      if (search) { search.focus(); search.select(); event.preventDefault(); }
    } else if (key === "g") {
      pendingG = true;
      window.setTimeout(function () { pendingG = false; }, 1200);
    } else if (key === "j") {
      move(1); event.preventDefault();
    } else if (key === "k") {
      move(-1); event.preventDefault();
    } else if (key === "Enter") {
      if (open()) event.preventDefault();
    } else if (key === "r") {
      var reply = document.getElementById("reply-body");
      if (reply) { reply.focus(); event.preventDefault(); }
    }
  });

  // A request answered by the sign-in page (the session ended): go there instead of swapping
  // the sign-in form into the middle of a page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var url = event.detail.xhr && event.detail.xhr.responseURL;
    if (url && new URL(url).pathname === "/login/") {
      event.detail.shouldSwap = false;
      window.location.href = url;
    }
  });

  // Tint the reply box while "Internal note" is chosen, so a note is never sent as a reply.
  document.addEventListener("change", function (event) {
    if (event.target && event.target.hasAttribute("data-select-all")) {
      var boxes = document.querySelectorAll('input[name="tickets"][form="' + event.target.getAttribute("form") + '"]');
      Array.prototype.forEach.call(boxes, function (box) { box.checked = event.target.checked; });
    }
    if (event.target && event.target.name === "visibility") {
      var form = event.target.closest("form");
      if (form) form.classList.toggle("internal-mode", event.target.value === "internal");
    }
  });
})();
