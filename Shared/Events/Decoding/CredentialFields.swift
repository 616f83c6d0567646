// MARK: - CredentialFields

/// The field names that may never appear in an event: customer passwords, PINs, card verification values,
/// e-banking certificates and one-time codes (contract §1.1, rulebook D-10, H-07).
///
/// A name is compared after lower-casing it and removing `_`, `-` and spaces (`Card_PIN` → `cardpin`). It is
/// forbidden when
/// - the normalised name is in ``deniedNames``;
/// - it contains `password` or `passwd` (`loginPassword`, `passwordHash`);
/// - it ends in `cvv` or `certificate` (`cardCvv`, `eBankCertificate`);
/// - one of its *words* is `pin`, where words are split at `_`, `-`, spaces and camel-case humps (`tradingPin`,
///   `trading_pin`, `loginPIN`, `pinBlock`), so that `shipping`, `mapping`, `spinner`, `hairpin` or `pinned` pass.
///
/// ``EventCatalog`` rejects such an event with ``EventDecodingError/Code/forbiddenField``, naming the path but
/// never the value.
public enum CredentialFields {
    /// Normalised names that are always forbidden.
    public static let deniedNames: Set<String> = [
        "password", "passwd", "pwd", "pin", "pincode", "cardpin", "atmpin", "cvv", "cvv2", "cvc", "cvc2", "cvn",
        "cardverificationvalue", "securitycode", "certificate", "ebankingcertificate", "ecertificate", "usbkey",
        "privatekey", "otp", "smscode",
    ]

    /// Whether a field with this name may not appear in an event.
    ///
    /// - Parameter name: A JSON member name, as written.
    public static func isForbidden(_ name: String) -> Bool {
        // Every member name of every event passes here: names in ASCII (all of the contract's) take a path without
        // allocations; the same rules, checked against the general one by the tests.
        var name = name
        if let verdict = name.withUTF8({ isForbidden(ascii: $0) }) { return verdict }
        return isForbidden(unicode: name)
    }

    /// The rules for any name (``isForbidden(_:)``), on Unicode scalars.
    static func isForbidden(unicode name: String) -> Bool {
        let normalised = String(
            String.UnicodeScalarView(name.lowercased().unicodeScalars.filter { !isSeparator($0) }))
        if deniedNames.contains(normalised) { return true }
        if normalised.contains("password") || normalised.contains("passwd") { return true }
        if normalised.hasSuffix("cvv") || normalised.hasSuffix("certificate") { return true }
        return words(of: name).contains { $0.lowercased() == "pin" }
    }

    /// ``deniedNames`` as bytes (they are ASCII).
    private static let deniedASCII: [[UInt8]] = deniedNames.map { Array($0.utf8) }

    /// The rules of ``isForbidden(_:)`` on an ASCII name's bytes; `nil` when the name is not ASCII.
    static func isForbidden(ascii name: UnsafeBufferPointer<UInt8>) -> Bool? {
        guard name.allSatisfy({ $0 < 0x80 }) else { return nil }
        func isSeparator(_ byte: UInt8) -> Bool { byte == 0x5F || byte == 0x2D || byte == 0x20 }  // _ - space
        func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
        func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
        func lowered(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte | 0x20 : byte }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, name.count)) { buffer in
            var count = 0
            for byte in name where !isSeparator(byte) {
                buffer[count] = lowered(byte)
                count += 1
            }
            let normalised = UnsafeBufferPointer(rebasing: buffer[0..<count])
            if deniedASCII.contains(where: { $0.elementsEqual(normalised) }) { return true }
            func contains(_ word: StaticString) -> Bool {
                let needle = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
                guard needle.count <= normalised.count else { return false }
                return (0...(normalised.count - needle.count)).contains { start in
                    normalised[start..<(start + needle.count)].elementsEqual(needle)
                }
            }
            func hasSuffix(_ word: StaticString) -> Bool {
                let needle = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
                return needle.count <= normalised.count && normalised.suffix(needle.count).elementsEqual(needle)
            }
            if contains("password") || contains("passwd") { return true }
            if hasSuffix("cvv") || hasSuffix("certificate") { return true }
            // The words, split as ``words(of:)`` splits them: is one of them `pin`?
            func isPin(_ start: Int, _ end: Int) -> Bool {
                end - start == 3 && lowered(name[start]) == 0x70 && lowered(name[start + 1]) == 0x69
                    && lowered(name[start + 2]) == 0x6E  // p i n
            }
            var start = 0
            for offset in 0..<name.count {
                let byte = name[offset]
                if isSeparator(byte) {
                    if isPin(start, offset) { return true }
                    start = offset + 1
                    continue
                }
                if offset > start, isUpper(byte) {
                    let next = offset + 1 < name.count ? name[offset + 1] : nil
                    if !isUpper(name[offset - 1]) || next.map(isLower) == true {
                        if isPin(start, offset) { return true }
                        start = offset
                    }
                }
            }
            return isPin(start, name.count)
        }
    }

    /// The words of a name split at `_`, `-`, spaces and camel-case boundaries: `loginPIN` → `login`, `PIN`;
    /// `ATMPinBlock` → `ATM`, `Pin`, `Block`; `hairpin` → `hairpin`.
    static func words(of name: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        let scalars = Array(name.unicodeScalars)
        for (offset, scalar) in scalars.enumerated() {
            if isSeparator(scalar) {
                if !current.isEmpty { words.append(String(current)) }
                current = String.UnicodeScalarView()
                continue
            }
            if let previous = current.last, isUpper(scalar) {
                // lower or digit → Upper starts a word ("tradingPin"); in a run of capitals, the capital before a
                // lower-case letter starts one ("ATMPin").
                let next = offset + 1 < scalars.count ? scalars[offset + 1] : nil
                if !isUpper(previous) || next.map(isLower) == true {
                    words.append(String(current))
                    current = String.UnicodeScalarView()
                }
            }
            current.append(scalar)
        }
        if !current.isEmpty { words.append(String(current)) }
        return words
    }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar == "-" || scalar == " "
    }

    private static func isUpper(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isUppercase
    }

    private static func isLower(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isLowercase
    }
}
