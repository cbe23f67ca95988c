using System.Buffers.Binary;
using System.IO.Compression;

namespace Subclone.Tests.Data;

/// <summary>Writes IDX files byte by byte, independent of the reader, well-formed or deliberately not.</summary>
internal static class IdxTestFiles
{
    /// <summary>Magic, then each dimension big-endian, then the data; gzipped when asked.</summary>
    public static string Write(string path, int magic, int[] dims, byte[] data, bool gzip = false)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        WriteBytes(path, bytes, gzip);
        return path;
    }

    public static void WriteBytes(string path, byte[] bytes, bool gzip)
    {
        using var file = File.Create(path);
        if (!gzip) { file.Write(bytes); return; }
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
    }

    public static byte[] Gunzip(string path)
    {
        using var zip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        zip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>N images of rows × cols with seeded random pixels, and labels i mod classes.</summary>
    public static (string Images, string Labels) Dataset(string dir, int count, int rows, int cols, int classes = 3, int seed = 1)
    {
        var random = new Random(seed);
        var pixels = new byte[count * rows * cols];
        random.NextBytes(pixels);
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % classes)).ToArray();
        return (Write(Path.Combine(dir, "images-idx3-ubyte"), 0x803, [count, rows, cols], pixels),
            Write(Path.Combine(dir, "labels-idx1-ubyte.gz"), 0x801, [count], labels, gzip: true));
    }
}
