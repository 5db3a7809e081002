import Foundation
import GRDB
import HTTPTypes
import Hummingbird

/// Binary reads (`/read/`, `/readnote/`, GET and HEAD, Range, `version_id`, `?token=`) and `/requestread/`.
extension Router {
    static let readTokenLifetime: Int64 = 2 * 3600

    func requestRead(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let n = try await db.read { db in try NodeLookup.liveNode(db, scope, id) }
        guard n.hasContent else { throw APIError.invalid("Can only read file or note.") }
        let exp = Int64(Date().timeIntervalSince1970) + Router.readTokenLifetime
        let payload = JSON.obj([("n", .string(n.id)), ("p", .string(scope.profileId)), ("e", .int(exp))])
        return .ok([("token", .string(emulator.signer.sign(payload.serialized()))), ("expires_in", .int(Router.readTokenLifetime))])
    }

    private func verifyReadToken(_ token: String, node: String, scope: Scope) throws {
        guard let text = emulator.signer.verify(token), let j = JSON.parse(text), case .string(let n)? = j["n"],
              case .string(let p)? = j["p"], case .int(let e)? = j["e"]
        else { throw APIError.auth }
        guard n == node, p == scope.profileId, e > Int64(Date().timeIntervalSince1970) else { throw APIError.auth }
    }

    func read(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let (node, blob, size) = try await db.read { db -> (NodeRow, String, Int64) in
            let n = try NodeLookup.liveNode(db, scope, id)
            guard n.hasContent, let blob = n.blob else { throw APIError.invalid("Can only read file or note (not folder).") }
            if let raw = c.query["version_id"], !raw.isEmpty {
                guard let vid = Identifiers.canonical(raw), let v = try Row.fetchOne(db, sql: "SELECT * FROM versions WHERE id = ?", arguments: [vid]) else {
                    throw APIError.notFound("Version not found.")
                }
                guard (v["node_id"] as String) == n.id else { throw APIError.invalid("Version does not belong to this file.") }
                return (n, v["blob"], v["size"])
            }
            return (n, blob, n.size ?? 0)
        }
        if c.user == nil { try verifyReadToken(c.query["token"] ?? "", node: node.id, scope: scope) }
        let path = emulator.blobs.path(for: blob)
        guard FileManager.default.fileExists(atPath: path) else { throw APIError.notFound("Version data no longer available.") }

        var headers = HTTPFields()
        headers[.contentType] = node.type == "note" ? "text/markdown; charset=utf-8" : (node.mimetype ?? "application/octet-stream")
        headers[.acceptRanges] = "bytes"
        headers[.contentDisposition] = ByteRange.disposition(node.name)
        headers[HTTPField.Name("ETag")!] = "\"\(blob)\""
        var status: HTTPResponse.Status = .ok
        var range: ClosedRange<Int64>? = size > 0 ? 0...(size - 1) : nil
        if let header = c.headers[.range] {
            switch ByteRange.parse(header, size: size) {
            case .none: break
            case .unsatisfiable:
                var r = Envelope.response(.rangeNotSatisfiable, Envelope.error(
                    APIError(status: .rangeNotSatisfiable, code: 1605, name: "APP_ERROR_INPUT_INVALID", text: "Requested range not satisfiable."),
                    mode: emulator.envelope))
                r.headers[.contentRange] = "bytes */\(size)"
                return .raw(r)
            case .range(let r):
                range = r
                status = .partialContent
                headers[.contentRange] = "bytes \(r.lowerBound)-\(r.upperBound)/\(size)"
            }
        }
        let length = range.map { Int($0.upperBound - $0.lowerBound + 1) } ?? 0
        if c.method == .head || length == 0 {
            headers[.contentLength] = String(length)
            let body = ResponseBody(contentLength: length) { writer in try await writer.finish(nil) }
            return .raw(Response(status: status, headers: headers, body: c.method == .head ? body : ResponseBody()))
        }
        let r = range!
        return .raw(Response(status: status, headers: headers, body: FileRangeBody.make(path: path, range: r)))
    }
}
