import SluicePipelines
import Testing

@Suite("credits generator")
struct CreditsGeneratorTests {
    static func bytes(_ generator: CreditsGenerator, workers: Int = 2) throws -> [UInt8] {
        var out: [UInt8] = []
        try generator.write(workers: workers) { out += $0 }
        return out
    }

    /// A record as read from the file, each field unquoted but otherwise as written.
    typealias Record = [String]

    /// The records of an RFC 4180 file: fields end at a comma outside quotes, a field that
    /// starts with a quote runs to the closing quote (`""` inside is one quote, commas are
    /// text), records end at LF or CRLF outside quotes.
    static func records(_ bytes: [UInt8]) -> [Record] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var records: [Record] = [], fields: Record = [], field: [UInt8] = []
        var inQuotes = false, wasQuoted = false
        var index = 0
        func finishField() {
            if !wasQuoted, field.last == cr { field.removeLast() }
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inQuotes {
                if byte != quote {
                    field.append(byte)
                } else if index < bytes.count, bytes[index] == quote {
                    field.append(quote)
                    index += 1
                } else {
                    inQuotes = false
                }
            } else if byte == quote, field.isEmpty, !wasQuoted {
                inQuotes = true
                wasQuoted = true
            } else if byte == comma {
                finishField()
            } else if byte == newline {
                finishField()
                records.append(fields)
                fields.removeAll(keepingCapacity: true)
            } else if !(wasQuoted && byte == cr) {
                field.append(byte)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            finishField()
            records.append(fields)
        }
        return records
    }

    /// The pipeline's normalisation: trimmed; action and credit_type lower-cased.
    static func normalised(_ record: Record) -> Record {
        record.enumerated().map { index, field in
            let trimmed = String(field.drop(while: \.isSpaceOrLineBreak).reversed().drop(while: \.isSpaceOrLineBreak).reversed())
            return index == 2 || index == 3 ? trimmed.lowercased() : trimmed
        }
    }

    static func sample(rows: Int = 20_000, orgs: Int = 10, users: Int = 20, seed: UInt64 = 42) throws -> (raw: [Record], clean: [Record], bytes: [UInt8]) {
        let bytes = try bytes(CreditsGenerator(rows: rows, orgs: orgs, users: users, seed: seed))
        let raw = Array(records(bytes).dropFirst())
        return (raw, raw.map(normalised), bytes)
    }

    @Test("the same bytes whatever the number of workers, different bytes for another seed")
    func deterministic() throws {
        let generator = CreditsGenerator(rows: 140_000, seed: 7)
        let one = try Self.bytes(generator, workers: 1)
        let same = try Self.bytes(generator, workers: 4) == one
        let other = try Self.bytes(CreditsGenerator(rows: 140_000, seed: 8), workers: 4) != one
        #expect(same)
        #expect(other)
    }

    @Test("a chunk depends only on the seed and its place: a shorter file is the start of a longer one")
    func chunksAreStable() throws {
        let short = try Self.bytes(CreditsGenerator(rows: 70_000, seed: 3), workers: 1)
        let long = try Self.bytes(CreditsGenerator(rows: 140_000, seed: 3), workers: 3)
        let isPrefix = long.starts(with: short)
        #expect(isPrefix)
    }

    @Test("the header, then exactly `rows` records of six fields", arguments: [0, 1, 999, 65_537])
    func rowCount(rows: Int) throws {
        let bytes = try Self.bytes(CreditsGenerator(rows: rows, seed: UInt64(rows)))
        let records = Self.records(bytes)
        #expect(records.first == ["org_id", "user_id", "credit_type", "action", "credits", "timestamp"])
        #expect(records.count == rows + 1)
        #expect(records.allSatisfy { $0.count == 6 })
        #expect(bytes.last == UInt8(ascii: "\n"))
    }

    @Test("ids in the seed's form, every user in one organisation (the seed's: user_015 in org_000)")
    func ids() throws {
        let (_, clean, _) = try Self.sample()
        var orgOfUser: [String: Set<String>] = [:]
        for record in clean where !record[0].isEmpty && !record[1].isEmpty {
            orgOfUser[record[1], default: []].insert(record[0])
        }
        #expect(orgOfUser.count == 20)
        #expect(orgOfUser.values.allSatisfy { $0.count == 1 })
        #expect(orgOfUser["user_003"] == ["org_003"])
        #expect(orgOfUser["user_015"] == ["org_000"])
        #expect(orgOfUser["user_019"] == ["org_004"])
        #expect(clean.allSatisfy { $0[0].isEmpty || $0[0].wholeMatch(of: #/org_00[0-9]/#) != nil })
        #expect(clean.allSatisfy { $0[1].isEmpty || $0[1].wholeMatch(of: #/user_0[01][0-9]/#) != nil })
        let wide = try Self.sample(rows: 5_000, orgs: 1_500, users: 12_000).clean
        #expect(wide.allSatisfy { $0[0].isEmpty || $0[0].wholeMatch(of: #/org_[0-9]{4}/#) != nil })
        #expect(wide.allSatisfy { $0[1].isEmpty || $0[1].wholeMatch(of: #/user_[0-9]{5}/#) != nil })
    }

