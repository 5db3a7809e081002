/// The `?output=` detail level (facts.md §1): comma-separated tokens, at most one of terse/standard/full (two -> 400),
/// other tokens (e.g. `markdown`) ignored. Absent means `full`.
enum OutputLevel: String, Sendable {
    case terse, standard, full

    init(_ c: Call) throws {
        guard let raw = c.query["output"] ?? c.form["output"], !raw.isEmpty else { self = .full; return }
        let levels = Set(raw.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            .compactMap(OutputLevel.init(rawValue:))
        guard levels.count <= 1 else { throw APIError.invalid("Only one output detail level may be given.", param: "output") }
        self = levels.first ?? .full
    }
}
