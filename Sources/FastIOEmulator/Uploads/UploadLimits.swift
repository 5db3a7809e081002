/// The emulator's upload limits (its own choice; the real values are plan-dependent).
enum UploadLimits {
    static let chunkSize: Int64 = 8 << 20
    static let minChunkSize: Int64 = 1 << 20
    static let maxChunkSize: Int64 = 100 << 20
    static let singleCallMax: Int64 = 4_194_304
    static let maxFileSize: Int64 = 100 << 30
    static let maxParallelChunks = 3
    static let maxSessions = 7500
    static let detailsMaxWait = 60

    static var json: JSON {
        .obj([("chunk_size", .int(chunkSize)), ("min_chunk_size", .int(minChunkSize)), ("max_chunk_size", .int(maxChunkSize)),
              ("single_call_max", .int(singleCallMax)), ("max_file_size", .int(maxFileSize)),
              ("max_parallel_chunks", .int(Int64(maxParallelChunks))), ("max_sessions", .int(Int64(maxSessions)))])
    }
}
