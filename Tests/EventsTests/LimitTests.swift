import Events
import Foundation
import Testing

// MARK: - LimitTests

@Suite("Hostile input: limits, no crash, no quadratic blow-up")
struct LimitTests {
    @Test("a message above the size limit is refused before parsing")
    func size() {
        let bytes = [UInt8](repeating: UInt8(ascii: " "), count: 1_048_577)
        let error = decodingError(bytes)
        #expect(error?.code == .limitExceeded)
        #expect(error?.reason == "the message is 1048577 bytes; the limit is 1048576")
    }

    @Test("deep nesting is refused without recursing into it", arguments: [33, 100_000])
    func depth(levels: Int) {
        let text = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        let error = decodingError(Array(text.utf8))
        #expect(error?.code == .limitExceeded)
        #expect(error?.reason.hasSuffix("nesting is deeper than 32 levels") == true)
    }

    @Test("nesting up to the limit inside data is accepted")
    func depthWithinLimit() throws {
        var nested: Any = "leaf"
        for _ in 0..<30 { nested = ["n": nested] }  // envelope + data + 30 levels = 32
        #expect(throws: Never.self) { try EventCatalog.decode(try Message.visitArrived { $0["extra"] = nested }) }
        nested = ["n": nested]
        let error = decodingError(try Message.visitArrived { $0["extra"] = nested })
        #expect(error?.code == .limitExceeded)
        #expect(error?.path?.hasPrefix("data.extra.n.n") == true)
    }

    @Test("an over-long member name is refused")
    func longKey() throws {
        let error = decodingError(try Message.visitArrived { $0[String(repeating: "k", count: 4097)] = 1 })
        #expect(error?.code == .limitExceeded)
        #expect(error?.reason.contains("a member name is longer than 4096 characters") == true)
    }

    @Test("a dead letter may carry a large original message")
    func deadLetterValue() throws {
        let letter = DeadLetter.V1(
            originalTopic: "branch.visits", partition: 0, offset: 1, keyBytes: Array("V-1".utf8),
            value: [UInt8](repeating: 0x41, count: 300_000), error: "too large", service: "intake",
            at: try Timestamp(rfc3339: "2026-11-23T09:40:12.345+08:00"))
        let envelope = Envelope(source: "concierge/intake", data: letter)
        let decoded = try Envelope<DeadLetter.Latest>(decoding: envelope.encode())
        #expect(decoded.data.originalValue?.count == 300_000)
    }

    @Test("the limits are configurable")
    func configurable() throws {
        let strict = EventDecodingLimits(maximumStringLength: 8)
        let error = decodingError(try Message.visitArrived(), limits: strict)
        #expect(error?.code == .limitExceeded)
        #expect(throws: Never.self) { try EventCatalog.decode(try Message.visitArrived(), limits: .default) }
    }

    @Test("a long number literal is refused")
    func longNumber() throws {
        let error = decodingError(Array(#"{"a":1\#(String(repeating: "0", count: 80))}"#.utf8))
        #expect(error?.code == .limitExceeded)
        #expect(error?.reason == "a: a number is longer than 64 characters")
    }

    @Test("many members and escapes parse in linear time")
    func wideObject() throws {
        var data = Message.visitArrivedData()
        for index in 0..<20_000 { data["k\(index)"] = "\u{4E2D}\\\"\u{1F600}" }
        let bytes = try Message.event(data: data)
        let clock = ContinuousClock()
        let elapsed = try clock.measure { _ = try EventCatalog.decode(bytes) }
        #expect(elapsed < .seconds(5))
    }

    @Test("random bytes never crash the decoder")
    func fuzz() throws {
        var generator = SystemRandomNumberGenerator()
        let valid = try Message.visitArrived()
        for _ in 0..<2_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? EventCatalog.decode(bytes)
            _ = EventCatalog.redactingCredentials(bytes)
        }
    }
}
