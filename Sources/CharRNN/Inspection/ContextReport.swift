// The neuron viewer as text and as JSON lines. Text: per unit a heading, then its highest and
// lowest contexts, one line each, the character between ⟦ ⟧ (on a terminal each character also on
// its heat-map colour). JSON lines: one object per unit with its figures and contexts.

public enum ContextReport {
    public static let open = "⟦", close = "⟧"

    public static func writeText(_ views: UnitViews, color: Bool, to out: ByteWriter) throws {
        let bold = color ? "\u{1B}[1m" : "", reset = color ? "\u{1B}[0m" : ""
        try out.write("contexts: the \(views.limit) highest and lowest local extremes (within ±\(views.window) characters) of "
                      + "\(views.views.count) unit\(views.views.count == 1 ? "" : "s") over \(views.characters) characters, "
                      + (views.ranked ? "strongest correlation first" : "widest spread first") + "\n")
        for view in views.views {
            try out.write("\n" + bold + view.heading + reset + "\n")
            for (title, list) in [("highest", view.contexts.highest), ("lowest", view.contexts.lowest)] {
                try out.write("  \(title)\n")
                for c in list {
                    let value = signed(Double(c.value), digits: 4).padding(toLength: 9)
                    let at = "at \(c.position)".padding(toLength: 11)
                    try out.write("    \(value) \(at) \(line(c, scale: view.scale, color: color))\n")
                }
            }
        }
        try out.flush()
    }

    /// A context on one line: newlines as ↵, tabs as →, the character itself between ⟦ ⟧.
    static func line(_ c: UnitContext, scale: DivergingScale, color: Bool) -> String {
        var text = ""
        for (k, s) in c.characters.enumerated() {
            let shown = glyph(s, tab: "→")
            if color {
                let bg = scale.color(c.values[k]), ink = bg.textColor
                let mark = k == c.center ? "\u{1B}[1;4m" : ""
                text += "\u{1B}[48;2;\(bg.r);\(bg.g);\(bg.b)m\u{1B}[38;2;\(ink.r);\(ink.g);\(ink.b)m\(mark)\(shown)\u{1B}[0m"
            } else {
                text += k == c.center ? open + shown + close : shown
            }
        }
        return text
    }

    public static func writeJSONLines(_ views: UnitViews, to out: ByteWriter) throws {
        for view in views.views {
            let s = view.summary
            var line = "{\"unit\":" + JSONWriter.quoted(view.unit.name) + ",\"mean\":" + JSONWriter.number(orNull: s.mean)
                + ",\"sd\":" + JSONWriter.number(orNull: s.deviation)
            if let f = view.figure {
                line += ",\"best\":{\"label\":" + JSONWriter.quoted(f.label) + ",\"r\":" + JSONWriter.number(orNull: f.r) + "}"
            }
            line += ",\"highest\":" + json(view.contexts.highest) + ",\"lowest\":" + json(view.contexts.lowest) + "}\n"
            try out.write(line)
        }
        try out.flush()
    }

    /// [{"pos":…,"value":…,"text":"…","center":…,"values":[…]},…]
    static func json(_ contexts: [UnitContext]) -> String {
        let items = contexts.map { c in
            var text = String.UnicodeScalarView()
            text.append(contentsOf: c.characters)
            return "{\"pos\":\(c.position),\"value\":" + JSONWriter.number(orNull: c.value) + ",\"text\":" + JSONWriter.quoted(String(text))
                + ",\"center\":\(c.center),\"values\":[" + c.values.map { JSONWriter.number(orNull: $0) }.joined(separator: ",") + "]}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}

extension String {
    /// This text with spaces after it up to `width` characters.
    func padding(toLength width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
