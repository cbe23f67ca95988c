using System.Text;

namespace Subclone.Fuzz;

/// <summary>Small tokenizers of each format the loaders read.</summary>
internal static class TokenizerSeeds
{
    public static IEnumerable<Seed> All()
    {
        const string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\n##s\nhat\nhello\nworld\n!\n.\n'\n3\nh\n##e\n##llo\n";
        yield return new("wordpiece", "valid-uncased.txt", Encoding.UTF8.GetBytes(vocab));
        yield return new("wordpiece", "valid-cased-with-config.txt", Encoding.UTF8.GetBytes(vocab + "\0{\"do_lower_case\": false}"));

        yield return new("gpt2-bpe", "valid-byte-level.txt", Gpt2Files());

        yield return new("sentencepiece", "valid-bpe.model", SentencePieceModel(bpe: true));
        yield return new("sentencepiece", "valid-unigram.model", SentencePieceModel(bpe: false));

        yield return new("llama2c-tokenizer", "valid-tok.bin", Llama2cTokenizerFile());
    }

    /// <summary>vocab.json NUL merges.txt: GPT-2's 256 byte-level symbols, &lt;|endoftext|&gt; and a few merges.</summary>
    static byte[] Gpt2Files()
    {
        var symbols = ByteLevelAlphabet().Concat(["Ġt", "he", "Ġthe", "Ġc", "at"]).Append("<|endoftext|>").ToList();
        string vocab = "{" + string.Join(",", symbols.Select((s, i) => $"{System.Text.Json.JsonSerializer.Serialize(s)}:{i}")) + "}";
        const string merges = "#version: 0.2\nĠ t\nh e\nĠt he\nĠ c\na t\n";
        return [.. Encoding.UTF8.GetBytes(vocab), 0, .. Encoding.UTF8.GetBytes(merges)];
    }

    // GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest for U+0100 onwards.
    static IEnumerable<string> ByteLevelAlphabet()
    {
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            yield return ((char)(printable ? b : next++)).ToString();
        }
    }

    /// <summary>A SentencePiece ModelProto: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, "▁" and letters, a few merged pieces;
    /// BPE or Unigram; the normalizer llama2.c's tok512.model uses.</summary>
    static byte[] SentencePieceModel(bool bpe)
    {
        const int normal = 1, unknown = 2, control = 3;
        var pieces = new List<(string Piece, float Score, int Type)> { ("<unk>", 0, unknown), ("<s>", 0, control), ("</s>", 0, control) };
        string[] merged = ["▁t", "he", "▁the", "▁c", "at", "▁cat"];
        pieces.AddRange(merged.Select((p, i) => (p, -1f - i, normal)));
        pieces.AddRange("▁abcdefghijklmnopqrstuvwxyz.!".Select((c, i) => (c.ToString(), -10f - i, normal)));

        var model = new ProtoWriter();
        foreach (var (piece, score, type) in pieces)
            model.Message(1, new ProtoWriter().String(1, piece).Float(2, score).Varint(3, type));
        model.Message(2, new ProtoWriter()
            .Varint(3, bpe ? 2 : 1)                       // model_type: UNIGRAM = 1, BPE = 2
            .Varint(40, 0).Varint(41, 1).Varint(42, 2).Varint(43, -1)); // unk, bos, eos, pad ids
        model.Message(3, new ProtoWriter()
            .String(1, "identity").Varint(3, 1).Varint(4, 1).Varint(5, 1)); // add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces
        return model.ToArray();
    }

    /// <summary>The vocab size (uint16, see <see cref="Llama2cTokenizerTarget"/>), then tokenizer.bin: max_token_length,
    /// and per token its score, length and bytes, in run.c's order: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, the 256 byte pieces, merges.</summary>
    static byte[] Llama2cTokenizerFile()
    {
        var pieces = new List<(string Piece, float Score)> { ("<unk>", 0), ("\n<s>\n", 0), ("\n</s>\n", 0) };
        pieces.AddRange(Enumerable.Range(0, 256).Select(b => ($"<0x{b:X2}>", 0f)));
        pieces.AddRange(new[] { " ", "t", "h", "e", "c", "a", " t", "he", " the", " c", "at" }.Select((p, i) => (p, -1f - i)));

        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ushort)pieces.Count));
        bytes.AddRange(BitConverter.GetBytes(pieces.Max(p => Encoding.UTF8.GetByteCount(p.Piece))));
        foreach (var (piece, score) in pieces)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(piece);
            bytes.AddRange(BitConverter.GetBytes(score));
            bytes.AddRange(BitConverter.GetBytes(utf8.Length));
            bytes.AddRange(utf8);
        }
        return [.. bytes];
    }
}
