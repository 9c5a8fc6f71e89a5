// Building the page from job data without ever parsing that data as HTML: every text goes in
// through textContent (h's string children), so a job's message cannot become markup.

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

export function show(container, ...children) {
  container.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export function age(timestamp) {
  return duration((Date.now() - Date.parse(timestamp)) / 1000);
}

export function statusBadge(status) {
  return h("span", { class: `status status-${status}` }, status);
}

export function progressBar(job) {
  const fraction = job.progress.fraction;
  const percent = fraction === null ? null : Math.round(fraction * 1000) / 10;
  const label = percent === null ? "" : `${percent} %`;
  const eta = job.progress.eta_s ? ` · ETA ${duration(job.progress.eta_s)}` : "";
  return h(
    "div",
    { class: "progress", title: label },
    h("div", { class: "progress-fill", style: `width: ${percent ?? 0}%` }),
    h("span", { class: "progress-text" }, `${label}${eta}`),
  );
}

export function jobLink(id) {
  return h("a", { href: `#/jobs/${encodeURIComponent(id)}` }, id);
}

// Markdown from a report (text from user-provided manuals): parsed by marked, then sanitized.
export function markdown(text) {
  const container = h("div", { class: "markdown" });
  container.innerHTML = window.DOMPurify.sanitize(window.marked.parse(text));
  return container;
}
