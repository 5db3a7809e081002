import HTTPTypes
import Hummingbird

/// What a route produces: a JSON payload in one of two envelope families, or a ready response (binary reads).
enum Reply: Sendable {
    /// Payload keys; `wrappable` payloads go under `response` in `--envelope wrapped` mode.
    case json(HTTPResponse.Status, [(String, JSON)], wrappable: Bool)
    case raw(Response)

    static func ok(_ pairs: [(String, JSON)]) -> Reply { .json(.ok, pairs, wrappable: true) }
    static func top(_ pairs: [(String, JSON)], status: HTTPResponse.Status = .ok) -> Reply { .json(status, pairs, wrappable: false) }
}

/// The envelope mode selected with `--envelope`.
public enum EnvelopeMode: String, Sendable { case flat, wrapped }

/// Renders payloads and errors into the envelope shapes of facts.md §3.
enum Envelope {
    static func success(_ pairs: [(String, JSON)], wrappable: Bool, mode: EnvelopeMode) -> JSON {
        if mode == .wrapped && wrappable {
            var out: [(String, JSON)] = [("result", "yes")]
            if !pairs.isEmpty { out.append(("response", .object(pairs))) }
            out.append(("current_api_version", "1.0"))
            return .object(out)
        }
        return .object([("result", true)] + pairs + [("current_api_version", "1.0")])
    }

    static func error(_ e: APIError, mode: EnvelopeMode) -> JSON {
        var err: [(String, JSON)] = [("code", .int(Int64(e.code))), ("text", .string(e.text)), ("error_code", .string(e.name))]
        if let p = e.params { err.append(("params", p)) }
        return .object([("result", mode == .wrapped ? "no" : false), ("error", .object(err)), ("current_api_version", "1.0")])
    }

    static func response(_ status: HTTPResponse.Status, _ json: JSON) -> Response {
        let bytes = json.bytes()
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count)
        buffer.writeBytes(bytes)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }
}
