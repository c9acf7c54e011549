// The lesson book's page: one recorded training step (JSON in #book-data), walked op by op.
// Plain JavaScript, no libraries, no requests: everything the page shows is in the page.
"use strict";
(async function () {
  const data = JSON.parse(document.getElementById("book-data").textContent);
  const events = data.events;
  const packed = await unpack(data.packed, data.packedBytes);
  const $ = (id) => document.getElementById(id);
  let cursor = -1;
  let selected = { output: 0, index: 0 };   // the explained element of the current op's outputs
  const stepTimes = [];
  const decoded = new Map();
  window.book = { data, stepTimes, go: (i) => go(i), get cursor() { return cursor; },
                  get decoded() { return decoded.size === data.buffers.length; },
                  explain: (i, k, flat) => explainer.explain(i, k, flat),
                  explainCommand: (i, k, flat) => explainer.command(i, k, flat),
                  explainCell: (k, flat) => explain(cursor, k, flat),
                  values: (i) => buffer(i) };

  // ---- values: float32 buffers from the packed stream or the rule that makes them ----
  // BufferTable.packedText: base 85 of deflated byte planes (every value's first byte, then every
  // second byte, …), inflated by the browser's DecompressionStream.
  async function unpack(text, length) {
    const stream = new Blob([base85(text, length)]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
    const planes = new Uint8Array(await new Response(stream).arrayBuffer());
    const n = planes.length / 4, bytes = new Uint8Array(planes.length);
    for (let k = 0; k < 4; k++) { const plane = planes.subarray(k * n, (k + 1) * n); for (let i = 0; i < n; i++) bytes[4 * i + k] = plane[i]; }
    return new Float32Array(bytes.buffer);
  }
  // BufferTable.base85: 5 digits → 4 bytes, big-endian; `length` bytes are real, the rest padding.
  function base85(text, length) {
    const digitValue = new Int8Array(128).fill(-1);
    [..."0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?()[]{}@%$#|~_"].forEach((c, i) => { digitValue[c.charCodeAt(0)] = i; });
    const bytes = new Uint8Array(text.length / 5 * 4);
    for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
      let word = 0;
      for (let k = 0; k < 5; k++) word = word * 85 + digitValue[text.charCodeAt(i + k)];
      bytes[o] = word >>> 24; bytes[o + 1] = (word >>> 16) & 255; bytes[o + 2] = (word >>> 8) & 255; bytes[o + 3] = word & 255;
    }
    return bytes.subarray(0, length);
  }
  function bytesOf(text) {
    const bin = atob(text);
    const bytes = new Uint8Array(bin.length);
    for (let k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    return bytes.buffer;
  }
  function buffer(i) {
    if (i === null || i === undefined) return null;
    if (!decoded.has(i)) {
      const entry = data.buffers[i];
      decoded.set(i, Array.isArray(entry) ? packed.subarray(entry[0], entry[0] + entry[1]) : derive(entry));
    }
    return decoded.get(i);
  }
  // BufferTable's rules (Sources/Book/BufferTable.swift) with the same float32 arithmetic, then
  // the fixes where the trace's value differs from the rule's.
  function derive(d) {
    const f = Math.fround;
    const out = new Float32Array(d.count);
    const src = d.from.map(buffer);
    if (d.rule === "weightGradient") {
      const [g, x] = src, [rows, n, k] = d.dims;
      for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) {
        let acc = 0;
        if (d.mode === "fma") for (let i = 0; i < rows; i++) acc = f(acc + g[i * n + j] * x[i * k + kk]);
        else if (d.mode === "float") for (let i = 0; i < rows; i++) acc = f(acc + f(g[i * n + j] * x[i * k + kk]));
        else { for (let i = 0; i < rows; i++) acc += g[i * n + j] * x[i * k + kk]; acc = f(acc); }
        out[j * k + kk] = acc;
      }
    } else if (d.rule === "scatterAdd") {
      const [g, indices] = src, [width] = d.dims;
      indices.forEach((c, r) => { for (let col = 0; col < width; col++) out[c * width + col] = out[c * width + col] + g[r * width + col]; });
    } else if (d.rule === "sum") {
      out.set(src[0]);
      for (const part of src.slice(1)) for (let i = 0; i < out.length; i++) out[i] = out[i] + part[i];
    } else if (d.rule === "adam") {
      const [p, g, m, v] = src;
      const [stepSize, bc2Sqrt, w1, w2, beta2, eps, wd] = new Float32Array(new Uint32Array(d.constants).buffer);
      for (let i = 0; i < out.length; i++) {
        const gi = wd === 0 ? g[i] : f(g[i] + f(wd * p[i]));
        const m1 = f(m[i] + f(w1 * f(gi - m[i])));
        const v1 = f(f(v[i] * beta2) + f(f(w2 * gi) * gi));
        const denom = f(f(f(Math.sqrt(v1)) / bc2Sqrt) + eps);
        out[i] = d.mode === "m" ? m1 : d.mode === "v" ? v1 : f(p[i] - f(stepSize * f(m1 / denom)));
      }
    }
    if (d.fixes) {
      const fixes = new Uint32Array(bytesOf(d.fixes)), words = new Uint32Array(out.buffer);
      for (let k = 0; k < fixes.length; k += 2) words[fixes[k]] = fixes[k + 1];
    }
    return out;
  }
  const explainer = makeExplainer(events, buffer);
  // The shortest decimal that reads back as the same float32 (what Swift prints for a Float).
  function f32(v) {
    if (!Number.isFinite(v)) return String(v);
    for (let p = 1; p <= 9; p++) {
      const s = v.toPrecision(p);
      if (Math.fround(parseFloat(s)) === v) return String(parseFloat(s));
    }
    return String(v);
  }
  function short(v) {
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return (a !== 0 && (a < 1e-3 || a >= 1e4)) ? v.toExponential(2) : String(parseFloat(v.toPrecision(3)));
  }
  const product = (s) => s.reduce((a, b) => a * b, 1);
  function position(flat, shape) {
    const pos = new Array(shape.length).fill(0);
    for (let a = shape.length - 1; a >= 0; a--) { pos[a] = flat % shape[a]; flat = Math.floor(flat / shape[a]); }
    return pos;
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- colour: blue below 0, white at 0, red above, scaled by the largest |value| ----
  function colour(v, m) {
    if (!Number.isFinite(v)) return [255, 0, 255];
    const t = m > 0 ? Math.max(-1, Math.min(1, v / m)) : 0;
    const k = Math.sqrt(Math.abs(t));   // a square root keeps small values visible
    return t >= 0 ? [255, Math.round(255 - 200 * k), Math.round(255 - 215 * k)]
                  : [Math.round(255 - 215 * k), Math.round(255 - 150 * k), 255];
  }

  // The colour scale in 2 × 1024 steps as RGBA words: a big heatmap costs one lookup per cell.
  const paletteSteps = 1024;
  const word = ([R, G, B]) => (255 << 24 | B << 16 | G << 8 | R) >>> 0;
  const palette = Uint32Array.from({ length: 2 * paletteSteps + 1 }, (_, j) => word(colour(j - paletteSteps, paletteSteps)));
  const notFinite = word(colour(NaN, 1));

  // ---- the intro and the static panels ----
  function intro() {
    const box = $("intro");
    for (const [k, text] of data.lesson.intro.entries()) box.appendChild(el("p", k === 0 ? "dim" : "", text));
    const c = el("p", "dim");
    c.append("The same step in a terminal: ", el("code", "", data.lesson.command),
             ` — ${data.lesson.counts.forward} forward, ${data.lesson.counts.backward} backward, ${data.lesson.counts.update} update ops. Keys: ←/→, Home/End, p (next phase), / (search).`);
    box.appendChild(c);
  }

  function timeline() {
    const bar = $("timeline");
    events.forEach((e, i) => {
      const t = el("div", "tick " + e.phase);
      t.title = `${i + 1}. ${e.phase} ${e.op} ${e.label}`;
      t.dataset.index = i;
      bar.appendChild(t);
    });
    bar.addEventListener("click", (ev) => { if (ev.target.dataset.index) go(Number(ev.target.dataset.index)); });
    const labels = $("labels");
    for (const l of [...new Set(events.map((e) => e.label))]) { const o = el("option"); o.value = l; labels.appendChild(o); }
  }

  function code() {
    if (!data.code) { $("code-panel").hidden = true; return; }
    $("code-file").textContent = "(" + data.code.file + ", from the lesson notes)";
    const pre = $("code");
    data.code.lines.forEach((line, i) => {
      const row = el("div", "line");
      row.dataset.line = i;
      row.appendChild(el("span", "no", String(i + 1)));
      row.appendChild(document.createTextNode(line));
      pre.appendChild(row);
    });
  }

  // Graph boxes and arrows by seq, for cheap class changes at every step.
  const graphNodes = new Map(), graphEdges = [];
  function graph() {
    for (const g of document.querySelectorAll('#graph g[data-name^="op:"]')) graphNodes.set(Number(g.dataset.name.slice(3)), g);
    for (const g of document.querySelectorAll('#graph g[data-name^="edge:"]')) {
      const [from, to] = g.dataset.name.slice(5).split("-").map(Number);
      graphEdges.push({ g, from, to });
    }
    $("graph").addEventListener("click", (ev) => {
      const g = ev.target.closest('g[data-name^="op:"]');
      if (!g) return;
      const seq = Number(g.dataset.name.slice(3));
      const i = events.findIndex((e) => e.seq === seq);
      if (i >= 0) go(i);
    });
    // Zoom by the SVG's own size, so boxes stay sharp and scrolling stays exact.
    const svg = document.querySelector("#graph svg");
    const natural = [svg.width.baseVal.value, svg.height.baseVal.value];
    const zoom = () => {
      const z = Number($("graph-zoom").value) / 100;
      svg.setAttribute("width", natural[0] * z); svg.setAttribute("height", natural[1] * z);
    };
    $("graph-zoom").addEventListener("input", () => { zoom(); if (cursor >= 0) updateGraph(events[cursor]); });
    zoom();
    if (data.lesson.model === "LinearSGD") $("arch-panel").hidden = true;
    // A wide (unrolled) diagram gets the column's full width; a tall one sits beside the code.
    const wide = [...document.querySelectorAll("#arch svg")].some((svg) => svg.viewBox.baseVal.width > svg.viewBox.baseVal.height * 1.5);
    $("main").classList.toggle("arch-wide", wide);
    $("arch-panel").addEventListener("click", () => $("arch-panel").classList.toggle("zoom"));
  }

  // ---- heatmaps ----
  // A tensor as rows × columns: the last dimension across, everything before it down.
  function grid(shape, stored) {
    const cols = shape.length ? shape[shape.length - 1] : 1;
    return { cols, rows: Math.max(1, Math.ceil(stored / cols)) };
  }

  const tip = $("tooltip");
  function showTip(ev, text, value) {
    tip.hidden = false;
    tip.textContent = text;
    tip.dataset.value = value;
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + "px";
    tip.style.top = (ev.clientY + 14) + "px";
  }
  function hideTip() { tip.hidden = true; }

  function classLabel(t, pos) {
    const vocab = data.lesson.vocabulary;
    if (!vocab || !t.shape.length || t.shape[t.shape.length - 1] !== vocab.length) return "";
    return "  class " + JSON.stringify(vocab[pos[pos.length - 1]]);
  }

  // values: Float32Array (every value); opts: {role, explainFor: {event, output}, compare}
  function heatmap(t, values, opts) {
    const box = el("div", "tensor");
    const head = el("div");
    head.appendChild(el("span", "role", opts.role));
    head.appendChild(el("span", "name", t.label + " [" + t.shape.join(", ") + "]"));
    box.appendChild(head);
    box.appendChild(el("div", "stats", t.stats));
    if (!values) { box.appendChild(el("div", "note", t.data === null || t.data === undefined ? "(the trace kept statistics only)" : "(statistics here; explain above shows its value for any element)")); return box; }
    const { rows, cols } = grid(t.shape, values.length);
    let m = 0;
    for (const v of values) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
    const maxW = 520, maxH = 170, maxRows = 200;
    const cw = Math.max(1, Math.min(28, Math.floor(maxW / cols)));
    // A tall tensor (an embedding table of 9,000 rows) shows a window of its rows at a time,
    // with a slider to move it: every element stays reachable, a step stays cheap.
    const shown = Math.min(rows, maxRows);
    const ch = Math.max(1, Math.min(18, Math.floor(maxH / shown)));
    const canvas = el("canvas");
    canvas.width = cols * cw; canvas.height = shown * ch;
    canvas.dataset.label = t.label;
    canvas.dataset.shownRows = shown;
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(canvas.width, canvas.height);
    const pixels = new Uint32Array(img.data.buffer);   // one write per pixel (RGBA, little-endian)
    const scale = m > 0 ? paletteSteps / m : 0;
    let first = 0, marked = -1;
    const draw = () => {
      for (let r = 0; r < shown; r++) for (let c = 0; c < cols; c++) {
        const k = (first + r) * cols + c;
        const v = k < values.length ? values[k] : 0;
        const word = Number.isFinite(v) ? palette[paletteSteps + Math.round(Math.max(-paletteSteps, Math.min(paletteSteps, v * scale)))] : notFinite;
        if (cw === 1 && ch === 1) { pixels[r * canvas.width + c] = word; continue; }
        for (let y = r * ch; y < (r + 1) * ch; y++) pixels.fill(word, y * canvas.width + c * cw, y * canvas.width + (c + 1) * cw);
      }
      ctx.putImageData(img, 0, 0);
      // The explained cell gets a dark frame.
      const r = Math.floor(marked / cols) - first, c = marked % cols;
      if (marked < 0 || r < 0 || r >= shown) return;
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
      const w = Math.max(cw, 4), h = Math.max(ch, 4);
      ctx.strokeRect(Math.min(c * cw, canvas.width - w) + 1, Math.min(r * ch, canvas.height - h) + 1, w - 2, h - 2);
    };
    let slider = null;
    // Move the window so that row `r` is in it (the test and the slider use this).
    canvas.showRow = (r) => {
      const start = Math.max(0, Math.min(rows - shown, r < first || r >= first + shown ? r - Math.floor(shown / 2) : first));
      if (start !== first) { first = start; canvas.dataset.firstRow = first; if (slider) { slider.value = first; slider.update(); } draw(); }
    };
    canvas.dataset.firstRow = 0;
    draw();
    if (opts.explainFor) {
      canvas.dataset.output = opts.explainFor.output;
      canvas.mark = (k) => { if (k === marked) return; marked = k; if (k >= 0) canvas.showRow(Math.floor(k / cols)); draw(); };
    }
    const cellAt = (ev) => {
      // offsetX/Y are inside the border, where the cells are; the far edge belongs to the last cell.
      const c = Math.min(cols - 1, Math.floor(ev.offsetX * cols / canvas.clientWidth));
      const r = first + Math.min(shown - 1, Math.floor(ev.offsetY * shown / canvas.clientHeight));
      const k = r * cols + c;
      return (c >= 0 && c < cols && r >= 0 && k < values.length) ? k : -1;
    };
    if (shown < rows) {
      const bar = el("div", "rows");
      slider = el("input");
      Object.assign(slider, { type: "range", min: 0, max: rows - shown, value: 0, step: 1 });
      slider.setAttribute("aria-label", "first row shown");
      const label = el("span", "dim");
      slider.update = () => { label.textContent = ` rows ${first}–${first + shown - 1} of ${rows}`; };
      slider.addEventListener("input", () => { first = Number(slider.value); canvas.dataset.firstRow = first; slider.update(); draw(); });
      slider.update();
      bar.append(slider, label);
      box.appendChild(bar);
    }
    canvas.addEventListener("mousemove", (ev) => {
      const k = cellAt(ev);
      if (k < 0) { hideTip(); return; }
      const pos = position(k, t.shape);
      let text = `${t.label}[${pos.join(",")}] = ${f32(values[k])}   (flat ${k})${classLabel(t, pos)}`;
      if (opts.compare) text += opts.compare(k);
      showTip(ev, text, f32(values[k]));
    });
    canvas.addEventListener("mouseleave", hideTip);
    canvas.addEventListener("click", (ev) => {
      const k = cellAt(ev);
      if (k < 0 || !opts.explainFor) return;
      explain(opts.explainFor.event, opts.explainFor.output, k);
    });
    const row = el("div", "heat");
    row.appendChild(canvas);
    const legend = el("div", "legend");
    legend.appendChild(el("span", "", "+" + short(m)));
    const bar = el("div", "bar");
    bar.style.background = `linear-gradient(to bottom, rgb(${colour(m, m)}), #fff, rgb(${colour(-m, m)}))`;
    legend.appendChild(bar);
    legend.appendChild(el("span", "", "−" + short(m)));
    row.appendChild(legend);
    box.appendChild(row);
    return box;
  }

  // Explain output `output`'s element `index` of op `eventIndex`, computed from the page's values.
  function explain(eventIndex, output, index) {
    selected = { output, index };
    const e = events[eventIndex], t = e.outputs[output];
    const pos = position(index, t.shape);
    $("explain-where").textContent = `${e.phase === "backward" ? "grad_in(" + t.label + ")" : t.label}[${pos.join(",")}]`;
    $("explain").textContent = explainer.explain(eventIndex, output, index);
    const command = explainer.command(eventIndex, output, index);
    $("explain-command").textContent = command
      ? `the same text in a terminal: ${data.lesson.command}, then g ${eventIndex + 1} and ${command}`
      : `(step's explain names only this op's first output and outputs with a label of their own)`;
    for (const c of document.querySelectorAll("#tensors canvas")) if (c.mark) c.mark(Number(c.dataset.output) === output ? index : -1);
  }

  // ---- one op ----
  function renderOp(i) {
    const e = events[i];
    const header = $("op-header");
    header.textContent = "";
    header.append(`[${i + 1}/${events.length}] `, el("span", "phase " + e.phase, e.phase), ` ${e.op}${e.attributes ? "(" + e.attributes + ")" : ""}  ${e.label}`);
    if (e.expression) header.append(el("span", "dim", " = " + e.expression));
    $("op-rule").textContent = e.rule ? "rule: " + e.rule : "";
    const beats = $("beats");
    beats.textContent = "";
    for (const b of e.beats) beats.appendChild(el("div", "beat", b));

    const box = $("tensors");
    box.textContent = "";
    if (e.phase === "forward") {
      e.inputs.forEach((t) => box.appendChild(heatmap(t, buffer(t.data), { role: "input" })));
      e.outputs.forEach((t, k) => box.appendChild(heatmap(t, buffer(t.data), { role: "output", explainFor: { event: i, output: k }, compare: trainedCompare(i, k) })));
      const tr = data.views.trained;
      if (tr && tr.outputs[i]) tr.outputs[i].forEach((t) => box.appendChild(heatmap({ ...t, label: t.label + " (trained)" }, buffer(t.data), { role: "output with the trained weights" })));
      trainedDistribution(i, box);
    } else if (e.phase === "backward") {
      e.inputs.forEach((t) => box.appendChild(heatmap({ ...t, label: "grad(" + t.label + ")" }, buffer(t.data), { role: "gradient in" })));
      e.outputs.forEach((t, k) => {
        const c = e.contrib.find((x) => x.name === t.label);
        box.appendChild(heatmap({ ...t, label: "grad_in(" + t.label + ")" }, buffer(t.data),
          { role: "gradient out", explainFor: { event: i, output: k }, compare: c ? contribCompare(c) : null }));
      });
    } else {
      const grad = e.inputs[0], after = e.outputs[0], before = e.before;
      if (grad) box.appendChild(heatmap(grad, buffer(grad.data), { role: "gradient" }));
      if (before) box.appendChild(heatmap(before, buffer(before.data), { role: "before" }));
      if (after) box.appendChild(heatmap({ ...after, label: after.label + " after" }, buffer(after.data), { role: "after", explainFor: { event: i, output: 0 } }));
      if (before && after) {
        const a = buffer(after.data), b = buffer(before.data);
        if (a && b) {
          const n = Math.min(a.length, b.length);
          const change = new Float32Array(n);
          let sum2 = 0, big = 0;
          for (let k = 0; k < n; k++) { change[k] = Math.fround(a[k] - b[k]); sum2 += change[k] * change[k]; big = Math.max(big, Math.abs(change[k])); }
          box.appendChild(heatmap({ label: after.label + " change", shape: after.shape, stats: `after − before: largest |change| ${short(big)}, ‖·‖ ${short(Math.sqrt(sum2))} (of the values shown)` },
            change, { role: "change" }));
        }
      }
      // The optimizer's own state (Adam's m and v), before and after the step, by their statistics:
      // four more weight-sized heatmaps would double the step's drawing; explain prints them per element.
      e.inputs.slice(1).forEach((t) => box.appendChild(heatmap(t, null, { role: "optimizer state before" })));
      e.outputs.slice(1).forEach((t) => box.appendChild(heatmap(t, null, { role: "optimizer state after" })));
    }
    renderContrib(i);
    // Explain: the same element when this op's output has it, else the first.
    const out = e.outputs[selected.output];
    const keep = out && selected.index < product(out.shape);
    if (e.outputs.length) explain(i, keep ? selected.output : 0, keep ? selected.index : 0);
    else { $("explain-where").textContent = ""; $("explain").textContent = "(this op has no output to explain)"; $("explain-command").textContent = ""; }
  }

  function contribCompare(c) {
    const parts = c.parts.map((p) => buffer(p.data));
    const sum = buffer(c.sum);
    return (k) => {
      if (!sum || parts.some((p) => !p)) return "";
      const terms = parts.map((p) => f32(p[k]));
      return `\n${c.name}.grad = ${terms.join(" + ")} = ${f32(sum[k])}   (${c.parts.length} contributions)`;
    };
  }

  function renderContrib(i) {
    const box = $("contrib");
    box.textContent = "";
    for (const c of events[i].contrib) {
      if (c.parts.length < 2) continue;   // one use: the gradient is that contribution
      box.appendChild(el("h3", "", `${c.name} is used ${c.parts.length} time${c.parts.length === 1 ? "" : "s"}: its gradient is the sum of ${c.parts.length} contribution${c.parts.length === 1 ? "" : "s"} (this op adds number ${c.current + 1})`));
      const bars = el("div", "bars");
      const max = Math.max(c.sumL2, ...c.parts.map((p) => p.l2)) || 1;
      const row = (label, value, cls, index) => {
        const r = el("div", "bar-row " + cls);
        const l = el("span", "label", label);
        l.title = label;
        r.appendChild(l);
        const track = el("div");
        const fill = el("div", "fill");
        fill.style.width = (100 * value / max) + "%";
        track.appendChild(fill);
        r.appendChild(track);
        r.appendChild(el("span", "value", "‖·‖ " + short(value)));
        if (index !== undefined) { r.style.cursor = "pointer"; r.addEventListener("click", () => go(index)); }
        bars.appendChild(r);
      };
      c.parts.forEach((p, k) => row(`${k + 1}. op ${p.event + 1}: ${p.label}`, p.l2, k === c.current ? "current" : "", p.event));
      row(`sum: grad(${c.name})`, c.sumL2, "sum");
      box.appendChild(bars);
      box.appendChild(el("div", "note dim", "Hover a cell of this op's gradient below to see the contributions that add up to it. The same list at the step> prompt:"));
      box.appendChild(el("pre", "contrib-text", c.text));
    }
  }

  // ---- trained weights: the same op with trained weights, and the output distribution ----
  function trainedCompare(i, k) {
    const tr = data.views.trained;
    if (!tr || !tr.outputs[i] || !tr.outputs[i][k]) return null;
    const values = buffer(tr.outputs[i][k].data);
    return values ? (j) => `\ntrained: ${f32(values[j])}` : null;
  }
  function trainedDistribution(i, box) {
    const tr = data.views.trained;
    const e = events[i];
    if (!tr || !tr.outputs[i] || e.op !== "log_softmax") return;
    const vocab = data.lesson.vocabulary || [];
    const cols = e.outputs[0].shape[e.outputs[0].shape.length - 1];
    const pair = el("div", "side-by-side");
    const dist = (title, values) => {
      const d = el("div", "dist");
      d.appendChild(el("h3", "", title));
      const probs = Array.from(values.slice(0, cols), (v, c) => ({ c, p: Math.exp(v) })).sort((a, b) => b.p - a.p).slice(0, 8);
      for (const { c, p } of probs) {
        const r = el("div", "bar-row");
        r.appendChild(el("span", "label", JSON.stringify(vocab[c] ?? String(c))));
        const track = el("div"), fill = el("div", "fill");
        fill.style.width = (100 * p) + "%";
        track.appendChild(fill); r.appendChild(track);
        r.appendChild(el("span", "value", (100 * p).toFixed(1) + "%"));
        d.appendChild(r);
      }
      return d;
    };
    pair.appendChild(dist("row 0, initial weights", buffer(e.outputs[0].data)));
    pair.appendChild(dist("row 0, trained (" + tr.source.split("/").pop() + ")", buffer(tr.outputs[i][0].data)));
    box.appendChild(pair);
  }

  // ---- navigation ----
  // Set an element's class only when it changes: a class write restyles the whole graph.
  const classOf = new Map();
  function setClass(g, cls) {
    if (classOf.get(g) === cls) return;
    classOf.set(g, cls);
    g.setAttribute("class", cls);
  }
  function updateGraph(e) {
    const seq = e.seq;
    const backward = e.phase !== "forward";
    for (const [s, g] of graphNodes) {
      const b = data.graph.backward[s];
      let cls = s === e.node ? (backward ? "current backward" : "current") : e.uses.includes(s) ? "uses" : "";
      if (backward && b !== undefined && b < seq) cls += " grad-done";
      setClass(g, cls);
    }
    for (const edge of graphEdges) {
      const b = data.graph.backward[edge.to];
      let cls = backward && b !== undefined && b < seq ? "visited" : "";
      if (edge.to === e.node) cls += e.phase === "backward" ? " active" : e.phase === "forward" ? " feeds" : "";
      setClass(edge.g, cls);
    }
    // Scroll the box (or an update's first reader) into view at the next frame, when layout is done anyway.
    const g = graphNodes.get(e.node ?? e.uses[0]);
    if (g) requestAnimationFrame(() => {
      const box = $("graph"), r = g.getBoundingClientRect(), c = box.getBoundingClientRect();
      if (r.left < c.left || r.right > c.right || r.top < c.top || r.bottom > c.bottom) {
        box.scrollLeft += (r.left + r.width / 2) - (c.left + c.width / 2);
        box.scrollTop += (r.top + r.height / 2) - (c.top + c.height / 2);
      }
    });
  }

  function updateArch(e) {
    const names = new Set(e.arch);
    let first = null;
    for (const g of document.querySelectorAll("#arch g[data-name]")) {
      const on = names.has(g.dataset.name);
      if (on && !first && g.closest("figure") === document.querySelector("#arch figure:last-child")) first = g;
      setClass(g, on ? "hl" : "");
    }
    // Keep the highlighted part of a wide diagram in view.
    if (first && $("main").classList.contains("arch-wide")) requestAnimationFrame(() => {
      const box = $("arch"), r = first.getBoundingClientRect(), c = box.getBoundingClientRect();
      if (r.left < c.left || r.right > c.right) box.scrollLeft += (r.left + r.width / 2) - (c.left + c.width / 2);
    });
  }

  function updateCode(e) {
    for (const l of document.querySelectorAll("#code .line.current")) l.classList.remove("current", "backward", "update");
    if (e.codeLine === null || e.codeLine === undefined) return;
    const line = document.querySelector(`#code .line[data-line="${e.codeLine}"]`);
    if (!line) return;
    line.classList.add("current", e.phase);
    // Reading positions forces a layout; wait for the frame's own.
    requestAnimationFrame(() => {
      const pre = $("code");
      if (line.offsetTop < pre.scrollTop || line.offsetTop > pre.scrollTop + pre.clientHeight - 20) pre.scrollTop = line.offsetTop - pre.clientHeight / 2;
    });
  }

  function go(i) {
    const t0 = performance.now();
    i = Math.max(0, Math.min(events.length - 1, i));
    const ticks = $("timeline").children;
    if (cursor >= 0) ticks[cursor].classList.remove("current");
    cursor = i;
    ticks[i].classList.add("current");
    const e = events[i];
    $("position").textContent = e.header;
    renderOp(i);
    updateGraph(e);
    updateArch(e);
    updateCode(e);
    updateTimeView(i);
    rememberInHash(i);
    stepTimes.push(performance.now() - t0);
  }

  // The address bar follows the op (a deep link to share), written at most every 300 ms:
  // Chromium ignores history updates that come faster than that in bulk.
  let hashTimer = null;
  function rememberInHash(i) {
    if (hashTimer) clearTimeout(hashTimer);
    hashTimer = setTimeout(() => { hashTimer = null; history.replaceState(null, "", "#op=" + (i + 1)); }, 300);
  }

  // Decode every value buffer in small slices after the first render, so that stepping never
  // waits for base64.
  function decodeWhenIdle(next) {
    if (next >= data.buffers.length) return;
    const t0 = performance.now();
    while (next < data.buffers.length && performance.now() - t0 < 8) buffer(next++);
    setTimeout(() => decodeWhenIdle(next), 0);
  }

  function nextPhase() {
    const p = events[cursor].phase;
    const j = events.findIndex((e, k) => k > cursor && e.phase !== p);
    if (j >= 0) go(j);
  }

  function search(query) {
    if (!query) return;
    const n = events.length;
    for (let d = 1; d <= n; d++) {
      const k = (cursor + d) % n;
      if (events[k].label === query) { go(k); return; }
    }
    for (let d = 1; d <= n; d++) {
      const k = (cursor + d) % n;
      if (events[k].label.includes(query)) { go(k); return; }
    }
  }

  function controls() {
    $("prev").addEventListener("click", () => go(cursor - 1));
    $("next").addEventListener("click", () => go(cursor + 1));
    $("next-phase").addEventListener("click", nextPhase);
    const s = $("search");
    // Enter searches (again: the next match); picking from the list searches once.
    let searched = null;
    s.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { searched = s.value.trim(); search(searched); ev.stopPropagation(); } });
    s.addEventListener("change", () => { if (s.value.trim() !== searched) { searched = s.value.trim(); search(searched); } });
    document.addEventListener("keydown", (ev) => {
      if (ev.target === s) { if (ev.key === "Escape") s.blur(); return; }
      if (ev.target.closest && ev.target.closest("#sgd-controls")) return;   // the SGD slider's own keys
      if (ev.key === "ArrowRight") { go(cursor + 1); ev.preventDefault(); }
      else if (ev.key === "ArrowLeft") { go(cursor - 1); ev.preventDefault(); }
      else if (ev.key === "Home") { go(0); ev.preventDefault(); }
      else if (ev.key === "End") { go(events.length - 1); ev.preventDefault(); }
      else if (ev.key === "p") nextPhase();
      else if (ev.key === "/") { s.focus(); ev.preventDefault(); }
    });
    window.addEventListener("hashchange", () => { const i = fromHash(); if (i !== null && i !== cursor) go(i); });
  }

  function fromHash() {
    const m = /op=(\d+)/.exec(location.hash);
    return m ? Math.max(0, Math.min(events.length - 1, Number(m[1]) - 1)) : null;
  }

  // ---- across the step: RNN hidden states and gradient norms ----
  let timeRow = 0;
  function timeView() {
    const steps = data.views.timeSteps;
    if (!steps || !steps.length) return;
    $("time-panel").hidden = false;
    const view = $("time-view");
    const left = el("div");
    const rows = steps[0].shape[0];
    const pick = el("div");
    pick.append("h_t of batch row ");
    const sel = el("select");
    for (let r = 0; r < rows; r++) { const o = el("option", "", String(r)); o.value = r; sel.appendChild(o); }
    sel.addEventListener("change", () => { timeRow = Number(sel.value); drawHidden(); });
    pick.appendChild(sel);
    pick.append(" (rows t = 1…" + steps.length + ", columns: hidden units; click a row to go to its op)");
    left.appendChild(pick);
    const canvas = el("canvas");
    canvas.id = "hidden-canvas";
    const labelled = el("div", "labelled");
    const names = el("div", "row-names");
    for (const s of steps) names.appendChild(el("div", "", s.label));
    labelled.append(names, canvas);
    left.appendChild(labelled);
    left.appendChild(el("div", "note dim", "tanh keeps every h_t in −1…1: blue −1, white 0, red +1"));
    view.appendChild(left);
    const right = el("div");
    right.id = "grad-norms";
    view.appendChild(right);
    canvas.addEventListener("click", (ev) => {
      const r = Math.floor(ev.offsetY * steps.length / canvas.clientHeight);
      if (steps[r]) go(steps[r].event);
    });
    canvas.addEventListener("mousemove", (ev) => {
      const cols = steps[0].shape[1];
      const r = Math.floor(ev.offsetY * steps.length / canvas.clientHeight);
      const c = Math.floor(ev.offsetX * cols / canvas.clientWidth);
      const v = steps[r] && buffer(steps[r].data);
      if (!v || c < 0 || c >= cols) { hideTip(); return; }
      const value = v[timeRow * cols + c];
      showTip(ev, `${steps[r].label}[${timeRow},${c}] = ${f32(value)}`, f32(value));
    });
    canvas.addEventListener("mouseleave", hideTip);
    drawHidden();
    // Gradient norms per t: the last step gets the loss's gradient first-hand.
    const norms = el("div", "bars");
    norms.appendChild(el("h3", "", "‖∂loss/∂h_t‖ and ‖∂loss/∂(input at t)‖"));
    const max = Math.max(...steps.map((s) => Math.max(s.gradL2 || 0, s.inputGradL2 || 0))) || 1;
    for (const s of steps) {
      for (const [label, value, colourName] of [[`∂loss/∂${s.label}`, s.gradL2, "#d9822b"], [`∂loss/∂${s.inputLabel}`, s.inputGradL2, "#2e8b57"]]) {
        if (value === null || value === undefined) continue;
        const r = el("div", "bar-row");
        r.dataset.label = label === `∂loss/∂${s.label}` ? s.label : s.inputLabel;
        r.appendChild(el("span", "label", `t=${s.t}  ${label}`));
        const track = el("div"), fill = el("div", "fill");
        fill.style.width = (100 * value / max) + "%";
        fill.style.background = colourName;
        track.appendChild(fill); r.appendChild(track);
        r.appendChild(el("span", "value", short(value)));
        norms.appendChild(r);
      }
    }
    const first = steps[0], last = steps[steps.length - 1];
    if (first.gradL2 && last.gradL2) {
      const ratio = last.gradL2 / first.gradL2;
      const compared = ratio >= 1 ? `${short(ratio)}× smaller than` : `${short(1 / ratio)}× larger than`;
      norms.appendChild(el("p", "", `‖∂loss/∂${first.label}‖ is ${short(first.gradL2)}, ‖∂loss/∂${last.label}‖ is ${short(last.gradL2)}: the gradient at the first step is ${compared} at the last.`));
    }
    if (first.inputGradL2 && last.inputGradL2) {
      norms.appendChild(el("p", "", `At the inputs: ‖∂loss/∂${first.inputLabel}‖ = ${short(first.inputGradL2)} vs ‖∂loss/∂${last.inputLabel}‖ = ${short(last.inputGradL2)} (last ÷ first = ${short(last.inputGradL2 / first.inputGradL2)}).`));
    }
    right.appendChild(norms);
  }
  function drawHidden() {
    const steps = data.views.timeSteps;
    const canvas = $("hidden-canvas");
    const cols = steps[0].shape[1];
    const cw = Math.max(1, Math.floor(512 / cols)), ch = 16;
    canvas.width = cols * cw; canvas.height = steps.length * ch;
    const ctx = canvas.getContext("2d");
    steps.forEach((s, r) => {
      const v = buffer(s.data);
      if (!v) return;
      for (let c = 0; c < cols; c++) {
        ctx.fillStyle = `rgb(${colour(v[timeRow * cols + c], 1)})`;   // tanh: the scale is −1…1
        ctx.fillRect(c * cw, r * ch, cw, ch);
      }
    });
    updateTimeView(cursor);
  }
  function updateTimeView(i) {
    const steps = data.views.timeSteps;
    const canvas = $("hidden-canvas");
    if (!steps || !steps.length || !canvas) return;
    // The step the current op belongs to (forward or backward through h_t), in bold.
    const label = events[i] ? events[i].label : "";
    document.querySelectorAll("#time-view .row-names div").forEach((d, r) => d.classList.toggle("now", steps[r].label === label));
    document.querySelectorAll("#grad-norms .bar-row").forEach((d) => d.classList.toggle("now", d.dataset.label === label));
  }

  // ---- across iterations: every iteration of the SGD run, its line and its place on the contour ----
  function sgdView() {
    const sgd = data.views.sgd;
    if (!sgd) return;
    $("sgd-panel").hidden = false;
    const slider = $("sgd-slider"), number = $("sgd-iteration");
    slider.max = number.max = sgd.iterations;
    const A = buffer(sgd.a), B = buffer(sgd.b), L = buffer(sgd.loss);
    const svgNS = "http://www.w3.org/2000/svg";
    const add = (svg, tag, attributes) => {
      const node = document.createElementNS(svgNS, tag);
      for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
      svg.appendChild(node);
      return node;
    };
    const line = add(document.querySelector("#sgd svg"), "line", { id: "sgd-line", stroke: "#e4572e", "stroke-width": 2.5 });
    const ring = add(document.querySelector("#contour svg"), "circle", { id: "sgd-cursor", r: 7, fill: "none", stroke: "#000", "stroke-width": 2.5 });
    const pixel = (map, x, y) => [map.x[0] + map.x[1] * x, map.y[0] + map.y[1] * y];
    let k = 1, timer = null;
    const show = (iteration) => {
      k = Math.max(1, Math.min(sgd.iterations, Math.round(iteration) || 1));
      const a = A[k - 1], b = B[k - 1], loss = L[k - 1];
      const [x0, x1] = sgd.xRange;
      const p0 = pixel(sgd.line, x0, a * x0 + b), p1 = pixel(sgd.line, x1, a * x1 + b);
      line.setAttribute("x1", p0[0]); line.setAttribute("y1", p0[1]);
      line.setAttribute("x2", p1[0]); line.setAttribute("y2", p1[1]);
      const c = pixel(sgd.contour, a, b);
      ring.setAttribute("cx", c[0]); ring.setAttribute("cy", c[1]);
      slider.value = k;
      if (document.activeElement !== number) number.value = k;
      const caption = $("sgd-caption");
      caption.textContent = `iteration ${k} of ${sgd.iterations}: a = ${f32(a)}, b = ${f32(b)}, loss ${f32(loss)}  ` +
        `(a and b as iteration ${k} reads them, before its update; lr ${sgd.lr} on all ${sgd.points} points; ` +
        `the ops above are one iteration's; the path's dots are every ${sgd.updatesPerFrame} iterations)`;
      Object.assign(caption.dataset, { iteration: k, a: f32(a), b: f32(b), loss: f32(loss) });
    };
    const stop = () => { if (timer) { clearInterval(timer); timer = null; $("sgd-play").textContent = "play"; } };
    slider.addEventListener("input", () => { stop(); show(Number(slider.value)); });
    number.addEventListener("input", () => { stop(); show(Number(number.value)); });
    $("sgd-play").addEventListener("click", () => {
      if (timer) { stop(); return; }
      $("sgd-play").textContent = "pause";
      // Quickly through the first iterations, where the line moves most, then faster.
      timer = setInterval(() => show(k >= sgd.iterations ? 1 : k + Math.max(1, Math.round(k / 20))), 60);
    });
    window.book.sgd = show;
    show(1);
  }

  // ---- trained weights panel: the loss before and after ----
  function trainedView() {
    const tr = data.views.trained;
    if (!tr) return;
    $("trained-panel").hidden = false;
    const lossEvent = events.find((e) => e.label === "loss" && e.phase === "forward");
    const before = lossEvent ? f32(buffer(lossEvent.outputs[0].data)[0]) : "?";
    $("trained-view").appendChild(el("p", "", `The same batch with the initial weights has loss ${before}; with ${tr.source} it has loss ${tr.loss}. Forward outputs show the trained value on hover; log_softmax shows both distributions.`));
  }

  intro();
  timeline();
  code();
  graph();
  controls();
  timeView();
  sgdView();
  trainedView();
  go(fromHash() ?? 0);
  performance.mark("book-rendered");
  decodeWhenIdle(0);
})();
