// The threads behind `Parallelism.forEachPart`: persistent workers that spin briefly between
// parallel regions instead of going back to the kernel. DispatchQueue.concurrentPerform cost
// 28-40 µs per region here (measured: 2 parts of 20 µs each), and an LSTM-128 training iteration
// runs about 20 regions in 15 ms; a spinning worker starts a region within a microsecond or so.
// Workers that stay idle past `spinSeconds` sleep on a condition variable until the next region.

import Foundation
import Synchronization

final class WorkerPool: @unchecked Sendable {
    /// The pool every parallel region of the library uses. Workers start on first use.
    static let shared = WorkerPool()

    /// How long an idle worker spins before it sleeps: longer than the serial stretches between
    /// the regions of a training iteration, short enough not to hold a core when training stops.
    static let spinSeconds = 0.0005

    // The current region, packed into one word so that claiming a part and checking that it
    // belongs to the region the worker woke for is a single compare-and-exchange:
    // bits 40-62 the region's number, bits 20-39 its part count, bits 0-19 the next part to claim.
    private let ticket = Atomic<Int>(0)
    /// Parts of the current region finished, by workers and the caller together.
    private let finished = Atomic<Int>(0)
    /// Set while a region runs: a region started from inside another (or from a second thread)
    /// runs on its caller alone instead of waiting for the pool.
    private let busy = Atomic<Bool>(false)
    /// The current region's body, `(Int) -> Void`, valid while the region runs.
    private var body: UnsafeRawPointer?
    /// Workers allowed to join the current region (the rest sit it out): threads - 1.
    private let helpers = Atomic<Int>(0)

    private let sleep = NSCondition()
    private var sleepers = 0  // guarded by `sleep`
    private var workers = 0   // started so far; only the caller of `run` adds more

    private static let partBits = 20, partMask = (1 << 20) - 1

    /// Runs body(0) ..< body(parts - 1), each exactly once, on the calling thread and up to
    /// threads - 1 workers, and returns when all have finished.
    func run(parts: Int, threads: Int, _ body: (Int) -> Void) {
        guard parts > 1, threads > 1, parts <= Self.partMask,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for p in 0..<parts { body(p) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        while workers < threads - 1 { startWorker() }
        helpers.store(threads - 1, ordering: .relaxed)

        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafePointer(to: &closure) { pointer in
                self.body = UnsafeRawPointer(pointer)
                finished.store(0, ordering: .relaxed)
                let region = (ticket.load(ordering: .relaxed) >> 40) + 1
                let start = (region & 0x7F_FFFF) << 40 | parts << Self.partBits
                ticket.store(start, ordering: .releasing)
                sleep.lock()
                if sleepers > 0 { sleep.broadcast() }
                sleep.unlock()

                let mine = claimAndRun(region: start >> 40)
                if finished.add(mine, ordering: .acquiringAndReleasing).newValue < parts {
                    var spins = 0
                    while finished.load(ordering: .acquiring) < parts {
                        spins += 1
                        if spins & 255 == 0 { sched_yield() }
                    }
                }
                self.body = nil
            }
        }
    }

    /// Claims parts of region `region` until none are left (or another region has begun) and
    /// runs them; returns how many it ran.
    private func claimAndRun(region: Int) -> Int {
        var done = 0
        var t = ticket.load(ordering: .acquiring)
        while t >> 40 == region {
            let parts = (t >> Self.partBits) & Self.partMask, next = t & Self.partMask
            if next >= parts { break }
            let (exchanged, original) = ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                body!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(next)
                done += 1
                t += 1
            } else {
                t = original
            }
        }
        return done
    }

    private func startWorker() {
        let index = workers
        workers += 1
        let thread = Thread { [self] in workerLoop(index: index) }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func workerLoop(index: Int) {
        var seen = ticket.load(ordering: .acquiring) >> 40
        while true {
            var t = ticket.load(ordering: .acquiring)
            if t >> 40 == seen {
                let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(Self.spinSeconds * 1e9)
                var spins = 0
                while t >> 40 == seen {
                    spins += 1
                    if spins & 255 == 0 {
                        // Yielding now and then lets a thread with work run first when there are
                        // more threads than cores (`--threads` above the core count).
                        sched_yield()
                        if DispatchTime.now().uptimeNanoseconds > deadline {
                            sleep.lock()
                            sleepers += 1
                            while ticket.load(ordering: .acquiring) >> 40 == seen { sleep.wait() }
                            sleepers -= 1
                            sleep.unlock()
                        }
                    }
                    t = ticket.load(ordering: .acquiring)
                }
            }
            seen = t >> 40
            // `helpers` was stored before the ticket that announced this region.
            if index < helpers.load(ordering: .relaxed) {
                let done = claimAndRun(region: seen)
                if done > 0 { finished.add(done, ordering: .acquiringAndReleasing) }
            }
        }
    }
}
