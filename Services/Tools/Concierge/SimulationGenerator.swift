import Events

// MARK: - SimulationGenerator

/// The simulated bank day as an endless, deterministic stream of contract events in simulated-time order.
///
/// Walk-ins follow ``SimulationDayCurve/walkIns``; each may bring a teller's signal, a manager serving the
/// customer, the departure and a complaint, scheduled minutes later on an agenda. Call-centre escalations, CRM
/// contacts, sales and appointments run all day at their own rates. After 17:00 the next day begins.
struct SimulationGenerator {
    let settings: SimulationSettings
    let population: SimulationPopulation
    var random: SplitMix64
    private var walkIns: SimulationStream
    private var activities: [(kind: SimulationKind, stream: SimulationStream)]
    private var agenda = SimulationAgenda()
    /// The later events of the walk-in being generated.
    private var followOns: [(seconds: Double, event: SimulationEvent)] = []
    /// Midnight before the first simulated day, in the business time zone.
    let startMilliseconds: Int64

    private var eventCount = 0
    var visitCount = 0
    var complaintCount = 0
    var caseCount = 0
    var activityCount = 0
    var saleCount = 0
    var appointmentCount = 0
    private var ticketDay = -1
    private var tickets: [Int]

    init(settings: SimulationSettings, population: SimulationPopulation) {
        self.settings = settings
        self.population = population
        // Another stream than the population's, so changing the mix leaves the customers as they are.
        var random = SplitMix64(seed: settings.seed ^ 0x5EED_DA7A_0000_0001)
        let perDay = settings.walkInsPerDay
        walkIns = SimulationStream(perDay: perDay, curve: .walkIns, random: &random)
        activities = [
            (.escalations, settings.escalationShare), (.contacts, settings.contactShare), (.sales, settings.saleShare),
            (.appointments, settings.appointmentShare),
        ].map { kind, share in (kind, SimulationStream(perDay: perDay * share, curve: .even, random: &random)) }
        self.random = random
        tickets = Array(repeating: 0, count: population.branches.count)
        let date = settings.startDate
        startMilliseconds =
            Int64(CivilDays.number(year: date.year, month: date.month, day: date.day)) * 86_400_000
            - Int64(settings.utcOffsetSeconds) * 1000
    }

    /// The simulated time `seconds` after the first day's midnight, written with the business time zone's offset.
    func timestamp(_ seconds: Double) -> Timestamp {
        Timestamp(
            millisecondsSinceEpoch: startMilliseconds + Int64((seconds * 1000).rounded()),
            utcOffsetSeconds: settings.utcOffsetSeconds)
    }

    /// The next event and its simulated time (seconds after the first day's midnight).
    mutating func next() -> (seconds: Double, event: SimulationEvent) {
        var earliest = walkIns.nextTime
        var activity: Int?
        for (index, entry) in activities.enumerated() where entry.stream.nextTime < earliest {
            earliest = entry.stream.nextTime
            activity = index
        }
        if let due = agenda.nextTime, due <= earliest, let scheduled = agenda.pop() {
            return (due, scheduled)
        }
        if let activity {
            activities[activity].stream.advance(random: &random)
            return (earliest, self.activity(activities[activity].kind, at: earliest))
        }
        walkIns.advance(random: &random)
        return (earliest, walkIn(at: earliest))
    }

    /// A new event id: the run id and a sequence number, unique in the run and the same for the same seed.
    mutating func nextID() -> String {
        eventCount += 1
        return "sim-\(settings.runID)-\(eventCount)"
    }

    /// Schedules one of the current walk-in's later events (see ``walkIn(at:)``).
    mutating func schedule(_ event: SimulationEvent, at seconds: Double) {
        followOns.append((seconds, event))
    }

    /// Puts the walk-in's later events on the agenda, the last one marked as closing the visit; returns whether
    /// there were any.
    private mutating func scheduleFollowOns() -> Bool {
        var last: Int?
        for index in followOns.indices where last == nil || followOns[index].seconds >= followOns[last!].seconds {
            last = index
        }
        for (index, entry) in followOns.enumerated() {
            var event = entry.event
            event.link = index == last ? .closes : .follows
            agenda.push(event, at: entry.seconds)
        }
        followOns.removeAll(keepingCapacity: true)
        return last != nil
    }

    // MARK: - Walk-ins

