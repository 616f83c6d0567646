import Foundation

/// Deterministic demo data for one branch, as the JSON a branch front end, HR and core banking would send.
struct DemoData {
    let roster: [[String: Any]]
    let profiles: [[String: Any]]
    let visits: [[String: Any]]
    let complaints: [[String: Any]]
    let managers: [String]
    var lastManager: String { managers.last! }
    let lastCustomer: String

    init(branch: String, walkIns: Int, seed: UInt64, now: Date) {
        var random = SplitMix64(seed: seed)
        let zone = TimeZone(identifier: ProcessInfo.processInfo.environment["BUSINESS_TIME_ZONE"] ?? "Asia/Shanghai")
            ?? TimeZone(identifier: "Asia/Shanghai")!
        let time = { (date: Date) in Self.rfc3339(date, zone: zone) }
        let staff: [(String, String)] = [
            ("LM", "lobby_manager"), ("LA", "lobby_assistant"), ("TC", "teller_cash"), ("TN", "teller_noncash"),
            ("BO", "business_officer"), ("WM", "wealth_manager"), ("WM", "wealth_manager"), ("WM", "wealth_manager"),
            ("CH", "centre_head"), ("BS", "branch_sales_supervisor"), ("RS", "regional_sales_supervisor"),
        ]
        var counters: [String: Int] = [:]
        var roster: [[String: Any]] = []
        var managers: [String] = []
        var staffByRole: [String: String] = [:]
        for (prefix, role) in staff {
            counters[prefix, default: 0] += 1
            let id = "\(prefix)\(branch.suffix(3))\(String(format: "%02d", counters[prefix]!))"
            if role == "wealth_manager" { managers.append(id) }
            staffByRole[role] = staffByRole[role] ?? id
            roster.append(
                Self.event(
                    "bank.hr.staff-updated.v1", source: "hr/directory", time: time(now),
                    data: [
                        "staffId": id, "branchId": branch, "role": role, "status": "active",
                        "effectiveAt": time(now.addingTimeInterval(-86_400 * 30)),
                    ]))
        }

        // Average daily assets: most below the VIP line, then tiers A, B and C (rulebook B-01, B-03).
        var profiles: [[String: Any]] = []
        var customers: [String] = []
        for index in 1...30 {
            let id = "C\(branch.suffix(3))\(String(format: "%04d", index))"
            customers.append(id)
            let aum: UInt64
            switch index % 10 {
            case 0: aum = 3_000_000 + random.next(below: 5_000_000)
            case 1, 2: aum = 1_000_000 + random.next(below: 1_999_999)
            case 3, 4, 5, 6: aum = 300_000 + random.next(below: 699_999)
            default: aum = 5_000 + random.next(below: 290_000)
            }
            profiles.append(
                Self.event(
                    "bank.core.customer-profile.v1", source: "core/crm-snapshot", time: time(now),
                    data: [
                        "customerId": id, "homeBranchId": branch, "aumDailyAvg": "\(aum).00",
                        "asOf": Self.date(now, zone: zone), "cardHolder": aum >= 300_000,
                    ]))
        }

        let purposes = ["wealth_consultation", "non_cash", "cash_large", "cash_small", "loan", "utility_payment"]
        let recorders = [
            (staffByRole["lobby_manager"]!, "lobby_manager"), (staffByRole["lobby_assistant"]!, "lobby_assistant"),
            (staffByRole["teller_cash"]!, "teller_cash"), (staffByRole["teller_noncash"]!, "teller_noncash"),
        ]
        var visits: [[String: Any]] = []
        let dayTag = Self.date(now, zone: zone).replacingOccurrences(of: "-", with: "")
        // Each run gets new visit and complaint ids, so seeding twice gives two mornings of walk-ins.
        let runTag = String(Int(now.timeIntervalSince1970) % 100_000)
        for index in 0..<walkIns {
            // Spread over the two hours before now, morning-peak style (more arrivals early).
            let fraction = Double(index) / Double(max(walkIns, 1))
            let arrived = now.addingTimeInterval(-7_200 * (1 - fraction * fraction))
            let (recorder, role) = recorders[Int(random.next(below: UInt64(recorders.count)))]
            var data: [String: Any] = [
                "visitId": "V\(dayTag)-\(branch)-\(runTag)-\(String(format: "%04d", index + 1))",
                "branchId": branch, "arrivedAt": time(arrived),
                "purpose": purposes[Int(random.next(below: UInt64(purposes.count)))],
                "recordedBy": recorder, "recordedByRole": role, "ticket": "A\(String(format: "%03d", index + 1))",
            ]
            // Cash visits say how much: some are large-cash customers (rulebook C-07, B-02).
            if ["cash_large", "cash_small"].contains(data["purpose"] as? String) {
                data["amount"] = "\(10_000 + random.next(below: 150_000)).00"
            }
            // Four in five walk-ins are known customers; the others are new faces, some with a card or lead signals.
            if random.next(below: 5) > 0 {
                data["customerId"] = customers[Int(random.next(below: 30))]
            } else if random.next(below: 4) == 0 {
                data["cardTier"] = ["gold", "platinum", "diamond"][Int(random.next(below: 3))]
            } else if random.next(below: 2) == 0 {
                data["signals"] = [Self.signals[Int(random.next(below: UInt64(Self.signals.count)))]]
                // A made-up number in the reserved 1380000xxxx range: stored encrypted, shown masked.
                data["contactPhone"] = "1380000\(String(format: "%04d", random.next(below: 10_000)))"
            }
            visits.append(
                Self.event("bank.branch.visit-arrived.v1", source: "branch/\(branch)/lobby-tablet-1", time: time(arrived), data: data))
            // Now and then a teller or the business officer spots a wealth need at the counter (A-05).
            if index % 9 == 4 {
                let (staffID, staffRole) = index % 2 == 0
                    ? (staffByRole["teller_noncash"]!, "teller_noncash") : (staffByRole["business_officer"]!, "business_officer")
                visits.append(
                    Self.event(
                        "bank.branch.visit-signal.v1", source: "branch/\(branch)/teller-desktop",
                        time: time(arrived.addingTimeInterval(120)),
                        data: [
                            "visitId": data["visitId"]!, "branchId": branch, "staffId": staffID, "role": staffRole,
                            "signal": "wealth_need", "at": time(min(now, arrived.addingTimeInterval(120))),
                        ]))
            }
        }

        var complaints: [[String: Any]] = []
        for index in 1...2 {
            var data: [String: Any] = [
                "complaintId": "CP-\(branch)-\(dayTag)-\(runTag)-\(index)", "branchId": branch,
                "customerId": customers[index], "summary": "Demo complaint \(index)",
                "customerNeed": "A reply with an explanation", "receivedAt": time(now),
                "recordedBy": staffByRole["lobby_manager"]!,
            ]
            // The first is answered on the spot (rulebook F-02), the second waits for a reply.
            data["channel"] = index == 1 ? "lobby" : "opinion_book"
            data["category"] = index == 1 ? "waiting_time" : "fees"
            data["resolvedOnSpot"] = index == 1
            if index == 1 { data["resolution"] = "Explained the queue and served at once" }
            complaints.append(
                Self.event(
                    "bank.branch.complaint-lodged.v1", source: "branch/\(branch)/opinion-book", time: time(now),
                    data: data))
        }

        self.roster = roster
        self.profiles = profiles
        self.visits = visits
        self.complaints = complaints
        self.managers = managers
        self.lastCustomer = customers.last!
    }

    static let signals = [
        "other_bank_vip_card", "private_car", "premium_residence", "high_end_venues", "wealth_need",
        "occupation:business_owner", "occupation:doctor", "occupation:lawyer",
    ]

    static func event(_ type: String, source: String, time: String, data: [String: Any]) -> [String: Any] {
        [
            "specversion": "1.0", "id": UUID().uuidString.lowercased(), "source": source, "type": type,
            "time": time, "datacontenttype": "application/json", "data": data,
        ]
    }

    static func rfc3339(_ date: Date, zone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func date(_ date: Date, zone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = zone
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }
}

/// A small deterministic generator (SplitMix64), so `--seed` repeats a demo.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: UInt64) -> UInt64 {
        next() % bound
    }
}
