// Tells the tool that the learner left the assessment (closed the tab or went elsewhere in the
// course) without pressing "Leave": the page's leave form is sent with navigator.sendBeacon when
// the page goes away. Moving on inside the tool (its own links and forms) is not leaving, so
// nothing is sent then; a link that opens the whole window elsewhere (target) is.
(() => {
  const form = document.querySelector("form[data-leave]");
  if (!form || !navigator.sendBeacon) {
    return;
  }
  let staying = false;
  document.addEventListener("submit", () => {
    staying = true; // the next page is the tool's (or the Leave button already told it)
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    const plainClick =
      event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
    if (link && plainClick && link.origin === window.location.origin && !link.target) {
      staying = true;
    }
  });
  window.addEventListener("pageshow", () => {
    staying = false; // back on the page (e.g. from the browser's back-forward cache)
  });
  window.addEventListener("pagehide", () => {
    if (staying) {
      return;
    }
    const data = new FormData(form);
    data.set("via", "beacon");
    navigator.sendBeacon(form.action, data);
  });
})();
