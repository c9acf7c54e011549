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
}
