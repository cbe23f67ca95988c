using System.Buffers.Binary;
using System.IO.Compression;
using static TorchSharp.torch;

namespace Subclone.Data.Images;

/// <summary>
/// Reads the IDX files MNIST and Fashion-MNIST ship in, gzipped (as distributed) or not. An IDX file is a
/// 4-byte magic (0, 0, element type, dimension count), one big-endian int32 per dimension, then the elements
/// row-major. Only unsigned-byte files are read: images (0x00000803, [N, rows, cols]) and labels (0x00000801, [N]).
/// The header is checked against the file's length, so a truncated download is reported, not half-read.
/// </summary>
public static class IdxReader
{
    /// <summary>The magic of an unsigned-byte, three-dimensional file: images.</summary>
    public const int ImagesMagic = 0x00000803;
    /// <summary>The magic of an unsigned-byte, one-dimensional file: labels.</summary>
    public const int LabelsMagic = 0x00000801;
    const byte UnsignedByte = 0x08;

    /// <summary>Images as uint8 [N, rows, cols].</summary>
    public static Tensor ReadImages(string path)
    {
        var (dims, data) = Read(path, ImagesMagic, "images");
        if (dims[1] == 0 || dims[2] == 0) throw Bad(path, $"images of {dims[1]}×{dims[2]} pixels are empty");
        return tensor(data, [dims[0], dims[1], dims[2]], ScalarType.Byte);
    }

    /// <summary>Labels as int64 [N], the dtype cross-entropy and indexing take.</summary>
    public static Tensor ReadLabels(string path)
    {
        var (dims, data) = Read(path, LabelsMagic, "labels");
        using var bytes = tensor(data, [dims[0]], ScalarType.Byte);
        return bytes.to_type(ScalarType.Int64);
    }

    static (long[] Dims, byte[] Data) Read(string path, int magic, string kind)
    {
        var (file, gzipped) = Contents(path);
        int rank = magic & 0xFF;
        if (file.Length < 4) throw Bad(path, $"has {file.Length} bytes, too few for an IDX header");
        int actual = BinaryPrimitives.ReadInt32BigEndian(file);
        if (actual != magic)
        {
            string what = actual switch { ImagesMagic => " (IDX images)", LabelsMagic => " (IDX labels)", _ when file[0] == 0 && file[1] == 0 && file[2] != UnsignedByte => $" (IDX of element type 0x{file[2]:X2}, not unsigned bytes)", _ => "" };
            throw Bad(path, $"starts with 0x{actual:X8}{what}, not 0x{magic:X8} (IDX {kind})");
        }
        int headerBytes = 4 + 4 * rank;
        if (file.Length < headerBytes) throw Bad(path, $"has {file.Length} bytes, too few for the {headerBytes}-byte header of IDX {kind}");
        var dims = new long[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw Bad(path, $"header gives dimension {i} as {dims[i]}");
            elements *= dims[i];  // at most three int32 factors: cannot overflow a long
        }
        long expected = headerBytes + elements;
        if (file.Length != expected)
            throw Bad(path, $"header promises {kind} of {string.Join("×", dims)} bytes ({expected} bytes with the header) but the {(gzipped ? "decompressed " : "")}file has {file.Length}"
                + (file.Length < expected ? " (truncated?)" : ""));
        return (dims, file[headerBytes..]);
    }

    /// <summary>The file's bytes, decompressed when it starts with gzip's magic (whatever its name says).</summary>
    static (byte[] Bytes, bool Gzipped) Contents(string path)
    {
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw Bad(path, $"cannot be read ({e.Message})"); }
        if (!(raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B)) return (raw, false);
        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gzip.CopyTo(output);
            return (output.ToArray(), true);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw Bad(path, $"is not a valid gzip file ({e.Message.TrimEnd('.')})");
        }
    }

    static InvalidDataException Bad(string path, string problem) => new($"{path}: {problem}");
}
