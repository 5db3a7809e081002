import Testing

/// The parent of every mount suite. Mount tests run one at a time: each starts an emulator and a
/// FUSE daemon, and on two cores parallel ones starve each other into timeouts.
@Suite(.serialized, .enabled(if: FuseAvailability.shouldRun))
enum MountSuites {}
