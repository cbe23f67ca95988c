namespace Subclone.Checkpoints.Onnx;

/// <summary>
/// An ONNX NodeProto. Only tensor-valued attributes are kept (what a <c>Constant</c> node carries); the importer
/// needs nothing else from attributes.
/// </summary>
public sealed record OnnxNode(
    string Name,
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxTensor> TensorAttributes);
