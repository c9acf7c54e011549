import Foundation
import XCTest
@testable import Models
import TensorCore

final class RobustnessTests: XCTestCase {
    func testAdamRestoreRejectsMismatchedState() {
        let p = Tensor(shape: [2], data: [1, 2], label: "w", requiresGrad: true)
        let adam = Adam([("w", p)])
        XCTAssertThrowsError(try adam.restore(m: [[0]], v: [[0]], stepCount: 1))
        XCTAssertThrowsError(try adam.restore(m: [], v: [], stepCount: 1))
        XCTAssertNoThrow(try adam.restore(m: [[0, 0]], v: [[0, 0]], stepCount: 3))
        XCTAssertEqual(adam.stepCount, 3)
    }

    func testAtomicWriteRefusesDevicesAndLeavesNoTemporaryFile() throws {
        XCTAssertThrowsError(try AtomicFile.write([1, 2, 3], to: "/dev/null")) { error in
            XCTAssertEqual("\(error)", "/dev/null: exists and is not a regular file (a device, socket or pipe); refusing to replace it")
        }
        XCTAssertThrowsError(try AtomicFile.write([1], to: "/nonexistent-dir/x.bin")) { error in
            XCTAssertEqual("\(error)", "/nonexistent-dir/x.bin: directory /nonexistent-dir does not exist")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write([1, 2, 3], to: dir + "/a.bin")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["a.bin"])
    }

    func testWeightsWithNonFiniteValuesAreRejected() throws {
        let m = Char3Model(CharModelConfig(vocabSize: 5, nFac: 2, nHidden: 3), rng: SeededGenerator(seed: 1))
        var tensors = Dictionary(uniqueKeysWithValues: m.parameters.map { ($0.name, $0.tensor.detached()) })
        let w = tensors["l_out.bias"]!
        tensors["l_out.bias"] = Tensor(shape: w.shape, data: [Float.nan] + w.data.dropFirst(), label: "")
        XCTAssertThrowsError(try Weights.assign(tensors, to: m, source: "w.safetensors")) { error in
            XCTAssertEqual((error as? InputError)?.message, "weights w.safetensors: 'l_out.bias' holds a non-finite value (nan at flat index 0)")
        }
    }
}
