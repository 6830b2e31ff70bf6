// WeChat Pay inside WeChat's browser (members/wechat_pages.py): the button hands WeChat's built-in
// WeixinJSBridge the signed parameters from the page's JSON block, and WeChat opens its payment
// sheet over the page. "ok" only means WeChat took the payment, so the page then posts its "I have
// paid" form and the server asks WeChat Pay before anything opens. A cancel or a failure says so
// and keeps the button.
(function () {
  "use strict";
  var button = document.getElementById("wechat-pay-button");
  var data = document.getElementById("wechat-pay-request");
  var check = document.getElementById("wechat-pay-check");
  var message = document.getElementById("wechat-pay-message");
  if (!button || !data || !check || !message) {
    return;
  }
  var request = JSON.parse(data.textContent);

  function say(name) {
    message.textContent = button.getAttribute(name);
    message.hidden = false;
  }

  function pay() {
    button.disabled = true;
    window.WeixinJSBridge.invoke("getBrandWCPayRequest", request, function (result) {
      var outcome = result && result.err_msg;
      if (outcome === "get_brand_wcpay_request:ok") {
        say("data-paid");
        check.submit();
        return;
      }
      button.disabled = false;
      say(outcome === "get_brand_wcpay_request:cancel" ? "data-cancelled" : "data-failed");
    });
  }

  button.addEventListener("click", function () {
    if (window.WeixinJSBridge) {
      pay();
    } else if (/MicroMessenger/i.test(navigator.userAgent)) {
      // WeChat injects the bridge a moment after the page loads and says so with this event.
      document.addEventListener("WeixinJSBridgeReady", pay, { once: true });
    } else {
      say("data-outside");
    }
  });
})();
