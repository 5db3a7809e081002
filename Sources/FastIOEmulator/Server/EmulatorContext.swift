import Hummingbird
import NIOCore

/// Request context that keeps the connection's channel, so a fault can drop the connection without a response.
struct EmulatorContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
