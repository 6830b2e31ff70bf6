// Copy buttons for read-only fields (the private feed address on "My columns"): a button with
// data-copy-field="<input id>" is shown only where the clipboard can be written.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("[data-copy-field]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-field"));
    if (!field) {
      return;
    }
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute("data-copied-label") || label;
        window.setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        field.select();
      });
    });
  });
})();
