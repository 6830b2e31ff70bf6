// The comments under an article: the article page (kept whole, the same for every reader) holds a
// slot with the address of the comment block; this fetches it with the reader's own session and
// puts it in place of the "Read and write comments" link, which stays for browsers without
// JavaScript. The block's forms are plain posts; return_to brings them back to the article page.
(function () {
  "use strict";
  var slot = document.querySelector("[data-comments-src]");
  if (!slot || !window.fetch || !window.DOMParser) {
    return;
  }
  fetch(slot.getAttribute("data-comments-src"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
    .then(function (response) {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.text();
    })
    .then(function (html) {
      var parsed = new DOMParser().parseFromString(html, "text/html");
      var block = parsed.querySelector("[data-comments-block]");
      if (!block) {
        return;
      }
      block.querySelectorAll("[data-return-to]").forEach(function (field) {
        field.value = "article";
      });
      slot.replaceChildren(document.adoptNode(block));
      if (location.hash.indexOf("#comment-") === 0) {
        var target = document.getElementById(location.hash.slice(1));
        if (target) {
          target.scrollIntoView();
        }
      }
    })
    .catch(function () {
      // The link to the comments page is still there.
    });
})();
