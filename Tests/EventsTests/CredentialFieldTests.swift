import Foundation
import Testing

@testable import Events

// MARK: - CredentialFieldTests

@Suite("D-10/H-07 credential fields are never accepted")
struct CredentialFieldTests {
    @Test(
        "H-07 forbidden names, however they are spelled",
        arguments: [
            "password", "Password", "PASSWD", "pwd", "pin", "PIN", "pinCode", "pin_code", "card-pin", "ATM PIN",
            "atmPin", "cvv", "CVV2", "cvc", "cvc2", "cvn", "card_verification_value", "securityCode",
            "certificate", "eBankingCertificate", "e-certificate", "usbKey", "private_key", "otp", "OTP", "smsCode",
            "loginPassword", "password_hash", "newPasswd", "tradingPin", "trading_pin", "loginPIN", "ATMPin",
            "pinBlock", "encryptedPinBlock", "cardCvv", "ebankCertificate",
        ])
    func forbidden(name: String) {
        #expect(CredentialFields.isForbidden(name))
    }

    @Test(
        "names that merely contain the letters are allowed",
        arguments: [
            "shipping", "mapping", "spinner", "hairpin", "pinned", "isPinned", "spin", "opinion", "opinionBook",
            "pinyin", "visitId", "caseRef", "topping", "TRADINGPIN", "passage", "certified", "cvvCheckedAt",
            "otpSentAt", "postcode", "keyId",
        ])
    func allowed(name: String) {
        #expect(!CredentialFields.isForbidden(name))
    }

    @Test("H-07 the ASCII path judges every name as the general rules do (10,000 generated names near the rules' edges, and the lists above)")
    func asciiPathAgrees() async {
        // Pieces of the forbidden words in both cases, single letters, the separators and a digit: names near every
        // rule's edge.
        let alphabet = [
            "pin", "PIN", "Pin", "pIn", "pass", "word", "Password", "passwd", "cvv", "CVV", "certificate", "Cert",
            "ificate", "otp", "atm", "ATM", "pwd", "_", "-", " ", "x", "X", "a", "1", "hair", "ping", "P", "i", "n",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var names = [
            "password", "loginPIN", "ATMPin", "pinBlock", "hairpin", "TRADINGPIN", "cvvCheckedAt", "eBankingCertificate",
            "", "_", "P", "pin_", "-pin", "PINs", "aPINb", "PiN", "xPIN", "xPINy", "XPINY", "pin1", "1pin",
        ]
        for _ in 0..<10_000 {
            names.append((0..<next(6)).map { _ in alphabet[next(alphabet.count)] }.joined())
        }
        var disagreements: [String] = []
        // The general path is slow in a debug build; the loop yields now and then so that it does not hold a thread
        // of the cooperative pool for seconds while timing-sensitive suites run beside it (it once held one for 14 s
        // with 50,000 names, and the stall watchdog's own check could not run).
        for (index, name) in names.enumerated() {
            if index % 500 == 0 { await Task.yield() }
            if CredentialFields.isForbidden(name) != CredentialFields.isForbidden(unicode: name) {
                disagreements.append(name)
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20))")
        // Both paths flag a fair share of the generated names: the generator reaches the rules.
        let flagged = names.filter { CredentialFields.isForbidden($0) }.count
        #expect(flagged > 1_000)
        // A name that is not ASCII takes the general path.
        #expect(CredentialFields.isForbidden("密码password"))
        #expect(!CredentialFields.isForbidden("客户编号"))
    }

    @Test("H-07 a PIN field anywhere in data is rejected, even inside arrays")
    func nested() throws {
        let bytes = try Message.visitArrived {
            $0["extras"] = ["cards": [["last4": "8000"], ["number": "6222", "tradingPin": "123456"]]]
        }
        let error = decodingError(bytes)
        #expect(error?.code == .forbiddenField)
        #expect(error?.path == "data.extras.cards[1].tradingPin")
        #expect(error?.reason.contains("123456") == false)
    }

    @Test("H-07 a credential in the envelope is rejected")
    func envelope() throws {
        let error = decodingError(try Message.event(data: Message.visitArrivedData(), envelope: ["password": "x"]))
        #expect(error?.code == .forbiddenField)
        #expect(error?.path == "password")
    }

    @Test("H-07 credentials are found before anything else is checked")
    func beforeEnvelope() {
        let error = decodingError(Array(#"{"type":"bank.unknown.v9","data":{"otp":"424242"}}"#.utf8))
        #expect(error?.code == .forbiddenField)
        #expect(error?.eventType == "bank.unknown.v9")
    }

    @Test("H-07 an escaped key is unescaped before it is checked")
    func escapedKey() throws {
        var text = String(decoding: try Message.visitArrived(), as: UTF8.self)
        text.removeLast()  // the closing brace of the envelope
        text += #","p\u0049N":"1234"}"#
        let error = decodingError(Array(text.utf8))
        #expect(error?.code == .forbiddenField)
        #expect(error?.path == "pIN")
    }

    @Test("H-07 the redacted message keeps everything but the credential's value")
    func redaction() throws {
        let bytes = try Message.visitArrived { $0["cardPin"] = "864209" }
        let redacted = try #require(EventCatalog.redactingCredentials(bytes))
        let text = String(decoding: redacted, as: UTF8.self)
        #expect(!text.contains("864209"))
        #expect(text.contains(#""cardPin":"<redacted>""#))
        #expect(text.contains(#""visitId":"V20261123-SH001-0042""#))
        #expect(EventCatalog.redactingCredentials(Array("{".utf8)) == nil)
    }

    @Test(
        "H-07 a message that does not parse but names a credential field is recognised, so its bytes are withheld",
        arguments: [
            #"{"specversion":"1.0","data":{"cardPin":"123456""#,  // cut short
            #"{"data":{"pin" : "8888", "visitId": "V1"}} trailing"#,
            "{\"password\":\"s3cret\", \"x\": \"\u{FFFD}\"",
            #"{"note":"say \"hi\"","tradingPin":"1"#,  // an escaped quote before the name
            #"{"data":{"p\u0049N":"1234"#,  // the name spelt with a JSON escape
        ])
    func unparseableCredentialsAreRecognised(message: String) {
        var bytes = Array(message.utf8)
        bytes.append(0xFF)  // and invalid UTF-8 at the end
        #expect(EventCatalog.mayContainCredentials(bytes))
        #expect(EventCatalog.redactingCredentials(bytes) == nil)
    }

    @Test("H-07 names that merely look like credentials, or a credential word in a value, are not flagged")
    func lookalikesAreNotFlagged() {
        #expect(!EventCatalog.mayContainCredentials(Array(#"{"shipping":"x","note":"pin: 1234","hairpin":1"#.utf8)))
        #expect(!EventCatalog.mayContainCredentials(Array("not json at all".utf8)))
    }
}
