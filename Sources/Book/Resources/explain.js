// `explain` in the page: the CLI's Explainer (Sources/LessonEngine/Explain.swift) rule by rule,
// the same text from the same float32 values, for any element of any op's output. Keep the two
// in step: the browser test compares this text with `step`'s for sampled elements of every op.
"use strict";
// eslint-disable-next-line no-unused-vars
function makeExplainer(events, valuesOf) {
  const fround = Math.fround;
  // Forward values by tensor id, as Replay.valuesByID collects them.
  const byId = new Map();
  for (const e of events) {
    if (e.phase !== "forward") continue;
    for (const t of e.inputs) if (t.data !== null && t.data !== undefined && !byId.has(t.id)) byId.set(t.id, t);
    for (const t of e.outputs) byId.set(t.id, t);
  }
  const own = (t) => (t && t.data !== null && t.data !== undefined ? valuesOf(t.data) : null);
  const values = (t) => own(t) || (byId.has(t.id) ? own(byId.get(t.id)) : null);
  const forwardValue = (id, index) => { const t = byId.get(id); const v = t && own(t); return v && index < v.length ? v[index] : NaN; };
  const product = (s) => s.reduce((a, b) => a * b, 1);

  // C's %.6g (String(format: "%.6g")), ties to even like glibc.
  function v(x) {
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
    if (x === 0) return Object.is(x, -0) ? "-0" : "0";
    let mantissa, exponent;
    [mantissa, exponent] = x.toExponential(5).split("e");
    // JavaScript rounds an exact tie away from zero; printf to even.
    const exact = Math.abs(x).toPrecision(100).replace(/e.*$/, "").replace(".", "").replace(/^0+/, "");
    if (exact[6] === "5" && /^0*$/.test(exact.slice(7)) && Number(exact[5]) % 2 === 0) {
      const e10 = Number(Math.abs(x).toExponential(20).split("e")[1]);
      const down = Number(exact.slice(0, 6)) * Math.pow(10, e10 - 5);
      [mantissa, exponent] = (x < 0 ? -down : down).toExponential(5).split("e");
    }
    const X = Number(exponent);
    const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
    if (X < -4 || X >= 6) return strip(mantissa) + "e" + (X < 0 ? "-" : "+") + String(Math.abs(X)).padStart(2, "0");
    const digits = mantissa.replace("-", "").replace(".", "");
    const sign = x < 0 ? "-" : "";
    let text;
    if (X >= 0) text = digits.slice(0, X + 1) + "." + digits.slice(X + 1);
    else text = "0." + "0".repeat(-X - 1) + digits;
    return sign + strip(text);
  }
  function position(flat, shape) {
    const pos = new Array(shape.length).fill(0);
    for (let a = shape.length - 1; a >= 0; a--) if (shape[a] > 0) { pos[a] = flat % shape[a]; flat = Math.floor(flat / shape[a]); }
    return pos;
  }
  const idx = (flat, shape) => (shape.length ? "[" + position(flat, shape).join(",") + "]" : "");
  function attribute(e, key) {
    for (const field of e.attributes.split(",")) {
      const at = field.indexOf("=");
      if (at >= 0 && field.slice(0, at) === key) return field.slice(at + 1);
    }
    return null;
  }
  const parseFloat32 = (s) => (s === null || s.trim() === "" || Number.isNaN(Number(s)) ? null : fround(Number(s)));
  const parseInteger = (s) => (s !== null && /^[+-]?\d+$/.test(s) ? Number(s) : null);
  function broadcastIndex(pos, outShape, inShape) {
    const offset = outShape.length - inShape.length;
    let flat = 0;
    inShape.forEach((n, a) => { flat = flat * n + (n === 1 ? 0 : pos[a + offset]); });
    return flat;
  }

  function forward(e, out, outValues, index, pos, at) {
    const name = out.label + at;
    const result = v(outValues[index]);
    const ins = e.inputs.map((t) => values(t));
    const input = (k) => ins[k] || [];
    const l0 = e.inputs[0] ? e.inputs[0].label : "";
    switch (e.op) {
      case "matmul": {
        const [a, b] = e.inputs;
        const transB = e.attributes.includes("transB"), transA = e.attributes.includes("transA");
        const [i, j] = pos;
        const k = transA ? a.shape[0] : a.shape[1];
        const terms = [];
        let sum = 0;
        for (let kk = 0; kk < k; kk++) {
          const av = input(0)[transA ? kk * a.shape[1] + i : i * a.shape[1] + kk];
          const bv = input(1)[transB ? j * b.shape[1] + kk : kk * b.shape[1] + j];
          sum += av * bv;
          if (kk < 4) terms.push(`${v(av)}×${v(bv)}`);
        }
        const bIndex = transB ? `[${j},k]` : `[k,${j}]`;
        return `${name} = Σ_k ${a.label}[${i},k] · ${b.label}${bIndex}   (k = 0…${k - 1}${transB ? ", weight read transposed by BLAS" : ""})\n` +
          `         = ${terms.join(" + ")}${k > 4 ? ` + … (${k - 4} more terms)` : ""}\n` +
          `         = ${v(fround(sum))}   (trace: ${result})`;
      }
      case "add": case "sub": case "mul": case "div": {
        const sym = { add: "+", sub: "−", mul: "×", div: "÷" }[e.op];
        const [a, b] = e.inputs;
        const ia = broadcastIndex(pos, out.shape, a.shape), ib = broadcastIndex(pos, out.shape, b.shape);
        let text = `${name} = ${a.label}${idx(ia, a.shape)} ${sym} ${b.label}${idx(ib, b.shape)} = ${v(input(0)[ia])} ${sym} ${v(input(1)[ib])} = ${result}`;
        const producer = e.op === "add" ? events.find((p) => p.phase === "forward" && p.op === "matmul" && p.outputs[0] && p.outputs[0].id === a.id) : null;
        if (producer) {
          text += "\n  where " + forward(producer, producer.outputs[0], values(producer.outputs[0]) || [], ia, position(ia, a.shape), idx(ia, a.shape));
          text += `\n  and ${b.label}${idx(ib, b.shape)} = ${v(input(1)[ib])} is the bias`;
        }
        return text;
      }
      case "tanh": return `${name} = tanh(${l0}${at}) = tanh(${v(input(0)[index])}) = ${result}`;
      case "relu": return `${name} = max(0, ${l0}${at}) = max(0, ${v(input(0)[index])}) = ${result}`;
      case "sigmoid": return `${name} = 1/(1+e^−x) with x = ${l0}${at} = ${v(input(0)[index])} → ${result}`;
      case "exp": return `${name} = exp(${v(input(0)[index])}) = ${result}`;
      case "log": return `${name} = log(${v(input(0)[index])}) = ${result}`;
      case "neg": return `${name} = −${v(input(0)[index])} = ${result}`;
      case "sqrt": return `${name} = √${v(input(0)[index])} = ${result}`;
      case "dropout": {
        const kept = input(1)[index] !== 0;
        return `${name} = ${l0}${at} × mask${at} / (1 − p) = ${v(input(0)[index])} × ${kept ? 1 : 0} / (1 − ${e.attributes.slice(2)}) = ${result}` +
          (kept ? "   (kept, scaled up so the expected value is unchanged)" : "   (dropped)");
      }
      case "embedding": {
        const width = out.shape[out.shape.length - 1];
        const row = Math.floor(index / width), col = index % width;
        const c = Math.trunc(input(1)[row]);
        return `${name} = ${l0}[${e.inputs[1].label}${idx(row, e.inputs[1].shape)}, ${col}] = ${l0}[${c}, ${col}] = ${result}   (a row lookup, no multiplication)`;
      }
      case "log_softmax": {
        const axis = parseInteger(attribute(e, "axis")) ?? (out.shape.length - 1);
        const n = out.shape[axis];
        const inner = product(out.shape.slice(axis + 1));
        const base = index - pos[axis] * inner;
        const xs = [];
        for (let j = 0; j < n; j++) xs.push(input(0)[base + j * inner]);
        const m = xs.reduce((a, b) => (b > a ? b : a));
        const lse = m + Math.log(xs.reduce((s, x) => s + Math.exp(fround(x - m)), 0));
        const x = input(0)[index];
        return `${name} = x − log Σ exp(x) along axis ${axis} (${n} values), x = ${l0}${at} = ${v(x)}\n` +
          `         = ${v(x)} − (max ${v(m)} + log Σ exp(x − max)) = ${v(x)} − ${v(fround(lse))} = ${v(fround(x - lse))}   (trace: ${result})`;
      }
      case "nll_loss": {
        const logp = input(0), t = input(1);
        const c = e.inputs[0].shape[1];
        const terms = Array.from(t.slice(0, 3), (target, r) => v(logp[r * c + Math.trunc(target)]));
        return `${name} = −mean over ${t.length} rows of ${l0}[row, target] = −(${terms.join(" + ")}${t.length > 3 ? " + …" : ""}) / ${t.length} = ${result}`;
      }
      case "mse": {
        const a = input(0), b = input(1);
        const terms = [];
        for (let k = 0; k < Math.min(3, a.length); k++) terms.push(`(${v(a[k])} − ${v(b[k])})²`);
        return `${name} = mean((${l0} − ${e.inputs[1].label})²) = (${terms.join(" + ")} + …) / ${a.length} = ${result}`;
      }
      case "sum": case "mean":
        return `${name} = ${e.op} of ${l0} ${e.attributes === "" ? `(all ${input(0).length} values)` : e.attributes} = ${result}`;
      case "max": return `${name} = max of ${l0} along ${e.attributes} = ${result}`;
      case "argmax": return `${name} = the index of the largest value of ${l0} along ${e.attributes} = ${result}`;
      default:
        return `${name} = ${result}: ${e.op} moves values without arithmetic (${e.attributes}); the value comes from ${e.inputs.map((t) => t.label).join(", ")}`;
    }
  }

  function backward(e, out, outValues, index, at) {
    const rule = e.rule ?? e.op;   // Primitive.rule, as the page carries it
    const g = (e.inputs[0] && values(e.inputs[0])) || [];
    const gl = `grad(${e.inputs[0] ? e.inputs[0].label : "?"})`;
    const result = v(outValues[index]);
    let head = `rule (${e.op}): ${rule}\n`;
    const name = `grad_in(${out.label})${at}`;
    const r = () => forwardValue(e.inputs[0].id, index);
    switch (e.op) {
      case "tanh": {
        const y = r();
        head += `${name} = ${gl}${at} × (1 − result${at}²) = ${v(g[index])} × (1 − ${v(y)}²) = ${v(fround(g[index] * fround(1 - fround(y * y))))}   (trace: ${result})`;
        break;
      }
      case "relu": head += `${name} = ${gl}${at} × (result${at} > 0) = ${v(g[index])} × ${r() > 0 ? 1 : 0} = ${result}`; break;
      case "sigmoid": { const y = r(); head += `${name} = ${gl}${at} × result × (1 − result) = ${v(g[index])} × ${v(y)} × ${v(fround(1 - y))} = ${result}`; break; }
      case "sqrt": head += `${name} = ${gl}${at} / (2 × result${at}) = ${v(g[index])} / (2 × ${v(r())}) = ${result}`; break;
      case "dropout": head += `${name} = ${gl}${at} × mask / (1 − p) = ${result}   (a dropped unit passes no gradient back)`; break;
      case "add": case "sub":
        if (g.length === outValues.length) {
          const minus = e.op === "sub" && out.id === e.outputs[e.outputs.length - 1].id && e.outputs.length > 1 ? "−" : "";
          head += `${name} = ${minus}${gl}${at} = ${result}   (addition passes the gradient through)`;
        } else {
          const count = Math.max(outValues.length, 1);
          const rows = Math.floor(g.length / count), col = index % count;
          const terms = [];
          for (let k = 0; k < Math.min(rows, 3); k++) terms.push(v(g[k * outValues.length + col]));
          head += `${name} = Σ over the ${rows} broadcast rows of ${gl}[row, ${col}] = ${terms.join(" + ")}${rows > 3 ? " + …" : ""} = ${result}   (a bias is added to every row, so its gradient sums them)`;
        }
        break;
      case "matmul": {
        const fwd = events.find((f) => f.phase === "forward" && f.outputs[0] && f.outputs[0].id === e.inputs[0].id);
        const a = fwd && values(fwd.inputs[0]), b = fwd && values(fwd.inputs[1]);
        if (!fwd || !a || !b) { head += `${name} = ${result}`; break; }
        const transB = fwd.attributes.includes("transB"), transA = fwd.attributes.includes("transA");
        const [m, n] = fwd.outputs[0].shape;
        const pos = position(index, out.shape);
        const terms = [];
        let sum = 0;
        if (out.id === fwd.inputs[0].id && !transA) {
          const [i, k] = pos;
          const kDim = fwd.inputs[0].shape[1];
          for (let j = 0; j < n; j++) {
            const bv = transB ? b[j * kDim + k] : b[k * n + j];
            sum += g[i * n + j] * bv;
            if (j < 3) terms.push(`${v(g[i * n + j])}×${v(bv)}`);
          }
          head += `${name} = Σ_j ${gl}[${i},j] · ${fwd.inputs[1].label}${transB ? `[j,${k}]` : `[${k},j]`}   (j = 0…${n - 1})\n`;
          head += `         = ${terms.join(" + ")} + … = ${v(fround(sum))}   (trace: ${result})`;
        } else if (out.id === fwd.inputs[1].id && transB && !transA) {
          const [j, k] = pos;
          const kDim = fwd.inputs[0].shape[1];
          for (let i = 0; i < m; i++) {
            sum += g[i * n + j] * a[i * kDim + k];
            if (i < 3) terms.push(`${v(g[i * n + j])}×${v(a[i * kDim + k])}`);
          }
          head += `${name} = Σ_i ${gl}[i,${j}] · ${fwd.inputs[0].label}[i,${k}]   (i over the ${m} rows of the batch)\n`;
          head += `         = ${terms.join(" + ")}${m > 3 ? " + …" : ""} = ${v(fround(sum))}   (trace: ${result})`;
        } else {
          head += `${name} = ${result}`;
        }
        break;
      }
      case "embedding":
        head += `${name}: rows of ${gl} are added into the rows of the table they were read from (scatter-add); a character used k times gets k rows added = ${result}`;
        break;
      case "log_softmax": {
        const axis = parseInteger(attribute(e, "axis")) ?? (out.shape.length - 1);
        const pos = position(index, out.shape);
        const n = out.shape[axis], inner = product(out.shape.slice(axis + 1));
        const base = index - pos[axis] * inner;
        let total = 0;
        for (let j = 0; j < n; j++) total += g[base + j * inner];
        const y = r();
        const value = g[index] - Math.exp(y) * total;
        head += `${name} = ${gl}${at} − exp(result${at}) × Σ_axis${axis} ${gl} = ${v(g[index])} − exp(${v(y)}) × ${v(fround(total))} = ${v(fround(value))}   (trace: ${result})`;
        break;
      }
      case "nll_loss":
        head += `${name} = ${outValues[index] === 0 ? "0 (not a target entry)" : `−grad / N at the row's target = ${result}`}`;
        break;
      default:
        head += `${name} = ${result}`;
    }
    return head;
  }

  function update(e, out, outValues, index, at) {
    const gv = e.inputs[0] && own(e.inputs[0]);
    const g = gv && index < gv.length ? gv[index] : NaN;
    // replay.value(named:) finds the parameter's value for the parameter itself, nothing for its moments.
    const bv = out === e.outputs[0] && e.before && own(e.before);
    const before = bv && index < bv.length ? bv[index] : NaN;
    const lr = parseFloat32(attribute(e, "lr")) ?? NaN;
    if (e.op === "sgd") {
      return `${out.label}${at} ← ${out.label}${at} − lr × grad = ${v(before)} − ${v(lr)} × ${v(g)} = ${v(outValues[index])}`;
    }
    const t = parseInteger(attribute(e, "step")) ?? 0;
    const state = (side, prefix) => {
      const s = side.find((x) => x.label === `${prefix}(${out.label})`);
      const sv = s && own(s);
      return sv && index < sv.length ? sv[index] : null;
    };
    const m0 = state(e.inputs, "adam.m"), v0 = state(e.inputs, "adam.v");
    const m1 = state(e.outputs, "adam.m"), v1 = state(e.outputs, "adam.v");
    if (!(t > 0) || m0 === null || v0 === null || m1 === null || v1 === null) {
      return `${out.label}${at} ← ${v(before)} − lr·m̂/(√v̂ + ε) with grad ${v(g)} (Adam, ${e.attributes}) = ${v(outValues[index])}`;
    }
    const wd = parseFloat32(attribute(e, "wd")) ?? 0;
    const gd = fround(g + fround(wd * before));
    const c1 = fround(1 - fround(Math.pow(fround(0.9), t))), c2 = fround(1 - fround(Math.pow(fround(0.999), t)));
    const mHat = fround(m1 / c1), vHat = fround(v1 / c2);
    const root = fround(Math.sqrt(vHat));
    const stepSize = fround(fround(lr * mHat) / fround(root + fround(1e-8)));
    let text = `Adam, step ${t} (β1 0.9, β2 0.999, ε 1e-8), for ${out.label}${at} with gradient g = ${wd === 0 ? v(gd) : `${v(g)} + ${v(wd)} × ${v(before)} = ${v(gd)}   (weight decay ${v(wd)})`}:\n` +
      `  m = 0.9 × m + 0.1 × g    = 0.9 × ${v(m0)} + 0.1 × ${v(gd)} = ${v(m1)}   (a running mean of g)\n` +
      `  v = 0.999 × v + 0.001 × g² = 0.999 × ${v(v0)} + 0.001 × ${v(fround(gd * gd))} = ${v(v1)}   (a running mean of g²)\n` +
      `  m̂ = m / (1 − 0.9^${t}) = ${v(m1)} / ${v(c1)} = ${v(mHat)};  v̂ = v / (1 − 0.999^${t}) = ${v(v1)} / ${v(c2)} = ${v(vHat)}\n` +
      `  ${out.label}${at} ← ${v(before)} − lr × m̂ / (√v̂ + ε) = ${v(before)} − ${v(lr)} × ${v(mHat)} / (${v(root)} + 1e-8)\n` +
      `           = ${v(before)} − ${v(stepSize)} = ${v(fround(before - stepSize))}   (trace: ${v(outValues[index])})\n` +
      `  SGD with the same lr would move it by lr × g = ${v(fround(lr * gd))}; Adam's step is lr × m̂/√v̂, about lr when g keeps its sign.`;
    if (t === 1) {
      text += "\n  At step 1, m̂ = g and v̂ = g² (bias correction undoes the averaging), so every weight with a non-zero gradient moves by almost exactly lr.";
    }
    return text;
  }

  /// Event `i`'s output `k` at flat index `flat`: the text `explain` prints for it.
  function explain(i, k, flat) {
    const e = events[i];
    const out = e.outputs[k];
    if (!out) return "this op has no output to explain";
    const outValues = values(out);
    if (!outValues) return "values were not recorded (trace level summary); record with full";
    const pos = position(flat, out.shape);
    const at = "[" + pos.join(",") + "]";
    if (e.phase === "forward") return forward(e, out, outValues, flat, pos, at);
    if (e.phase === "backward") return backward(e, out, outValues, flat, at);
    return update(e, out, outValues, flat, at);
  }

  /// What to type at step's prompt for the same text, or null when the CLI cannot name this
  /// output (`explain NAME I,J` splits at the last space: a second output needs a unique label
  /// without spaces).
  function command(i, k, flat) {
    const e = events[i], t = e.outputs[k];
    if (k > 0 && (t.label.includes(" ") || e.outputs.filter((o) => o.label === t.label).length > 1)) return null;
    const pos = position(flat, t.shape);
    let argument = pos.join(",");
    if (k > 0) argument = t.label + " " + argument;
    return argument === "" ? "explain" : "explain " + argument;
  }

  return { explain, command, format: v };
}
