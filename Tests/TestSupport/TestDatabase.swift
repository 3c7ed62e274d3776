import Foundation
import Jobs
import PostgresJobs
import Logging
import PostgresNIO

/// A database of its own for each test, on the throwaway PostgreSQL server that `scripts/test-database`
/// starts (scripts/test starts it and sets `MATTE_TEST_DATABASE_URL`): created and migrated before the
/// test, dropped after it.
public enum TestDatabase {
    public static var url: String? {
        ProcessInfo.processInfo.environment["MATTE_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the queue's tests run: when the server's URL is set, and always in CI, where a missing
    /// server must fail them rather than skip them.
    public static var enabled: Bool { url != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String {
            "MATTE_TEST_DATABASE_URL is not set: start a server with eval \"$(scripts/test-database start)\" (scripts/test does)"
        }
    }

    /// The URL of a database named `name` on the test server.
    public static func url(database name: String) throws -> String {
        guard let url else { throw Missing() }
        var components = URLComponents(string: url)!
        components.path = "/" + name
        return components.string!
    }

    /// Applies the schema's steps not yet applied to `client`'s database; returns their versions.
    @discardableResult
    public static func migrate(_ client: PostgresClient) async throws -> [Int] {
        try await Migrations.migrate(client, logger: Logger(label: "matte.test-database"))
    }

    /// Runs `body` with a running client of a new, migrated database and that database's name.
    public static func with(_ body: (PostgresClient, String) async throws -> Void) async throws {
        guard let url else { throw Missing() }
        let logger = Logger(label: "matte.test-database")
        let admin = PostgresClient(configuration: try DatabaseURL(url).configuration, backgroundLogger: logger)
        let name = "matte_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            try await admin.query("CREATE DATABASE \(unescaped: name)")
            let client = PostgresClient(configuration: try DatabaseURL(try self.url(database: name)).configuration,
                                        backgroundLogger: logger)
            group.addTask { await client.run() }
            var failure: (any Error)?
            do {
                try await Migrations.migrate(client, logger: logger)
                try await body(client, name)
            } catch {
                failure = error
            }
            try? await admin.query("DROP DATABASE \(unescaped: name) WITH (FORCE)")
            group.cancelAll()
            if let failure { throw failure }
        }
    }
}
