// A typed command-line option: its name, value, help and default (the spec the parser and the help
// are made from) with the reader that turns its text into a value or says what is wrong with it.

import Foundation

/// What is wrong with an option's text, e.g. "must be at least 1"; the parser adds the name and the text.
struct InvalidValue: Error {
    let what: String
    /// The whole message, for readers whose message does not follow "NAME what, got 'TEXT'".
    var message: String? = nil

    init(what: String) { self.what = what }
    init(message: String) { (self.what, self.message) = ("", message) }
}

/// Anything a command lists among its options.
protocol OptionDeclaration {
    var spec: OptionSpec { get }
}

extension OptionSpec: OptionDeclaration {
    var spec: OptionSpec { self }
}

struct Option<Value>: OptionDeclaration {
    let spec: OptionSpec
    let read: (String) throws -> Value

    var name: String { spec.name }

    /// The same option with this command's help or default (what it seeds, how many threads it starts with).
    func with(help: String? = nil, default defaultText: String? = nil) -> Option {
        var spec = spec
        if let help { spec.help = help }
        if let defaultText { spec.defaultText = defaultText }
        return Option(spec: spec, read: read)
    }

    /// The same option, its value completed by the shells as `completion` says.
    func completing(_ completion: ValueCompletion) -> Option {
        var spec = spec
        spec.completion = completion
        return Option(spec: spec, read: read)
    }

    /// The value its default text reads as (for options whose default is written as it would be typed).
    func defaultValue() throws -> Value { try read(spec.defaultText!) }

    /// The same option without a default in its help (a hidden command always passes it).
    func withoutDefault() -> Option {
        var spec = spec
        spec.defaultText = nil
        return Option(spec: spec, read: read)
    }

    /// The same value and range under another name (`--sample-threads` reads as `--threads` does).
    func renamed(_ name: String, help: String, default defaultText: String?) -> Option {
        var renamed = spec
        (renamed.name, renamed.help, renamed.defaultText) = (name, help, defaultText)
        return Option(spec: renamed, read: read)
    }
}

extension Option where Value == Int {
    static func integer(_ name: String, _ value: String, help: String, default d: String? = nil,
                        in range: PartialRangeFrom<Int>) -> Option {
        integer(name, value, help: help, default: d, min: range.lowerBound, max: nil)
    }

    static func integer(_ name: String, _ value: String, help: String, default d: String? = nil,
                        in range: ClosedRange<Int>) -> Option {
        integer(name, value, help: help, default: d, min: range.lowerBound, max: range.upperBound)
    }

    private static func integer(_ name: String, _ value: String, help: String, default d: String?, min lo: Int, max hi: Int?) -> Option {
        Option(spec: OptionSpec(name: name, value: value, help: help, defaultText: d)) { text in
            guard let v = Int(text) else { throw InvalidValue(what: "needs a whole number") }
            if v < lo { throw InvalidValue(what: "must be at least \(lo)") }
            if let hi, v > hi { throw InvalidValue(what: "must be at most \(hi)") }
            return v
        }
    }
}

extension Option where Value == UInt64 {
    /// A seed: a whole number from 0.
    static func seed(_ name: String, help: String, default d: UInt64) -> Option {
        let whole = Option<Int>.integer(name, "N", help: help, default: "\(d)", in: 0...)
        return Option(spec: whole.spec) { UInt64(try whole.read($0)) }
    }
}

extension Option where Value == Double {
    /// A finite real number: at least `min` or greater than `above`, at most `max` or less than `below`.
    static func real(_ name: String, _ value: String, help: String, default d: String? = nil, min lo: Double? = nil,
                     above: Double? = nil, max hi: Double? = nil, below: Double? = nil) -> Option {
        Option(spec: OptionSpec(name: name, value: value, help: help, defaultText: d)) { text in
            guard let v = Double(text), v.isFinite else { throw InvalidValue(what: "needs a finite number") }
            if let lo, v < lo { throw InvalidValue(what: "must be at least \(lo)") }
            if let above, v <= above { throw InvalidValue(what: "must be greater than \(above)") }
            if let hi, v > hi { throw InvalidValue(what: "must be at most \(hi)") }
            if let below, v >= below { throw InvalidValue(what: "must be less than \(below)") }
            return v
        }
    }

    /// A duration like 90, 90s, 10m, 1.5h, 2d (seconds when no unit).
    static func duration(_ name: String, help: String) -> Option {
        Option(spec: OptionSpec(name: name, value: "DURATION", help: help)) { text in
            let text = text.lowercased()
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            var number = Substring(text), scale = 1.0
            if let last = text.last, let unit = units[last] { number = text.dropLast(); scale = unit }
            guard let v = Double(number), v.isFinite, v > 0 else {
                throw InvalidValue(what: "needs a positive duration such as 90s, 10m or 2h")
            }
            return v * scale
        }
    }
}

extension Option where Value == Float {
    /// A real number read as a Double (so the messages say what was given) and stored as a Float.
    static func real(_ name: String, _ value: String, help: String, default d: String? = nil, min lo: Double? = nil,
                     above: Double? = nil, max hi: Double? = nil, below: Double? = nil) -> Option {
        let real = Option<Double>.real(name, value, help: help, default: d, min: lo, above: above, max: hi, below: below)
        return Option(spec: real.spec) { Float(try real.read($0)) }
    }
}

extension Option where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of the type's cases, by name, in any case.
    static func choice(_ name: String, _ value: String, help: String, default d: Value? = nil) -> Option {
        Option(spec: OptionSpec(name: name, value: value, help: help, defaultText: d?.rawValue,
                                choices: Value.allCases.map(\.rawValue))) { text in
            guard let v = Value(rawValue: text.lowercased()) else {
                throw InvalidValue(what: "must be one of " + Value.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return v
        }
    }
}

extension Option where Value == String {
    static func text(_ name: String, _ value: String, help: String, default d: String? = nil, repeatable: Bool = false) -> Option {
        Option(spec: OptionSpec(name: name, value: value, help: help, defaultText: d, repeatable: repeatable,
                                completion: value == "FILE" ? .file : .none)) { $0 }
    }
}

extension Option where Value == Bool {
    /// An option that takes no value: given or not.
    static func flag(_ name: String, help: String) -> Option {
        Option(spec: OptionSpec(name: name, value: nil, help: help)) { _ in true }
    }
}

/// A number as the help shows a default: 2e-3 rather than 0.002, 0 rather than 0.0, 0.05 as it is.
func defaultText(_ x: Double) -> String {
    if x == x.rounded() && abs(x) < 1e15 { return String(Int(x)) }
    if x != 0 && abs(x) < 0.01 {
        let exponent = Int((log10(abs(x))).rounded(.down))
        let mantissa = x / pow(10, Double(exponent))
        if abs(mantissa - mantissa.rounded()) < 1e-6 { return "\(Int(mantissa.rounded()))e\(exponent)" }
    }
    return "\(x)"
}

func defaultText(_ x: Float) -> String { defaultText(Double("\(x)")!) }
