namespace Subclone.Checkpoints.Onnx;

/// <summary>The parts of an ONNX GraphProto the importer uses; inputs and outputs are their value names.</summary>
public sealed record OnnxGraph(
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyDictionary<string, OnnxTensor> Initializers,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs);
