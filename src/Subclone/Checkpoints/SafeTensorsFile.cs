using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;

namespace Subclone.Checkpoints;

/// <summary>
/// A .safetensors file opened for reading: the header is parsed and validated up front, tensors are read
/// on demand straight into their own memory (one seek, then reads of up to 64 MB), so a file larger than memory
/// can be used tensor by tensor and reading a tensor needs no more than that tensor (plus its float32 copy when
/// converted).
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    // The format allows 100 MB headers; anything bigger is hostile, and the length is checked before allocating.
    const long MaxHeaderBytes = 100_000_000;

    readonly FileStream _stream;
    readonly long _dataStart;
    readonly Dictionary<string, SafeTensorsEntry> _entries;

    /// <summary>The file.</summary>
    public string Path { get; }
    /// <summary>The header's __metadata__ (e.g. format: pt).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Every tensor's header record.</summary>
    public IReadOnlyCollection<SafeTensorsEntry> Entries => _entries.Values;
    /// <summary>Every tensor's name.</summary>
    public IEnumerable<string> Names => _entries.Keys;

    SafeTensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, SafeTensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        _entries = entries;
        Metadata = metadata;
    }

    /// <summary>
    /// Opens a file and validates its header (dtypes, shapes against byte ranges, no overlaps, within the file);
    /// any problem is a <see cref="CheckpointException"/> naming the file.
    /// </summary>
    public static SafeTensorsFile Open(string path)
    {
        FileStream stream;
        try { stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CheckpointException(path, e.Message); }
        try { return Parse(path, stream); }
        catch { stream.Dispose(); throw; }
    }

    static SafeTensorsFile Parse(string path, FileStream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8) throw new CheckpointException(path, "not a safetensors file (shorter than its 8-byte header length)");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        // An unsigned little-endian 64-bit count, as the format defines it (read signed, 2^63 and up would look negative).
        ulong declaredLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (declaredLength > MaxHeaderBytes)
            throw new CheckpointException(path, $"safetensors header length {declaredLength} exceeds the {MaxHeaderBytes / 1_000_000} MB limit");
        long headerLength = (long)declaredLength;
        if (headerLength < 2)
            throw new CheckpointException(path, $"safetensors header length {headerLength} is too small for a JSON header");
        if (8 + headerLength > fileLength)
            throw new CheckpointException(path, $"safetensors header length {headerLength} runs past the end of the {fileLength}-byte file (truncated?)");

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        // Checked first: the parser accepts invalid UTF-8 inside strings and only fails when a name is read.
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw new CheckpointException(path, "safetensors header is not valid UTF-8");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes); }
        catch (JsonException e) { throw new CheckpointException(path, $"safetensors header is not valid JSON ({JsonText.Describe(e)})"); }

        long dataStart = 8 + headerLength;
        long dataLength = fileLength - dataStart;
        var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, "safetensors header is not a JSON object");
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, "__metadata__ is not an object");
                    foreach (var m in property.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                    continue;
                }
                if (entries.ContainsKey(property.Name)) throw new CheckpointException(path, $"tensor '{property.Name}' appears twice in the header");
                entries[property.Name] = ParseEntry(path, property, dataLength);
            }
        }
        CheckNoOverlap(path, entries.Values);
        return new SafeTensorsFile(path, stream, dataStart, entries, metadata);
    }

    static SafeTensorsEntry ParseEntry(string path, JsonProperty property, long dataLength)
    {
        string name = property.Name;
        var e = property.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw new CheckpointException(path, $"tensor '{name}' has a malformed header entry (needs dtype, shape, data_offsets)");
        if (!SafeTensorsDtype.TryParse(dtypeElement.GetString()!, out var dtype))
            throw new CheckpointException(path, $"tensor '{name}' has unknown dtype '{dtypeElement.GetString()}'");

        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        long elements = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw new CheckpointException(path, $"tensor '{name}' has invalid dimension {d.GetRawText()} in its shape (dimensions are non-negative integers)");
            shape[i++] = v;
            elements = v == 0 ? 0 : elements > long.MaxValue / v ? throw new CheckpointException(path, $"tensor '{name}' has an impossibly large shape") : elements * v;
        }
        var offsets = offsetsElement.EnumerateArray().Select(o => o.ValueKind == JsonValueKind.Number && o.TryGetInt64(out long v) ? v : -1).ToArray();
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < begin)
            throw new CheckpointException(path, $"tensor '{name}' has invalid data offsets {offsetsElement.GetRawText()} (need 0 <= begin <= end)");
        if (end > dataLength)
            throw new CheckpointException(path, $"tensor '{name}' has data offsets [{begin}, {end}] past the end of the {dataLength}-byte data section (truncated file?)");
        long expected = elements > long.MaxValue / 8 ? -1 : elements * SafeTensorsDtype.SizeOf(dtype);
        if (end - begin != expected)
            throw new CheckpointException(path, $"tensor '{name}' occupies {end - begin} bytes but its shape [{string.Join(", ", shape)}] of {dtypeElement.GetString()} needs {expected}");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    static void CheckNoOverlap(string path, IEnumerable<SafeTensorsEntry> entries)
    {
        SafeTensorsEntry? previous = null;
        foreach (var e in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin))
        {
            if (previous is not null && e.Begin < previous.End)
                throw new CheckpointException(path, $"tensors '{previous.Name}' and '{e.Name}' overlap in the data section");
            previous = e;
        }
    }

    /// <summary>Whether the file has a tensor <paramref name="name"/>.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The header record of <paramref name="name"/>; a <see cref="CheckpointException"/> when there is none.</summary>
    public SafeTensorsEntry Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new CheckpointException(Path, $"has no tensor '{name}'");

    /// <summary>Reads a tensor in its stored dtype.</summary>
    public torch.Tensor ReadRaw(string name) => ReadRaw(Entry(name));

    /// <summary>Reads the bytes <paramref name="e"/> describes in its stored dtype: a tensor of this file's header, or a
    /// contiguous part of one (an expert inside a fused tensor).</summary>
    public torch.Tensor ReadRaw(SafeTensorsEntry e)
    {
        string name = e.Name;
        var tensor = torch.empty(e.Shape, e.Dtype);
        if (e.End == e.Begin) return tensor;
        lock (_stream)
        {
            _stream.Seek(_dataStart + e.Begin, SeekOrigin.Begin);
            try { TensorBytes.Read(_stream, tensor); }
            catch (EndOfStreamException) { tensor.Dispose(); throw new CheckpointException(Path, $"tensor '{name}' is truncated"); }
        }
        return tensor;
    }

    /// <summary>Reads a tensor converted to float32, the dtype all computation uses.</summary>
    public torch.Tensor ReadFloat32(string name) => ReadFloat32(Entry(name));

    /// <summary>Reads <paramref name="entry"/> (see <see cref="ReadRaw(SafeTensorsEntry)"/>) converted to float32.</summary>
    public torch.Tensor ReadFloat32(SafeTensorsEntry entry)
    {
        var raw = ReadRaw(entry);
        if (raw.dtype == torch.ScalarType.Float32) return raw;
        using (raw) return raw.to_type(torch.ScalarType.Float32);
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _stream.Dispose();

    /// <summary>Writes tensors to <paramref name="path"/> in Hugging Face's layout (see <see cref="SafeTensorsWriter"/>).
    /// Each tensor is converted to <paramref name="dtype"/> (null keeps its own).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, torch.ScalarType? dtype = null,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var byName = tensors.ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        using var writer = SafeTensorsWriter.Create(path, byName.Select(t => (t.Key, dtype ?? t.Value.dtype, t.Value.shape)), metadata);
        foreach (var entry in writer.Entries) writer.Write(entry.Name, byName[entry.Name]);
        writer.Complete();
    }
}
