using System.Text;
using Subclone.Models.Families;

namespace Subclone.Gguf;

/// <summary>A tensor as GGUF lists it: its name, shape in PyTorch order (outermost first) and stored type.</summary>
public sealed record GgufTensorInfo(string Name, long[] Shape, GgufTensorType Type)
{
    /// <summary>Bytes of its data, before alignment padding.</summary>
    public long ByteCount => GgufEncoding.ByteCount(Type, Shape.Aggregate(1L, (a, b) => a * b));
}

/// <summary>
/// Writes GGUF version 3 (ggml's docs/gguf.md): the magic "GGUF", version, tensor and key counts, the key-value
/// metadata, the tensor infos (dimensions innermost first, offsets into the data section), padding to
/// <c>general.alignment</c>, then each tensor's data, each padded to the alignment. Little-endian throughout.
/// </summary>
public static class GgufFile
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;
    /// <summary>The format version written.</summary>
    public const uint Version = 3;
    /// <summary>GGUF's default alignment, written explicitly as general.alignment.</summary>
    public const uint Alignment = 32;

    enum ValueType : uint { UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9 }

    /// <summary>
    /// Writes the file to <paramref name="stream"/>; <paramref name="data"/> returns each tensor's bytes, in the order of
    /// <paramref name="tensors"/>, when it is written (so only one tensor's bytes are held at a time).
    /// </summary>
    public static void Write(Stream stream, GgufMetadata metadata, IReadOnlyList<GgufTensorInfo> tensors, Func<GgufTensorInfo, byte[]> data)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic); w.Write(Version);
        w.Write((ulong)tensors.Count); w.Write((ulong)metadata.Entries.Count);
        foreach (var (key, value) in metadata.Entries) { WriteString(w, key); WriteValue(w, value); }

        long offset = 0;
        foreach (var t in tensors)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Shape.Length);
            for (int i = t.Shape.Length - 1; i >= 0; i--) w.Write((ulong)t.Shape[i]);  // ggml's ne[0] is the innermost axis
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset = Align(offset + t.ByteCount);
        }
        Pad(w);
        long dataStart = stream.Position;
        foreach (var t in tensors)
        {
            byte[] bytes = data(t);
            if (bytes.Length != t.ByteCount) throw new InvalidOperationException($"tensor {t.Name}: {bytes.Length} bytes, expected {t.ByteCount}");
            w.Write(bytes);
            w.Flush();
            long written = stream.Position - dataStart;
            w.Write(new byte[Align(written) - written]);
        }
        w.Flush();
    }

    static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    static void Pad(BinaryWriter w)
    {
        w.Flush();
        long position = w.BaseStream.Position;
        w.Write(new byte[Align(position) - position]);
    }

    static void WriteString(BinaryWriter w, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length); w.Write(bytes);
    }

    static void WriteValue(BinaryWriter w, object value)
    {
        switch (value)
        {
            case uint u: w.Write((uint)ValueType.UInt32); w.Write(u); break;
            case int i: w.Write((uint)ValueType.Int32); w.Write(i); break;
            case float f: w.Write((uint)ValueType.Float32); w.Write(f); break;
            case bool b: w.Write((uint)ValueType.Bool); w.Write((byte)(b ? 1 : 0)); break;
            case string s: w.Write((uint)ValueType.String); WriteString(w, s); break;
            case IReadOnlyList<string> list: Array(w, ValueType.String, list, WriteString); break;
            case IReadOnlyList<float> list: Array(w, ValueType.Float32, list, (w, f) => w.Write(f)); break;
            case IReadOnlyList<int> list: Array(w, ValueType.Int32, list, (w, i) => w.Write(i)); break;
            default: throw new ArgumentException($"no GGUF value type for {value.GetType()}");
        }
    }

    static void Array<T>(BinaryWriter w, ValueType type, IReadOnlyList<T> items, Action<BinaryWriter, T> write)
    {
        w.Write((uint)ValueType.Array); w.Write((uint)type); w.Write((ulong)items.Count);
        foreach (var item in items) write(w, item);
    }
}
