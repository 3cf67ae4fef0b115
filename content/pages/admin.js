// The console's pages: live preview while typing, submit and publish, broadcast and stop. Every call carries
// the page's CSRF token; text from the server is shown with textContent, never as HTML.
(function () {
  "use strict";
  const form = document.getElementById("editor") || document.getElementById("broadcast");
  if (!form) return;
  const csrf = form.dataset.csrf;
  function api(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body) });
  }
  function el(tag, text) { const n = document.createElement(tag); if (text !== undefined) n.textContent = text; return n; }

  if (form.id === "editor") {
    const template = form.dataset.template;
    const status = document.getElementById("editor-status");
    function spec() {
      return { variants: { fr: { title: document.getElementById("title").value,
        lines: Array.from(document.querySelectorAll(".line")).map(function (i) { return i.value; }) } } };
    }
    let timer = null;
    async function preview() {
      let params = {};
      try { params = JSON.parse(document.getElementById("params").value || "{}"); } catch (e) { /* keep {} */ }
      const response = await api("POST", "/api/v1/admin/preview", { template: spec().variants, params: params });
      const answer = await response.json();
      const box = document.getElementById("previews");
      box.replaceChildren();  // only once the new preview is here: the old one stays until then
      if (!response.ok) { box.appendChild(el("p", answer.error.message)); return; }
      Object.keys(answer.signs).sort().forEach(function (name) {
        const sign = answer.signs[name];
        const figure = el("figure");
        figure.dataset.sign = name;
        if (sign.fits) {
          const img = el("img"); img.src = sign.png; img.alt = sign.multi; figure.appendChild(img);
        } else {
          const warning = el("p", "Ne tient pas : " + sign.warning); warning.className = "error"; figure.appendChild(warning);
        }
        figure.appendChild(el("figcaption", name));
        box.appendChild(figure);
      });
      document.getElementById("push-preview").textContent = answer.push;
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(preview, 150); });
    document.getElementById("save").addEventListener("click", async function () {
      const draft = await api("POST", "/api/v1/admin/templates/" + template + "/versions", spec());
      const version = await draft.json();
      if (!draft.ok) { status.textContent = version.error.message; return; }
      const submitted = await api("POST", "/api/v1/admin/templates/" + template + "/versions/" + version.number + "/submit");
      status.textContent = submitted.ok ? "Version " + version.number + " soumise pour relecture." : "Refusé";
    });
    document.querySelectorAll("button.approve").forEach(function (button) {
      button.addEventListener("click", async function () {
        const response = await api("POST", "/api/v1/admin/templates/" + template + "/versions/" + button.dataset.number + "/approve");
        status.textContent = response.ok ? "Version " + button.dataset.number + " publiée." : (await response.json()).error.message;
      });
    });
    preview();
  } else {
    const status = document.getElementById("broadcast-status");
    const active = document.getElementById("active");
    document.getElementById("send").addEventListener("click", async function () {
      const hours = Number(document.getElementById("b-hours").value || 2);
      const body = { title: document.getElementById("b-title").value,
        lines: [document.getElementById("b-line1").value, document.getElementById("b-line2").value].filter(Boolean),
        targets: { zones: [document.getElementById("b-zone").value] },
        priority: Number(document.getElementById("b-priority").value || 60),
        ends_at: new Date(Date.now() + hours * 3600 * 1000).toISOString() };
      const response = await api("POST", "/api/v1/admin/broadcasts", body);
      const answer = await response.json();
      if (!response.ok) { status.textContent = answer.error.message; return; }
      status.textContent = "Diffusé.";
      const item = el("li", body.title + " ");
      const stop = el("button", "Arrêter maintenant"); stop.type = "button"; stop.className = "stop";
      stop.addEventListener("click", async function () {
        const stopped = await api("DELETE", "/api/v1/admin/broadcasts/" + encodeURIComponent(answer.id));
        if (stopped.ok) { item.remove(); status.textContent = "Arrêté partout."; }
      });
      item.appendChild(stop);
      active.appendChild(item);
    });
  }
})();
