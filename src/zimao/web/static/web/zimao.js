// zimao's page behaviour lives here (the content security policy allows no inline scripts).
// Every page works without it; it only adds confirmations, single submission, focus and reveals.
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

  // The error summary takes focus so a screen reader announces it (GOV.UK pattern); its links
  // move focus to the field they name.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      if (!link) return;
      const target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) { event.preventDefault(); target.scrollIntoView({ block: "center" }); target.focus(); }
    });
  }

  // Conditional fields: <div data-show-when="name=value"> is shown only while that radio is chosen.
  document.querySelectorAll("[data-show-when]").forEach((block) => {
    const [name, value] = block.dataset.showWhen.split("=");
    const form = block.closest("form") || document;
    const radios = form.querySelectorAll(`input[name="${name}"]`);
    const update = () => {
      const chosen = form.querySelector(`input[name="${name}"]:checked`);
      block.hidden = !(chosen && chosen.value === value) && !block.classList.contains("field-error");
    };
    radios.forEach((r) => r.addEventListener("change", () => { block.classList.remove("field-error"); update(); }));
    update();
  });

  // A filter select submits its form when changed.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form && select.form.submit());
  });
});
