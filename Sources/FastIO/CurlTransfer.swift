import CCurlShim
import Foundation

/// One HTTP exchange on the calling thread's reused easy handle.
///
/// Invariants: the handle is reset and fully configured for every request (so no option leaks
/// from one request to the next) while its live connections, DNS cache and TLS sessions survive;
/// TLS peer and host verification are on; redirects are never followed (a 3xx is returned as is,
/// so the bearer token never goes to another host); signals are off (`NOSIGNAL`); a connect
/// timeout and a low-speed stall guard bound every request, so a dead or stalled server yields a
/// transport failure instead of a hang.
struct CurlTransfer {
    enum Method: String, Sendable { case get = "GET", post = "POST", delete = "DELETE" }

    enum Body {
        case none
        /// Sent as-is (form-encoded or JSON); libcurl copies it.
        case bytes([UInt8])
        /// Streamed through the read callback.
        case stream(UploadBodySource)
    }

    struct Limits: Sendable {
        var connectTimeout: Double
        /// Seconds (whole) with less than `stallMinimumBytesPerSecond` throughput before aborting.
        var stallSeconds: Int
        var stallMinimumBytesPerSecond: Int
        /// Whole-request limit; nil for transfers whose length is open (reads, uploads).
        var total: Double?
    }

    var method: Method
    var url: String
    var headers: [String]
    var body: Body = .none
    /// Inclusive byte range `a-b` for `Range:`.
    var range: String?
    var limits: Limits
    var acceptCompressed = false
    var bufferSize = 512 * 1024
    var userAgent = "fastiofs"
    var caBundlePath: String?
    /// Checked by the progress callback (at least once a second); a cancelled transfer aborts.
    var cancellation: TransferCancellation?

    struct Outcome {
        var status: Int
        var headers: [String: String]
        var newConnections: Int
        var failure: TransportFailure?
        var curlMessage: String

        /// The status the request counters record: the HTTP status, or 0 when the exchange failed
        /// at the transport level (even after a status line arrived).
        var countedStatus: Int { failure == nil ? status : 0 }
    }

