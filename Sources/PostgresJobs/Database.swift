import Foundation
import Jobs
import Logging
import PostgresNIO

/// Where the queue lives: a `postgres://user:password@host:port/database` URL (`postgresql://` too).
/// `?host=/path/to/folder` connects through the server's Unix socket in that folder instead of TCP, as
/// libpq reads it; `?sslmode=disable|prefer|require` (default `prefer`) says whether to use TLS.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var configuration: PostgresClient.Configuration
    /// The URL without its password, for logs.
    public var description: String

    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(Problem) {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw Problem(description: "database URL must look like postgres://user@host:5432/database")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let user = url.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = url.password.flatMap { $0.removingPercentEncoding }
        var database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        database = database.removingPercentEncoding ?? database
        let tls: PostgresClient.Configuration.TLS
        switch query["sslmode"] ?? "prefer" {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        case let other: throw Problem(description: "sslmode '\(other)' is not disable, prefer or require")
        }
        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            let port = url.port ?? 5432
            configuration = .init(unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: user, password: password,
                                  database: database.isEmpty ? nil : database)
        } else {
            guard let host = url.host, !host.isEmpty else { throw Problem(description: "database URL has no host") }
            configuration = .init(host: host, port: url.port ?? 5432, username: user, password: password,
                                  database: database.isEmpty ? nil : database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        // A transaction left open by a worker that lost its network must not hold its rows for long.
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", "15s")]
        var shown = url
        if shown.password != nil { shown.password = "***" }
        description = shown.string ?? scheme + "://"
    }
}
