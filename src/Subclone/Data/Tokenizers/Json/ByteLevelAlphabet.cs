namespace Subclone.Data.Tokenizers.Json;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>, which byte-level BPE vocabularies are written in: printable Latin-1 bytes stand
/// for themselves, the other 68 bytes for U+0100 onwards (a space is "Ġ", a newline "Ċ").
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The character that stands for each byte.</summary>
    public static readonly char[] CharOfByte = Build();

    /// <summary>The byte each alphabet character stands for; -1 for characters outside it.</summary>
    public static readonly short[] ByteOfChar = Invert(CharOfByte);

    static char[] Build()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            chars[b] = (char)(printable ? b : next++);
        }
        return chars;
    }

    static short[] Invert(char[] chars)
    {
        var bytes = new short[512];
        Array.Fill(bytes, (short)-1);
        for (int b = 0; b < 256; b++) bytes[chars[b]] = (short)b;
        return bytes;
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, one alphabet character each.</summary>
    public static string Encode(string text)
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        return string.Create(utf8.Length, utf8, (span, bytes) =>
        {
            for (int i = 0; i < bytes.Length; i++) span[i] = CharOfByte[bytes[i]];
        });
    }

    /// <summary>The bytes a token stands for, or null if it has a character outside the alphabet.</summary>
    public static byte[]? Decode(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            int b = token[i] < ByteOfChar.Length ? ByteOfChar[token[i]] : -1;
            if (b < 0) return null;
            bytes[i] = (byte)b;
        }
        return bytes;
    }
}
