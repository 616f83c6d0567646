import Events
import Foundation
import Messaging
import ServiceKit
import TestSupport
import Testing

/// Access control on every endpoint of the five real executables (rulebook H-01, H-09): no token, a forged, an
/// expired or a malformed one is a 401; a manager sees only their own customers, book, agenda and cases, a centre
/// head their branch, operations everything; writes are checked the same way and taken in the caller's name.
@Suite("Access control across the five services", .serialized, .timeLimit(.minutes(4)))
struct AccessControlTests {
    /// One endpoint: who must get a 2xx, who a 403.
    struct Row: CustomStringConvertible, Sendable {
        var method = "GET"
        var url: String
        /// The JSON body of a POST.
        var body: Data?
        var allowed: [String]
        var refused: [String]
        var description: String { "\(method) \(url)" }
    }

    @Test("H-01 H-09 every endpoint but health needs a valid bearer token, and each role sees only its own scope")
    func accessMatrix() async throws {
        let stack = try await ConciergeStack.start()
        do {
            try await Self.run(stack)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    static func run(_ stack: ConciergeStack) async throws {
        let run = stack.runID
        let (branchA, branchB) = ("A\(run)", "B\(run)")
        let (wm1, wm2, lobby, headA, headB, wmB) =
            ("WM1-\(run)", "WM2-\(run)", "LM-\(run)", "CHA-\(run)", "CHB-\(run)", "WMB-\(run)")
        let (customer, visit, complaint) = ("C-\(run)", "V-\(run)", "K-\(run)")
        try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
            var records = [
                TestEvents.staff(wm1, branch: branchA, role: .wealthManager),
                TestEvents.staff(wm2, branch: branchA, role: .wealthManager),
                TestEvents.staff(lobby, branch: branchA, role: .lobbyManager),
                TestEvents.staff(headA, branch: branchA, role: .centreHead),
                TestEvents.staff(headB, branch: branchB, role: .centreHead),
                TestEvents.staff(wmB, branch: branchB, role: .wealthManager),
                TestEvents.profile(customer, branch: branchA, aum: 800_000),
            ]
            for result in await producer.send(records) { _ = try result.get() }
            // The directory and the profile first, then the walk-in and a complaint at branch A: the case's owner
            // is the branch's lobby manager as complaints knows it when the complaint arrives (F-03), so wait
            // until every service's copy of the directory has the staff, not a fixed time (which a loaded machine
            // overran).
            let staff = [wm1, wm2, lobby, headA, headB, wmB]
            try await stack.waitForDirectoryCopies(holding: staff)
            records = [
                TestEvents.walkIn(visit, branch: branchA, customerID: customer, recordedBy: lobby),
                TestEvents.record(
                    ComplaintLodged.V1(
                        complaintId: complaint, branchId: branchA, customerId: customer, channel: .lobby, category: "waiting_time",
                        summary: "waited too long", customerNeed: "an apology",
                        receivedAt: .now(utcOffsetSeconds: 8 * 3600), recordedBy: lobby, resolvedOnSpot: false)),
            ]
            for result in await producer.send(records) { _ = try result.get() }
        }

        let assignment = stack.url("assignment")
        let owner = try #require(
            await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(200)) { () -> String? in
                let body = try? await TestHTTP.get("\(assignment)/customers/\(customer)/relationship")?.json()
                return (body as? [String: Any])?["managerId"] as? String
            }, "the walk-in was not assigned within 30 s")
        let other = owner == wm1 ? wm2 : wm1
        let complaints = stack.url("complaints")
        let caseID = try #require(
            await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(200)) { () -> String? in
                let list = try? await TestHTTP.get("\(complaints)/cases?branchId=\(branchA)")?.json() as? [String: Any]
                let cases = list?["cases"] as? [[String: Any]] ?? []
                return cases.first { $0["externalRef"] as? String == complaint }?["caseId"] as? String
            }, "the complaint did not open a case within 30 s")
        let taskID = try #require(
            await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(200)) { () -> String? in
                let tasks = try? await TestHTTP.get("\(stack.url("engagement"))/customers/\(customer)/tasks")?.json()
                let open = (tasks as? [String: Any])?["open"] as? [[String: Any]] ?? []
                return open.first { $0["kind"] as? String == "receive_walkin" }?["taskId"] as? String
            }, "no receive_walkin task within 30 s")

        let tokens = [
            "owner": TestHTTP.token(owner, role: .manager, branch: branchA),
            "other manager": TestHTTP.token(other, role: .manager, branch: branchA),
            "case owner": TestHTTP.token(lobby, role: .manager, branch: branchA),
            "centre head A": TestHTTP.token(headA, role: .centreHead, branch: branchA),
            "centre head B": TestHTTP.token(headB, role: .centreHead, branch: branchB),
            "operations": TestHTTP.operationsToken,
        ]
        let (intake, engagement, scoring) = (stack.url("intake"), stack.url("engagement"), stack.url("scoring"))
        let mine = ["operations", "centre head A", "owner"]
        let notMine = ["other manager", "centre head B"]
        let branchOnly = ["operations", "centre head A"]
        let notBranch = ["owner", "centre head B"]
        var rows = [
            Row(url: "\(intake)/visits/\(visit)", allowed: mine, refused: notMine),
            Row(url: "\(intake)/customers/\(customer)/profile", allowed: mine, refused: notMine),
            Row(url: "\(intake)/branches/\(branchA)/queue", allowed: branchOnly, refused: notBranch),
            Row(url: "\(intake)/branches/\(branchA)/identified", allowed: branchOnly, refused: notBranch),
            Row(url: "\(assignment)/customers/\(customer)/relationship", allowed: mine, refused: notMine),
            Row(url: "\(assignment)/managers/\(owner)/book", allowed: mine, refused: notMine),
            Row(
                method: "POST", url: "\(assignment)/customers/\(customer)/notes", body: json(["text": "called back"]),
                allowed: mine, refused: notMine),
            Row(url: "\(engagement)/managers/\(owner)/agenda", allowed: mine, refused: notMine),
            Row(url: "\(engagement)/customers/\(customer)/tasks", allowed: mine, refused: notMine),
            Row(
                method: "POST", url: "\(engagement)/tasks/\(taskID)/complete", body: json(["outcome": "received"]),
                allowed: ["owner"], refused: notMine),
            Row(url: "\(complaints)/cases/\(caseID)", allowed: ["operations", "centre head A", "case owner"], refused: notMine),
            Row(
                method: "POST", url: "\(complaints)/cases/\(caseID)/acknowledge", body: json(["text": "called the customer"]),
                allowed: ["case owner"], refused: notMine),
            Row(url: "\(complaints)/reports/daily?branchId=\(branchA)", allowed: branchOnly, refused: notBranch),
            Row(url: "\(scoring)/branches/\(branchA)/daily", allowed: branchOnly, refused: notBranch),
            Row(url: "\(scoring)/branches/\(branchA)/indicators", allowed: branchOnly, refused: notBranch),
            Row(url: "\(scoring)/customers/\(customer)/score", allowed: mine, refused: notMine),
            Row(url: "\(scoring)/managers/\(owner)/scorecard", allowed: mine, refused: notMine),
            Row(
                method: "POST", url: "\(scoring)/managers/\(owner)/assessments",
                body: json([
                    "month": String(BusinessDate(localDateOf: .now(utcOffsetSeconds: 8 * 3600)).description.prefix(7)),
                    "items": Dictionary(uniqueKeysWithValues: AssessmentRecorded.V1.Items.names.map { ($0, 80) }),
                ]),
                allowed: ["centre head A"], refused: ["owner", "other manager", "centre head B"]),
        ]
        rows += ConciergeStack.serviceNames.map {
            Row(url: "\(stack.url($0))/metrics", allowed: ["operations"], refused: ["owner", "centre head A"])
        }

        // Each row: refused callers first (writes must not have happened), then the allowed ones, which may need the
        // events to settle.
        var checked = 0
        for row in rows {
            for name in row.refused {
                let response = try #require(await send(row, token: tokens[name]), "\(row) as \(name): no answer")
                #expect(response.status == 403, "\(row) as \(name): \(response.status) \(text(response))")
                #expect((try? response.json() as? [String: Any])?["error"] as? String == "forbidden", "\(row) as \(name)")
                checked += 1
            }
            for name in row.allowed {
                let status = await TestHTTP.eventually(timeout: .seconds(20), interval: .milliseconds(200)) { () -> Int? in
                    guard let status = await send(row, token: tokens[name])?.status, (200..<300).contains(status) else {
                        return nil
                    }
                    return status
                }
                if status == nil {
                    let last = await lastAnswer(row, token: tokens[name])
                    Issue.record("\(row) as \(name): not allowed within 20 s (\(last))")
                }
                checked += 1
            }
        }

        // Listing: narrowed to what the caller may see; asking for more is refused.
        func caseRefs(_ token: String?, query: String = "") async -> Set<String>? {
            guard let response = await TestHTTP.get("\(complaints)/cases\(query)", token: token), response.status == 200
            else { return nil }
            let cases = (try? response.json() as? [String: Any])?["cases"] as? [[String: Any]] ?? []
            return Set(cases.compactMap { $0["externalRef"] as? String })
        }
        #expect(await caseRefs(tokens["case owner"])?.contains(complaint) == true)
        #expect(await caseRefs(tokens["other manager"]) == [])
        #expect(await caseRefs(tokens["centre head A"])?.contains(complaint) == true)
        #expect(await caseRefs(tokens["centre head B"])?.contains(complaint) == false)
        #expect(await TestHTTP.get("\(complaints)/cases?branchId=\(branchA)", token: tokens["centre head B"])?.status == 403)
        #expect(await TestHTTP.get("\(complaints)/cases?ownerId=\(lobby)", token: tokens["other manager"])?.status == 403)
        #expect(await TestHTTP.get("\(complaints)/reports/daily", token: tokens["owner"])?.status == 403)

        // A write is taken in the caller's name: naming someone else is refused.
        let impersonation = await TestHTTP.post(
            "\(assignment)/customers/\(customer)/notes", json: ["authorId": other, "text": "as someone else"],
            token: tokens["owner"])
        #expect(impersonation?.status == 403)

        // Every endpoint refuses a missing, forged, expired or malformed token with 401 and a Bearer challenge.
        let forger = try AccessTokenAuthority(
            keys: ["test-jwt-1": Array(repeating: 42, count: 32)], activeKeyID: "test-jwt-1")
        let badTokens: [(String, String?)] = [
            ("none", nil),
            ("forged", forger.sign(Principal(staffID: "OPS", role: .operations, branchID: nil))),
            (
                "expired",
                TestHTTP.authority.sign(
                    Principal(staffID: "OPS", role: .operations, branchID: nil), now: Date().addingTimeInterval(-7_200),
                    lifetime: .seconds(3_600))
            ),
            ("malformed", "not-a-token"),
        ]
        var unauthorized = 0
        for row in rows {
            for (label, token) in badTokens {
                let response = try #require(await send(row, token: token), "\(row) with a \(label) token: no answer")
                #expect(response.status == 401, "\(row) with a \(label) token: \(response.status)")
                #expect(response.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(row): no challenge")
                unauthorized += 1
            }
        }
        // Health stays open for probes.
        for service in ConciergeStack.serviceNames {
            #expect(await TestHTTP.get("\(stack.url(service))/health/live", token: nil)?.status == 200)
            #expect(await TestHTTP.get("\(stack.url(service))/health/ready", token: nil)?.status == 200)
        }
        let refusals = await CrashRecoveryTests.metric(
            "concierge_http_access_refused_total", url: "\(assignment)/metrics")
        #expect(refusals > 0, "refusals are counted")
        print(
            "access control: \(rows.count) endpoints, \(checked) role checks, \(unauthorized) bad-token checks, "
                + "assignment counted \(refusals) refusals")
    }

    static func send(_ row: Row, token: String?) async -> TestHTTP.Response? {
        row.method == "POST"
            ? await TestHTTP.post(row.url, body: row.body ?? Data("{}".utf8), token: token)
            : await TestHTTP.get(row.url, token: token)
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
    }

    static func lastAnswer(_ row: Row, token: String?) async -> String {
        guard let response = await send(row, token: token) else { return "no answer" }
        return "\(response.status) \(text(response))"
    }

    static func text(_ response: TestHTTP.Response) -> String {
        String(decoding: response.body.prefix(300), as: UTF8.self)
    }
}