    /// Performs the exchange; the response body goes to `collector`.
    func perform(into collector: ResponseCollector) -> Outcome {
        guard let handle = CurlThreadHandle.current() else {
            return Outcome(status: 0, headers: [:], newConnections: 0,
                           failure: TransportFailure(reason: .other, curlCode: Int(CURLE_OUT_OF_MEMORY.rawValue),
                                                     requestMayHaveBeenSent: false),
                           curlMessage: "cannot create a libcurl handle")
        }
        curl_easy_reset(handle)
        collector.handle = handle
        var headerList: UnsafeMutablePointer<curl_slist>?
        for header in headers { headerList = curl_slist_append(headerList, header) }
        headerList = curl_slist_append(headerList, "Expect:")
        defer { curl_slist_free_all(headerList) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        setLong(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_easy_setopt_ptr(handle, CURLOPT_SHARE, CurlRuntime.shared.share)
        _ = ccurl_easy_setopt_str(handle, CURLOPT_URL, url)
        _ = ccurl_easy_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = ccurl_easy_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
        _ = ccurl_easy_setopt_str(handle, CURLOPT_USERAGENT, userAgent)
        _ = ccurl_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        setLong(handle, CURLOPT_FOLLOWLOCATION, 0)
        setLong(handle, CURLOPT_SSL_VERIFYPEER, 1)
        setLong(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundlePath { _ = ccurl_easy_setopt_str(handle, CURLOPT_CAINFO, caBundlePath) }
        setLong(handle, CURLOPT_TCP_KEEPALIVE, 1)
        setLong(handle, CURLOPT_TCP_NODELAY, 1)
        setLong(handle, CURLOPT_BUFFERSIZE, bufferSize)
        setLong(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(limits.connectTimeout * 1000))
        setLong(handle, CURLOPT_LOW_SPEED_LIMIT, max(1, limits.stallMinimumBytesPerSecond))
        setLong(handle, CURLOPT_LOW_SPEED_TIME, max(1, limits.stallSeconds))
        if let total = limits.total { setLong(handle, CURLOPT_TIMEOUT_MS, Int(total * 1000)) }
        if acceptCompressed { _ = ccurl_easy_setopt_str(handle, CURLOPT_ACCEPT_ENCODING, "") }
        if let range { _ = ccurl_easy_setopt_str(handle, CURLOPT_RANGE, range) }

        var streamSource: UploadBodySource?
        switch (method, body) {
        case (.get, _):
            setLong(handle, CURLOPT_HTTPGET, 1)
        case (_, .none), (_, .bytes([])):
            setLong(handle, CURLOPT_POST, 1)
            _ = ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, 0)
            _ = ccurl_easy_setopt_str(handle, CURLOPT_COPYPOSTFIELDS, "")
        case (_, .bytes(let bytes)):
            setLong(handle, CURLOPT_POST, 1)
            _ = ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count))
            bytes.withUnsafeBytes { raw in
                _ = ccurl_easy_setopt_ptr(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress))
            }
        case (_, .stream(let source)):
            streamSource = source
            setLong(handle, CURLOPT_POST, 1)
            _ = ccurl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(source.length))
            let context = Unmanaged.passUnretained(source).toOpaque()
            _ = ccurl_easy_setopt_datacb(handle, CURLOPT_READFUNCTION, curlReadCallback)
            _ = ccurl_easy_setopt_ptr(handle, CURLOPT_READDATA, context)
            _ = ccurl_easy_setopt_seekcb(handle, curlSeekCallback)
            _ = ccurl_easy_setopt_ptr(handle, CURLOPT_SEEKDATA, context)
        }
        if method == .delete { _ = ccurl_easy_setopt_str(handle, CURLOPT_CUSTOMREQUEST, "DELETE") }

        if let cancellation {
            setLong(handle, CURLOPT_NOPROGRESS, 0)
            _ = ccurl_easy_setopt_xferinfocb(handle, curlCancellationCallback)
            _ = ccurl_easy_setopt_ptr(handle, CURLOPT_XFERINFODATA, Unmanaged.passUnretained(cancellation).toOpaque())
        }

        let collectorContext = Unmanaged.passUnretained(collector).toOpaque()
        _ = ccurl_easy_setopt_datacb(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = ccurl_easy_setopt_ptr(handle, CURLOPT_WRITEDATA, collectorContext)
        _ = ccurl_easy_setopt_datacb(handle, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        _ = ccurl_easy_setopt_ptr(handle, CURLOPT_HEADERDATA, collectorContext)

        let code = withExtendedLifetime((collector, streamSource, cancellation)) { curl_easy_perform(handle) }

        // Drop every pointer into memory this function frees before returning.
        _ = ccurl_easy_setopt_ptr(handle, CURLOPT_HTTPHEADER, nil)
        _ = ccurl_easy_setopt_ptr(handle, CURLOPT_ERRORBUFFER, nil)
        collector.finish()
        var connects = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        var requestSize = 0
        _ = ccurl_easy_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &requestSize)
        collector.handle = nil

        let message = errorBuffer.pointee != 0 ? String(cString: errorBuffer)
            : String(cString: curl_easy_strerror(code))
        var failure: TransportFailure?
        let stoppedOnPurpose = code == CURLE_WRITE_ERROR && collector.stoppedWhenFull
        if code == CURLE_ABORTED_BY_CALLBACK && cancellation?.isCancelled == true {
            failure = TransportFailure(reason: .cancelled, curlCode: Int(code.rawValue), requestMayHaveBeenSent: true)
        } else if code != CURLE_OK && !stoppedOnPurpose && collector.rejection == nil {
            failure = Self.classify(code, requestSent: requestSize > 0 || collector.status != 0)
        }
        return Outcome(status: collector.status, headers: collector.headers, newConnections: connects,
                       failure: failure, curlMessage: message)
    }

    static func classify(_ code: CURLcode, requestSent: Bool) -> TransportFailure {
        let reason: TransportFailure.Reason
        var sent = requestSent
        switch code {
        case CURLE_COULDNT_CONNECT:
            reason = .connectFailed; sent = false
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            reason = .resolveFailed; sent = false
        case CURLE_OPERATION_TIMEDOUT:
            reason = .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
             CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            reason = .tlsFailed
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
             CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SEND_FAIL_REWIND:
            reason = .connectionLost
        default:
            reason = .other
        }
        return TransportFailure(reason: reason, curlCode: Int(code.rawValue), requestMayHaveBeenSent: sent)
    }

    private func setLong(_ handle: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) {
        _ = ccurl_easy_setopt_long(handle, option, value)
    }
}

// libcurl callbacks: capture-free, context through the user-data pointer (never in main.swift).

private func curlWriteCallback(_ data: UnsafeMutablePointer<CChar>, _ size: Int, _ count: Int,
                               _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    return collector.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private func curlHeaderCallback(_ data: UnsafeMutablePointer<CChar>, _ size: Int, _ count: Int,
                                _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return 0 }
    let collector = Unmanaged<ResponseCollector>.fromOpaque(context).takeUnretainedValue()
    collector.receiveHeader(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

private func curlCancellationCallback(_ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t,
                                      _ downloaded: curl_off_t, _ uploadTotal: curl_off_t,
                                      _ uploaded: curl_off_t) -> Int32 {
    guard let context else { return 0 }
    return Unmanaged<TransferCancellation>.fromOpaque(context).takeUnretainedValue().isCancelled ? 1 : 0
}

private func curlReadCallback(_ data: UnsafeMutablePointer<CChar>, _ size: Int, _ count: Int,
                              _ context: UnsafeMutableRawPointer?) -> Int {
    guard let context else { return Int(CURL_READFUNC_ABORT) }
    let source = Unmanaged<UploadBodySource>.fromOpaque(context).takeUnretainedValue()
    return source.read(into: data, capacity: size * count) ?? Int(CURL_READFUNC_ABORT)
}

private func curlSeekCallback(_ context: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    guard let context, origin == SEEK_SET else { return Int32(CURL_SEEKFUNC_CANTSEEK) }
    let source = Unmanaged<UploadBodySource>.fromOpaque(context).takeUnretainedValue()
    return source.seek(to: Int64(offset)) ? Int32(CURL_SEEKFUNC_OK) : Int32(CURL_SEEKFUNC_FAIL)
}
