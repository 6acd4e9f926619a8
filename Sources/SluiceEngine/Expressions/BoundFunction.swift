public import SluiceCore

/// A scalar function with its constant arguments compiled (regular expressions, date
/// formats), ready to evaluate over columns.
public enum BoundFunction: Sendable {
    case trim, nullIfEmpty, lower, upper, length, concat, toDate, dateAddDays, dateDiffDays, year, month, day, hash, xxhash64
    case concatNonNull([UInt8])
    case jsonQuote, isEmailAddress, isHTTPURL
    case replace([UInt8], [UInt8])
    case regexMatch(CompiledRegex)
    case regexExtract(CompiledRegex, group: Int)
    case splitPart([UInt8], index: Int)
    case substring(start: Int, length: Int)
    case parseDate([DateTimeFormat])
    case parseTimestamp([DateTimeFormat])
    case matchedFormat([DateTimeFormat])
    case parseDecimal(precision: Int, scale: Int)
    /// `*` with the operands already typed for it; overflow is null.
    case tryMultiply(operandType: DataType)

    /// Checks argument types and compiles constants; returns the bound call.
    static func bind(_ function: ScalarFunction, _ arguments: [BoundExpr], context: String) throws(SluiceError) -> BoundExpr {
        func require(_ count: Int, _ types: [DataType]) throws(SluiceError) {
            guard arguments.count == count else {
                throw SluiceError.plan("\(function.name) takes \(count) argument(s), got \(arguments.count) in \(context)")
            }
            for (argument, type) in zip(arguments, types) where argument.type != type {
                throw SluiceError.plan("\(function.name) needs \(type), got \(argument.type) in \(context)")
            }
        }
        func compileFormats(_ formats: [String]) throws(SluiceError) -> [DateTimeFormat] {
            guard !formats.isEmpty else { throw SluiceError.plan("\(function.name) needs at least one format") }
            var compiled: [DateTimeFormat] = []
            for format in formats { compiled.append(try DateTimeFormat(format)) }
            return compiled
        }
        switch function {
        case .trim: try require(1, [.string]); return .call(.trim, arguments, .string)
        case .nullIfEmpty: try require(1, [.string]); return .call(.nullIfEmpty, arguments, .string)
        case .lower: try require(1, [.string]); return .call(.lower, arguments, .string)
        case .upper: try require(1, [.string]); return .call(.upper, arguments, .string)
        case .length: try require(1, [.string]); return .call(.length, arguments, .int64)
        case .replace(let from, let to):
            try require(1, [.string])
            guard !from.isEmpty else { throw SluiceError.plan("replace needs a non-empty search text in \(context)") }
            return .call(.replace(Array(from.utf8), Array(to.utf8)), arguments, .string)
        case .regexMatch(let pattern):
            try require(1, [.string])
            return .call(.regexMatch(try CompiledRegex(pattern)), arguments, .bool)
        case .regexExtract(let pattern, let group):
            try require(1, [.string])
            return .call(.regexExtract(try CompiledRegex(pattern), group: group), arguments, .string)
        case .splitPart(let delimiter, let index):
            try require(1, [.string])
            guard !delimiter.isEmpty, index >= 1 else { throw SluiceError.plan("splitPart needs a delimiter and an index ≥ 1 in \(context)") }
            return .call(.splitPart(Array(delimiter.utf8), index: index), arguments, .string)
        case .substring(let start, let length):
            try require(1, [.string])
            return .call(.substring(start: start, length: length), arguments, .string)
        case .concat:
            guard !arguments.isEmpty else { throw SluiceError.plan("concat needs arguments") }
            let strings = arguments.map { $0.type == .string ? $0 : .cast($0, to: .string) }
            return .call(.concat, strings, .string)
        case .concatNonNull(let separator):
            guard !arguments.isEmpty else { throw SluiceError.plan("concatNonNull needs arguments") }
            let strings = arguments.map { $0.type == .string ? $0 : .cast($0, to: .string) }
            return .call(.concatNonNull(Array(separator.utf8)), strings, .string)
        case .jsonQuote:
            let text = arguments.count == 1 && arguments[0].type != .string ? [BoundExpr.cast(arguments[0], to: .string)] : arguments
            guard text.count == 1 else { throw SluiceError.plan("jsonQuote takes 1 argument, got \(arguments.count) in \(context)") }
            return .call(.jsonQuote, text, .string)
        case .isEmailAddress: try require(1, [.string]); return .call(.isEmailAddress, arguments, .bool)
        case .isHTTPURL: try require(1, [.string]); return .call(.isHTTPURL, arguments, .bool)
        case .parseDate(let formats):
            try require(1, [.string])
            return .call(.parseDate(try compileFormats(formats)), arguments, .date)
        case .parseTimestamp(let formats):
            try require(1, [.string])
            return .call(.parseTimestamp(try compileFormats(formats)), arguments, .timestamp)
        case .matchedFormat(let formats):
            try require(1, [.string])
            return .call(.matchedFormat(try compileFormats(formats)), arguments, .string)
        case .parseDecimal(let precision, let scale):
            try require(1, [.string])
            guard (1...18).contains(precision), (0...precision).contains(scale) else {
                throw SluiceError.plan("parseDecimal needs 1 ≤ precision ≤ 18 and 0 ≤ scale ≤ precision in \(context)")
            }
            return .call(.parseDecimal(precision: precision, scale: scale), arguments, .decimal(precision: precision, scale: scale))
        case .toDate: try require(1, [.timestamp]); return .call(.toDate, arguments, .date)
        case .dateAddDays: try require(2, [.date, .int64]); return .call(.dateAddDays, arguments, .date)
        case .dateDiffDays: try require(2, [.date, .date]); return .call(.dateDiffDays, arguments, .int64)
        case .year, .month, .day:
            guard arguments.count == 1, arguments[0].type == .date || arguments[0].type == .timestamp else {
                throw SluiceError.plan("\(function.name) needs one date or timestamp in \(context)")
            }
            let dateArgument = arguments[0].type == .date ? arguments[0] : .call(.toDate, arguments, .date)
            let bound: BoundFunction = function == .year ? .year : (function == .month ? .month : .day)
            return .call(bound, [dateArgument], .int64)
        case .hash:
            guard !arguments.isEmpty else { throw SluiceError.plan("hash needs arguments") }
            return .call(.hash, arguments, .int64)
        case .xxhash64:
            guard !arguments.isEmpty else { throw SluiceError.plan("xxhash64 needs arguments") }
            if let list = arguments.first(where: { if case .list = $0.type { true } else { false } }) {
                throw SluiceError.plan("xxhash64 does not hash lists (\(list.type)) in \(context)")
            }
            return .call(.xxhash64, arguments, .int64)
        case .tryMultiply:
            guard arguments.count == 2 else { throw SluiceError.plan("tryMultiply takes 2 arguments, got \(arguments.count) in \(context)") }
            guard case .binary(_, let left, let right, let operandType, let result) = try BoundExpr.bindBinary(.multiply, arguments[0], arguments[1]) else {
                throw SluiceError.internal("tryMultiply did not bind to a product in \(context)")
            }
            return .call(.tryMultiply(operandType: operandType), [left, right], result)
        }
    }
}

/// A regular expression compiled once per plan. Swift's `Regex` is used from one task at a
/// time per evaluation, which is why the box may cross threads.
public final class CompiledRegex: @unchecked Sendable {
    /// The expression as written.
    public let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws(SluiceError) {
        self.pattern = pattern
        do {
            regex = try Regex(pattern)
        } catch {
            throw SluiceError.plan("invalid regular expression /\(pattern)/: \(error)")
        }
    }
}
