// The heat map in a terminal: for each unit a heading, then the text with each character on a
// 24-bit background colour. Without colour (NO_COLOR), each text line is followed by a line of
// bar glyphs ▁▂▃▄▅▆▇█ showing each character's value from low to high on the same scale.

public final class ANSIRenderer: HeatMapRenderer {
    private let color: Bool
    static let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    public init(_ out: ByteWriter, color: Bool) {
        self.color = color
        super.init(out)
    }

    override public func finish() throws {
        guard let context else { return }
        let bold = color ? "\u{1B}[1m" : "", reset = color ? "\u{1B}[0m" : ""
        for (u, unit) in context.columns.enumerated() {
            let column = table.column(u)
            let scale = DivergingScale(unit: unit, values: column)
            try out.write((u == 0 ? "" : "\n") + bold + context.heading(of: unit) + reset + "\n")
            var text = "", bars = ""
            for (t, s) in table.characters.enumerated() {
                if color {
                    let c = scale.color(column[t]), ink = c.textColor
                    text += "\u{1B}[48;2;\(c.r);\(c.g);\(c.b)m\u{1B}[38;2;\(ink.r);\(ink.g);\(ink.b)m" + glyph(s, tab: "→")
                } else {
                    text += glyph(s, tab: "→")
                    let level = Int(((scale.position(column[t]) + 1) / 2 * Float(Self.bars.count - 1)).rounded())
                    bars.append(Self.bars[max(0, min(Self.bars.count - 1, level))])
                }
                if s == "\n" || t == table.characters.count - 1 {
                    try out.write(text + reset + "\n" + (color ? "" : bars + "\n"))
                    text = ""; bars = ""
                }
            }
        }
        try out.flush()
    }
}
