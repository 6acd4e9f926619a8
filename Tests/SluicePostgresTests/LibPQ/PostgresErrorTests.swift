import SluiceCore
import SluicePostgres
import Testing

@Suite("PostgresError")
struct PostgresErrorTests {
    @Test("transient codes", arguments: [
        ("08001", true), ("08006", true), ("08003", true), ("40001", true), ("40P01", true),
        ("57P01", true), ("57P03", true), ("53300", true),
        ("23505", false), ("42601", false), ("28P01", false), ("3D000", false), ("22P02", false), ("SL001", false),
    ])
    func transient(code: String, expected: Bool) {
        let error = PostgresError(code: .init(code), message: "m")
        #expect(error.isTransient == expected)
    }

    @Test("codes compare with their named constants")
    func namedCodes() {
        #expect(PostgresError.Code("23505") == .uniqueViolation)
        #expect(PostgresError.Code.serializationFailure.rawValue == "40001")
        #expect(PostgresError.Code.unableToConnect.errorClass == "08")
    }

    @Test("configuration failures become .configuration SluiceErrors, others .execution")
    func sluiceErrorKinds() {
        let auth = PostgresError(code: .invalidPassword, message: "password authentication failed for user \"x\"", host: "h:5432")
        #expect(auth.sluiceError.kind == .configuration)
        #expect(auth.sluiceError.hint?.contains("password") == true)
        #expect(PostgresError(code: .invalidCatalogName, message: "database \"d\" does not exist").sluiceError.kind == .configuration)
        let unique = PostgresError(code: .uniqueViolation, message: "duplicate key", query: "INSERT …", host: "h:5432")
        #expect(unique.sluiceError.kind == .execution)
        #expect(unique.sluiceError.location == "PostgreSQL at h:5432")
        #expect(unique.description == "duplicate key (SQLSTATE 23505)")
        #expect(unique.debugDescription.contains("query: INSERT …"))
        #expect(!unique.description.contains("INSERT"))
    }
}
