using System.Text;
using System.Text.Json.Nodes;

namespace Subclone.Tests.Support;

/// <summary>Byte-level access to .safetensors files, independent of the library's reader and writer: crafting
/// malformed files and inspecting what the writer produced.</summary>
public static class RawSafeTensors
{
    /// <summary>Writes an 8-byte little-endian header length, the header text exactly as given, then the data.</summary>
    public static void Write(string path, string header, byte[]? data = null, long? declaredHeaderLength = null)
    {
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        using var stream = File.Create(path);
        stream.Write(BitConverter.GetBytes(declaredHeaderLength ?? headerBytes.Length));
        stream.Write(headerBytes);
        stream.Write(data ?? []);
    }

    /// <summary>The declared header length and the header text of a file.</summary>
    public static (long Length, string Text) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        var lengthBytes = new byte[8];
        stream.ReadExactly(lengthBytes);
        long length = BitConverter.ToInt64(lengthBytes);
        var header = new byte[length];
        stream.ReadExactly(header);
        return (length, Encoding.UTF8.GetString(header));
    }

    public static JsonObject ReadHeaderJson(string path) => (JsonObject)JsonNode.Parse(ReadHeader(path).Text)!;

    /// <summary>Copies the files of a fixture directory (not subdirectories) into a new directory.</summary>
    public static string CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        return destination;
    }
}
