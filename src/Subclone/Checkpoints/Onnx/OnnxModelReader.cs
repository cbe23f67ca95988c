using System.Buffers.Binary;

namespace Subclone.Checkpoints.Onnx;

/// <summary>
/// Reads the graph of an ONNX model straight from the protobuf wire format. Hand-written rather than generated
/// because we need a handful of fields out of onnx.proto and want no protobuf runtime or codegen step.
/// Field numbers follow onnx/onnx.proto (IR version 3 and later).
/// </summary>
public static class OnnxModelReader
{
    /// <summary>Reads the graph of an ONNX model from a stream (read to its end).</summary>
    public static OnnxGraph Read(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Reads the graph of an ONNX model from its bytes.</summary>
    public static OnnxGraph Read(ReadOnlySpan<byte> model)
    {
        var reader = new ProtoWireReader(model, "ModelProto");
        OnnxGraph? graph = null;
        while (reader.More)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 7 && wire == ProtoWireReader.LengthDelimited) graph = ReadGraph(reader.ReadBytes());
            else reader.Skip(wire);
        }
        return graph ?? throw reader.Invalid("no graph (ModelProto field 7)");
    }

    static OnnxGraph ReadGraph(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoWireReader(bytes, "GraphProto");
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        while (reader.More)
        {
            var (field, wire) = reader.ReadTag();
            if (wire != ProtoWireReader.LengthDelimited) { reader.Skip(wire); continue; }
            switch (field)
            {
                case 1: nodes.Add(ReadNode(reader.ReadBytes())); break;
                case 5:
                    var tensor = ReadTensor(reader.ReadBytes());
                    if (!initializers.TryAdd(tensor.Name, tensor))
                        throw reader.Invalid($"duplicate initializer '{tensor.Name}'");
                    break;
                case 11: inputs.Add(ReadValueInfoName(reader.ReadBytes())); break;
                case 12: outputs.Add(ReadValueInfoName(reader.ReadBytes())); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    static OnnxNode ReadNode(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoWireReader(bytes, "NodeProto");
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        string name = "", opType = "";
        while (reader.More)
        {
            var (field, wire) = reader.ReadTag();
            if (wire != ProtoWireReader.LengthDelimited) { reader.Skip(wire); continue; }
            switch (field)
            {
                case 1: inputs.Add(reader.ReadString()); break;
                case 2: outputs.Add(reader.ReadString()); break;
                case 3: name = reader.ReadString(); break;
                case 4: opType = reader.ReadString(); break;
                case 5:
                    var (attributeName, tensor) = ReadTensorAttribute(reader.ReadBytes());
                    if (tensor is not null) attributes[attributeName] = tensor;
                    break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }

    /// <summary>AttributeProto: name (1) and, when present, the tensor value t (5); other kinds are skipped.</summary>
    static (string Name, OnnxTensor? Tensor) ReadTensorAttribute(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoWireReader(bytes, "AttributeProto");
        string name = "";
        OnnxTensor? tensor = null;
        while (reader.More)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == ProtoWireReader.LengthDelimited) name = reader.ReadString();
            else if (field == 5 && wire == ProtoWireReader.LengthDelimited) tensor = ReadTensor(reader.ReadBytes());
            else reader.Skip(wire);
        }
        return (name, tensor);
    }

    static string ReadValueInfoName(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoWireReader(bytes, "ValueInfoProto");
        string name = "";
        while (reader.More)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == ProtoWireReader.LengthDelimited) name = reader.ReadString();
            else reader.Skip(wire);
        }
        return name;
    }

    static OnnxTensor ReadTensor(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoWireReader(bytes, "TensorProto");
        var dims = new List<long>();
        var floats = new List<float>();
        var int64s = new List<long>();
        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false;
        int dataType = 0;
        string name = "";
        while (reader.More)
        {
            var (field, wire) = reader.ReadTag();
            switch (field)
            {
                case 1: reader.ReadInt64s(wire, dims); break;
                case 2 when wire == ProtoWireReader.Varint: dataType = (int)reader.ReadVarint(); break;
                case 4: reader.ReadFloats(wire, floats); break;
                case 7: reader.ReadInt64s(wire, int64s); break;
                case 8 when wire == ProtoWireReader.LengthDelimited: name = reader.ReadString(); break;
                case 9 when wire == ProtoWireReader.LengthDelimited: raw = reader.ReadBytes(); hasRaw = true; break;
                // external_data (13): weights in a side file, which a single embedded resource cannot have.
                case 13: throw reader.Invalid($"tensor '{name}' uses external data, which is not supported");
                default: reader.Skip(wire); break;
            }
        }

        long count = 1;
        foreach (long d in dims)
        {
            // No tensor can hold more elements than the file has bytes, which also keeps the product from overflowing.
            if (d < 0 || (d > 0 && count > bytes.Length / d)) throw reader.Invalid($"tensor '{name}' has bad dims [{string.Join(", ", dims)}]");
            count *= d;
        }

        float[]? floatValues = null;
        long[]? int64Values = null;
        if (dataType == OnnxTensor.Float)
            floatValues = hasRaw ? DecodeRaw(raw, count, 4, name, ref reader, BinaryPrimitives.ReadSingleLittleEndian)
                                 : Exact(floats, count, name, ref reader);
        else if (dataType == OnnxTensor.Int64)
            int64Values = hasRaw ? DecodeRaw(raw, count, 8, name, ref reader, BinaryPrimitives.ReadInt64LittleEndian)
                                 : Exact(int64s, count, name, ref reader);
        return new OnnxTensor(name, dataType, [.. dims], floatValues, int64Values);
    }

    static T[] DecodeRaw<T>(ReadOnlySpan<byte> raw, long count, int size, string name, ref ProtoWireReader reader,
        Func<ReadOnlySpan<byte>, T> decode)
    {
        if (raw.Length != count * size)
            throw reader.Invalid($"tensor '{name}' has {raw.Length} raw bytes but its dims need {count * size}");
        var values = new T[count];
        for (int i = 0; i < values.Length; i++) values[i] = decode(raw.Slice(i * size, size));
        return values;
    }

    static T[] Exact<T>(List<T> values, long count, string name, ref ProtoWireReader reader)
    {
        if (values.Count != count)
            throw reader.Invalid($"tensor '{name}' has {values.Count} values but its dims need {count}");
        return [.. values];
    }
}
