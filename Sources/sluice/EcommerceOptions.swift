import ArgumentParser
import SluiceEngine
import SluiceIO
import SluicePipelines
import SluicePostgres

/// `sluice run ecommerce --events DIR [--products CSV --customers CSV] [--table NAME]`
struct EcommerceOptions: PipelineOptions {
    typealias Definition = EcommercePipeline

    @Option(help: "A folder of events_*.zip archives, one archive, or a glob.")
    var events: String

    @Option(help: "products as CSV (product_id,product_name,category,price) instead of the PostgreSQL table.")
    var products: String?

    @Option(help: "customers as CSV (customer_id,join_date,segment) instead of the PostgreSQL table.")
    var customers: String?

    @Option(name: .customLong("products-table"), help: "The PostgreSQL products table.")
    var productsTable: String = "products"

    @Option(name: .customLong("customers-table"), help: "The PostgreSQL customers table.")
    var customersTable: String = "customers"

    @Option(name: .customLong("on-error"), help: "A corrupt archive or entry: fail the run, or skip it as a reject.")
    var onError: String = "fail"

    @Option(name: .customLong("on-duplicate-key"),
            help: "A product or customer id on two rows: fail the run, keep the first row (first), or keep it and reject the others (reject).")
    var onDuplicateKey: String = "fail"

    @Option(help: "Table for the report.")
    var table: String = "sales_report"

    @OptionGroup(title: "Archive limits") var archiveLimits: ZipLimitOptions

    func validate() throws {
        guard OnError(rawValue: onError) != nil else { throw ValidationError("--on-error must be fail or skip") }
        guard Self.duplicateKeyChoices.contains(onDuplicateKey) else { throw ValidationError("--on-duplicate-key must be fail, first or reject") }
        guard (products == nil) == (customers == nil) else { throw ValidationError("give both --products and --customers, or neither") }
        try TableNameOption.validate(table, option: "--table")
        try TableNameOption.validate(productsTable, option: "--products-table")
        try TableNameOption.validate(customersTable, option: "--customers-table")
    }

    func parameters() throws -> EcommercePipeline.Parameters {
        var parameters = EcommercePipeline.Parameters(events: events, productsFile: products, customersFile: customers)
        parameters.table = try QualifiedName(parsing: table)
        parameters.productsTable = try QualifiedName(parsing: productsTable)
        parameters.customersTable = try QualifiedName(parsing: customersTable)
        parameters.onError = OnError(rawValue: onError) ?? .fail
        parameters.limits = archiveLimits.limits()
        parameters.onDuplicateKey = DuplicateKeys(rawValue: onDuplicateKey) ?? .fail
        return parameters
    }

    /// `allow` is not offered: a duplicate dimension key would multiply purchases.
    static let duplicateKeyChoices = ["fail", "first", "reject"]
}
