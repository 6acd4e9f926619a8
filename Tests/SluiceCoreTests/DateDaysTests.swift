import SluiceCore
import Testing

/// Day numbers of dates in 1901–2099 take a shorter path than other years; every date and
/// every near-miss from 1890 to 2110 is checked against the calendar rules written out here
/// and against ``DateEncoding/civil(_:)`` (the inverse, which has one path for all years).
@Suite("Day numbers across the 1901–2099 fast path")
struct DateDaysTests {
    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func length(_ year: Int, _ month: Int) -> Int {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    @Test("valid dates count up by one day, invalid ones are nil, and civil() gives each back")
    func everyDate() {
        var previous: Int32?
        var checked = 0
        for year in 1890...2110 {
            for month in 0...13 {
                for day in 0...32 {
                    let days = DateEncoding.days(year: year, month: month, day: day)
                    let valid = (1...12).contains(month) && day >= 1 && day <= Self.length(year, month)
                    guard valid else {
                        #expect(days == nil, "\(year)-\(month)-\(day)")
                        continue
                    }
                    guard let days else {
                        Issue.record("\(year)-\(month)-\(day) should be a date")
                        continue
                    }
                    if let previous { #expect(days == previous + 1, "\(year)-\(month)-\(day)") }
                    let civil = DateEncoding.civil(days)
                    #expect(civil.year == year && civil.month == month && civil.day == day)
                    previous = days
                    checked += 1
                }
            }
        }
        #expect(checked == 80_718)
        #expect(DateEncoding.days(year: 1970, month: 1, day: 1) == 0)
        #expect(DateEncoding.days(year: 2000, month: 3, day: 1) == 11_017)
        #expect(DateEncoding.days(year: 1901, month: 1, day: 1) == -25_202)
    }
}
