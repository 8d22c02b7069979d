// Post the platform's launch form at once; the button remains for browsers without script.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
