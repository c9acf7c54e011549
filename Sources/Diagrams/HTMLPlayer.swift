// A one-file player for a frame sequence: the frames are PNG data URIs inside the page and the
// controls are a few lines of inline JavaScript, so it works offline, from a file:// URL, with
// no external scripts.

import Foundation

public enum HTMLPlayer {
    /// A self-contained HTML page that plays `frames` (PNG bytes) with play, pause, step and a
    /// slider. `captions` (one per frame, optional) become the picture's tooltip and
    /// accessible text (the frames already show them).
    public static func html(title: String, frames: [[UInt8]], width: Double, height: Double,
                            frameDuration: Int, captions: [String] = []) throws -> String {
        guard !frames.isEmpty else { throw DiagramError.invalidInput("an HTML player needs at least one frame") }
        let uris = frames.map { "\"data:image/png;base64," + Data($0).base64EncodedString() + "\"" }
        let captionList = frames.indices.map { i -> String in
            let text = i < captions.count ? captions[i] : ""
            return jsonString(text)
        }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(xmlEscaped(title))</title>
        <style>
          body { font-family: "DejaVu Sans", sans-serif; margin: 16px; color: #222; }
          #player { width: \(Int(width) + 2)px; }
          #frame { display: block; width: \(Int(width))px; height: \(Int(height))px; border: 1px solid #ddd; }
          #controls { margin-top: 8px; display: flex; gap: 6px; align-items: center; }
          #controls button { font-size: 13px; }
          #slider { flex: 1; }
          #counter { font-family: "DejaVu Sans Mono", monospace; min-width: 6em; text-align: right; }
        </style>
        </head>
        <body>
        <h1 style="font-size: 18px">\(xmlEscaped(title))</h1>
        <div id="player">
          <img id="frame" alt="animation frame" src=\(uris[0])>
          <div id="controls">
            <button id="prev" title="previous frame (←)">‹ prev</button>
            <button id="play" title="play (space)">play</button>
            <button id="pause" title="pause (space)">pause</button>
            <button id="next" title="next frame (→)">next ›</button>
            <input id="slider" type="range" min="0" max="\(frames.count - 1)" value="0" step="1" aria-label="frame">
            <span id="counter">1 / \(frames.count)</span>
          </div>
        </div>
        <script>
        "use strict";
        const frames = [\(uris.joined(separator: ",\n"))];
        const captions = [\(captionList.joined(separator: ","))];
        const delay = \(frameDuration);
        const img = document.getElementById("frame");
        const slider = document.getElementById("slider");
        const counter = document.getElementById("counter");
        let index = 0;
        let timer = null;
        function show(k) {
          index = (k + frames.length) % frames.length;
          img.src = frames[index];
          slider.value = index;
          counter.textContent = (index + 1) + " / " + frames.length;
          img.title = captions[index];   // the frame shows its caption; this is for screen readers
        }
        function play() { if (timer === null) { timer = setInterval(() => show(index + 1), delay); } }
        function pause() { if (timer !== null) { clearInterval(timer); timer = null; } }
        document.getElementById("play").addEventListener("click", play);
        document.getElementById("pause").addEventListener("click", pause);
        document.getElementById("prev").addEventListener("click", () => { pause(); show(index - 1); });
        document.getElementById("next").addEventListener("click", () => { pause(); show(index + 1); });
        slider.addEventListener("input", () => { pause(); show(Number(slider.value)); });
        document.addEventListener("keydown", (e) => {
          if (e.key === " ") { e.preventDefault(); timer === null ? play() : pause(); }
          if (e.key === "ArrowLeft") { pause(); show(index - 1); }
          if (e.key === "ArrowRight") { pause(); show(index + 1); }
        });
        show(0);
        play();
        </script>
        </body>
        </html>

        """
    }

    /// A JavaScript string literal (JSON rules), safe inside a <script> element.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "<": out += "\\u003c"   // never lets "</script>" end the script early
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
