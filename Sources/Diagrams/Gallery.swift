// output/index.html: one page that shows every picture a run wrote, grouped by section.
// Links are relative, so the folder can be moved or zipped and still work.

import Foundation

/// One section of the gallery page.
public struct GallerySection: Sendable {
    public var title: String
    /// Folder the files are in (used to make links relative to the page).
    public var folder: URL
    public var files: [URL]

    public init(title: String, folder: URL, files: [URL]) {
        self.title = title; self.folder = folder; self.files = files
    }
}

public enum Gallery {
    /// Write `dir/index.html` showing SVGs, PNGs (and APNGs) as images and linking HTML
    /// players and anything else. Returns the page's URL.
    @discardableResult
    public static func write(sections: [GallerySection], to dir: URL, title: String = "Unrolled — diagrams") throws -> URL {
        try FileOutput.makeDirectory(dir)
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(xmlEscaped(title))</title>
        <style>
          body { font-family: "DejaVu Sans", sans-serif; margin: 24px; color: #222; }
          h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
          .grid { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
          figure { margin: 0; border: 1px solid #e4e4e4; padding: 8px; background: #fff; }
          figure img { max-width: 640px; max-height: 520px; display: block; cursor: zoom-in; }
          /* A clicked picture opens at its full size, across the page (large graphs need it). */
          figure.full { flex-basis: 100%; overflow: auto; }
          figure.full img { max-width: none; max-height: none; cursor: zoom-out; }
          figcaption { font-size: 12px; margin-top: 4px; font-family: "DejaVu Sans Mono", monospace; }
          ul.links { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
        </style>
        </head>
        <body>
        <h1>\(xmlEscaped(title))</h1>

        """
        for section in sections {
            html += "<h2>\(xmlEscaped(section.title))</h2>\n"
            // Prefer SVG when both encodings of one picture exist: it stays sharp when zoomed.
            let svgNames = Set(section.files.filter { $0.pathExtension == "svg" }.map { $0.deletingPathExtension().lastPathComponent })
            var figures: [String] = [], links: [String] = []
            for file in section.files {
                let href = relativePath(of: file, from: dir)
                let name = file.lastPathComponent
                switch file.pathExtension.lowercased() {
                case "svg":
                    figures.append(figure(href: href, name: name))
                case "png":
                    if !svgNames.contains(file.deletingPathExtension().lastPathComponent) || name.hasSuffix(".apng.png") {
                        figures.append(figure(href: href, name: name))
                    } else {
                        links.append("<li><a href=\"\(xmlEscaped(href))\">\(xmlEscaped(name))</a></li>")
                    }
                default:
                    links.append("<li><a href=\"\(xmlEscaped(href))\">\(xmlEscaped(name))</a></li>")
                }
            }
            if !figures.isEmpty { html += "<div class=\"grid\">\n" + figures.joined(separator: "\n") + "\n</div>\n" }
            if !links.isEmpty { html += "<ul class=\"links\">\n" + links.joined(separator: "\n") + "\n</ul>\n" }
        }
        html += """
        <script>
        document.addEventListener("click", event => {
          const img = event.target.closest("figure img");
          if (!img) return;
          event.preventDefault();
          img.closest("figure").classList.toggle("full");
        });
        </script>
        </body>
        </html>

        """
        let page = dir.appendingPathComponent("index.html")
        try FileOutput.write(html, to: page)
        return page
    }

    static func figure(href: String, name: String) -> String {
        // Click the picture: full size in place; the caption's link: the file alone.
        "<figure><img src=\"\(xmlEscaped(href))\" alt=\"\(xmlEscaped(name))\" title=\"click for full size\" loading=\"lazy\">"
            + "<figcaption>\(xmlEscaped(name)) · <a href=\"\(xmlEscaped(href))\">open alone</a></figcaption></figure>"
    }

    /// `file`'s path relative to `dir` ("arch/char3.svg"), or its absolute path when it is not below it.
    static func relativePath(of file: URL, from dir: URL) -> String {
        let base = dir.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let target = file.standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < base.count && common < target.count && base[common] == target[common] { common += 1 }
        guard common > 1 else { return file.path }
        let ups = [String](repeating: "..", count: base.count - common)
        return (ups + target[common...]).joined(separator: "/")
    }
}
