/// The signed keyset cursor: base64url(JSON{f,s,d,k,i,p}) + "." + HMAC. Bound to its folder and sort.
struct ListCursor: Sendable, Equatable {
    let folder: String  // "<profile>:<folder>" or "<profile>:recent"
    let sort: String
    let dir: String
    let lastKey: [JSON]  // sort key values of the last item (1 or 2 values)
    let lastId: String
    let pageSize: Int

    func encode(_ signer: Signer) -> String {
        let payload = JSON.obj([("f", .string(folder)), ("s", .string(sort)), ("d", .string(dir)), ("k", .array(lastKey)),
                                ("i", .string(lastId)), ("p", .int(Int64(pageSize)))])
        return signer.sign(payload.serialized())
    }

    static func decode(_ token: String, _ signer: Signer) -> ListCursor? {
        guard let text = signer.verify(token), let j = JSON.parse(text),
              case .string(let f)? = j["f"], case .string(let s)? = j["s"], case .string(let d)? = j["d"],
              case .array(let k)? = j["k"], case .string(let i)? = j["i"], case .int(let p)? = j["p"]
        else { return nil }
        return ListCursor(folder: f, sort: s, dir: d, lastKey: k, lastId: i, pageSize: Int(p))
    }

    /// Snaps a requested page size to the nearest of 100, 250, 500.
    static func snap(_ requested: Int?) -> Int {
        guard let r = requested else { return 100 }
        return [100, 250, 500].min { abs($0 - r) < abs($1 - r) }!
    }
}
