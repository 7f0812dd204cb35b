// One self-contained HTML page (no network, no scripts): for each unit a heading, then the text
// with every character on its activation's colour, and a tooltip (title) with the value and the
// model's five most likely next characters (a space shown as ␣, a newline as \n). Written as
// well-formed XHTML-compatible markup, so an XML parser can check it.

public final class HTMLRenderer: HeatMapRenderer {
    override public var wantsPredictions: Bool { true }

    override public init(_ out: ByteWriter) { super.init(out) }

    static let style = """
    body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
    h1 { font-size: 1.2em; } h2 { font-size: 0.95em; font-weight: 600; margin: 1.4em 0 0.4em; }
    .caption, .legend { color: #555; font-size: 0.85em; }
    .text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; line-height: 1.45;
            white-space: pre-wrap; word-break: break-all; border: 1px solid #ddd; padding: 0.5em; }
    .text span { color: #111; }
    .nl { color: #999; }
    .bar { display: inline-block; width: 1.2em; height: 0.8em; vertical-align: middle; }
    """

    override public func finish() throws {
        guard let context else { return }
        // Tooltips: the value is per unit, the predictions per character: write the latter once.
        let predicted = table.predictions.map { list in
            "&#10;next: " + list.map { Escaping.html($0.character == " " ? "␣" : Escaping.readable($0.character)) + " " + percent($0.probability) }
                .joined(separator: ", ")
        }
        try out.write("""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><title>charnn inspect-cells</title>
        <style>\n\(Self.style)</style></head>
        <body>
        <h1>charnn inspect-cells</h1>
        <p class="caption">\(Escaping.html(context.caption))</p>
        <p class="legend">colour: <span class="bar" style="background:\(DivergingScale.rgbHex(-1))"></span> low
        <span class="bar" style="background:\(DivergingScale.rgbHex(0))"></span> neutral (0 for h and tanh candidates, 0.5 for gates)
        <span class="bar" style="background:\(DivergingScale.rgbHex(1))"></span> high; cell states are scaled by their largest |c|.
        Hover a character for the value and the model's top-5 next characters.</p>\n
        """)
        for (u, unit) in context.columns.enumerated() {
            let column = table.column(u)
            let scale = DivergingScale(unit: unit, values: column)
            try out.write("<section><h2>\(Escaping.html(context.heading(of: unit)))</h2>\n<div class=\"text\">")
            for (t, s) in table.characters.enumerated() {
                let shown = glyph(s, tab: "\t")
                let cls = s == "\n" ? " class=\"nl\"" : ""
                let background = scale.color(column[t])
                let light = background.wantsLightText ? ";color:#fff" : ""  // else the stylesheet's #111
                try out.write("<span\(cls) style=\"background:\(background.hex)\(light)\" title=\"\(unit.name) = \(column[t])\(predicted[t])\">"
                              + Escaping.html(shown) + "</span>" + (s == "\n" ? "<br/>" : ""))
            }
            try out.write("</div></section>\n")
        }
        try out.write("</body></html>\n")
        try out.flush()
    }
}

extension DivergingScale {
    /// The colour at a scale position in [-1, 1], for legends.
    static func rgbHex(_ t: Float) -> String {
        DivergingScale(range: -1...1).color(t).hex
    }
}
