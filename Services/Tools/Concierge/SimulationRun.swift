import Events
import Foundation
import Logging
import Messaging
import UnixSignals

// MARK: - SimulationPlan

/// A validated `concierge simulate` invocation.
struct SimulationPlan: Sendable {
    var settings: SimulationSettings
    var pace: SimulationPace
    var limits: SimulationLimits
    var timestamps: SimulationTimestamps
    var isDryRun: Bool
    var includeReference: Bool
    var batchSize: Int
    var maxInFlight: Int
    /// See ``SimulationSchedule/followOnDelay``.
    var followOnDelay: Double
    /// Mean events per walk-in of the mix, measured on the generator before the run.
    var eventsPerWalkIn: Double
}

// MARK: - SimulationRun

/// Runs a plan: the reference data first, then the day, each through the same encoding path, either to Kafka or (dry
/// run) to a dump file.
struct SimulationRun {
    let plan: SimulationPlan
    let population: SimulationPopulation

    var offset: Int32 { plan.settings.utcOffsetSeconds }

    func makeGenerator() -> SimulationGenerator {
        SimulationGenerator(settings: plan.settings, population: population)
    }

    func makeSchedule(isVirtual: Bool) -> SimulationSchedule {
        SimulationSchedule(
            generator: makeGenerator(), pace: plan.pace, limits: plan.limits, batchSize: plan.batchSize,
            isVirtual: isVirtual, followOnDelay: plan.followOnDelay)
    }

    /// The roster and profiles, dated now (or 08:00 of the first simulated day with `--timestamps day`).
    func referenceEvents() -> [SimulationEvent] {
        guard plan.includeReference else { return [] }
        let generator = makeGenerator()
        let time = plan.timestamps == .day ? generator.timestamp(8 * 3_600) : Timestamp.now(utcOffsetSeconds: offset)
        return generator.referenceEvents(at: time, asOf: plan.settings.startDate)
    }

    /// The Kafka records of a batch, with `--timestamps now` moved to the moment of encoding; events the contract
    /// rejects (a bug in the simulation) come back as failures.
    static func encode(
        _ batch: [SimulationEvent], timestamps: SimulationTimestamps, offset: Int32
    ) -> (
        records: [KafkaOutgoingRecord], invalid: [(code: String, message: String)]
    ) {
        let now = Timestamp.now(utcOffsetSeconds: offset).millisecondsSinceEpoch
        var records: [KafkaOutgoingRecord] = []
        records.reserveCapacity(batch.count)
        var invalid: [(code: String, message: String)] = []
        for event in batch {
            let stamped =
                timestamps == .now && !event.kind.isReference
                ? event.shifted(byMilliseconds: now - event.time.millisecondsSinceEpoch) : event
            do {
                records.append(try stamped.record())
            } catch {
                invalid.append(
                    (
                        "invalidEvent",
                        "simulate built an invalid \(event.kind.rawValue) event: data.\(error.field) \(error.reason)"
                    ))
            }
        }
        return (records, invalid)
    }

    /// Prints a message on standard error without breaking the progress line.
    static func report(_ message: String) {
        printError((SimulationProgress.isTerminal ? "\r\u{1B}[K" : "") + "simulate: " + message)
    }

    // MARK: - Dry run

    /// Generates and encodes everything without Kafka, optionally writing `topic key value` lines to `dump`.
    func dryRun(dump path: String?) throws -> SimulationSummary {
        let dump: FileHandle?
        if let path {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw SimulationError(description: "cannot create \(path)")
            }
            dump = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        } else {
            dump = nil
        }
        defer { try? dump?.close() }

        let write = { (batch: [SimulationEvent], tally: SimulationTally) in
            tally.recordSent(batch)
            let (records, invalid) = Self.encode(batch, timestamps: plan.timestamps, offset: offset)
            tally.recordOutcome(delivered: records.count, failures: invalid).forEach(Self.report)
            guard let dump else { return }
            var bytes: [UInt8] = []
            for record in records {
                bytes += Array(record.topic.utf8) + [0x20] + (record.key ?? []) + [0x20] + record.value + [0x0A]
            }
            dump.write(Data(bytes))
        }

        let referenceTally = SimulationTally()
        let referenceStart = ContinuousClock.now
        let reference = referenceEvents()
        for start in stride(from: 0, to: reference.count, by: plan.batchSize) {
            write(Array(reference[start..<min(start + plan.batchSize, reference.count)]), referenceTally)
        }
        let referenceSeconds = (ContinuousClock.now - referenceStart).inSeconds

