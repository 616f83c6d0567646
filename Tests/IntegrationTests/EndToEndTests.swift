import Events
import Foundation
import Messaging
import PostgresNIO
import TestSupport
import Testing

/// The five executables as separate processes, the development broker (librdkafka's mock cluster, over TCP) and the
/// real PostgreSQL: what a branch front end publishes reaches a manager's agenda.
@Suite("End to end across processes", .serialized, .timeLimit(.minutes(5)))
struct EndToEndTests {
    @Test("C-05 C-06 D-01 B-03 a VIP walk-in reaches the assigned manager's agenda over HTTP within 30 s")
    func walkInReachesAgenda() async throws {
        let stack = try await ConciergeStack.start()
        do {
            let branch = "B\(stack.runID.prefix(5))"
            let customer = "C\(stack.runID)"
            let managers = ["WM1\(stack.runID)", "WM2\(stack.runID)"]
            try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
                let reference = [
                    TestEvents.staff("LM\(stack.runID)", branch: branch, role: .lobbyManager),
                    TestEvents.staff(managers[0], branch: branch, role: .wealthManager),
                    TestEvents.staff(managers[1], branch: branch, role: .wealthManager),
                    TestEvents.staff("BS\(stack.runID)", branch: branch, role: .branchSalesSupervisor),
                    TestEvents.profile(customer, branch: branch, aum: 1_500_000),
                ]
                for result in await producer.send(reference) { _ = try result.get() }
            }
            try await Self.waitFor("\(stack.url("assignment"))/managers/\(managers[1])/book")
            try await Self.waitFor("\(stack.url("intake"))/customers/\(customer)/profile")

            let visit = "V\(stack.runID)-1"
            let published = ContinuousClock.now
            try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
                _ = try await producer.send(TestEvents.walkIn(visit, branch: branch, customerID: customer))
            }
            // The task appears for the customer; then it must be on that manager's agenda for its day.
            let tasksURL = "\(stack.url("engagement"))/customers/\(customer)/tasks"
            let response = await TestHTTP.eventually(timeout: .seconds(30), interval: .milliseconds(50)) {
                () -> TestHTTP.Response? in
                guard let response = await TestHTTP.get(tasksURL), Self.receiveTask(in: response, visit: visit) != nil
                else { return nil }
                return response
            }
            let task = response.flatMap { Self.receiveTask(in: $0, visit: visit) }
            let elapsed = ContinuousClock.now - published
            let receive = try #require(task, "no receive_walkin task within 30 s")
            let manager = try #require(receive["managerId"] as? String)
            #expect(managers.contains(manager))
            let dueAt = try #require(receive["dueAt"] as? String)
            let agenda = try #require(
                await TestHTTP.get("\(stack.url("engagement"))/managers/\(manager)/agenda?date=\(dueAt.prefix(10))"))
            #expect(agenda.status == 200)
            let tasks = try #require((try agenda.json() as? [String: Any])?["tasks"] as? [[String: Any]])
            #expect(tasks.contains { $0["visitId"] as? String == visit && $0["kind"] as? String == "receive_walkin" })
            print("end-to-end: walk-in published → receive_walkin on the agenda in \(elapsed)")

            // The same customer has exactly that manager as owner (D-01), tier B (B-03) with the branch supervisor.
            let relationship = try #require(
                await TestHTTP.get("\(stack.url("assignment"))/customers/\(customer)/relationship"))
            let owner = try #require(try relationship.json() as? [String: Any])
            #expect(owner["managerId"] as? String == manager)
            #expect(owner["tier"] as? String == "B")
            #expect((owner["serviceTeam"] as? [String]) == [manager, "BS\(stack.runID)"])
            // The visit shows where it was routed and to whom (intake learnt it from assignment.events).
            let visitURL = "\(stack.url("intake"))/visits/\(visit)"
            let routed = await TestHTTP.eventually(timeout: .seconds(10)) { () -> TestHTTP.Response? in
                guard let response = await TestHTTP.get(visitURL),
                    let body = try? response.json() as? [String: Any],
                    let referral = body["referral"] as? [String: Any], referral["managerId"] != nil
                else { return nil }
                return response
            }.flatMap { try? $0.json() as? [String: Any] }
            let visitView = try #require(routed)
            #expect((visitView["routing"] as? [String: Any])?["zone"] as? String == "vip_room")
            #expect(((visitView["referral"] as? [String: Any])?["managerId"] as? String) == manager)
            // Scoring counted the identification by the lobby (C-10 item 2).
            let day = String((visitView["businessDate"] as? String) ?? "")
            let dailyURL = "\(stack.url("scoring"))/branches/\(branch)/daily?date=\(day)"
            let counted = await TestHTTP.eventually(timeout: .seconds(10)) { () -> Int? in
                let body = try? await TestHTTP.get(dailyURL)?.json()
                let count = (body as? [String: Any])?["vipsIdentifiedByLobby"] as? Int
                return count == 1 ? count : nil
            }
            #expect(counted == 1)
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    @Test("H-07 contract §1.1 malformed, unknown and credential-carrying events are dead-lettered; intake keeps working")
    func malformedEventIsDeadLettered() async throws {
        let stack = try await ConciergeStack.start(services: ["intake"])
        do {
            let branch = "B\(stack.runID.prefix(5))"
            let garbage = KafkaOutgoingRecord(
                topic: Topics.branchVisits, key: Array("bad-\(stack.runID)".utf8), value: Array("{not json".utf8),
                headers: [])
            var future = TestEvents.walkIn("V\(stack.runID)-future", branch: branch, customerID: nil)
            future.value = Array(
                String(decoding: future.value, as: UTF8.self)
                    .replacingOccurrences(of: "visit-arrived.v1", with: "visit-arrived.v9").utf8)
            var withPIN = TestEvents.walkIn("V\(stack.runID)-pin", branch: branch, customerID: nil)
            withPIN.value = Array(
                String(decoding: withPIN.value, as: UTF8.self)
                    .replacingOccurrences(of: "\"branchId\"", with: "\"cardPin\":\"123456\",\"branchId\"").utf8)
            let good = TestEvents.walkIn("V\(stack.runID)-good", branch: branch, customerID: nil)
            let records = [garbage, future, withPIN, good]
            try await TestKafka.withProducer(stack.kafkaConfiguration) { producer in
                for result in await producer.send(records) { _ = try result.get() }
            }

            let letters = try await TestKafka.read(
                Topics.deadLetter, configuration: stack.kafkaConfiguration, timeout: .seconds(30)
            ) { $0.count >= 3 }
            let decoded = try letters.map { try EventCatalog.decode($0.value) }
            let deadLetters: [DeadLetter.V1] = decoded.compactMap {
                if case .deadLetter(let letter) = $0.payload { letter } else { nil }
            }
            #expect(deadLetters.count == 3)
            #expect(deadLetters.allSatisfy { $0.service == "intake" && $0.originalTopic == Topics.branchVisits })
            let byKey = Dictionary(uniqueKeysWithValues: deadLetters.map { ($0.key ?? "", $0) })
            let malformed = try #require(byKey["bad-\(stack.runID)"])
            #expect(Data(base64Encoded: malformed.valueBase64) == Data("{not json".utf8))
            #expect(!malformed.error.isEmpty)
            let unknown = try #require(byKey["V\(stack.runID)-future"])
            #expect(unknown.error.contains("visit-arrived.v9"))
            let credentials = try #require(byKey["V\(stack.runID)-pin"])
            #expect(credentials.error.contains("cardPin"))
            let stored = String(decoding: Data(base64Encoded: credentials.valueBase64) ?? Data(), as: UTF8.self)
            #expect(!stored.contains("123456"), "a PIN must never reach the dead-letter topic")
            #expect(Set(deadLetters.map { "\($0.partition)/\($0.offset)" }).count == 3)

            // The good event behind the bad ones was processed: the service kept working.
            let visit = await TestHTTP.eventually(timeout: .seconds(15)) { () -> Int? in
                let status = await TestHTTP.get("\(stack.url("intake"))/visits/V\(stack.runID)-good")?.status
                return status == 200 ? status : nil
            }
            #expect(visit == 200)
            #expect(stack.process("intake")?.isRunning == true)
            let metrics = String(decoding: (await TestHTTP.get("\(stack.url("intake"))/metrics"))?.body ?? Data(), as: UTF8.self)
            #expect(metrics.contains("concierge_events_deadlettered_total"))
            // The consumer's lag on branch.visits, refreshed each second, is 0 once everything was handled.
            let lag = await TestHTTP.eventually(timeout: .seconds(15)) { () -> String? in
                let page = String(
                    decoding: (await TestHTTP.get("\(stack.url("intake"))/metrics"))?.body ?? Data(), as: UTF8.self)
                return page.split(separator: "\n").first {
                    $0.hasPrefix("concierge_consumer_lag_records{") && $0.contains("topic=\"branch.visits\"")
                }.map(String.init)
            }
            #expect(
                lag?.split(separator: " ").last.flatMap { Double($0) } == 0,
                "intake's lag on branch.visits: \(lag ?? "absent")")
        } catch {
            await stack.stop()
            throw error
        }
        await stack.stop()
    }

    static func receiveTask(in response: TestHTTP.Response, visit: String) -> [String: Any]? {
        guard response.status == 200, let body = try? response.json() as? [String: Any],
            let open = body["open"] as? [[String: Any]]
        else { return nil }
        return open.first { $0["kind"] as? String == "receive_walkin" && $0["visitId"] as? String == visit }
    }

    static func waitFor(_ url: String, timeout: Duration = .seconds(30)) async throws {
        let ok = await TestHTTP.eventually(timeout: timeout) { () -> Bool? in
            await TestHTTP.get(url)?.status == 200 ? true : nil
        }
        try #require(ok == true, "\(url) did not answer 200 within \(timeout)")
    }
}
