@testable import FuseBridge
import Testing

/// mount(8)'s and mount.fuse3's helper command line, turned into `fastiofs mount` arguments.
@Suite struct MountHelperArgumentsTests {
    let subcommands: Set<String> = ["mount", "unmount", "status", "completion", "help"]

    func translate(_ invokedAs: String, _ arguments: [String]) throws -> MountHelperArguments.Translation? {
        try MountHelperArguments.translate(invokedAs: invokedAs, arguments: arguments, subcommands: subcommands)
    }

    @Test func theNormalCommandLineIsLeftAlone() throws {
        #expect(try translate("fastiofs", ["mount", "/mnt", "--workspace", "a"]) == nil)
        #expect(try translate("fastiofs", ["--help"]) == nil)
        #expect(try translate("fastiofs", ["status"]) == nil)
        #expect(try translate("fastiofs", []) == nil)
        #expect(try translate("fastiofs", ["notasource", "/mnt"]) == nil, "ArgumentParser reports it")
    }

    @Test func mountFuse3sFormBecomesAMount() throws {
        let translated = try translate("fastiofs", [
            "workspace:demo", "/mnt/demo", "-o",
            "rw,token_file=/etc/fastiofs/token,cache_dir=/var/cache/fastiofs,log_level=debug,metrics_addr=127.0.0.1:9464,allow_other,uid=1000",
        ])
        #expect(translated == .mount([
            "mount", "/mnt/demo", "--workspace", "demo", "--token-file", "/etc/fastiofs/token",
            "--cache-dir", "/var/cache/fastiofs", "--log-level", "debug", "--metrics-addr", "127.0.0.1:9464",
            "-o", "rw,allow_other,uid=1000",
        ]))
    }

    @Test func mountsHelperFlagsAndSystemdOptionsAreAcceptedAndIgnored() throws {
        let translated = try translate("mount.fastiofs", [
            "share:outbox", "/mnt/s", "-n", "-s", "-v", "-o",
            "_netdev,nofail,noauto,x-systemd.automount,x-systemd.idle-timeout=60,defaults,comment=x,read_only,ro",
        ])
        #expect(translated == .mount(["mount", "/mnt/s", "--share", "outbox", "--read-only", "-o", "ro"]))
        #expect(try translate("mount.fastiofs", ["fastio", "/mnt/all", "-oapi_url=http://127.0.0.1:1/current"])
                == .mount(["mount", "/mnt/all", "--api-url", "http://127.0.0.1:1/current"]))
        #expect(try translate("mount.fastiofs", ["fastio", "/mnt/all", "-f"]) == .fake)
    }

    @Test func badHelperInvocationsSayWhy() {
        #expect(throws: MountHelperArguments.Failure.self) { try translate("mount.fastiofs", ["nowhere", "/mnt"]) }
        #expect(throws: MountHelperArguments.Failure.self) { try translate("mount.fastiofs", ["fastio"]) }
        #expect(throws: MountHelperArguments.Failure.self) { try translate("mount.fastiofs", ["workspace:", "/mnt"]) }
        #expect(throws: MountHelperArguments.Failure.self) { try translate("fastiofs", ["fastio", "/mnt", "-o", "token_file"]) }
        #expect(throws: MountHelperArguments.Failure.self) { try translate("fastiofs", ["fastio", "/mnt", "-o", "read_only=1"]) }
        #expect(throws: MountHelperArguments.Failure.self) { try translate("fastiofs", ["fastio", "/mnt", "-x"]) }
        #expect(throws: MountHelperArguments.Failure.self) { try translate("fastiofs", ["fastio", "/mnt", "-o"]) }
    }
}
