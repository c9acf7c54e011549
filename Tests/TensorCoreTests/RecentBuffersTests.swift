// The list of recently seen buffers (Storage/RecentBuffers.swift) answers by storage identity
// and, when full, forgets the buffer used longest ago: a buffer looked up at every step (lesson
// 1's x and y) must survive any number of new buffers remembered in between.

import XCTest
@testable import TensorCore

final class RecentBuffersTests: XCTestCase {
    private func buffer(_ n: Int, _ v: Float) -> [Float] { [Float](repeating: v, count: n) }

    func testABufferInUseOutlivesNewerOnes() {
        var recent = RecentBuffers<Int>(limit: 4)
        let x = buffer(8, 1)
        recent.remember(x, 1)
        var newer: [[Float]] = []
        for step in 0..<20 {
            // Three new buffers per step, as a traced lesson-1 step makes, then x is used again.
            for k in 0..<3 {
                let b = buffer(8, Float(10 * step + k))
                newer.append(b)
                recent.remember(b, 100 + 3 * step + k)
            }
            XCTAssertEqual(recent.lookup(x), 1, "x was forgotten at step \(step)")
        }
        // The oldest of the newer buffers went; the last three are still there.
        XCTAssertNil(recent.lookup(newer[0]))
        for (i, b) in newer.suffix(3).enumerated() { XCTAssertEqual(recent.lookup(b), 157 + i) }
    }

    func testSameValuesInOtherStorageAreNotFound() {
        var recent = RecentBuffers<Int>(limit: 4)
        let a = buffer(8, 1)
        recent.remember(a, 1)
        XCTAssertEqual(recent.lookup(a), 1)
        XCTAssertNil(recent.lookup(buffer(8, 1)), "equal values in a different buffer are a different buffer")
    }

    func testTakenEntriesAreReusedFirst() {
        var recent = RecentBuffers<Int>(limit: 2)
        let a = buffer(8, 1), b = buffer(8, 2), c = buffer(8, 3)
        recent.remember(a, 1)
        recent.remember(b, 2)
        XCTAssertEqual(recent.take(a), 1)
        XCTAssertNil(recent.take(a), "taken once")
        recent.remember(c, 3)  // goes where a was, so b stays
        XCTAssertEqual(recent.lookup(b), 2)
        XCTAssertEqual(recent.lookup(c), 3)
    }

    /// Entries found by what was stored in them (JSON Lines finds a tensor's values by its id)
    /// hand back the held buffer, count as a use, and never match a taken entry.
    func testEntriesFoundByValueAreUsedAndTakenOnesAreNot() {
        var recent = RecentBuffers<Int>(limit: 2)
        let a = buffer(8, 1), b = buffer(8, 2), c = buffer(8, 3)
        recent.remember(a, 1)
        recent.remember(b, 2)
        let found = recent.first { $0 == 1 }
        XCTAssertEqual(found?.buffer, a)
        XCTAssertEqual(found?.value, 1)
        recent.remember(c, 3)  // a was just used: b goes
        XCTAssertNil(recent.lookup(b))
        XCTAssertEqual(recent.lookup(a, changing: { $0 += 10 }), 11)
        XCTAssertEqual(recent.lookup(a), 11, "the change is kept")
        XCTAssertEqual(recent.take(c), 3)
        XCTAssertNil(recent.first { $0 == 3 }, "a taken entry matches nothing")
    }
}
