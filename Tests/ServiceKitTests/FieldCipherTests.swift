import Foundation
import ServiceKit
import Testing

@Suite("Personal data at rest (FieldCipher)")
struct FieldCipherTests {
    static let keyA = Data(repeating: 0x11, count: 32).base64EncodedString()
    static let keyB = Data(repeating: 0x22, count: 32).base64EncodedString()

    func cipher(_ keys: String, active: String? = nil) throws -> FieldCipher {
        var values = [FieldCipher.keysVariable: keys]
        if let active { values[FieldCipher.activeKeyVariable] = active }
        return try FieldCipher(environment: EnvironmentReader(values))
    }

    @Test("H-03 a value seals to bytes that do not contain it and opens again with the same context")
    func roundTrip() throws {
        let cipher = try cipher("k1:\(Self.keyA)")
        let sealed = try cipher.seal("13812345678", context: "visit/V1")
        #expect(sealed.keyID == "k1")
        #expect(!String(decoding: sealed.bytes, as: UTF8.self).contains("13812345678"))
        #expect(sealed.bytes.count == 12 + 11 + 16)  // nonce, ciphertext, tag
        #expect(try cipher.open(sealed, context: "visit/V1") == "13812345678")
        // A fresh nonce each time: the same number never gives the same bytes.
        #expect(try cipher.seal("13812345678", context: "visit/V1").bytes != sealed.bytes)
    }

    @Test("H-03 a ciphertext moved to another row, or altered, does not open")
    func boundToContext() throws {
        let cipher = try cipher("k1:\(Self.keyA)")
        var sealed = try cipher.seal("13812345678", context: "visit/V1")
        #expect(throws: FieldCipher.OpenError.self) { try cipher.open(sealed, context: "visit/V2") }
        sealed.bytes[14] ^= 0x01
        #expect(throws: FieldCipher.OpenError.self) { try cipher.open(sealed, context: "visit/V1") }
    }

    @Test("H-03 keys rotate: new values use the active key, old ones open while their key stays listed")
    func rotation() throws {
        let old = try cipher("k1:\(Self.keyA)")
        let sealedOld = try old.seal("13800000000", context: "c")
        let rotated = try cipher("k2:\(Self.keyB),k1:\(Self.keyA)")
        #expect(rotated.activeKeyID == "k2")
        #expect(try rotated.seal("x", context: "c").keyID == "k2")
        #expect(try rotated.open(sealedOld, context: "c") == "13800000000")
        let explicit = try cipher("k2:\(Self.keyB),k1:\(Self.keyA)", active: "k1")
        #expect(try explicit.seal("x", context: "c").keyID == "k1")
        let retired = try cipher("k2:\(Self.keyB)")
        #expect(throws: FieldCipher.OpenError.self) { try retired.open(sealedOld, context: "c") }
    }

    @Test("H-03 the key ring is required and checked: size, format, duplicates, active key; errors never show a key")
    func configuration() throws {
        let short = Data(repeating: 1, count: 16).base64EncodedString()
        for (keys, active) in [
            ("k1:\(short)", nil), ("k1", nil), ("k1:not base64!", nil), ("k1:\(Self.keyA),k1:\(Self.keyB)", nil),
            ("k1:\(Self.keyA)", "k9"), ("bad id:\(Self.keyA)", nil),
        ] as [(String, String?)] {
            do {
                _ = try cipher(keys, active: active)
                Issue.record("accepted \(keys)")
            } catch let error as ConfigurationError {
                #expect(!error.description.contains(Self.keyA))
                #expect(!error.description.contains(short))
            }
        }
        #expect(throws: ConfigurationError.self) { try FieldCipher(environment: EnvironmentReader([:])) }
    }

    @Test("H-01 personal data is shown masked: first three and last four characters")
    func masking() {
        #expect(PersonalData.masked("13812345678") == "138****5678")
        #expect(PersonalData.masked("+86 138 1234 5678") == "+86*******5678")
        #expect(PersonalData.masked("12345") == "***45")
    }
}
