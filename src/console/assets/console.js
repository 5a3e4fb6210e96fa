// Firn console: the few things a page must do by itself. Confirmations, copying a share link,
// following a restore, and uploads (single PUT, or multipart with parts in parallel) through the
// console's S3 door at /api/s3, which runs them as the signed-in user.
"use strict";

// Forms that need a second thought.
document.addEventListener("submit", (e) => {
  const msg = e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) e.preventDefault();
});

// Copy buttons.
document.addEventListener("click", async (e) => {
  const id = e.target.getAttribute && e.target.getAttribute("data-copy");
  if (!id) return;
  const field = document.getElementById(id);
  const status = document.getElementById("copy-status");
  try {
    await navigator.clipboard.writeText(field.value);
    if (status) status.textContent = "Copied to the clipboard.";
  } catch (_) {
    field.select();
    if (status) status.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
});

// A restore in progress: ask for the state until the copy is ready, and show it without reloading.
(function followRestore() {
  const el = document.getElementById("archive-state");
  if (!el || el.dataset.state !== "restoring") return;
  const tick = async () => {
    try {
      const r = await fetch(el.dataset.poll, { credentials: "same-origin", cache: "no-store" });
      const s = await r.json();
      if (r.ok) {
        el.textContent = s.text;
        el.dataset.state = s.state;
        const dl = document.getElementById("download");
        if (dl) dl.hidden = !s.readable;
        if (s.state !== "restoring") return;
      }
    } catch (_) { /* the next tick tries again */ }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
})();

// ---- uploads ----
const SINGLE_LIMIT = 16 * 1024 * 1024;
const MIB = 1024 * 1024;
// 16 MiB parts, larger where S3's 10,000 parts would not hold the file.
const partSize = (size) => Math.max(16 * MIB, Math.ceil(size / 10000 / MIB) * MIB);
const PARALLEL = 6;

function s3Url(bucket, key, query) {
  const path = key.split("/").map(encodeURIComponent).join("/");
  return "/api/s3/" + encodeURIComponent(bucket) + "/" + path + (query ? "?" + query : "");
}

// What an S3 error says, as a sentence.
function explain(xhr) {
  const doc = xhr.responseXML || new DOMParser().parseFromString(xhr.responseText || "", "application/xml");
  const text = (n) => { const el = doc && doc.getElementsByTagName(n)[0]; return el ? el.textContent : ""; };
  return text("Explanation") || text("Message") || ("The server answered " + xhr.status + ".");
}

function send(method, url, csrf, body, onProgress, track) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("X-Firn-CSRF", csrf);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve(xhr) : reject(new Error(explain(xhr))));
    xhr.onerror = () => reject(new Error("The connection to the server failed."));
    xhr.onabort = () => reject(new Error("Cancelled."));
    if (track) track(xhr);
    xhr.send(body);
  });
}

class Upload {
  constructor(ui, file, key) {
    this.ui = ui; this.file = file; this.key = key; this.sent = 0; this.xhrs = new Set(); this.cancelled = false;
    const li = document.createElement("li");
    const name = document.createElement("span"); name.className = "name"; name.textContent = key;
    const cancel = document.createElement("button"); cancel.type = "button"; cancel.className = "small";
    cancel.textContent = "Cancel"; cancel.setAttribute("aria-label", "Cancel upload of " + key);
    cancel.addEventListener("click", () => this.cancel());
    const bar = document.createElement("progress"); bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", "Progress of " + key);
    const status = document.createElement("span"); status.className = "status"; status.setAttribute("role", "status");
    status.textContent = "Waiting…";
    li.append(name, cancel, bar, status);
    this.li = li; this.bar = bar; this.status = status; this.cancelButton = cancel;
    bar.dataset.seen = "";
    ui.list.append(li);
  }
  progress(sent) {
    this.sent = sent;
    const pct = this.file.size ? Math.floor((100 * sent) / this.file.size) : 100;
    if (String(pct) !== this.bar.value.toString()) {
      this.bar.value = pct;
      // The values the bar went through, for anyone checking it moved.
      this.bar.dataset.seen += pct + " ";
    }
    this.ui.overall();
  }
  track(xhr) { this.xhrs.add(xhr); xhr.addEventListener("loadend", () => this.xhrs.delete(xhr)); }
  async cancel() {
    this.cancelled = true;
    for (const x of this.xhrs) x.abort();
    if (this.uploadId) {
      try { await send("DELETE", s3Url(this.ui.bucket, this.key, "uploadId=" + encodeURIComponent(this.uploadId)), this.ui.csrf); } catch (_) {}
    }
  }
  async run() {
    this.status.textContent = "Uploading…";
    try {
      if (this.file.size <= SINGLE_LIMIT) {
        await send("PUT", s3Url(this.ui.bucket, this.key), this.ui.csrf, this.file, (n) => this.progress(n), (x) => this.track(x));
      } else {
        await this.multipart();
      }
      this.progress(this.file.size);
      this.li.classList.add("done");
      this.status.textContent = "Uploaded.";
      return true;
    } catch (err) {
      this.li.classList.add("failed");
      this.status.textContent = this.cancelled ? "Cancelled: nothing was stored." : "Failed: " + err.message;
      return false;
    } finally {
      this.cancelButton.hidden = true;
    }
  }
  async multipart() {
    const ui = this.ui;
    const created = await send("POST", s3Url(ui.bucket, this.key, "uploads"), ui.csrf, null, null, (x) => this.track(x));
    this.uploadId = created.responseXML.getElementsByTagName("UploadId")[0].textContent;
    const part = partSize(this.file.size);
    const count = Math.ceil(this.file.size / part);
    const etags = new Array(count);
    const inFlight = new Map();
    let next = 0;
    const worker = async () => {
      while (next < count && !this.cancelled) {
        const i = next++;
        const blob = this.file.slice(i * part, Math.min(this.file.size, (i + 1) * part));
        const q = "partNumber=" + (i + 1) + "&uploadId=" + encodeURIComponent(this.uploadId);
        const xhr = await send("PUT", s3Url(ui.bucket, this.key, q), ui.csrf, blob, (n) => {
          inFlight.set(i, n);
          this.progress(done + [...inFlight.values()].reduce((a, b) => a + b, 0));
        }, (x) => this.track(x));
        inFlight.delete(i);
        done += blob.size;
        etags[i] = xhr.getResponseHeader("ETag");
        this.progress(done + [...inFlight.values()].reduce((a, b) => a + b, 0));
      }
    };
    let done = 0;
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
      if (this.cancelled) throw new Error("Cancelled.");
      const xml = "<CompleteMultipartUpload>" +
        etags.map((e, i) => "<Part><PartNumber>" + (i + 1) + "</PartNumber><ETag>" + e + "</ETag></Part>").join("") +
        "</CompleteMultipartUpload>";
      const q = "uploadId=" + encodeURIComponent(this.uploadId);
      const completed = await send("POST", s3Url(ui.bucket, this.key, q), ui.csrf, xml, null, (x) => this.track(x));
      // A completion can fail after its 200: S3 then sends an Error document.
      if (completed.responseXML && completed.responseXML.getElementsByTagName("Error").length) throw new Error(explain(completed));
      this.uploadId = null;
    } catch (err) {
      this.cancelled = this.cancelled || err.message === "Cancelled.";
      for (const x of this.xhrs) x.abort();
      const id = this.uploadId;
      this.uploadId = null;
      if (id) { try { await send("DELETE", s3Url(ui.bucket, this.key, "uploadId=" + encodeURIComponent(id)), ui.csrf); } catch (_) {} }
      throw err;
    }
  }
}

