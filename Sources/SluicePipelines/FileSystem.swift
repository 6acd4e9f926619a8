import Foundation

/// The few file-system questions the pipelines ask, kept in one place.
enum FileSystem {
    static func exists(_ path: String, isDirectory: inout Bool) -> Bool {
        var flag: ObjCBool = false
        let found = FileManager.default.fileExists(atPath: path, isDirectory: &flag)
        isDirectory = flag.boolValue
        return found
    }

    static func list(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }
}
