import CCurlShim
import Glibc

/// Process-wide libcurl state: `curl_global_init` (once, before any handle) and one CURLSH that
/// shares the DNS cache and TLS sessions between threads (never the connection pool, which libcurl
/// documents as not thread-safe).
///
/// Invariant: created once, never freed (it lives as long as the process's easy handles).
final class CurlRuntime: Sendable {
    static let shared = CurlRuntime()

    /// The CURLSH pointer's bits (raw pointers are not Sendable; the share is internally locked).
    private let shareBits: UInt

    private init() {
        _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        shareBits = UInt(bitPattern: ccurl_share_new_locked())
    }

    var share: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: shareBits) }
}

/// The calling thread's libcurl easy handle, created on first use and cleaned up when the thread
/// exits (pthread key destructor).
///
/// Invariant: a handle is only ever used by the thread that owns it ("never share a handle between
/// threads"), and it is reused for every request of that thread, so its connection cache gives
/// HTTP keep-alive.
enum CurlThreadHandle {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { handle in
            if let handle { curl_easy_cleanup(handle) }
        }
        precondition(status == 0, "pthread_key_create failed")
        return key
    }()

    /// The thread's handle; nil only if libcurl cannot allocate one.
    static func current() -> UnsafeMutableRawPointer? {
        if let existing = pthread_getspecific(key) { return existing }
        _ = CurlRuntime.shared
        guard let handle = curl_easy_init() else { return nil }
        pthread_setspecific(key, handle)
        return handle
    }
}
