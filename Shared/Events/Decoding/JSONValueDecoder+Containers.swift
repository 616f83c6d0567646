// MARK: - JSONValueDecoder.KeyedContainer

extension JSONValueDecoder {
    /// Reads the members of an object.
    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

        func decodeNil(forKey key: Key) throws -> Bool { try decoder(for: key).value == .null }

        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoder(for: key).unboxBool() }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoder(for: key).unboxString() }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
            try decoder(for: key).unboxFloatingPoint(type)
        }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
            try decoder(for: key).unboxFloatingPoint(type)
        }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoder(for: key).unboxInteger(type) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decoder(for: key).unboxInteger(type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decoder(for: key).unboxInteger(type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoder(for: key).unboxInteger(type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoder(for: key).unboxInteger(type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decoder(for: key).unboxInteger(type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decoder(for: key).unboxInteger(type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
            try decoder(for: key).unboxInteger(type)
        }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
            try decoder(for: key).unboxInteger(type)
        }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
            try decoder(for: key).unboxInteger(type)
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: decoder(for: key)) }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try decoder(for: key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder(for: key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            JSONValueDecoder(value: members["super"] ?? .null, codingPath: codingPath)
        }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            JSONValueDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
        }

        private func decoder(for key: Key) throws -> JSONValueDecoder {
            guard let value = members[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: codingPath + [key], debugDescription: "required field is missing"))
            }
            return JSONValueDecoder(value: value, codingPath: codingPath + [key])
        }
    }
}

// MARK: - JSONValueDecoder.UnkeyedContainer

extension JSONValueDecoder {
    /// Reads the elements of an array in order.
    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        private(set) var currentIndex = 0

        init(elements: [JSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func decodeNil() throws -> Bool {
            guard try next().value == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try advance { try $0.unboxBool() } }
        mutating func decode(_ type: String.Type) throws -> String { try advance { try $0.unboxString() } }
        mutating func decode(_ type: Double.Type) throws -> Double { try advance { try $0.unboxFloatingPoint(type) } }
        mutating func decode(_ type: Float.Type) throws -> Float { try advance { try $0.unboxFloatingPoint(type) } }
        mutating func decode(_ type: Int.Type) throws -> Int { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try advance { try $0.unboxInteger(type) } }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try advance { try $0.unboxInteger(type) } }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try advance { try T(from: $0) } }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try advance { try $0.container(keyedBy: type) }
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try advance { try $0.unkeyedContainer() }
        }

        mutating func superDecoder() throws -> any Decoder {
            try advance { $0 }
        }

        /// Decodes the current element with `body`, then moves past it.
        private mutating func advance<T>(_ body: (JSONValueDecoder) throws -> T) throws -> T {
            let result = try body(next())
            currentIndex += 1
            return result
        }

        private func next() throws -> JSONValueDecoder {
            let key = JSONIndexKey(index: currentIndex)
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    Any.self, .init(codingPath: codingPath + [key], debugDescription: "the array has no more elements"))
            }
            return JSONValueDecoder(value: elements[currentIndex], codingPath: codingPath + [key])
        }
    }
}
