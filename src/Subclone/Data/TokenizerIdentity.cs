using System.Security.Cryptography;
using System.Text;
using Subclone.Data.Tokenizers;

namespace Subclone.Data;

/// <summary>
/// A fingerprint of what a tokenizer does, for telling token caches apart: its type, special ids, and a hash of
/// every id's decoded text plus the ids of a probe sentence. Two tokenizers that agree on all of that produce the
/// same ids for a corpus in practice, whatever files they were loaded from.
/// </summary>
public static class TokenizerIdentity
{
    const string Probe = "The quick brown fox, 12 jumps: \"Ünïcödé\" — naïve 日本語 <|endoftext|>\n\tend.";

    /// <summary>The fingerprint of <paramref name="tokenizer"/>: type, special ids, and a sha256 of its vocabulary's decoded text and a probe sentence's ids.</summary>
    public static string Of(ITextTokenizer tokenizer)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int id = 0; id < tokenizer.VocabSize; id++)
        {
            string piece;
            // Some tokenizers refuse to decode a special id alone; the refusal is as much a part of them as a piece.
            try { piece = tokenizer.Decode([id]); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException) { piece = "\uFFFF"; }
            sha.AppendData(Encoding.UTF8.GetBytes(piece));
            sha.AppendData([0]);
        }
        foreach (int id in tokenizer.Encode(Probe)) sha.AppendData(BitConverter.GetBytes(id));
        string hash = Convert.ToHexStringLower(sha.GetHashAndReset())[..16];
        return $"{tokenizer.GetType().Name} vocab={tokenizer.VocabSize} bos={tokenizer.BosId?.ToString() ?? "none"} eos={tokenizer.EosId?.ToString() ?? "none"} pieces={hash}";
    }
}
