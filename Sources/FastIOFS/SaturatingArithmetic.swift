/// Sums of file offsets and sizes the server describes (a size may be anything up to `Int64.max`):
/// where the exact result would leave `Int64`, it stops at the bound instead of trapping.
extension Int64 {
    /// `self + other`, or `Int64.max` (`Int64.min`) when the sum is larger (smaller).
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// The first multiple of `step` (> 0) above `self` (>= 0), or `Int64.max` when there is none.
    func nextMultiple(of step: Int64) -> Int64 {
        let (value, overflow) = (self / step + 1).multipliedReportingOverflow(by: step)
        return overflow ? .max : value
    }
}
