import ArgumentParser
import SluiceIO

/// How CSV input is read, for every command that reads CSV files.
struct CSVReadOptions: ParsableArguments {
    @Option(name: .customLong("max-quoted-lines"),
            help: "The most lines one record may span through quoted newlines; a quote still open after them (or at the end of the file) makes its line an unterminated_quote reject, and reading goes on at the next line.")
    var maxQuotedLines: Int = CSVOptions.defaultMaxQuotedLines

    func validate() throws {
        guard (1...100_000).contains(maxQuotedLines) else {
            throw ValidationError("--max-quoted-lines must be between 1 and 100000 (a record spanning more lines is almost always a stray quote)")
        }
    }
}
