import Events

// MARK: - SimulationGenerator + complaints, call centre and CRM

extension SimulationGenerator {
    typealias Topic = (category: String, summary: String, need: String)

    static let complaintTopics = WeightedChoice<Topic>([
        (("waiting_time", "Waited a long time for a counter", "Faster service at busy times"), 0.35),
        (("service_attitude", "Staff seemed impatient during the transaction", "An apology"), 0.2),
        (("fees", "An unexpected fee on the account", "An explanation and a refund"), 0.2),
        (("product_mis_selling", "The product's risk was not explained", "A review of the sale"), 0.1),
        (("self_service_fault", "A self-service machine failed mid-transaction", "The transaction completed"), 0.1),
        (("other", "Another service issue", "A reply"), 0.05),
    ])
    static let escalationTopics = WeightedChoice<Topic>([
        (("fees", "Disputes a fee charged by the branch", "A refund"), 0.3),
        (("service_attitude", "Unhappy with a branch visit", "A call from the branch"), 0.25),
        (("product_mis_selling", "A wealth product lost value unexpectedly", "A review with the manager"), 0.2),
        (("card_issue", "Card blocked abroad", "The card unblocked"), 0.15),
        (("waiting_time", "Could not get an appointment", "An appointment this week"), 0.1),
    ])
    static let complaintChannels = WeightedChoice<ComplaintChannel>([
        (.lobby, 0.45), (.counter, 0.3), (.opinionBook, 0.25),
    ])
    static let severities = WeightedChoice<Severity>([(.low, 0.2), (.normal, 0.6), (.high, 0.15), (.critical, 0.05)])
    static let contactKinds = WeightedChoice<ContactKind>([
        (.call, 0.6), (.message, 0.2), (.meeting, 0.15), (.visit, 0.05),
    ])
    static let contactOutcomes: [String?] = [
        nil, "discussed the portfolio", "left a message", "booked a meeting", "no answer", "sent product information",
    ]
    /// Product, share of sales, median amount (CNY) and σ of its logarithm.
    static let products = WeightedChoice<(ProductType, Double, Double)>([
        ((.deposit, 200_000, 0.8), 0.35), ((.wealth, 300_000, 0.7), 0.25), ((.fund, 100_000, 0.8), 0.15),
        ((.insurance, 50_000, 0.7), 0.1), ((.loan, 500_000, 0.6), 0.08), ((.feeService, 2_000, 0.5), 0.05),
        ((.derivativeLinked, 500_000, 0.5), 0.02),
    ])

    /// The next occurrence of a back-office activity.
    mutating func activity(_ kind: SimulationKind, at seconds: Double) -> SimulationEvent {
        switch kind {
        case .escalations: escalation(at: seconds)
        case .contacts: contact(at: seconds)
        case .sales: sale(at: seconds)
        default: appointment(at: seconds)
        }
    }

    /// A complaint lodged during a visit (F-01, F-02): about half answered on the spot.
    mutating func scheduleComplaint(visitID: String, branch branchIndex: Int, customerID: String?, at seconds: Double) {
        let branch = population.branches[branchIndex]
        complaintCount += 1
        let topic = Self.complaintTopics.pick(&random)
        let onSpot = random.chance(0.55)
        let data = ComplaintLodged.Latest(
            complaintId: "CP\(settings.runID)-\(zeroPadded(complaintCount, width: 6))", branchId: branch.id,
            customerId: customerID, visitId: visitID, channel: Self.complaintChannels.pick(&random),
            category: topic.category, summary: topic.summary, customerNeed: topic.need, receivedAt: timestamp(seconds),
            recordedBy: branch.lobbyManager, resolvedOnSpot: onSpot,
            resolution: onSpot ? "Explained on the spot and the customer accepted" : nil)
        schedule(
            SimulationEvent(
                id: nextID(), source: "branch/\(branch.id)/opinion-book", time: timestamp(seconds),
                payload: .complaint(data)),
            at: seconds)
    }

    /// A call-centre escalation to the branch network (A-17, F-04), most about a known customer.
    private mutating func escalation(at seconds: Double) -> SimulationEvent {
        let branchIndex = random.index(below: population.branches.count)
        caseCount += 1
        let topic = Self.escalationTopics.pick(&random)
        let customer = random.chance(0.85) ? population.customer(of: branchIndex, vipShare: 0.3, random: &random) : nil
        let data = EscalationRaised.Latest(
            caseRef: "CC\(settings.runID)-\(zeroPadded(caseCount, width: 6))", customerId: customer?.id,
            branchId: population.branches[customer?.branch ?? branchIndex].id, category: topic.category,
            severity: Self.severities.pick(&random), summary: topic.summary, customerNeed: topic.need,
            receivedAt: timestamp(seconds), agentId: "CCA" + zeroPadded(1 + random.index(below: 40), width: 3),
            firstLineAttempted: random.chance(0.8))
        return SimulationEvent(
            id: nextID(), source: "callcentre/case-desk", time: timestamp(seconds), payload: .escalation(data))
    }

