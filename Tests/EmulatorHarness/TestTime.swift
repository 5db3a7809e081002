import Foundation

/// Scales the tests' time bounds for slow runs: `FASTIOFS_TEST_TIME_SCALE` (a number from 1 to 20;
/// `scripts/tsan.sh` sets it, because ThreadSanitizer slows every process five- to fifteenfold).
/// Invariant: `scale` is 1 unless the variable holds a valid number, so ordinary runs keep their bounds.
public enum TestTime {
    public static let scale: Double = {
        guard let text = ProcessInfo.processInfo.environment["FASTIOFS_TEST_TIME_SCALE"],
              let value = Double(text), value.isFinite else { return 1 }
        return min(20, max(1, value))
    }()

    /// `seconds`, stretched by the scale.
    public static func scaled(_ seconds: TimeInterval) -> TimeInterval { seconds * scale }
}
