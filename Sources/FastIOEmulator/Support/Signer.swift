import Crypto
import Foundation

/// HMAC-SHA256 signing of small payloads (list cursors, read tokens) with a key persisted in DATA.
struct Signer: Sendable {
    let keyBytes: [UInt8]

    var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// `base64url(payload) + "." + base64url(hmac)`
    func sign(_ payload: String) -> String {
        let data = Data(payload.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: data, using: key)
        return Base64URL.encode(data) + "." + Base64URL.encode(Data(mac))
    }

    /// The payload when the signature matches, else nil.
    func verify(_ token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let data = Base64URL.decode(String(parts[0])),
              let mac = Base64URL.decode(String(parts[1])),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: key)
        else { return nil }
        return String(data: data, encoding: .utf8)
    }
}

/// URL-safe base64 without padding.
enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s)
    }
}
