// Keeps a kiosk current over /ws: subscribes to its panel topic, resumes with offset and epoch after a
// reconnect, turns pages at the profile's page time, and says so when the connection is lost.
(function () {
  "use strict";
  const root = document.getElementById("kiosk");
  const panel = root.dataset.panel;
  const topic = "panel/" + panel;
  let content = JSON.parse(document.getElementById("initial").textContent);
  let position = null; // {offset, epoch} of the last update shown
  let pageIndex = 0;
  let attempts = 0;
  const status = document.getElementById("status");
  const WORDS = {
    fr: { live: "en direct", offline: "hors ligne, reconnexion…", updated: "mis à jour " },
    en: { live: "live", offline: "offline, reconnecting…", updated: "updated " },
    nl: { live: "live", offline: "offline, opnieuw verbinden…", updated: "bijgewerkt " },
    de: { live: "live", offline: "offline, neue Verbindung…", updated: "aktualisiert " },
  };
  const texts = WORDS[(content.language || "").slice(0, 2)] || WORDS.en;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text; // textContent: content is never parsed as HTML
    return node;
  }

  // Times on the city's clocks, 24-hour in every language: "mis à jour 09:41", never a raw UTC timestamp.
  function clock(date) {
    return date.toLocaleTimeString(content.language, {
      timeZone: root.dataset.timezone || undefined, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }
  function updatedText(iso) {
    return iso ? texts.updated + clock(new Date(iso)) : "";
  }
  function tick() {
    document.getElementById("clock").textContent = clock(new Date());
    setTimeout(tick, 60000 - Date.now() % 60000 + 50);
  }

  function render() {
    const pages = document.getElementById("pages");
    pages.replaceChildren();
    content.pages.forEach(function (page, i) {
      const section = el("section", "page lane-" + page.lane + (page.severity ? " sev-" + page.severity : "")
        + (i === pageIndex ? " current" : ""));
      section.dataset.message = page.message;
      const heading = el("div", "heading");
      if (page.pictogram) {
        const picture = el("img", "pictogram");
        picture.src = "/pictograms/" + encodeURIComponent(page.pictogram) + ".svg"; picture.alt = "";
        heading.appendChild(picture);
      }
      const words = el("div");
      if (page.severity) {
        words.appendChild(el("p", "severity", page.severity_label || page.severity.toUpperCase()));
      }
      words.appendChild(el("h1", "", page.title));
      heading.appendChild(words);
      section.appendChild(heading);
      page.lines.forEach(function (line) { section.appendChild(el("p", "line", line)); });
      pages.appendChild(section);
    });
    document.getElementById("updated").textContent = updatedText(content.updated_at);
  }

  function turnPage() {
    const sections = document.querySelectorAll("#pages .page");
    if (sections.length > 1) {
      sections[pageIndex % sections.length].classList.remove("current");
      pageIndex = (pageIndex + 1) % sections.length;
      sections[pageIndex].classList.add("current");
    }
    setTimeout(turnPage, (content.page_time_s || 8) * 1000);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws");
    ws.onopen = function () {
      const request = { type: "subscribe", topics: [topic] };
      if (position) request.since = { [topic]: position };
      ws.send(JSON.stringify(request));
    };
    ws.onmessage = function (event) {
      const frame = JSON.parse(event.data);
      if (frame.type === "subscribed") {  // accepted, not merely opened: a busy server closes right after
        attempts = 0;
        status.textContent = texts.live;
        status.classList.remove("offline");
      }
      if (frame.type === "update" && frame.topic === topic) {
        position = { offset: frame.offset, epoch: frame.epoch };
        content = frame.data;
        pageIndex = 0;
        render();
      }
    };
    ws.onclose = function (event) {
      status.textContent = texts.offline;
      status.classList.add("offline");
      setTimeout(connect, window.reconnectDelay(attempts++, event.code));
    };
  }

  render();
  tick();
  setTimeout(turnPage, (content.page_time_s || 8) * 1000);
  connect();
})();
