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

    /// The project's own test-field files ending in `suffix`, as "scenario/file" paths under Captures/.
    static func testFieldFiles(endingIn suffix: String) -> [String] {
        let root = repositoryRoot.appendingPathComponent("Captures")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return folders.flatMap { folder -> [String] in
            let names =
                (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? []
            return names.filter { $0.hasSuffix(suffix) }.map { "\(folder)/\($0)" }
        }.sorted()
    }
}
