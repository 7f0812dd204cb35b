// File names, tensor names and reasons in error messages come from untrusted files and command
// lines: they are shown on one short line with control characters escaped.

/// `text` cut to `limit` scalars (marked with …), control characters escaped.
func oneLineForMessage(_ text: String, limit: Int = 200) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars.prefix(limit) {
        if scalar.value < 0x20 || scalar.value == 0x7F {
            out.append(contentsOf: scalar.escaped(asASCII: true).unicodeScalars)
        } else {
            out.append(scalar)
        }
    }
    return String(out) + (text.unicodeScalars.count > limit ? "…" : "")
}

/// 'text', on one line.
func quotedForMessage(_ text: String) -> String { "'\(oneLineForMessage(text))'" }
