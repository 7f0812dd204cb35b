// The worker pool behind every parallel region: each part runs exactly once, on more than one
// thread, region after region (with workers spinning, and after they have gone to sleep), and a
// region started inside another runs on its caller instead of waiting forever.

import Foundation
import Synchronization
import XCTest
@testable import CharRNN

final class WorkerPoolTests: XCTestCase {
    /// Runs a region and returns how many times each part ran and how many threads ran parts.
    private func runRegion(parts: Int, threads: Int) -> (counts: [Int], threadCount: Int) {
        let counts = UnsafeMutableBufferPointer<Atomic<Int>>.allocate(capacity: parts)
        for p in 0..<parts { (counts.baseAddress! + p).initialize(to: Atomic(0)) }
        defer { counts.deallocate() }
        let threadIDs = Mutex<Set<UInt64>>([])
        WorkerPool.shared.run(parts: parts, threads: threads) { p in
            counts[p].add(1, ordering: .relaxed)
            let id = UInt64(pthread_self())
            threadIDs.withLock { _ = $0.insert(id) }
            // Long enough that the caller cannot take every part before a worker arrives.
            usleep(200)
        }
        return ((0..<parts).map { counts[$0].load(ordering: .relaxed) }, threadIDs.withLock { $0.count })
    }

    func testEveryPartRunsExactlyOnce() {
        for (parts, threads) in [(2, 2), (4, 2), (7, 2), (5, 3), (64, 2)] {
            let r = runRegion(parts: parts, threads: threads)
            XCTAssertEqual(r.counts, [Int](repeating: 1, count: parts), "parts \(parts), threads \(threads)")
        }
    }

    func testRegionsUseMoreThanOneThread() {
        let r = runRegion(parts: 8, threads: 2)
        XCTAssertEqual(r.threadCount, 2)
    }

    /// Thousands of short regions back to back (workers spinning), then regions after the workers
    /// have slept: a lost wake-up or a part claimed twice would hang or miscount here.
    func testManyRegionsBackToBackAndAfterSleep() {
        let total = Atomic<Int>(0)
        for _ in 0..<5000 {
            WorkerPool.shared.run(parts: 3, threads: 2) { p in total.add(p + 1, ordering: .relaxed) }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 5000 * 6)
        for _ in 0..<5 {
            usleep(UInt32(WorkerPool.spinSeconds * 4e6))
            XCTAssertEqual(runRegion(parts: 4, threads: 2).counts, [1, 1, 1, 1])
        }
    }

    func testNestedRegionRunsOnItsCaller() {
        let inner = Atomic<Int>(0)
        WorkerPool.shared.run(parts: 2, threads: 2) { _ in
            WorkerPool.shared.run(parts: 3, threads: 2) { _ in inner.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(inner.load(ordering: .relaxed), 6)
    }
}