        let tally = SimulationTally()
        var schedule = makeSchedule(isVirtual: true)
        let start = ContinuousClock.now
        loop: while true {
            switch schedule.nextBatch(elapsed: (ContinuousClock.now - start).inSeconds) {
            case .send(let batch): write(batch, tally)
            case .wait, .finished: break loop
            }
        }
        let seconds = (ContinuousClock.now - start).inSeconds
        return SimulationSummary(
            plan: plan, population: population,
            reference: plan.includeReference
                ? .init(referenceTally.snapshot, seconds: referenceSeconds, drainSeconds: 0) : nil,
            day: .init(tally.snapshot, seconds: seconds, drainSeconds: 0), schedule: schedule,
            stoppedBy: schedule.stoppedBy ?? "days")
    }

    // MARK: - Kafka

    /// Publishes the reference data, waits until the services know it, then runs the day; SIGINT or SIGTERM stops
    /// sending and waits for what is in flight.
    func publish(
        configuration: KafkaConfiguration,
        waitForServices: @escaping @Sendable (_ isStopped: @escaping @Sendable () -> Bool) async throws -> Void,
        logger: Logger
    ) async throws -> SimulationSummary {
        let producer = try KafkaProducer(configuration: configuration, clientID: "concierge-simulate", logger: logger)
        let referenceTally = SimulationTally()
        let tally = SimulationTally()
        return try await producer.withRunning(logger: logger) { producer in
            try await withThrowingTaskGroup(of: Void.self) { signals in
                signals.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                        Self.report("stopping: waiting for the records in flight")
                        referenceTally.requestStop()
                        tally.requestStop()
                        return
                    }
                }
                defer { signals.cancelAll() }

                var referenceTimes: (Double, Double)?
                if plan.includeReference {
                    let events = referenceEvents()
                    var next = 0
                    referenceTimes = try await send(
                        producer: producer, tally: referenceTally, phase: "reference", targets: { _ in (nil, nil) }
                    ) { _ in
                        guard next < events.count else { return .finished }
                        let batch = Array(events[next..<min(next + plan.batchSize, events.count)])
                        next += batch.count
                        return .send(batch)
                    }
                    if !referenceTally.isStopRequested { try await waitForServices { tally.isStopRequested } }
                }

                var schedule = makeSchedule(isVirtual: false)
                let (pace, walkInsPerDay, eventsPerWalkIn) = (
                    plan.pace, plan.settings.walkInsPerDay, plan.eventsPerWalkIn
                )
                let fixedRate: Double? = if case .events(let perSecond) = pace { perSecond } else { nil }
                let dayTimes = try await send(
                    producer: producer, tally: tally, phase: "day",
                    targets: { elapsed in
                        // Each pace has a target in its own unit: walk-ins, or events with --rate.
                        guard fixedRate == nil else { return (nil, fixedRate) }
                        let walkIns = SimulationSchedule.targetWalkInRate(
                            pace: pace, elapsed: elapsed, walkInsPerDay: walkInsPerDay, eventsPerWalkIn: eventsPerWalkIn
                        )
                        return (walkIns, nil)
                    }
                ) { elapsed in
                    schedule.nextBatch(elapsed: elapsed)
                }
                return SimulationSummary(
                    plan: plan, population: population,
                    reference: referenceTimes.map { .init(referenceTally.snapshot, seconds: $0.0, drainSeconds: $0.1) },
                    day: .init(tally.snapshot, seconds: dayTimes.0, drainSeconds: dayTimes.1), schedule: schedule,
                    stoppedBy: tally.isStopRequested ? "signal" : schedule.stoppedBy ?? "days")
            }
        }
    }

    /// The sending loop: takes batches from `next` as they fall due, encodes and sends each in its own task (so
    /// encoding uses every core and sends overlap), and bounds the records in flight. Returns the seconds until the
    /// last batch was handed over and the seconds after that until every delivery report was in.
    private func send(
        producer: KafkaProducer, tally: SimulationTally, phase: String,
        targets: @escaping @Sendable (Double) -> (walkIns: Double?, events: Double?),
        next: (Double) -> SimulationSchedule.Step
    ) async throws -> (Double, Double) {
        let start = ContinuousClock.now
        let progress = SimulationProgress(phase: phase, tally: tally, start: start, targets: targets)
        let (timestamps, offset, maxInFlight) = (plan.timestamps, self.offset, plan.maxInFlight)
        return try await withThrowingTaskGroup(of: Void.self) { reporter in
            reporter.addTask { await progress.run() }
            defer { reporter.cancelAll() }
            var handedOver = start
            try await withThrowingTaskGroup(of: Int.self) { group in
                var outstanding = 0
                var inFlight = 0
                loop: while !tally.isStopRequested {
                    switch next((ContinuousClock.now - start).inSeconds) {
                    case .finished:
                        break loop
                    case .wait(let seconds):
                        // Due times are absolute, so waking a little late never shifts the rest of the schedule.
                        try await Task.sleep(for: .seconds(min(seconds, 0.05)))
                    case .send(let batch):
                        tally.recordSent(batch)
                        group.addTask {
                            let (records, invalid) = Self.encode(batch, timestamps: timestamps, offset: offset)
                            let results = await producer.send(records)
                            let firstSeen =
                                tally.recordResults(results) + tally.recordOutcome(delivered: 0, failures: invalid)
                            firstSeen.forEach(Self.report)
                            return batch.count
                        }
                        outstanding += 1
                        inFlight += batch.count
                        // Completed tasks are reaped here too, so the group never holds more than this many.
                        while outstanding >= 4_096 || inFlight >= maxInFlight, let done = try await group.next() {
                            outstanding -= 1
                            inFlight -= done
                        }
                    }
                }
                handedOver = ContinuousClock.now
                try await group.waitForAll()
            }
            return ((handedOver - start).inSeconds, (ContinuousClock.now - handedOver).inSeconds)
        }
    }
}

// MARK: - SimulationError

struct SimulationError: Error, CustomStringConvertible {
    var description: String
}

// MARK: - Duration + seconds

extension Duration {
    /// The duration in seconds, as a `Double`.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
