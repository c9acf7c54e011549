import Foundation
import Formats
import TensorCore

/// Weights as safetensors under PyTorch's state_dict names, so a file moves both ways:
/// `torch.save`-free, `safetensors.torch.save_file(m.state_dict(), …)` in PyTorch and
/// `Weights.load` here (and the reverse with `load_state_dict(load_file(…))`).
public enum Weights {
    public static func save(_ model: Module, to path: String, metadata: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        for (name, p) in model.stateDict { tensors[name] = p.detached() }
        do {
            try SafeTensors.write(tensors, to: URL(fileURLWithPath: path), metadata: metadata)
        } catch let e as SafeTensorsError {
            throw InputError("weights \(e.description)")
        }
    }

    /// Read a state_dict and copy it into `model`. Every name must match, every shape must
    /// agree; extra or missing names are reported, one line for the first problem.
    public static func load(_ path: String, into model: Module) throws {
        let file: SafeTensorsFile
        do {
            file = try SafeTensors.readFile(URL(fileURLWithPath: path))
        } catch let e as SafeTensorsError {
            throw InputError("weights \(e.description)")
        }
        // Char3Model and CharLoopModel share names and shapes; the metadata `run --save`
        // writes tells them apart (files from PyTorch have none and are taken on trust).
        if let saved = file.metadata["model"], let kind = (model as? CharModel)?.kind, saved != kind {
            throw InputError("weights \(path): saved from \(saved)\(file.metadata["lesson"].map { " (lesson \($0))" } ?? ""), this lesson's model is \(kind)")
        }
        try assign(file.tensors, to: model, source: path)
    }

    /// Copy named tensors (state_dict names, optionally under a prefix) into the model.
    public static func assign(_ tensors: [String: Tensor], to model: Module, source: String, prefix: String = "") throws {
        let expected = model.stateDict.map(\.name)
        let given = Set(tensors.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) })
        if let missing = expected.first(where: { !given.contains($0) }) {
            throw InputError("weights \(source): missing tensor '\(prefix)\(missing)' (the model has \(expected.joined(separator: ", ")))")
        }
        if let extra = given.subtracting(expected).sorted().first {
            throw InputError("weights \(source): unexpected tensor '\(prefix)\(extra)' — not a parameter of this model (\(expected.joined(separator: ", ")))")
        }
        for (name, p) in model.stateDict {
            let t = tensors[prefix + name]!
            guard t.shape == p.shape else {
                throw InputError("weights \(source): '\(prefix)\(name)' has shape \(t.shape), the model expects \(p.shape)")
            }
            if let bad = t.data.firstIndex(where: { !$0.isFinite }) {
                throw InputError("weights \(source): '\(prefix)\(name)' holds a non-finite value (\(t.data[bad]) at flat index \(bad))")
            }
            p.assign(t.data)
        }
    }
}
