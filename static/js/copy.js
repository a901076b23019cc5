// Progressive enhancement: a "Copy" button next to fields marked data-copy. Without JavaScript the field stays
// selectable and the written hint explains how to copy it.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-button]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-button"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!field || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied-text"); }
      }, function () {
        field.select();
      });
    });
  });
})();
