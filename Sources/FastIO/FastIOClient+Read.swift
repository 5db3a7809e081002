import Foundation
import Glibc

extension FastIOClient: ProgressiveRangeReading {
    /// Ranged read straight into `buffer` (libcurl's receive buffer -> `buffer`, no other copy).
    ///
    /// A 206 is copied as it arrives; a 200 (server ignored `Range`) is skipped up to `offset`; a 416
    /// is end of file (0 bytes). A transfer that breaks after some bytes resumes from where it
    /// stopped (the read is idempotent, and pinned when `versionID` is given); a 206 that ends short
    /// of the total its `Content-Range` announces is continued the same way. The result is short
    /// only at end of file.
    public func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
                     into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try read(profile, nodeID: nodeID, versionID: versionID, offset: offset, into: buffer, progress: nil)
    }

    /// As `read(_:nodeID:versionID:offset:into:)`, reporting after every chunk how many bytes from the
    /// buffer's start are final (never decreasing, also across resumed transfers).
    public func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
                     into buffer: UnsafeMutableRawBufferPointer, progress: ((Int) -> Void)?) throws -> Int {
        let route = "GET storage/read"
        guard offset >= 0 else {
            throw FastIOError(kind: .configuration, message: "negative read offset", route: route, errno: EINVAL)
        }
        // No byte of any file lies at or past Int64.max: a range reaching there is cut, so its end
        // (`offset + count - 1`) never overflows whatever offset the caller passes.
        guard buffer.count > 0, offset < Int64.max else { return 0 }
        let room = Int64.max - offset
        let buffer = Int64(buffer.count) <= room ? buffer : UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(room)])
        var query: [(String, String)] = []
        if let versionID, !versionID.isEmpty { query.append(("version_id", OpaqueID.canonical(versionID))) }
        let request = APIRequest(.get, "\(profile.pathPrefix)/storage/\(Self.nodeSegment(nodeID))/read/",
                                 route: route, query: query)
        let url = base + "/" + request.target

        var filled = 0
        var state = RetryPolicy.State()
        var started = ContinuousClock.now
        while filled < buffer.count {
            let destination = UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])
            let start = offset + Int64(filled)
            var transfer = CurlTransfer(method: .get, url: url, headers: [authorizationHeaderLine],
                                        range: "\(start)-\(start + Int64(destination.count) - 1)",
                                        limits: limits(serverWait: 0, total: nil))
            transfer.bufferSize = configuration.receiveBufferSize
            transfer.userAgent = configuration.userAgent
            transfer.caBundlePath = configuration.caBundlePath
            let collector = ResponseCollector(mode: .ranged(destination: destination, offset: start))
            if let progress {
                let before = filled
                collector.onCopied = { progress(before + $0) }
            }
            let clock = ContinuousClock.now
            counters.started(route: route)
            let outcome = transfer.perform(into: collector)
            counters.record(route: route, status: outcome.countedStatus, newConnections: outcome.newConnections)
            logExchange(.get, request.target, outcome: outcome, since: clock)
            if collector.rangeIgnored && start > 0 {
                logger.debug("server ignored Range for \(request.target); skipped \(start) bytes")
            }
            let got = collector.filled
            counters.read(bytes: got)
            filled += got
            if got > 0 {
                state = RetryPolicy.State()
                started = ContinuousClock.now
            }

            if outcome.failure == nil && collector.rejection == nil {
                switch outcome.status {
                case 206:
                    if got == 0 || filled == buffer.count { return filled }
                    let total = ResponseCollector.contentRangeTotal(outcome.headers["content-range"])
                    if let total, offset + Int64(filled) < total { continue }
                    return filled
                case 200, 416:
                    return filled
                default:
                    break
                }
            }
            let result = evaluate(outcome, collector: collector, route: route)
            guard case .failure(let failure, let error) = result else { return filled }
            guard let failure else { throw error }
            let decision = configuration.retry.decide(failure, idempotent: true, state: state,
                                                      elapsed: Self.seconds(since: started),
                                                      jitter: Double.random(in: 0..<1))
            guard case .retry(let delay) = decision else { throw error }
            configuration.retry.record(failure, delay: delay, into: &state)
            counters.retrying(route: route, rateLimited: failure.isRateLimit, delay: delay)
            logger.debug("retrying \(route) at \(start) in \(Int(delay * 1000)) ms after: \(error)")
            Self.sleep(seconds: delay)
        }
        return filled
    }
}
