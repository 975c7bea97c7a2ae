import Foundation

/// Locates ../shared beside the repository (CI lays it there); tests that need it are skipped otherwise.
enum SharedCaptures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let publicFolder: URL? = {
        let folder = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/captures/public")
        return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
    }()

    static let truthFolder: URL? = publicFolder.map { $0.appendingPathComponent("truth") }
}
