import Events

// MARK: - SimulationBranch

/// One branch's roster and customers. Staff ids follow `concierge seed demo`: role prefix, the branch number's three
/// digits, a two-digit index (`WM00101` is branch SH001's first wealth manager).
struct SimulationBranch: Sendable {
    let id: String
    let staff: [(id: String, role: StaffRole)]
    let wealthManagers: [String]
    /// Who records arrivals, with how often each does (lobby staff most, then tellers and the business officer).
    let recorders: WeightedChoice<Int>
    /// Who raises signals during a visit: tellers, the business officer, the lobby manager.
    let signallers: [Int]
    let lobbyManager: String
    /// Indexes into ``SimulationPopulation/customers``.
    let customers: Range<Int>
    /// Indexes of the customers at or above the VIP threshold (all of ``customers`` if there are none).
    let vipCustomers: [Int]

    static let prefixes: [StaffRole: String] = [
        .lobbyManager: "LM", .lobbyAssistant: "LA", .tellerCash: "TC", .tellerNonCash: "TN", .businessOfficer: "BO",
        .wealthManager: "WM", .marketingManager: "MM", .teamLead: "TL", .centreHead: "CH",
        .branchSalesSupervisor: "BS", .regionalSalesSupervisor: "RS",
    ]

    /// The roles of a branch in roster order, with how many of each (wealth managers as configured).
    static func roles(managers: Int) -> [(StaffRole, Int)] {
        [
            (.lobbyManager, 1), (.lobbyAssistant, 1), (.tellerCash, 2), (.tellerNonCash, 2), (.businessOfficer, 1),
            (.wealthManager, managers), (.marketingManager, 1), (.teamLead, 1), (.centreHead, 1),
            (.branchSalesSupervisor, 1), (.regionalSalesSupervisor, 1),
        ]
    }

    init(number: Int, managers: Int, customers: Range<Int>, vipCustomers: [Int]) {
        let suffix = zeroPadded(number, width: 3)
        id = "SH" + suffix
        var staff: [(id: String, role: StaffRole)] = []
        for (role, count) in Self.roles(managers: managers) {
            for index in 1...count {
                staff.append((Self.prefixes[role]! + suffix + zeroPadded(index, width: 2), role))
            }
        }
        self.staff = staff
        wealthManagers = staff.filter { $0.role == .wealthManager }.map(\.id)
        lobbyManager = staff.first { $0.role == .lobbyManager }!.id
        let recorderWeights: [StaffRole: Double] = [
            .lobbyManager: 0.4, .lobbyAssistant: 0.3, .tellerCash: 0.075, .tellerNonCash: 0.05, .businessOfficer: 0.05,
        ]
        recorders = WeightedChoice(
            staff.indices.compactMap { index in recorderWeights[staff[index].role].map { (index, $0) } })
        signallers = staff.indices.filter {
            [.tellerCash, .tellerNonCash, .businessOfficer, .lobbyManager].contains(staff[$0].role)
        }
        self.customers = customers
        self.vipCustomers = vipCustomers.isEmpty ? Array(customers) : vipCustomers
    }
}

// MARK: - SimulationCustomer

struct SimulationCustomer: Sendable {
    let id: String
    let branch: Int
    let assets: Amount
    let cardHolder: Bool
    let riskProfile: String?
    let derivativesExperience: Bool?
    let financials: CustomerProfile.V1.Financials?
}

// MARK: - SimulationPopulation

/// The simulated bank: branches with their rosters, and customers whose average daily assets are log-normal (most
/// below the VIP threshold of rulebook B-01, a tail in tiers B and C of B-03).
struct SimulationPopulation: Sendable {
    let branches: [SimulationBranch]
    let customers: [SimulationCustomer]

    static let riskProfiles = WeightedChoice([
        ("conservative", 0.3), ("balanced", 0.4), ("growth", 0.2), ("aggressive", 0.1),
    ])

    init(settings: SimulationSettings, random: inout SplitMix64) {
        var branches: [SimulationBranch] = []
        var customers: [SimulationCustomer] = []
        customers.reserveCapacity(settings.branches * settings.customersPerBranch)
        for number in 1...settings.branches {
            let first = customers.count
            var vips: [Int] = []
            for index in 1...settings.customersPerBranch {
                let assets = random.logNormal(median: settings.medianAssets, sigma: settings.assetSigma)
                // Whole fen, at most 500 million: a private-banking ceiling, far above tier C.
                let minorUnits = Int64(min(assets, 500_000_000) * 100)
                let amount = Amount(minorUnits: max(minorUnits, 0))
                let isVIP = amount >= SimulationSettings.vipMinimum
                if isVIP { vips.append(customers.count) }
                // VIPs have a risk assessment on file and, for about half, financial figures (rulebook G-09).
                var financials: CustomerProfile.V1.Financials?
                if isVIP && random.chance(0.5) {
                    let units = Double(minorUnits) / 100
                    let total = units * random.uniform(1.2...3)
                    let liabilities = total * random.uniform(0...0.5)
                    let income = units * random.uniform(0.05...0.3)
                    let expenses = income / 12 * random.uniform(0.2...0.8)
                    financials = .init(
                        totalAssets: Self.amount(total), totalLiabilities: Self.amount(liabilities),
                        netAssets: Self.amount(total - liabilities),
                        liquidAssets: Self.amount(units * random.uniform(0.1...0.6)),
                        monthlyExpenses: Self.amount(expenses), annualPreTaxIncome: Self.amount(income),
                        investmentAssets: Self.amount(units * random.uniform(0.2...0.8)))
                }
                customers.append(
                    SimulationCustomer(
                        id: "C" + zeroPadded(number, width: 3) + zeroPadded(index, width: 5), branch: number - 1,
                        assets: amount, cardHolder: isVIP && random.chance(settings.cardHolderShare),
                        riskProfile: isVIP ? Self.riskProfiles.pick(&random) : nil,
                        derivativesExperience: isVIP ? random.chance(0.3) : nil, financials: financials))
            }
            branches.append(
                SimulationBranch(
                    number: number, managers: settings.managersPerBranch, customers: first..<customers.count,
                    vipCustomers: vips))
        }
        self.branches = branches
        self.customers = customers
    }

    static func amount(_ units: Double) -> Amount {
        Amount(minorUnits: Int64((units * 100).rounded()))
    }

    /// A customer of `branch`, now and then (1 in 20) one from another branch.
    func walkInCustomer(at branch: Int, random: inout SplitMix64) -> SimulationCustomer {
        if branches.count > 1 && random.chance(0.05) {
            return customers[random.index(below: customers.count)]
        }
        let range = branches[branch].customers
        return customers[range.lowerBound + random.index(below: range.count)]
    }

    /// A customer of `branch`, from its VIPs with probability `vipShare`.
    func customer(of branch: Int, vipShare: Double, random: inout SplitMix64) -> SimulationCustomer {
        let branch = branches[branch]
        if random.chance(vipShare) { return customers[random.element(of: branch.vipCustomers)] }
        return customers[branch.customers.lowerBound + random.index(below: branch.customers.count)]
    }
}
