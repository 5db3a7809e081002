import Foundation
import Glibc
import Logging

/// Finds the API token the way DESIGN.md orders it: `FASTIO_TOKEN`, else `FASTIO_API_KEY`, else
/// `--token-file`, else the official Fast.io CLI's stored credentials
/// (`$XDG_CONFIG_HOME/fastio-cli/` or `~/.config/fastio-cli/`: `config.json` names the
/// `default_profile`, `credentials.json` holds `profiles.<name>.{api_key, token, expires_at}`).
///
/// Invariants: empty values are skipped; a stored API key is preferred over a stored JWT; an expired
/// stored JWT is an error that says to run `fastio auth login`; no error or log text ever contains
/// a token or any file content.
public enum FastIOCredentials {
    public static func resolve(tokenFile: String?, environment: [String: String],
                               now: Date = Date(), logger: Logger? = nil) throws -> String {
        for name in ["FASTIO_TOKEN", "FASTIO_API_KEY"] {
            if let value = environment[name]?.trimmingWhitespace(), !value.isEmpty { return value }
        }
        if let tokenFile, !tokenFile.isEmpty {
            return try readTokenFile(tokenFile, logger: logger)
        }
        let directory = cliConfigDirectory(environment: environment)
        if let stored = try storedCLIToken(directory: directory, now: now, logger: logger) { return stored }
        throw FastIOError.configuration(
            "no Fast.io credentials found: set FASTIO_TOKEN or FASTIO_API_KEY, pass --token-file, "
            + "or sign in with the Fast.io CLI (`fastio auth login`; looked in \(directory))")
    }

    /// `$XDG_CONFIG_HOME/fastio-cli` when that is an absolute path, else `$HOME/.config/fastio-cli`.
    public static func cliConfigDirectory(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return (xdg as NSString).appendingPathComponent("fastio-cli")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".config/fastio-cli")
    }

    static func readTokenFile(_ path: String, logger: Logger?) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FastIOError.configuration("cannot read token file \(path)")
        }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o004 != 0 {
            logger?.warning("token file \(path) is readable by every user; consider chmod 600")
        }
        let text = String(decoding: data, as: UTF8.self)
        let token = text.split(whereSeparator: \.isNewline).map { String($0).trimmingWhitespace() }
            .first { !$0.isEmpty }
        guard let token else { throw FastIOError.configuration("token file \(path) is empty") }
        return token
    }

    static func storedCLIToken(directory: String, now: Date, logger: Logger?) throws -> String? {
        let credentialsPath = (directory as NSString).appendingPathComponent("credentials.json")
        guard let credentialsData = FileManager.default.contents(atPath: credentialsPath) else { return nil }
        guard let credentials = JSONValue.parse(credentialsData), credentials.objectValue != nil else {
            throw FastIOError.configuration("cannot parse \(credentialsPath) (Fast.io CLI credentials)")
        }
        var profileNames: [String] = []
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        if let configData = FileManager.default.contents(atPath: configPath),
           let name = JSONValue.parse(configData)?["default_profile"]?.stringValue, !name.isEmpty {
            profileNames.append(name)
        }
        if !profileNames.contains("default") { profileNames.append("default") }

        for name in profileNames {
            guard let profile = credentials["profiles"]?[name], profile.objectValue != nil else { continue }
            if let key = profile["api_key"]?.stringValue?.trimmingWhitespace(), !key.isEmpty { return key }
            guard let token = profile["token"]?.stringValue?.trimmingWhitespace(), !token.isEmpty else { continue }
            if let expiresAt = profile["expires_at"].flatMap({ APITimestamp.parse($0) }) {
                if expiresAt <= now {
                    throw FastIOError(kind: .configuration,
                                      message: "the Fast.io CLI login of profile '\(name)' expired; "
                                      + "run `fastio auth login` (or set FASTIO_API_KEY)",
                                      errno: EACCES)
                }
                if expiresAt.timeIntervalSince(now) < 300 {
                    logger?.warning("the Fast.io CLI login of profile '\(name)' expires in less than 5 minutes")
                }
            }
            return token
        }
        return nil
    }
}