    static let purposes = WeightedChoice<VisitPurpose>([
        (.cashSmall, 0.30), (.nonCash, 0.22), (.wealthConsultation, 0.12), (.utilityPayment, 0.10),
        (.cashLarge, 0.08), (.passbookUpdate, 0.07), (.loan, 0.06), (.other, 0.05),
    ])
    static let cardTiers = WeightedChoice([("gold", 0.5), ("platinum", 0.35), ("diamond", 0.15)])
    static let arrivalSignals: [LeadSignal] = [
        .otherBankVIPCard, .privateCar, .premiumResidence, .highEndVenues, .wealthNeed, .occupation(.businessOwner),
        .occupation(.executive), .occupation(.doctor), .occupation(.lawyer), .occupation(.professor),
    ]
    static let counterSignals = WeightedChoice<LeadSignal?>([
        (.wealthNeed, 0.45), (.largeCash, 0.15), (nil, 0.25), (.privateCar, 0.05), (.premiumResidence, 0.05),
        (.otherBankVIPCard, 0.05),
    ])

    private mutating func walkIn(at seconds: Double) -> SimulationEvent {
        let branchIndex = random.index(below: population.branches.count)
        let branch = population.branches[branchIndex]
        let day = Int(seconds / 86_400)
        if day != ticketDay {
            ticketDay = day
            tickets = Array(repeating: 0, count: tickets.count)
        }
        tickets[branchIndex] += 1
        visitCount += 1
        let visitID = settings.visitIDPrefix + branch.id + "-" + zeroPadded(visitCount, width: 6)

        let customer =
            random.chance(settings.knownCustomerShare)
            ? population.walkInCustomer(at: branchIndex, random: &random) : nil
        let complains = random.chance(settings.complaintShare)
        // Half of those who lodge a complaint came for that; the others complain about the visit.
        let purpose: VisitPurpose = complains && random.chance(0.5) ? .complaint : Self.purposes.pick(&random)
        var amount: Amount?
        switch purpose {
        case .cashLarge:
            amount = SimulationPopulation.amount(
                max(10_000, min(random.logNormal(median: 80_000, sigma: 0.7), 3_000_000)))
        case .cashSmall:
            amount = SimulationPopulation.amount(random.uniform(200...20_000).rounded())
        default:
            break
        }
        // Unknown faces: some show a card at the door, some show lead signals and leave a phone number.
        var cardTier: String?
        var signals: [LeadSignal]?
        var phone: String?
        if customer == nil {
            let draw = random.unit()
            if draw < 0.25 {
                cardTier = Self.cardTiers.pick(&random)
            } else if draw < 0.6 {
                signals = [random.element(of: Self.arrivalSignals)]
                // A made-up number in the reserved 1380000xxxx range: stored encrypted, shown masked.
                phone = "1380000" + zeroPadded(random.index(below: 10_000), width: 4)
            }
        }
        let recorder = branch.staff[branch.recorders.pick(&random)]
        let arrival = VisitArrived.Latest(
            visitId: visitID, branchId: branch.id, arrivedAt: timestamp(seconds), customerId: customer?.id,
            cardTier: cardTier, purpose: purpose, amount: amount,
            ticket: "A" + zeroPadded(tickets[branchIndex], width: 3),
            recordedBy: recorder.id, recordedByRole: recorder.role, signals: signals, contactPhone: phone)

        // Intake refers VIPs and potential VIPs to a manager (identification.md §2): by assets, card, signals or
        // large cash.
        var referred =
            (customer.map { $0.assets >= SimulationSettings.vipMinimum } ?? false) || cardTier != nil
            || signals != nil || (amount.map { $0 >= SimulationSettings.largeCashMinimum } ?? false)
        var clock = seconds
        if random.chance(settings.signalShare) {
            clock += random.uniform(120...720)
            referred =
                scheduleSignal(visitID: visitID, branch: branchIndex, knownCustomer: customer != nil, at: clock)
                || referred
        }
        scheduleOutcome(visitID: visitID, branch: branchIndex, referred: referred, from: clock)
        if complains {
            scheduleComplaint(
                visitID: visitID, branch: branchIndex, customerID: customer?.id,
                at: seconds + random.uniform(300...1_800))
        }
        var event = SimulationEvent(
            id: nextID(), source: "branch/\(branch.id)/lobby-tablet-1", time: timestamp(seconds),
            payload: .walkIn(arrival))
        if scheduleFollowOns() { event.link = .opens }
        return event
    }

