// JSON values and the one writer of JSON text in charnn: checkpoint headers and metadata, metrics
// lines, inspect-cells dumps and command reports all quote strings and format numbers here.

public enum JSONValue {
    /// Members in order: a safetensors header's order is meaningful, and writers choose theirs.
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    /// The number's text, as read or as it is to be written; see `JSONWriter.number`.
    case number(String)
    case bool(Bool)
    case null

    /// A number as `JSONWriter.number` writes it; null when not finite.
    public init(_ value: Double) { self = JSONWriter.number(value).map(JSONValue.number) ?? .null }
    public init(_ value: Float) { self = JSONWriter.number(value).map(JSONValue.number) ?? .null }
    public init(_ value: Int) { self = .number(String(value)) }

    /// The value as an exact integer, if it is one.
    public var integer: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    /// Compact JSON text: no spaces, members in their order.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                JSONWriter.appendString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        case .array(let elements):
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                element.write(to: &out)
            }
            out += "]"
        case .string(let text): JSONWriter.appendString(text, to: &out)
        case .number(let text): out += text
        case .bool(let flag): out += flag ? "true" : "false"
        case .null: out += "null"
        }
    }
}

public enum JSONWriter {
    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = ""
        appendString(text, to: &out)
        return out
    }

    /// Appends `text` as a JSON string literal. Quote, backslash and every control character are
    /// escaped (the short forms where JSON has them, as JSONEncoder writes them, so checkpoint
    /// metadata keeps its bytes); U+2028 and U+2029 too, because line-splitting readers of JSON
    /// lines and JavaScript treat them as line ends. Everything else, non-BMP included, is raw UTF-8.
    public static func appendString(_ text: String, to out: inout String) {
        out.unicodeScalars.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.unicodeScalars.append("\"")
    }

    /// Swift's shortest round-tripping form ("0.1", "1.0", "1e-05"); nil for NaN and infinities,
    /// which JSON cannot write (callers write null or refuse).
    public static func number(_ value: Double) -> String? { value.isFinite ? "\(value)" : nil }
    public static func number(_ value: Float) -> String? { value.isFinite ? "\(value)" : nil }

    /// A number for a JSON document: its text, or null when not finite.
    public static func number(orNull value: Double) -> String { number(value) ?? "null" }
    public static func number(orNull value: Float) -> String { number(value) ?? "null" }
}
