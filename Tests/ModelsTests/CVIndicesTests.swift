import Foundation
import XCTest
@testable import Models

/// The seed's validation rows (`get_cv_idxs`) against numpy's own, from Fixtures/cv_idxs.json
/// (tools/golden/make_cv_idxs.py).
final class CVIndicesTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let name: String
            let n: Int
            let count: Int
            let first: [Int]
            let last: [Int]
            let sum: Int
            let ordered_checksum: UInt64
        }
        let cases: [Case]
    }

    func testGetCVIdxsEqualsNumpysRows() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/cv_idxs", withExtension: "json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 4)
        for c in fixture.cases {
            let v = CVIndices.getCVIdxs(n: c.n)
            XCTAssertEqual(v.count, c.count, c.name)
            XCTAssertEqual(Array(v.prefix(5)), c.first, c.name)
            XCTAssertEqual(Array(v.suffix(5)), c.last, c.name)
            XCTAssertEqual(v.reduce(0, +), c.sum, c.name)
            var ordered: UInt64 = 0
            for (k, x) in v.enumerated() { ordered &+= UInt64(k + 1) &* UInt64(x) }
            XCTAssertEqual(ordered, c.ordered_checksum, c.name)
        }
    }

    /// The rows do not depend on the run's --seed: Split.cv takes none.
    func testSplitUsesTheSeedsRowsAndCoversEveryRow() {
        let split = Split.cv(rows: 12, n: 10)
        XCTAssertEqual(split.valid, [8, 1])
        XCTAssertEqual(split.train, [0, 2, 3, 4, 5, 6, 7, 9, 10, 11])
    }
}
