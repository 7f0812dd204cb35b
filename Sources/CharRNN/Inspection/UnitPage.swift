// The neuron viewer as one self-contained page (no network, no other files): an index of every
// unit (best figure, spread, a histogram strip), sortable by a click on a column, then each unit's
// highest and lowest contexts. A context is written as plain text with its character in <b>, and
// its colours as one letter per character (`data-v`, 61 levels of the heat map's scale); a small
// script paints a unit's contexts when it scrolls into view, so that a page of 2 × 512 units opens
// at once. Well-formed XHTML-compatible markup, like the heat map.

public enum UnitPage {
    /// Colour levels: position on the scale −1 … 1 in steps of 1/30, written as the characters '0' + level.
    static let levels = 61

    public static func write(_ views: UnitViews, to out: ByteWriter) throws {
        try out.write(head(views))
        try out.write("<table id=\"index\"><thead><tr><th data-key=\"i\">unit</th><th>best figure</th><th data-key=\"r\">|r|</th>"
                      + "<th data-key=\"sd\">sd</th><th>values</th></tr></thead><tbody>\n")
        for (i, view) in views.views.enumerated() { try out.write(indexRow(view, i)) }
        try out.write("</tbody></table>\n")
        for (i, view) in views.views.enumerated() {
            try out.write("<section class=\"unit\" id=\"u\(i)\"><h2>\(Escaping.html(view.heading))</h2>\n")
            for (title, list) in [("highest", view.contexts.highest), ("lowest", view.contexts.lowest)] {
                try out.write("<h3>\(title)</h3>\n")
                for c in list { try out.write(context(c, scale: view.scale)) }
            }
            try out.write("</section>\n")
        }
        try out.write("<script>\n\(script)</script>\n</body></html>\n")
        try out.flush()
    }

    static func head(_ views: UnitViews) -> String {
        let order = views.ranked ? "by their strongest correlation (|r|)" : "by their spread (standard deviation)"
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><title>charnn inspect-cells: units</title>
        <style>\n\(style)</style></head>
        <body>
        <h1>charnn inspect-cells: units</h1>
        <p class="caption">\(Escaping.html(views.caption))</p>
        <p class="legend">\(views.views.count) units, sorted \(order); click a column heading to sort by it. Each unit shows
        the \(views.limit) characters where it is highest and lowest (each the unit's extreme within ±\(views.window) characters),
        the character in bold; colour: <span class="bar q0"></span> low <span class="bar q30"></span> neutral
        <span class="bar q60"></span> high, as in the heat map (cell states scaled by their largest |c|).</p>\n
        """
    }

    static func indexRow(_ view: UnitView, _ i: Int) -> String {
        let figure = view.figure.map { Escaping.html($0.label) + " " + signed($0.r) } ?? "—"
        let r = view.figure.map { fixed(abs($0.r), digits: 4) } ?? "-1"
        let range = view.summary.range
        return "<tr data-i=\"\(i)\" data-r=\"\(r)\" data-sd=\"\(fixed(view.summary.deviation, digits: 4))\">"
            + "<td><a href=\"#u\(i)\">\(view.unit.name)</a></td><td>\(figure)</td>"
            + "<td>\(view.figure.map { fixed(abs($0.r), digits: 2) } ?? "")</td><td>\(fixed(view.summary.deviation, digits: 3))</td>"
            + "<td class=\"strip\" title=\"histogram of the values from \(range.lowerBound) to \(range.upperBound)\">"
            + strip(view.summary.histogram) + "</td></tr>\n"
    }

    /// A histogram as a sparkline: one block per bin, as tall as its share of the fullest bin.
    static func strip(_ counts: [Int]) -> String {
        let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let top = max(counts.max() ?? 0, 1)
        return String(counts.map { n in
            n == 0 ? "\u{A0}" : bars[(n * bars.count - 1) / top]
        })
    }

    static func context(_ c: UnitContext, scale: DivergingScale) -> String {
        var shown = "", colours = String.UnicodeScalarView()
        for (k, s) in c.characters.enumerated() {
            let g = Escaping.html(glyph(s, tab: "→"))
            shown += k == c.center ? "<b>" + g + "</b>" : g
            colours.append(Unicode.Scalar(UInt8(48 + level(scale.position(c.values[k])))))
        }
        return "<div class=\"ctx\" data-c=\"\(c.center)\" data-v=\"\(Escaping.html(String(colours)))\">"
            + "<span class=\"at\">\(signed(Double(c.value), digits: 4)) at \(c.position)</span> <span class=\"t\">\(shown)</span></div>\n"
    }

    static func level(_ position: Float) -> Int {
        max(0, min(levels - 1, Int(((position + 1) * Float(levels - 1) / 2).rounded())))
    }

    /// The colour of each level as the heat map draws it, with text light or dark by its luminance.
    static var colourClasses: String {
        let scale = DivergingScale(range: -1...1)
        return (0..<levels).map { l in
            let bg = scale.color(Float(l) / Float(levels - 1) * 2 - 1)
            return ".q\(l) { background: \(bg.hex); color: \(bg.textColor.hex); }"
        }.joined(separator: "\n")
    }

    static var style: String {
        """
        body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
        h1 { font-size: 1.2em; } h2 { font-size: 0.95em; font-weight: 600; margin: 1.6em 0 0.3em; }
        h3 { font-size: 0.8em; color: #555; margin: 0.5em 0 0.2em; font-weight: 400; }
        .caption, .legend { color: #555; font-size: 0.85em; }
        table { border-collapse: collapse; font-size: 0.85em; }
        th { cursor: pointer; text-align: left; border-bottom: 1px solid #ccc; padding: 0.2em 0.6em; }
        td { padding: 0.1em 0.6em; } td.strip { font-family: ui-monospace, Menlo, Consolas, monospace; white-space: pre; }
        .ctx { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; white-space: pre; line-height: 1.5; }
        .at { color: #777; display: inline-block; width: 12em; }
        .t b, .t .m { outline: 1px solid #000; font-weight: 700; }
        .bar { display: inline-block; width: 1.2em; height: 0.8em; vertical-align: middle; }
        section.unit { content-visibility: auto; contain-intrinsic-size: auto 40em; }

        """ + colourClasses + "\n"
    }

    static let script = """
    document.querySelectorAll('#index th[data-key]').forEach(function (th) {
      th.addEventListener('click', function () {
        var key = th.dataset.key, body = document.querySelector('#index tbody');
        var down = th.dataset.dir !== 'down'; th.dataset.dir = down ? 'down' : 'up';
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) { var d = parseFloat(a.dataset[key]) - parseFloat(b.dataset[key]); return down ? -d : d; });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    function paint(ctx) {
      var t = ctx.querySelector('.t'), v = ctx.dataset.v, c = +ctx.dataset.c, chars = Array.from(t.textContent);
      var f = document.createDocumentFragment();
      chars.forEach(function (ch, k) {
        var s = document.createElement('span');
        s.className = 'q' + (v.charCodeAt(k) - 48) + (k === c ? ' m' : '');
        s.textContent = ch; f.appendChild(s);
      });
      t.replaceChildren(f);
    }
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        e.target.querySelectorAll('.ctx').forEach(paint); seen.unobserve(e.target);
      });
    }, { rootMargin: '400px' });
    document.querySelectorAll('section.unit').forEach(function (s) { seen.observe(s); });

    """
}
