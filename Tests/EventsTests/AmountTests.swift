import Events
import Foundation
import Testing

// MARK: - AmountTests

@Suite("Amount: CNY decimal strings, exact in fen")
struct AmountTests {
    @Test(
        "accepted decimal strings and their canonical form",
        arguments: [
            ("1500000.00", 150_000_000, "1500000.00"), ("300000", 30_000_000, "300000.00"), ("12.5", 1250, "12.50"),
            ("0.01", 1, "0.01"), ("0", 0, "0.00"), ("-12.5", -1250, "-12.50"),
            ("92233720368547758.07", Int64.max, "92233720368547758.07"),
        ])
    func accepted(text: String, minorUnits: Int64, canonical: String) throws {
        let amount = try Amount(parsing: text)
        #expect(amount.minorUnits == minorUnits)
        #expect(amount.decimalString == canonical)
    }

    @Test(
        "rejected strings name the problem",
        arguments: [
            ("1500000.001", "more than 2 decimal places"), ("1,500,000.00", "not a decimal amount"),
            ("1e6", "not a decimal amount"), ("", "not a decimal amount"), (".5", "not a decimal amount"),
            ("5.", "not a decimal amount"), ("+5", "not a decimal amount"), (" 5", "not a decimal amount"),
            ("92233720368547758.08", "too large"), ("99999999999999999999", "too large"),
        ])
    func rejected(text: String, expected: String) {
        #expect {
            try Amount(parsing: text)
        } throws: { error in
            (error as? WireFormatError)?.reason.contains(expected) == true
        }
    }

    @Test("a JSON number is rejected with the contract's wording")
    func numberRejected() throws {
        let error = decodingError(try Message.visitArrived { $0["amount"] = 1_500_000 })
        #expect(error?.code == .invalidData)
        #expect(error?.reason == #"data.amount: amount must be a decimal string such as "1500000.00""#)
        #expect(error?.path == "data.amount")
    }

    @Test("three decimals are rejected inside an event")
    func threeDecimalsInEvent() throws {
        let error = decodingError(try Message.visitArrived { $0["amount"] = "1500000.001" })
        #expect(error?.code == .invalidData)
        #expect(error?.reason.hasPrefix("data.amount: \"1500000.001\" has more than 2 decimal places") == true)
    }

    @Test("arithmetic, ordering and Codable")
    func arithmetic() throws {
        var total = Amount(units: 1_000_000)
        total += Amount(minorUnits: 50)
        #expect(total.decimalString == "1000000.50")
        #expect(Amount(units: 1) + Amount.zero == Amount(minorUnits: 100))
        #expect(Amount(units: 999_999) < Amount(units: 1_000_000))
        let json = try JSONEncoder().encode([Amount(minorUnits: 5)])
        #expect(String(decoding: json, as: UTF8.self) == #"["0.05"]"#)
        #expect(try JSONDecoder().decode([Amount].self, from: Data(#"["12.5"]"#.utf8)) == [Amount(minorUnits: 1250)])
    }
}
