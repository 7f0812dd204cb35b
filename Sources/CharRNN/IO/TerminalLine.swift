// Fitting a live progress line to the terminal: a line wider than the terminal wraps, and each
// redraw then leaves a new line behind instead of replacing the one.

public enum TerminalLine {
    /// The bar, the percentage and the text on one line of at most `columns - 1` characters (the
    /// last column is left free, where some terminals wrap at once): the whole line when it fits,
    /// else without the bar, else the text alone, cut short if it must be.
    public static func fit(bar: String?, percent: String?, text: String, columns: Int) -> String {
        let room = max(1, columns - 1)
        let candidates = [[bar, percent, text], [percent, text]].map { $0.compactMap { $0 }.joined(separator: " ") }
        if let fitting = candidates.first(where: { $0.count <= room }) { return fitting }
        return String(text.prefix(room))
    }
}
