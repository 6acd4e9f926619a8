/// A named, typed column slot in a ``Schema``.
public struct Field: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var type: DataType
    public var nullable: Bool

    public init(_ name: String, _ type: DataType, nullable: Bool = true) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }

    public var description: String { "\(name): \(type)\(nullable ? "" : " not null")" }
}

/// An ordered list of fields, the shape of every batch in a stream.
public struct Schema: Sendable, Hashable, CustomStringConvertible {
    public var fields: [Field]

    public init(_ fields: [Field]) {
        self.fields = fields
    }

    public var count: Int { fields.count }
    public var names: [String] { fields.map(\.name) }

    /// The position of the field called `name`, or nil.
    public func index(of name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }

    /// The position of the field called `name`, or a plan error that lists what exists.
    public func requireIndex(of name: String, in context: String = "input") throws(SluiceError) -> Int {
        if let index = index(of: name) { return index }
        throw SluiceError.plan(
            "no column '\(name)' in the \(context); it has: \(names.joined(separator: ", "))",
            hint: "check the spelling and case of the column name"
        )
    }

    public subscript(_ index: Int) -> Field { fields[index] }

    public var description: String {
        "(" + fields.map(\.description).joined(separator: ", ") + ")"
    }
}
