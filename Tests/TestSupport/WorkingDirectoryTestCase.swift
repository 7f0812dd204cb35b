// Library tests that work with real files by relative path: each runs in a scratch directory of its
// own, made the working directory for the test and removed after it.

import Foundation
import XCTest

open class WorkingDirectoryTestCase: XCTestCase {
    public var dir: TemporaryDirectory!
    private var previousDirectory = ""

    /// The start of the scratch directory's name, to tell whose it is.
    open var directoryPrefix: String { "charnn-test" }

    override open func setUpWithError() throws {
        try super.setUpWithError()
        dir = try TemporaryDirectory(prefix: directoryPrefix)
        previousDirectory = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(dir.path)
    }

    override open func tearDown() {
        _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory)
        dir.remove()
        super.tearDown()
    }
}

/// Whether opening and reading the directory `path` both succeed: where permissions do not bind
/// (root), the kernel may still refuse to list some (another process's /proc/PID/map_files), and
/// FileManager reports such a failed read as an empty directory.
public func canList(_ path: String) -> Bool {
    guard let handle = opendir(path) else { return false }
    defer { closedir(handle) }
    errno = 0
    while readdir(handle) != nil {}
    return errno == 0
}
