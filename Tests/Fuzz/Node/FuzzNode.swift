import FastIO
import FastIOFS
import Foundation

/// libFuzzer target `node`: any JSON document through every decoder of server objects (nodes,
/// workspaces, shares, access rights, activity), then the decoded times into file attributes.
/// Invariant: no input traps; a usable node has a size of at least 0 and times within the range
/// `APITimestamp` accepts, which convert to a `FSTime`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNode(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    guard let root = JSONValue.parse(Data(UnsafeBufferPointer(start: start, count: count))) else { return 0 }
    var objects: [JSONValue] = [root]
    var index = 0
    while index < objects.count && index < 10_000 {
        let value = objects[index]
        index += 1
        if let object = value.objectValue { objects.append(contentsOf: object.values) }
        if let array = value.arrayValue { objects.append(contentsOf: array) }
        if case .usable(let node, _) = RemoteNode.decode(value) {
            precondition(node.size >= 0, "a usable node with size \(node.size)")
            for time in [node.created, node.modified].compactMap({ $0 }) {
                precondition((APITimestamp.earliest...APITimestamp.latest).contains(time), "a usable node at \(time)")
                _ = FSTime(time)
            }
            _ = PosixName.encode(node.name)
        }
        _ = WorkspaceInfo(json: value)
        _ = ShareInfo(json: value)
        _ = ShareAccess(json: value)
        _ = value.int64Value
    }
    return 0
}

/// The process entry: SwiftPM links `main` to `FuzzNode_main`; libFuzzer's driver does the rest.
@_cdecl("FuzzNode_main")
public func fuzzNodeMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzNode)
}