    /// A teller, the business officer or the lobby manager raises a signal (A-05, B-02); returns whether it makes
    /// the visit a referral.
    private mutating func scheduleSignal(
        visitID: String, branch branchIndex: Int, knownCustomer: Bool, at seconds: Double
    )
        -> Bool
    {
        let branch = population.branches[branchIndex]
        let staff = branch.staff[random.element(of: branch.signallers)]
        let signal = Self.counterSignals.pick(&random) ?? .occupation(random.element(of: Occupation.allCases))
        let amount =
            signal == .largeCash
            ? SimulationPopulation.amount(max(50_000, random.logNormal(median: 120_000, sigma: 0.6)).rounded()) : nil
        // Now and then the counter learns who an unknown walk-in is.
        let customerID =
            !knownCustomer && random.chance(0.2)
            ? population.customer(of: branchIndex, vipShare: 0, random: &random).id : nil
        let data = VisitSignal.Latest(
            visitId: visitID, branchId: branch.id, staffId: staff.id, role: staff.role, signal: signal, amount: amount,
            at: timestamp(seconds), customerId: customerID)
        schedule(
            SimulationEvent(
                id: nextID(), source: "branch/\(branch.id)/teller-desktop", time: timestamp(seconds),
                payload: .signal(data)),
            at: seconds)
        return true
    }

    /// Served by a wealth manager, declined, left unserved, or (not referred) simply left (C-06, engagement.md §3).
    private mutating func scheduleOutcome(
        visitID: String, branch branchIndex: Int, referred: Bool, from seconds: Double
    ) {
        let branch = population.branches[branchIndex]
        let source = "branch/\(branch.id)/lobby-tablet-1"
        let left = { (generator: inout SimulationGenerator, at: Double, outcome: VisitOutcome) in
            let data = VisitLeft.Latest(visitId: visitID, at: generator.timestamp(at), outcome: outcome)
            generator.schedule(
                SimulationEvent(
                    id: generator.nextID(), source: source, time: generator.timestamp(at), payload: .left(data)),
                at: at)
        }
        guard referred else {
            if random.chance(settings.leftShare) {
                let at = seconds + random.uniform(300...1_800)
                left(&self, at, .served)
            }
            return
        }
        let draw = random.unit()
        if draw < settings.servedShare {
            let served = seconds + random.uniform(180...900)
            let data = VisitServed.Latest(
                visitId: visitID, staffId: random.element(of: branch.wealthManagers), at: timestamp(served))
            schedule(
                SimulationEvent(id: nextID(), source: source, time: timestamp(served), payload: .served(data)),
                at: served)
            if random.chance(settings.leftShare) {
                let at = served + random.uniform(900...2_700)
                left(&self, at, .served)
            }
        } else if draw < settings.servedShare + (1 - settings.servedShare) / 2 {
            let at = seconds + random.uniform(120...600)
            left(&self, at, .referralDeclined)
        } else {
            let at = seconds + random.uniform(900...2_400)
            left(&self, at, .leftUnserved)
        }
    }
}

// MARK: - SimulationAgenda

/// Events scheduled for later (a min-heap on simulated time; ties keep their scheduling order).
struct SimulationAgenda {
    private var entries: [(seconds: Double, order: Int, event: SimulationEvent)] = []
    private var order = 0

    var nextTime: Double? { entries.first?.seconds }

    mutating func push(_ event: SimulationEvent, at seconds: Double) {
        order += 1
        entries.append((seconds, order, event))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(child, parent) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> SimulationEvent? {
        guard !entries.isEmpty else { return nil }
        entries.swapAt(0, entries.count - 1)
        let first = entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && precedes(left, smallest) { smallest = left }
            if right < entries.count && precedes(right, smallest) { smallest = right }
            guard smallest != parent else { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
        return first.event
    }

    private func precedes(_ lhs: Int, _ rhs: Int) -> Bool {
        (entries[lhs].seconds, entries[lhs].order) < (entries[rhs].seconds, entries[rhs].order)
    }
}

// MARK: - CivilDays

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
enum CivilDays {
    static func number(year: Int, month: Int, day: Int) -> Int {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
