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
        let normalised = String(
            String.UnicodeScalarView(name.lowercased().unicodeScalars.filter { !isSeparator($0) }))
        if deniedNames.contains(normalised) { return true }
        if normalised.contains("password") || normalised.contains("passwd") { return true }
        if normalised.hasSuffix("cvv") || normalised.hasSuffix("certificate") { return true }
        return words(of: name).contains { $0.lowercased() == "pin" }
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
