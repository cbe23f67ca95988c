using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using SkiaSharp;

namespace Subclone.Tests.Data;

/// <summary>Writes small PNG and JPEG files with SkiaSharp's encoders, and a PNG header by hand for sizes no
/// encoder should be asked to make.</summary>
internal static class ImageTestFiles
{
    /// <summary>Interleaved RGBA, written as stored: unpremultiplied, so colour under alpha 0 survives.</summary>
    public static string Png(string path, int width, int height, byte[] rgba) =>
        Encode(path, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba, SKEncodedImageFormat.Png, 100);

    /// <summary>One byte per pixel: Skia writes a greyscale PNG.</summary>
    public static string GreyPng(string path, int width, int height, byte[] grey) =>
        Encode(path, new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque), grey, SKEncodedImageFormat.Png, 100);

    public static string Jpeg(string path, int width, int height, byte[] rgba, int quality = 95) =>
        Encode(path, new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), rgba, SKEncodedImageFormat.Jpeg, quality);

    /// <summary>Opaque RGBA with seeded random colours.</summary>
    public static byte[] RandomRgba(int width, int height, int seed)
    {
        var rgba = new byte[width * height * 4];
        new Random(seed).NextBytes(rgba);
        for (int p = 3; p < rgba.Length; p += 4) rgba[p] = 255;
        return rgba;
    }

    /// <summary>A PNG signature, a well-formed IHDR chunk claiming <paramref name="width"/> × <paramref name="height"/>
    /// RGBA pixels, and the start of an IDAT chunk (decoders read the header up to the first IDAT), then nothing:
    /// a file of a few dozen bytes whose pixels would take gigabytes.</summary>
    public static string PngHeader(string path, int width, int height)
    {
        var size = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(size, width);
        BinaryPrimitives.WriteInt32BigEndian(size.AsSpan(4), height);
        size[8] = 8;  // bit depth
        size[9] = 6;  // colour type: RGBA
        using var file = File.Create(path);
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(file, "IHDR", size);
        WriteChunk(file, "IDAT", [0x78, 0x9C]);  // a zlib header, no data
        return path;
    }

    static void WriteChunk(Stream file, string type, byte[] data)
    {
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        file.Write(word);
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        file.Write(word);
    }

    static string Encode(string path, SKImageInfo info, byte[] pixels, SKEncodedImageFormat format, int quality)
    {
        using var bitmap = new SKBitmap(info);
        Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var data = bitmap.Encode(format, quality);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>PNG's CRC-32 (polynomial 0xEDB88320), bit by bit: a few bytes need no table.</summary>
    static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }
}
