import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluicePostgres
import SluiceTestSupport
import Testing

/// `sluice token …` and `sluice serve` as users run them: the binary, a live server, SIGTERM.
@Suite("sluice serve and sluice token (the binary, live server)", .enabled(if: TestCluster.available, TestCluster.skipReason))
struct ServeCLITests {
    @Test("token create prints a token once, list shows it without it, revoke ends it; a second active name is refused (exit 2)")
    func tokens() throws {
        let url = try TestCluster.newDatabase("tokens")
        let created = try CLI.run(["token", "create", "--name", "dash", "--db", url])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
        #expect(created.stderr.contains("shown once"))
        let again = try CLI.run(["token", "create", "--name", "dash", "--db", url])
        #expect(again.status == 2 && again.stderr.contains("a token named 'dash' exists"))
        let listed = try CLI.run(["token", "list", "--db", url])
        #expect(listed.status == 0 && listed.stdout.contains("dash") && !listed.stdout.contains(token))
        #expect(try CLI.run(["token", "revoke", "dash", "--db", url]).stdout.contains("revoked dash"))
        #expect(try CLI.run(["token", "revoke", "dash", "--db", url]).status == 2)
    }

    @Test("serve answers on the port it logs, with a token; SIGTERM stops it with status 0")
    func serveUntilSIGTERM() async throws {
        let url = try TestCluster.newDatabase("serve")
        let source = try TestSupport.writeTemporaryFile(String(decoding: try Data(contentsOf: URL(fileURLWithPath: TestSupport.seedFile("customers-100.csv"))), as: UTF8.self),
                                                       name: "customers.csv")
        #expect(try CLI.run(["run", "customers", "--source", source, "--db", url, "--no-progress"]).status == 0)
        let token = try CLI.run(["token", "create", "--name", "cli", "--db", url]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["serve", "--db", url, "--port", "0"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The "listening" line names the URL.
        var log = ""
        let deadline = Date().addingTimeInterval(30)
        while !log.contains("url=http"), Date() < deadline {
            log += String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
        }
        let base = try #require(log.split(separator: " ").first { $0.hasPrefix("url=http") }.map { String($0.dropFirst(4)) })

        func get(_ path: String, token: String?) async throws -> (Int, String) {
            var request = URLRequest(url: try #require(URL(string: base + path)))
            if let token { request.setValue("Token \(token)", forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        #expect(try await get("health", token: nil).0 == 200)
        #expect(try await get("customers/", token: nil).0 == 401)
        let (status, body) = try await get("customers/?country=Chile&page_size=3", token: token)
        #expect(status == 200 && body.contains("\"customer_id\":\"DD37Cf93aecA6Dc\""), "\(body)")

        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let rest = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!(log + rest).contains(token), "the token is never logged")
        #expect((log + rest).contains("path=/api/customers/"))
    }
}
