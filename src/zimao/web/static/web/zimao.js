// zimao's page behaviour lives here (the content security policy allows no inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  // Confirm buttons: <button data-confirm="...">
  document.body.addEventListener("click", (event) => {
    const el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) event.preventDefault();
  });
  // A form submits once: a second click while the first is on its way does nothing
  // (the server also refuses duplicates by idempotency key).
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
  });
});
