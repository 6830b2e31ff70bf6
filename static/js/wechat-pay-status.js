// The QR page, and the page WeChat's cashier sends phones back to (members/wechat_pages.py), ask
// whether WeChat Pay has confirmed the payment and go on by themselves once it has: soon after
// loading, whenever the reader comes back to the tab (from WeChat), every 5 seconds for two minutes,
// then every 15 until ten minutes have passed; the "I have paid" button stays for later. The server
// asks WeChat Pay at most once every few seconds per order, however many pages poll.
(function () {
  "use strict";
  var page = document.querySelector("[data-wechat-pay-status]");
  if (!page || !window.fetch) {
    return;
  }
  var url = page.getAttribute("data-wechat-pay-status");
  var started = Date.now();
  var timer = null;
  var asking = false;

  function schedule(wait) {
    var elapsed = Date.now() - started;
    window.clearTimeout(timer);
    if (elapsed < 10 * 60 * 1000) {
      timer = window.setTimeout(ask, wait || (elapsed < 2 * 60 * 1000 ? 5000 : 15000));
    }
  }

  function settled(answer) {
    asking = false;
    if (answer && answer.url) {
      window.location.assign(answer.url);
    } else {
      schedule();
    }
  }

  function ask() {
    if (asking) {
      return;
    }
    asking = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(settled, function () {
        settled(null);
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      ask();
    }
  });
  schedule(2000);
})();
