// LTI Client Side postMessages: keep the login's secret in the platform's storage frame
// ("put", before going to the platform's login) or read it back ("get", at launch).
(function () {
  var box = document.getElementById("platform-storage");
  var target = box.dataset.target === "_parent"
    ? window.parent
    : (window.parent.frames[box.dataset.target] || window.parent);
  var origin = box.dataset.origin;
  var messageId = "kl-" + Math.random().toString(36).slice(2);
  var failed = function () { document.getElementById("storage-failed").hidden = false; };

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (event.origin !== origin || data.message_id !== messageId) { return; }
    if (data.error) { failed(); return; }
    if (box.dataset.mode === "put" && data.subject === "lti.put_data.response") {
      window.location.replace(box.dataset.authUrl);
    } else if (box.dataset.mode === "get" && data.subject === "lti.get_data.response") {
      var form = document.getElementById("storage-launch");
      form.elements.state_proof.value = data.value || "";
      form.submit();
    }
  });

  var message = { subject: "lti." + box.dataset.mode + "_data", message_id: messageId,
                  key: box.dataset.key };
  if (box.dataset.mode === "put") { message.value = box.dataset.value; }
  if (window.parent === window) { failed(); return; }
  target.postMessage(message, origin);
})();
