// MARK: - SimulationPace

/// How fast simulated events are sent.
enum SimulationPace: Sendable, Equatable {
    /// As fast as the producer takes them.
    case max
    /// A constant number of events per second (all kinds).
    case events(perSecond: Double)
    /// A constant number of walk-ins per second; the other events go out between them, in simulated-time order.
    case walkIns(perSecond: Double)
    /// Each bank day (09:00–17:00) compressed into `seconds`, so the rate follows the day curve (the morning peak).
    case dayLength(seconds: Double)

    var name: String {
        switch self {
        case .max: "max"
        case .events: "rate"
        case .walkIns: "walkins-per-second"
        case .dayLength: "day-length"
        }
    }
}

// MARK: - SimulationLimits

/// When the simulated day stops; the first limit reached wins.
struct SimulationLimits: Sendable {
    /// Seconds of sending (paced: the schedule's seconds; `--max`: the wall clock).
    var duration: Double?
    /// Simulated bank days.
    var days: Int?
    /// Walk-ins.
    var walkIns: Int?
}

// MARK: - SimulationSchedule

/// Turns the generator's stream into batches that are due: each event gets a due time (seconds after the start)
/// from the pace, and ``nextBatch(elapsed:)`` hands out what is due by the wall clock (or, with a virtual clock for
/// dry runs, everything in order without waiting). Due times are absolute, so the rate holds however long a send takes.
struct SimulationSchedule {
    let pace: SimulationPace
    let limits: SimulationLimits
    let batchSize: Int
    /// Dry runs do not wait: each event's due time is taken as the current time.
    let isVirtual: Bool
    /// The least time (paced) between a walk-in being sent and its signal, service, departure or complaint, so that
    /// in a compressed day the services have routed the visit before its later events arrive.
    let followOnDelay: Double
    private(set) var generator: SimulationGenerator
    /// The generator's next event, with its due time.
    private var pending: (seconds: Double, event: SimulationEvent, due: Double?)?
    /// Later events of a visit held back by ``followOnDelay``, by due time.
    private var held = SimulationAgenda()
    /// When each open visit's arrival was due (until its last later event).
    private var arrivalDue: [String: Double] = [:]
    /// Why the generator's stream ended (`days`, `walkins`); held events still go out.
    private var exhausted: String?
    /// Pace units spent so far (events or walk-ins).
    private var units = 0.0
    private(set) var walkIns = 0
    /// Walk-ins by simulated hour of day (9 = 09:00–09:59).
    private(set) var walkInsByHour: [Int: Int] = [:]
    private(set) var lastSimulatedSeconds = 0.0
    /// Why the schedule ended: `duration`, `days` or `walkins` (nil while it runs).
    private(set) var stoppedBy: String?
    /// Events due within this much are sent with the current batch, so a fast stream does not sleep per event.
    static let lookahead = 0.001

    init(
        generator: SimulationGenerator, pace: SimulationPace, limits: SimulationLimits, batchSize: Int, isVirtual: Bool,
        followOnDelay: Double
    ) {
        self.generator = generator
        self.pace = pace
        self.limits = limits
        self.batchSize = batchSize
        self.isVirtual = isVirtual
        self.followOnDelay = followOnDelay
    }

    /// When an event at `seconds` of simulated time is due, in seconds after the start; `nil` for `--max`.
    private mutating func due(seconds: Double, kind: SimulationKind) -> Double? {
        switch pace {
        case .max:
            return nil
        case .events(let perSecond):
            defer { units += 1 }
            return units / perSecond
        case .walkIns(let perSecond):
            // Events between two walk-ins leave with the next one.
            defer { if kind == .walkIns { units += 1 } }
            return units / perSecond
        case .dayLength(let length):
            let day = (seconds / 86_400).rounded(.down)
            let intoDay = seconds - day * 86_400 - SimulationDayCurve.opening
            return (day + min(max(intoDay / SimulationDayCurve.dayLength, 0), 1)) * length
        }
    }

    /// Takes the generator's next event, unless its stream reached a limit; a visit's later event that would be due
    /// too soon after the arrival goes to ``held`` instead.
    private mutating func fillPending() {
        while pending == nil && exhausted == nil {
            let (seconds, event) = generator.next()
            if let days = limits.days, seconds >= Double(days) * 86_400 {
                exhausted = "days"
            } else if event.kind == .walkIns, let limit = limits.walkIns, walkIns >= limit {
                exhausted = "walkins"
            } else {
                let due = due(seconds: seconds, kind: event.kind)
                if let due, let visit = event.visitID {
                    switch event.link {
                    case .opens:
                        arrivalDue[visit] = due
                    case .follows, .closes:
                        let arrival = arrivalDue[visit]
                        if event.link == .closes { arrivalDue[visit] = nil }
                        if let arrival, arrival + followOnDelay > due {
                            held.push(event, at: arrival + followOnDelay)
                            continue
                        }
                    case .none:
                        break
                    }
                }
                pending = (seconds, event, due)
                if event.kind == .walkIns { walkIns += 1 }
            }
        }
    }

    /// The next batch of due events (at most ``batchSize``), or how long to wait until one is due, or the end.
    ///
    /// - Parameter elapsed: Seconds since the start by the wall clock (`--duration` with `--max` counts by it).
    mutating func nextBatch(elapsed: Double) -> Step {
        guard stoppedBy == nil else { return .finished }
        var batch: [SimulationEvent] = []
        while batch.count < batchSize {
            fillPending()
            // The earlier of the generator's next event and the held ones.
            let heldDue = held.nextTime
            let takeHeld = heldDue != nil && (pending == nil || pending!.due.map { heldDue! < $0 } ?? false)
            guard takeHeld || pending != nil else {
                stoppedBy = exhausted
                break
            }
            let due = takeHeld ? heldDue : pending!.due
            if let duration = limits.duration, (due ?? elapsed) >= duration {
                stoppedBy = "duration"
                break
            }
            if let due, !isVirtual, due > elapsed + Self.lookahead {
                if batch.isEmpty { return .wait(due - elapsed) }
                break
            }
            if takeHeld {
                batch.append(held.pop()!)
                continue
            }
            let (seconds, event, _) = pending!
            pending = nil
            lastSimulatedSeconds = seconds
            if event.kind == .walkIns {
                walkInsByHour[Int(seconds.truncatingRemainder(dividingBy: 86_400) / 3_600), default: 0] += 1
            }
            batch.append(event)
        }
        return batch.isEmpty ? .finished : .send(batch)
    }

    enum Step {
        case send([SimulationEvent])
        case wait(Double)
        case finished
    }

    /// Simulated days begun.
    var simulatedDays: Int { Int(lastSimulatedSeconds / 86_400) + 1 }

    /// The walk-in rate `pace` asks for `elapsed` seconds after the start (for the progress line).
    ///
    /// - Parameters:
    ///   - walkInsPerDay: The day's walk-ins (what `--day-length` spreads over the day).
    ///   - eventsPerWalkIn: The mix's mean number of events per walk-in (what `--rate` divides by).
    static func targetWalkInRate(
        pace: SimulationPace, elapsed: Double, walkInsPerDay: Double, eventsPerWalkIn: Double
    ) -> Double? {
        switch pace {
        case .max: return nil
        case .events(let perSecond): return perSecond / eventsPerWalkIn
        case .walkIns(let perSecond): return perSecond
        case .dayLength(let length):
            let intoDay = elapsed.truncatingRemainder(dividingBy: length) / length * SimulationDayCurve.dayLength
            return walkInsPerDay / length * SimulationDayCurve.walkIns.relativeIntensity(secondsAfterOpening: intoDay)
        }
    }
}
