import Events
import Foundation
import Messaging
import ServiceKit
import TestSupport
import Testing

/// Assignment's write endpoints as a front end sees them: the real executable, its HTTP listener, the directory fed
/// over the development broker.
@Suite("Assignment over HTTP", .serialized, .timeLimit(.minutes(3)))
struct AssignmentHTTPTests {
    @Test(
        "D-08 D-12 H-03 POST /transfers names each missing field (422), then moves the customer (201, 200 on retry); the relationship shows the file masked and the notes"
    )
    func transferAndNotes() async throws {
        let stack = try await ConciergeStack.start(services: ["assignment"])
        do {
            try await Self.run(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    static func run(_ stack: ConciergeStack) async throws {
        let assignment = stack.url("assignment")
        let branch = "H\(stack.runID.prefix(6))"
        let marketing = "MM-\(stack.runID)"
        let wealth = "WM-\(stack.runID)"
        let customer = "C-\(stack.runID)"
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            let records = [
                TestEvents.staff(marketing, branch: branch, role: .marketingManager),
                TestEvents.staff(wealth, branch: branch, role: .wealthManager),
            ]
            for result in await producer.send(records) { _ = try result.get() }
        }
        // Both records, which are on different partitions: one manager's book says nothing of the other.
        try await stack.waitForDirectoryCopies(holding: [marketing, wealth], in: ["assignment"])

        // Incomplete: every missing or blank field named, for the front end to highlight.
        let incomplete = try #require(
            await TestHTTP.post(
                "\(assignment)/transfers",
                json: [
                    "customerId": customer, "marketingManagerId": marketing, "wealthManagerId": wealth,
                    "customerFile": ["contact": "13812345678", "needs": " ", "notes": "prefers mornings"],
                ]))
        #expect(incomplete.status == 422)
        let problem = try #require(try incomplete.json() as? [String: Any])
        #expect(problem["error"] as? String == "incomplete_customer_file")
        #expect(problem["fields"] as? [String] == ["customerFile.needs", "customerFile.riskProfile"])
        #expect((problem["detail"] as? String)?.contains("customerFile.riskProfile") == true)
        #expect(await TestHTTP.get("\(assignment)/customers/\(customer)/relationship")?.status == 404)

        let complete: [String: Any] = [
            "transferId": "T-\(stack.runID)", "customerId": customer, "marketingManagerId": marketing,
            "wealthManagerId": wealth,
            "customerFile": [
                "contact": "13812345678", "needs": "education fund for a child, 10-year horizon",
                "riskProfile": "balanced", "notes": "prefers mornings; met at the 2026 autumn salon",
            ],
        ]
        // The marketing manager hands over with their own token (D-08, H-09); another branch's centre head may not.
        let marketingToken = TestHTTP.token(marketing, role: .manager, branch: branch)
        let otherHead = TestHTTP.token("CH-ELSEWHERE", role: .centreHead, branch: "ELSEWHERE")
        #expect(await TestHTTP.post("\(assignment)/transfers", json: complete, token: otherHead)?.status == 403)
        let created = try #require(await TestHTTP.post("\(assignment)/transfers", json: complete, token: marketingToken))
        #expect(created.status == 201)
        let view = try #require(try created.json() as? [String: Any])
        #expect(view["wealthManagerId"] as? String == wealth)
        #expect(view["branchId"] as? String == branch)
        let retried = try #require(await TestHTTP.post("\(assignment)/transfers", json: complete, token: marketingToken))
        #expect(retried.status == 200)
        #expect((try retried.json() as? [String: Any])?["transferredAt"] as? String == view["transferredAt"] as? String)

        // The new owner writes in their own name; the marketing manager no longer owns the customer.
        let wealthToken = TestHTTP.token(wealth, role: .manager, branch: branch)
        let note = try #require(
            await TestHTTP.post(
                "\(assignment)/customers/\(customer)/notes",
                json: ["authorId": wealth, "text": "first call done; wants a review in March"], token: wealthToken))
        #expect(note.status == 201)
        let formerOwner = await TestHTTP.post(
            "\(assignment)/customers/\(customer)/notes", json: ["text": "one more thing"], token: marketingToken)
        #expect(formerOwner?.status == 403)
        let blank = try #require(
            await TestHTTP.post(
                "\(assignment)/customers/\(customer)/notes", json: ["authorId": wealth, "text": ""], token: wealthToken))
        #expect(blank.status == 422)
        #expect((try blank.json() as? [String: Any])?["fields"] as? [String] == ["text"])

        let relationship = try #require(await TestHTTP.get("\(assignment)/customers/\(customer)/relationship"))
        #expect(relationship.status == 200)
        let body = try #require(try relationship.json() as? [String: Any])
        #expect(body["managerId"] as? String == wealth)
        #expect(body["state"] as? String == "owned")
        let file = try #require(body["customerFile"] as? [String: Any])
        #expect(file["contact"] as? String == "138****5678")
        #expect(file["riskProfile"] as? String == "balanced")
        let text = String(decoding: relationship.body, as: UTF8.self)
        #expect(!text.contains("13812345678"))
        let history = try #require(body["history"] as? [[String: Any]])
        #expect(history.count == 1)
        #expect(history.first?["reason"] as? String == "transfer")
        let notes = try #require(history.first?["notes"] as? [[String: Any]])
        #expect(notes.map { $0["authorId"] as? String } == [marketing, wealth])

        // The event on the topic: reason transfer, the marketing manager as previous; the phone nowhere.
        let records = try await TestKafka.read(
            Topics.assignmentEvents, configuration: stack.kafkaConfiguration, timeout: .seconds(20)
        ) { records in
            records.contains { String(decoding: $0.value, as: UTF8.self).contains(customer) }
        }
        let events = try records.map { try EventCatalog.decode($0.value) }
        let assigned = events.compactMap { event -> ManagerAssigned.V1? in
            guard case .managerAssigned(let data) = event.payload, data.customerId == customer else { return nil }
            return data
        }
        #expect(assigned.count == 1)
        #expect(assigned.first?.reason == .transfer)
        #expect(assigned.first?.previousManagerId == marketing)
        #expect(!records.contains { String(decoding: $0.value, as: UTF8.self).contains("13812345678") })
    }
}
