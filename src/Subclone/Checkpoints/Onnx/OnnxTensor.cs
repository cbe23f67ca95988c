namespace Subclone.Checkpoints.Onnx;

/// <summary>
/// An ONNX TensorProto, decoded only for the element types the importer needs: FLOAT into <see cref="Floats"/>,
/// INT64 into <see cref="Int64s"/>. Other types keep their name, type and dims so the graph can still be walked.
/// </summary>
public sealed record OnnxTensor(string Name, int DataType, long[] Dims, float[]? Floats, long[]? Int64s)
{
    /// <summary>TensorProto.DataType.FLOAT.</summary>
    public const int Float = 1;

    /// <summary>TensorProto.DataType.INT64.</summary>
    public const int Int64 = 7;

    /// <summary>The dims as "[a, b]", for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";
}
