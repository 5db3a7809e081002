import Foundation

/// fastiofs' version, as it names itself to the server (lock `client_info`).
public enum FastIOFSVersion {
    public static let current = "0.1.0"
}