    /// A wealth manager's call, message, meeting or visit with one of the branch's customers (E-03, E-10).
    private mutating func contact(at seconds: Double) -> SimulationEvent {
        let branchIndex = random.index(below: population.branches.count)
        let branch = population.branches[branchIndex]
        activityCount += 1
        let data = ContactLogged.Latest(
            activityId: "A\(settings.runID)-\(zeroPadded(activityCount, width: 7))",
            customerId: population.customer(of: branchIndex, vipShare: 0.9, random: &random).id,
            managerId: random.element(of: branch.wealthManagers), kind: Self.contactKinds.pick(&random),
            proactive: random.chance(0.7), at: timestamp(seconds), outcome: random.element(of: Self.contactOutcomes))
        return SimulationEvent(id: nextID(), source: "crm/desktop", time: timestamp(seconds), payload: .contact(data))
    }

    /// A sale with its profits; wealth, fund and derivative-linked sales carry the customer's risk assessment,
    /// nearly always done in person and before the sale (H-04: the few that are not show up as compliance breaches).
    private mutating func sale(at seconds: Double) -> SimulationEvent {
        let branchIndex = random.index(below: population.branches.count)
        let branch = population.branches[branchIndex]
        saleCount += 1
        let (product, median, sigma) = Self.products.pick(&random)
        let units = max(1_000, min(random.logNormal(median: median, sigma: sigma), 50_000_000)).rounded()
        var data = ProductSold.Latest(
            saleId: "S\(settings.runID)-\(zeroPadded(saleCount, width: 6))",
            customerId: population.customer(of: branchIndex, vipShare: 0.7, random: &random).id,
            managerId: random.chance(0.9) ? random.element(of: branch.wealthManagers) : nil, productType: product,
            amount: SimulationPopulation.amount(units), at: timestamp(seconds))
        switch product {
        case .deposit: data.depositProfit = SimulationPopulation.amount(units * random.uniform(0.005...0.015))
        case .wealth, .fund, .insurance, .derivativeLinked:
            data.wealthProfit = SimulationPopulation.amount(units * random.uniform(0.003...0.01))
        case .feeService: data.feeIncome = SimulationPopulation.amount(units)
        case .loan: break
        }
        if [.wealth, .fund, .derivativeLinked].contains(product), random.chance(0.97) {
            // 1 in 100 assessed after the sale, to give scoring's compliance check something to find.
            let offset = random.chance(0.01) ? 3_600.0 : -random.uniform(86_400...(200 * 86_400))
            data.riskAssessment = .init(
                assessedAt: timestamp(seconds + offset), signedInPerson: random.chance(0.95),
                level: "R" + String(1 + random.index(below: 5)))
        }
        return SimulationEvent(id: nextID(), source: "crm/desktop", time: timestamp(seconds), payload: .sale(data))
    }

    /// An appointment with a VIP customer on one of the next seven days, on the half hour (E-07).
    private mutating func appointment(at seconds: Double) -> SimulationEvent {
        let branchIndex = random.index(below: population.branches.count)
        let branch = population.branches[branchIndex]
        appointmentCount += 1
        let day = (seconds / 86_400).rounded(.down) + Double(1 + random.index(below: 7))
        let at = day * 86_400 + SimulationDayCurve.opening + 1_800 * Double(1 + random.index(below: 14))
        let data = AppointmentBooked.Latest(
            appointmentId: "AP\(settings.runID)-\(zeroPadded(appointmentCount, width: 6))",
            customerId: population.customer(of: branchIndex, vipShare: 1, random: &random).id,
            managerId: random.element(of: branch.wealthManagers), branchId: branch.id, at: timestamp(at))
        return SimulationEvent(
            id: nextID(), source: "crm/desktop", time: timestamp(seconds), payload: .appointment(data))
    }
}

// MARK: - SimulationGenerator + reference data

extension SimulationGenerator {
    /// The roster (staff.directory) and every customer profile (customer.profiles), dated `time`.
    ///
    /// - Parameters:
    ///   - time: The events' `time`; the roster takes effect 30 days before it.
    ///   - asOf: The business date the profiles describe.
    func referenceEvents(at time: Timestamp, asOf: BusinessDate) -> [SimulationEvent] {
        var events: [SimulationEvent] = []
        events.reserveCapacity(population.customers.count + population.branches.count * 20)
        let id = { (number: Int) in "sim-\(settings.runID)-ref-\(number)" }
        for branch in population.branches {
            for staff in branch.staff {
                let data = StaffUpdated.Latest(
                    staffId: staff.id, branchId: branch.id, role: staff.role, status: .active,
                    effectiveAt: time.adding(milliseconds: -30 * 86_400_000))
                events.append(
                    SimulationEvent(id: id(events.count + 1), source: "hr/directory", time: time, payload: .staff(data))
                )
            }
        }
        for customer in population.customers {
            let data = CustomerProfile.Latest(
                customerId: customer.id, homeBranchId: population.branches[customer.branch].id,
                aumDailyAvg: customer.assets, asOf: asOf, cardHolder: customer.cardHolder,
                riskProfile: customer.riskProfile,
                derivativesExperience: customer.derivativesExperience, financials: customer.financials)
            events.append(
                SimulationEvent(
                    id: id(events.count + 1), source: "core/crm-snapshot", time: time, payload: .profile(data)))
        }
        return events
    }
}