(function uploads() {
  const section = document.getElementById("upload");
  if (!section) return;
  const ui = {
    bucket: section.dataset.bucket, prefix: section.dataset.prefix, csrf: section.dataset.csrf,
    list: document.getElementById("upload-list"), box: document.getElementById("uploads"),
    bar: document.getElementById("overall-progress"), text: document.getElementById("overall-text"), all: [],
    overall() {
      const total = this.all.reduce((a, u) => a + u.file.size, 0);
      const sent = this.all.reduce((a, u) => a + u.sent, 0);
      this.bar.value = total ? Math.floor((100 * sent) / total) : 100;
      this.text.textContent = this.all.filter((u) => u.li.classList.contains("done")).length + " of " + this.all.length + " files";
    },
  };
  let running = 0;
  const start = async (entries) => {
    if (!entries.length) return;
    ui.box.hidden = false;
    const batch = entries.map(([file, path]) => new Upload(ui, file, ui.prefix + path));
    ui.all.push(...batch);
    ui.overall();
    running++;
    // Files go a few at a time; a large file's parts go in parallel inside it.
    const queue = batch.slice();
    let ok = true;
    const lane = async () => { while (queue.length) { const u = queue.shift(); ok = (await u.run()) && ok; ui.overall(); } };
    await Promise.all([lane(), lane(), lane()]);
    running--;
    if (ok && running === 0) {
      const note = document.createElement("p");
      note.className = "flash done"; note.setAttribute("role", "status");
      note.textContent = "All uploads finished. ";
      const link = document.createElement("a"); link.href = window.location.href; link.textContent = "Refresh the list";
      note.append(link);
      ui.box.append(note);
      setTimeout(() => window.location.reload(), 1500);
    }
  };
  document.getElementById("pick-files").addEventListener("change", (e) => {
    start([...e.target.files].map((f) => [f, f.name])); e.target.value = "";
  });
  document.getElementById("pick-folder").addEventListener("change", (e) => {
    start([...e.target.files].map((f) => [f, f.webkitRelativePath || f.name])); e.target.value = "";
  });
  const zone = document.getElementById("dropzone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (e) => {
    e.preventDefault(); zone.classList.remove("over");
    const found = [];
    const walk = (entry, path) => new Promise((resolve) => {
      if (entry.isFile) { entry.file((f) => { found.push([f, path + f.name]); resolve(); }, () => resolve()); return; }
      const reader = entry.createReader();
      const all = [];
      const more = () => reader.readEntries(async (batch) => {
        if (!batch.length) { for (const c of all) await walk(c, path + entry.name + "/"); resolve(); return; }
        all.push(...batch); more();
      }, () => resolve());
      more();
    });
    const items = [...e.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (items.length) { for (const it of items) await walk(it, ""); } else { for (const f of e.dataTransfer.files) found.push([f, f.name]); }
    start(found);
  });
})();
