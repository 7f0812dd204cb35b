// Encodable → JSONValue, so Codable types (checkpoint metadata, benchmark results) are written by
// JSONWriter. The output is JSONEncoder's with .sortedKeys and .withoutEscapingSlashes, byte for byte,
// so checkpoints written before and after keep the same metadata text.

public enum JSONValueEncoder {
    /// Throws EncodingError.invalidValue for NaN and infinities, as JSONEncoder does.
    public static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let root = EncodingNode()
        try root.store(value, codingPath: [])
        return root.value
    }

    /// Numbers as JSONEncoder writes them: Swift's shortest form without a trailing ".0" ("1", "0.002").
    static func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, _ codingPath: [CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not valid in JSON"))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        return .number(text)
    }
}

/// One value under construction: containers hand out nodes for their members and elements.
private final class EncodingNode {
    enum Content {
        case empty
        case single(JSONValue)
        case keyed([String: EncodingNode])
        case unkeyed([EncodingNode])
    }
    var content = Content.empty

    /// Keys in UTF-8 byte order, the order JSONEncoder's .sortedKeys gives.
    var value: JSONValue {
        switch content {
        case .empty: return .object([])
        case .single(let value): return value
        case .keyed(let members):
            return .object(members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value.value) })
        case .unkeyed(let elements): return .array(elements.map(\.value))
        }
    }

    func store<T: Encodable>(_ value: T, codingPath: [CodingKey]) throws {
        switch value {
        case let v as String: content = .single(.string(v))
        case let v as Bool: content = .single(.bool(v))
        case let v as Double: content = .single(try JSONValueEncoder.number(v, codingPath))
        case let v as Float: content = .single(try JSONValueEncoder.number(v, codingPath))
        case let v as any BinaryInteger: content = .single(.number(String(describing: v)))
        default: try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
        }
    }

    func member(_ key: String) -> EncodingNode {
        if case .keyed(let members) = content, let existing = members[key] { return existing }
        let node = EncodingNode()
        if case .keyed(var members) = content {
            members[key] = node
            content = .keyed(members)
        } else {
            content = .keyed([key: node])
        }
        return node
    }

    func appendElement() -> EncodingNode {
        let node = EncodingNode()
        if case .unkeyed(var elements) = content {
            elements.append(node)
            content = .unkeyed(elements)
        } else {
            content = .unkeyed([node])
        }
        return node
    }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed = node.content {} else { node.content = .keyed([:]) }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .unkeyed = node.content {} else { node.content = .unkeyed([]) }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleNodeContainer(node: node, codingPath: codingPath) }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try node.member(key.stringValue).store(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder { NodeEncoder(node: node.member("super"), codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [CodingKey]
    var count: Int {
        if case .unkeyed(let elements) = node.content { return elements.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendElement().content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws { try node.appendElement().store(value, codingPath: codingPath) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.appendElement(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        NodeEncoder(node: node.appendElement(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> Encoder { NodeEncoder(node: node.appendElement(), codingPath: codingPath) }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [CodingKey]

    mutating func encodeNil() throws { node.content = .single(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws { try node.store(value, codingPath: codingPath) }
}
