using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Checkpoints;

/// <summary>
/// Writes a .safetensors file one tensor at a time. Every name, dtype and shape is given up front, so the
/// header goes first and each tensor's data follows as it is produced: a file larger than memory is written
/// with one tensor in memory at a time. The layout is Hugging Face's: 8-byte little-endian header length, JSON
/// header (names in ordinal order, padded with spaces to a multiple of 8), then the data in header order.
/// </summary>
public sealed class SafeTensorsWriter : IDisposable
{
    readonly FileStream _stream;
    readonly List<SafeTensorsEntry> _entries;
    int _next;

    /// <summary>Every tensor in the order <see cref="Write"/> takes them, with its byte range.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries => _entries;

    /// <summary>The file being written.</summary>
    public string Path { get; }

    /// <summary>The name the next <see cref="Write"/> must be given, or null when all are written.</summary>
    public string? NextName => _next < _entries.Count ? _entries[_next].Name : null;

    SafeTensorsWriter(string path, FileStream stream, List<SafeTensorsEntry> entries)
    {
        Path = path;
        _stream = stream;
        _entries = entries;
    }

    /// <summary>
    /// Creates <paramref name="path"/> and writes the header for <paramref name="tensors"/> (stored in ordinal name order) and <paramref name="metadata"/>;
    /// the data follows through <see cref="Write"/>, one tensor at a time.
    /// </summary>
    public static SafeTensorsWriter Create(string path, IEnumerable<(string Name, ScalarType Dtype, long[] Shape)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var entries = new List<SafeTensorsEntry>();
        long offset = 0;
        foreach (var (name, dtype, shape) in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (entries.Count > 0 && entries[^1].Name == name) throw new ArgumentException($"tensor '{name}' is listed twice");
            long bytes = shape.Aggregate(1L, (a, b) => a * b) * SafeTensorsDtype.SizeOf(dtype);
            entries.Add(new SafeTensorsEntry(name, dtype, shape, offset, offset + bytes));
            offset += bytes;
        }
        byte[] header = Header(entries, metadata ?? new Dictionary<string, string> { ["format"] = "pt" });
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        try
        {
            stream.Write(BitConverter.GetBytes((long)header.Length));
            stream.Write(header);
            return new SafeTensorsWriter(path, stream, entries);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    static byte[] Header(List<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new StringBuilder("{");
        header.Append("\"__metadata__\":{");
        header.Append(string.Join(",", metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{JsonSerializer.Serialize(m.Key)}:{JsonSerializer.Serialize(m.Value)}")));
        header.Append('}');
        foreach (var e in entries)
            header.Append($",{JsonSerializer.Serialize(e.Name)}:{{\"dtype\":\"{SafeTensorsDtype.NameOf(e.Dtype)}\",\"shape\":[{string.Join(",", e.Shape)}],\"data_offsets\":[{e.Begin},{e.End}]}}");
        header.Append('}');
        while ((8 + Encoding.UTF8.GetByteCount(header.ToString())) % 8 != 0) header.Append(' ');
        return Encoding.UTF8.GetBytes(header.ToString());
    }

    /// <summary>Writes the next tensor, converted to its declared dtype. Names must come in <see cref="Entries"/> order.</summary>
    public void Write(string name, Tensor value)
    {
        var entry = _next < _entries.Count ? _entries[_next]
            : throw new InvalidOperationException($"{Path}: every declared tensor is already written; '{name}' is extra");
        if (entry.Name != name)
            throw new InvalidOperationException($"{Path}: expected tensor '{entry.Name}' next, got '{name}'");
        if (!entry.Shape.SequenceEqual(value.shape))
            throw new ArgumentException($"{Path}: tensor '{name}' was declared [{string.Join(", ", entry.Shape)}] but is [{string.Join(", ", value.shape)}]");
        using (var scope = NewDisposeScope())
            TensorBytes.Write(_stream, value.detach().to_type(entry.Dtype).contiguous());
        _next++;
    }

    /// <summary>Checks that every declared tensor was written and flushes the file.</summary>
    public void Complete()
    {
        if (NextName is string missing) throw new InvalidOperationException($"{Path}: tensor '{missing}' was declared but never written");
        _stream.Flush();
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _stream.Dispose();
}
