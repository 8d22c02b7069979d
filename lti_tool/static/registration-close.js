// LTI Dynamic Registration 1.0: tell the platform that registration is complete.
// Moodle closes its registration dialog on this message and shows the new (pending) tool, so
// the message is sent when the person has read the page and chooses to go back.
(() => {
  const framed = window.parent !== window;
  const opened = Boolean(window.opener);
  document.querySelectorAll("[data-lti-close]").forEach((button) => {
    if (!framed && !opened) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", () => {
      const message = { subject: "org.imsglobal.lti.close" };
      if (opened) {
        window.opener.postMessage(message, "*");
      }
      if (framed) {
        window.parent.postMessage(message, "*");
      }
      if (opened && !framed) {
        window.close();
      }
    });
  });
})();
