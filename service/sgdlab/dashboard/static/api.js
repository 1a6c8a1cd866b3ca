// sgdlab dashboard: the /v1 API from the browser (bearer key in localStorage, problem documents, job events).
"use strict";

const KEY_STORAGE = "sgdlab.apiKey";

const SgdlabApi = {
  key() { return localStorage.getItem(KEY_STORAGE) || ""; },
  setKey(k) { k ? localStorage.setItem(KEY_STORAGE, k) : localStorage.removeItem(KEY_STORAGE); },
  headers(extra) {
    const h = Object.assign({Accept: "application/json"}, extra || {});
    const k = this.key();
    if (k) h.Authorization = "Bearer " + k;
    return h;
  },
  onUnauthorized: null,

  // fetch JSON; a non-2xx answer throws {status, problem} with the RFC 9457 document when there is one
  async request(method, path, body, extraHeaders) {
    const init = {method, headers: this.headers(extraHeaders)};
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let data = null;
    const text = await res.text();
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = {detail: text}; }
    if (res.status === 401 && this.onUnauthorized) this.onUnauthorized();
    if (!res.ok) throw {status: res.status, problem: data || {title: res.statusText}};
    return {status: res.status, data, headers: res.headers};
  },
  get(path) { return this.request("GET", path); },
  post(path, body) { return this.request("POST", path, body); },

  // an <img> of an authenticated URL: plain src when the service is open, a blob URL when a key is needed
  async loadImage(img, url) {
    if (!this.key()) { img.src = url; return; }
    const res = await fetch(url, {headers: this.headers({Accept: "*/*"})});
    if (!res.ok) throw {status: res.status};
    img.src = URL.createObjectURL(await res.blob());
  },

  // job events: EventSource when open; with a key (EventSource cannot send headers) a streamed fetch parsed as SSE
  watchJob(id, onProgress, onStatus) {
    const url = "/v1/jobs/" + encodeURIComponent(id) + "/events";
    const parse = (e) => { try { return JSON.parse(e); } catch (x) { return {}; } };
    if (!this.key() && window.EventSource) {
      const es = new EventSource(url);
      let done = false;
      es.addEventListener("progress", (e) => onProgress(parse(e.data)));
      es.addEventListener("status", (e) => { done = true; es.close(); onStatus(parse(e.data)); });
      es.onerror = () => { if (!done) { es.close(); this.pollJob(id, onProgress, onStatus); } };
      return () => es.close();
    }
    const ctrl = new AbortController();
    (async () => {
      try {
        const res = await fetch(url, {headers: this.headers({Accept: "text/event-stream"}), signal: ctrl.signal});
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let buf = "";
        for (;;) {
          const {value, done} = await reader.read();
          if (done) break;
          buf += decoder.decode(value, {stream: true}).replace(/\r\n/g, "\n");
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
            let event = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) event = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).trim();
            }
            if (event === "progress") onProgress(parse(data));
            if (event === "status") { onStatus(parse(data)); ctrl.abort(); return; }
          }
        }
      } catch (e) {
        if (!ctrl.signal.aborted) this.pollJob(id, onProgress, onStatus);
      }
    })();
    return () => ctrl.abort();
  },

  // fallback: poll the status document once a second until the job is finished
  pollJob(id, onProgress, onStatus) {
    const tick = async () => {
      try {
        const {data} = await this.get("/v1/jobs/" + encodeURIComponent(id));
        if (isFinished(data.status)) { onStatus(data); return; }
        onProgress(data);
      } catch (e) { /* keep trying */ }
      setTimeout(tick, 1000);
    };
    tick();
  },
};

function isFinished(status) { return ["succeeded", "failed", "cancelled"].includes(status); }

// show a 422 problem's `errors` next to the inputs they name; the rest in the form's error list
function showProblem(form, err) {
  clearProblem(form);
  const problem = (err && err.problem) || {title: String(err)};
  const list = form.querySelector("#form-errors");
  const general = [];
  for (const e of problem.errors || []) {
    const field = String(e.field || "").replace(/^body\./, "");
    let slot = null;
    for (let f = field; f && !slot; f = parentField(f)) {
      slot = form.querySelector('[data-error-for="' + CSS.escape(f) + '"]');
    }
    if (slot) { slot.textContent = e.message; slot.closest("label") && slot.closest("label").classList.add("invalid"); }
    else general.push((field ? field + ": " : "") + e.message);
  }
  if (!(problem.errors || []).length) general.push((problem.title || "Error") + (problem.detail ? ": " + problem.detail : ""));
  if (general.length) {
    list.replaceChildren(...general.map((t) => Object.assign(document.createElement("li"), {textContent: t})));
    list.hidden = false;
  }
}

// "a.b[2]" -> "a.b" -> "a" -> "": the enclosing field of a problem's field path
function parentField(f) {
  if (/\[\d+\]$/.test(f)) return f.replace(/\[\d+\]$/, "");
  return f.includes(".") ? f.slice(0, f.lastIndexOf(".")) : "";
}

function clearProblem(form) {
  form.querySelectorAll(".field-error").forEach((el) => { el.textContent = ""; });
  form.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
  const list = form.querySelector("#form-errors");
  if (list) { list.replaceChildren(); list.hidden = true; }
}
