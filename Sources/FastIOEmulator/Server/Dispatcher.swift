import Foundation
import HTTPTypes
import Hummingbird

/// Entry point of every request: latency and fault injection, authentication, body decoding, routing,
/// envelope rendering and the `x-ve-limit-*` headers (on every response, errors and binary reads included).
struct Dispatcher: Sendable {
    let emulator: Emulator

    func handle(_ request: Request, _ context: EmulatorContext) async throws -> Response {
        if emulator.config.latencyMs > 0 { try? await Task.sleep(for: .milliseconds(emulator.config.latencyMs)) }
        let bearer = Dispatcher.bearer(request.headers[.authorization])
        let rateKey = bearer.map { emulator.users[$0]?.id ?? "anon" } ?? "anon"
        switch emulator.faults.draw(path: request.uri.path) {
        case .reset:
            context.channel.close(promise: nil)
            return finish(Envelope.response(.serviceUnavailable, Envelope.error(.unavailable, mode: emulator.envelope)), rateKey: rateKey)
        case .unavailable:
            return finish(Envelope.response(.serviceUnavailable, Envelope.error(.unavailable, mode: emulator.envelope)), rateKey: rateKey)
        case .rateLimited:
            var r = Envelope.response(.tooManyRequests, Envelope.error(.calm, mode: emulator.envelope))
            let expires = Int64(Date().timeIntervalSince1970) + Int64.random(in: 1...2)
            setLimitHeaders(&r, avail: 0, max: RateLimitWindow.max, expires: expires)
            return r
        case .none: break
        }
        if request.method == .options { return finish(Dispatcher.preflight(), rateKey: rateKey) }
        var response: Response
        do {
            let reply = try await route(request, context, bearer: bearer)
            switch reply {
            case .json(let status, let pairs, let wrappable):
                response = Envelope.response(status, Envelope.success(pairs, wrappable: wrappable, mode: emulator.envelope))
                if request.method == .head { Dispatcher.dropBody(&response) }
            case .raw(let r):
                response = r
            }
        } catch let e as APIError {
            response = Envelope.response(e.status, Envelope.error(e, mode: emulator.envelope))
        } catch {
            emulator.logger.error("internal error: \(error)")
            response = Envelope.response(.internalServerError, Envelope.error(.internalError("\(error)"), mode: emulator.envelope))
        }
        if emulator.config.commitDelayMs > 0, Dispatcher.commitsContent(request) {
            do {
                try await Task.sleep(for: .milliseconds(emulator.config.commitDelayMs))
            } catch {
                // Cancelled (the server is stopping): answer at once.
                emulator.logger.debug("commit delay cut short: \(error)")
            }
        }
        return finish(response, rateKey: rateKey)
    }

    /// An upload that may store a file, a storage `update` (a rename, or a new version from an
    /// upload) or an `updatenote`: the requests `--commit-delay-ms` answers late.
    static func commitsContent(_ request: Request) -> Bool {
        guard request.method == .post else { return false }
        let path = request.uri.path
        return path.hasSuffix("/upload/") || path.hasSuffix("/upload") || path.hasSuffix("/update/")
            || path.hasSuffix("/updatenote/") || path.hasSuffix("/stream/")
    }

    private func finish(_ response: Response, rateKey: String) -> Response {
        var r = response
        let (avail, max, expires) = emulator.rateWindow.count(rateKey)
        setLimitHeaders(&r, avail: avail, max: max, expires: expires)
        return r
    }

    private func setLimitHeaders(_ r: inout Response, avail: Int, max: Int, expires: Int64) {
        r.headers[HTTPField.Name("x-ve-limit-avail")!] = String(avail)
        r.headers[HTTPField.Name("x-ve-limit-max")!] = String(max)
        r.headers[HTTPField.Name("x-ve-limit-expires")!] = String(expires)
    }

    /// OPTIONS on any path: 204 with the methods and headers the API uses (CORS preflight carries no bearer).
    static func preflight() -> Response {
        var headers = HTTPFields()
        headers[.allow] = "GET, HEAD, POST, DELETE, OPTIONS"
        headers[.accessControlAllowOrigin] = "*"
        headers[.accessControlAllowMethods] = "GET, HEAD, POST, DELETE, OPTIONS"
        headers[.accessControlAllowHeaders] = "Authorization, Content-Type, Range"
        headers[.accessControlMaxAge] = "600"
        return Response(status: .noContent, headers: headers)
    }

    /// HEAD on a JSON route: the GET headers (with the GET body's length), no body.
    static func dropBody(_ r: inout Response) {
        let length = r.body.contentLength
        r.body = .init()
        if let length { r.headers[.contentLength] = String(length) }
    }

    static func bearer(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let t = parts[1].trimmingCharacters(in: .whitespaces)
        return t.isEmpty ? nil : t
    }

    private func route(_ request: Request, _ context: EmulatorContext, bearer: String?) async throws -> Reply {
        var path = request.uri.path
        while path.contains("//") { path = path.replacingOccurrences(of: "//", with: "/") }
        var segments = path.split(separator: "/").map { FormDecoding.unescape($0) }
        guard let first = segments.first, first == "current" || first == "v1.0" else { throw APIError.unknownRoute }
        segments.removeFirst()
        let query = FormDecoding.decode(Substring(request.uri.query ?? ""))
        let method = request.method

        let isTokenRead = (method == .get || method == .head) && segments.count == 5 && segments[4] == "read"
            && segments[2] == "storage" && query["token"] != nil && bearer == nil
        var user: UserRow?
        if !isTokenRead {
            guard let bearer, let u = emulator.user(forToken: bearer) else { throw APIError.auth }
            user = u
        }
        let ownsBody = method == .post && segments.first == "upload"
        var form: [String: String] = [:]
        var req = request
        if !ownsBody, method != .get, method != .head {
            form = try await RequestBodyForm.collect(&req, headers: request.headers)
        }
        let call = Call(method: method, segments: segments, query: query, form: form, user: user, headers: request.headers)
        return try await Router(emulator: emulator).dispatch(call, request: req, context: context)
    }
}