    @Test("the seed's blanks at about its rates, and every other kind of mess, in 20,000 rows")
    func mess() throws {
        let (raw, clean, bytes) = try Self.sample()
        func share(_ column: Int, _ value: String) -> Double {
            Double(clean.count { $0[column] == value }) / Double(clean.count)
        }
        #expect(clean.contains { $0[0].isEmpty })
        #expect(clean.contains { $0[1].isEmpty })
        #expect((0.01...0.03).contains(share(2, "")))
        #expect((0.01...0.02).contains(share(3, "")))
        #expect((0.02...0.03).contains(share(4, "")))
        #expect((0.16...0.21).contains(share(5, "")))

        #expect(raw.contains { $0[0].hasPrefix(" org_") })
        #expect(raw.contains { $0[3].first == " " && ($0[3].contains("A") || $0[3].contains("D")) })
        #expect(raw.contains { $0[3] == "Deduct" })
        #expect(raw.contains { $0[3] == "ADD" })
        #expect(raw.contains { $0[2].contains("API_CALL") })
        #expect(raw.contains { !$0[4].isEmpty && $0[4].allSatisfy(\.isSpaceOrLineBreak) })
        #expect(clean.contains { $0[2] == "report, download" })
        #expect(clean.contains { $0[3] == "refund" })
        #expect(clean.contains { $0[4] == "abc" })
        #expect(clean.contains { $0[4].hasPrefix("-") })
        #expect(clean.contains { $0[4].hasSuffix(".125") })
        #expect(clean.contains { $0[4].hasSuffix(".25") })
        #expect(clean.allSatisfy { $0[4].isEmpty || $0[4] == "abc" || $0[4].wholeMatch(of: #/-?[0-9]{1,3}\.[0-9]{1,3}/#) != nil })

        let crlf = zip(bytes, bytes.dropFirst()).count { $0 == UInt8(ascii: "\r") && $1 == UInt8(ascii: "\n") }
        #expect((0.01...0.06).contains(Double(crlf) / Double(raw.count)))
        #expect(raw.contains { $0[2].contains(", ") })

        let copies = raw.indices.count { index in raw[max(0, index - 16)..<index].contains(raw[index]) }
        #expect((20...80).contains(copies))
    }

    @Test("every timestamp form, the good ones at several times of day, and the garbage ones")
    func timestamps() throws {
        let stamps = try Self.sample().clean.map { $0[5] }
        let forms = [
            "iso at midnight": #/2024-1[0-2]-[0-3][0-9] 00:00:00/#, "iso": #/2024-1[0-2]-[0-3][0-9] (?!00:00:00)[0-2][0-9]:[0-5][0-9]:[0-5][0-9]/#,
            "12-hour at midnight": #/1[0-2]/[0-3][0-9]/2024 12:00 AM/#, "12-hour am": #/1[0-2]/[0-3][0-9]/2024 (?!12:00)(?:0[1-9]|1[0-2]):[0-5][0-9] AM/#,
            "12-hour pm": #/1[0-2]/[0-3][0-9]/2024 (?:0[1-9]|1[0-2]):[0-5][0-9] PM/#, "day first": #/[0-3][0-9]-1[0-2]-2024/#,
            "epoch": #/17[23][0-9]{7}/#,
        ]
        for (name, pattern) in forms {
            #expect(stamps.contains { $0.wholeMatch(of: pattern) != nil }, "no \(name) timestamp")
        }
        let epochs = stamps.compactMap { $0.wholeMatch(of: #/[0-9]{10}/#) == nil ? nil : Int($0) }
        #expect(epochs.contains { $0 % 86_400 == 0 } && epochs.contains { $0 % 86_400 != 0 })
        #expect(epochs.allSatisfy { (1_727_740_800..<1_735_689_600).contains($0) })
        for garbage in ["not-a-date", "abc123", "32/13/2024", "31-02-2024"] {
            #expect(stamps.contains(garbage), "no \(garbage)")
        }
        let known = stamps.allSatisfy { stamp in
            stamp.isEmpty || ["not-a-date", "abc123", "32/13/2024", "31-02-2024"].contains(stamp)
                || forms.values.contains { stamp.wholeMatch(of: $0) != nil }
        }
        #expect(known)
    }

    @Test("the rules sort the rows about as they sort the seed's: a few percent rejects, duplicates folded")
    func rules() throws {
        let clean = try Self.sample().clean
        func isEvent(_ record: Record) -> Bool {
            !record[0].isEmpty && ["add", "deduct"].contains(record[3]) && record[4].wholeMatch(of: #/[0-9]+(\.[0-9]{0,2}0*)?/#) != nil
        }
        let events = clean.filter(isEvent)
        let distinct = Set(events)
        let rejects = clean.count - events.count
        #expect((0.035...0.065).contains(Double(rejects) / Double(clean.count)))
        #expect(distinct.count < events.count)
    }
}

extension Character {
    /// The bytes the pipeline's trim removes: space, tab, CR, LF.
    var isSpaceOrLineBreak: Bool { self == " " || self == "\t" || self == "\r" || self == "\n" || self == "\r\n" }
}
