import ArgumentParser
import Service
import Testing
@testable import MatteCommand

/// `matte serve` options: defaults, environment variables, command line over environment, bad values.
@Suite struct ServeCommandTests {
    func configuration(_ arguments: [String], environment: [String: String] = [:]) throws -> ServiceConfiguration {
        let command = try #require(try MatteCommand.parseAsRoot(["serve"] + arguments) as? Serve)
        return try command.serviceConfiguration(environment: environment)
    }

    @Test func defaults() throws {
        let configuration = try configuration([])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.slots == configuration.cores)
        #expect(configuration.queue == 2 * configuration.slots)
        #expect(configuration.maxBodyBytes == 25_000_000)
        #expect(configuration.maxPixels == 50_000_000)
        #expect(configuration.requestTimeout == 30)
        #expect(configuration.headerTimeout == 10)
        #expect(configuration.allowURLFetch == false)
    }

    @Test func environmentThenCommandLine() throws {
        let environment = ["MATTE_HOST": "0.0.0.0", "MATTE_PORT": "9000", "MATTE_SLOTS": "3", "MATTE_MAX_BODY_BYTES": "1000",
                           "MATTE_MAX_PIXELS": "2000", "MATTE_REQUEST_TIMEOUT": "2.5", "MATTE_HEADER_TIMEOUT": "4",
                           "MATTE_ALLOW_URL_FETCH": "yes", "MATTE_QUEUE": "7"]
        let fromEnvironment = try configuration([], environment: environment)
        #expect(fromEnvironment.host == "0.0.0.0")
        #expect(fromEnvironment.port == 9000)
        #expect(fromEnvironment.slots == 3 && fromEnvironment.queue == 7)
        #expect(fromEnvironment.maxBodyBytes == 1000 && fromEnvironment.maxPixels == 2000)
        #expect(fromEnvironment.requestTimeout == 2.5 && fromEnvironment.headerTimeout == 4)
        #expect(fromEnvironment.allowURLFetch)

        // Options shared with the root command count after `serve` too.
        #expect(try configuration(["--max-pixels", "1234"]).maxPixels == 1234)

        let overridden = try configuration(["--port", "9100", "--slots", "1"], environment: environment)
        #expect(overridden.port == 9100)
        #expect(overridden.slots == 1 && overridden.queue == 7)
        // Slots alone set the queue to twice as many.
        #expect(try configuration(["--slots", "4"]).queue == 8)
    }

    @Test(arguments: [["--slots", "0"], ["--queue", "-1"], ["--port", "70000"], ["--request-timeout", "0"],
                      ["--max-body-bytes", "0"], ["--header-timeout", "-3"], ["--request-timeout", "inf"]])
    func badValuesAreUsageErrors(arguments: [String]) {
        #expect(throws: (any Error).self) { try MatteCommand.parseAsRoot(["serve"] + arguments) }
    }

    @Test func badEnvironmentIsNamed() throws {
        let command = try #require(try MatteCommand.parseAsRoot(["serve"]) as? Serve)
        #expect(throws: ValidationError.self) { try command.serviceConfiguration(environment: ["MATTE_PORT": "eighty"]) }
        #expect(throws: ValidationError.self) { try command.serviceConfiguration(environment: ["MATTE_ALLOW_URL_FETCH": "maybe"]) }
    }

    @Test func theCommandWithoutSubcommandStillRunsTheBatch() throws {
        #expect(try MatteCommand.parseAsRoot(["-i", "serve", "-d", "out"]) is MatteCommand)
        #expect(try MatteCommand.parseAsRoot([]) is MatteCommand)
        #expect(MatteCommand.helpMessage(columns: 10_000).contains("matte serve"))
    }
}
