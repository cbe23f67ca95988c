using System.Globalization;
using System.Text;

namespace Subclone.Data.Tokenizers;

/// <summary>
/// The tokenizer of Karpathy's llama2.c (<c>tokenizer.bin</c>, <c>tok512.bin</c>), encoding and decoding exactly as its
/// <c>run.c</c> does so that token ids match checkpoints trained and sampled with it.
/// </summary>
/// <remarks>
/// Pieces are held as Latin-1 strings, one char per byte, so that concatenating and looking up pieces is byte-exact
/// like run.c's C strings even when a piece is not valid UTF-8 on its own.
/// </remarks>
public sealed class Llama2cTokenizer : ITextTokenizer
{
    /// <summary>Id of &lt;s&gt; in llama2.c's tokenizers.</summary>
    public const int Bos = 1;
    /// <summary>Id of &lt;/s&gt; in llama2.c's tokenizers.</summary>
    public const int Eos = 2;

    // run.c maps a byte b it has no piece for to id b + 3, after <unk>, <s>, </s>.
    private const int ByteOffset = 3;

    // Byte fallback can emit any of the 256 byte ids, so a smaller vocabulary yields ids the model cannot embed.
    private const int MinVocabSize = ByteOffset + 256;

    // A token's score and length: the least a token can occupy in the file.
    private const int MinTokenBytes = 8;

    private readonly string[] pieces;
    private readonly float[] scores;
    private readonly Dictionary<string, int> ids = new(StringComparer.Ordinal);

    private Llama2cTokenizer(string[] pieces, float[] scores)
    {
        this.pieces = pieces;
        this.scores = scores;
        for (int i = 0; i < pieces.Length; i++)
            ids.TryAdd(pieces[i], i);
    }

    /// <inheritdoc/>
    public int VocabSize => pieces.Length;

    /// <inheritdoc/>
    public int? BosId => Bos;

    /// <inheritdoc/>
    public int? EosId => Eos;

    /// <summary>Reads a llama2.c tokenizer file; the file does not store its size, which is the checkpoint header's vocab_size.</summary>
    /// <exception cref="InvalidDataException">The file is too short for <paramref name="vocabSize"/> tokens, a token's
    /// length runs past its end, or the vocabulary lacks what run.c's encoder relies on.</exception>
    public static Llama2cTokenizer Load(string path, int vocabSize)
    {
        using var stream = File.OpenRead(path);
        long length = stream.Length;
        if (vocabSize < MinVocabSize)
            throw Invalid(path, $"vocab_size {vocabSize} is below the {MinVocabSize} ids run.c's encoder can emit (<unk>, <s>, </s>, 256 bytes)");
        // Checked before the arrays are sized by vocabSize, which comes from elsewhere (a checkpoint, a model).
        if (length < sizeof(int) + (long)MinTokenBytes * vocabSize)
            throw Invalid(path, $"file is {length} bytes, too short for {vocabSize} tokens (the vocab_size of the checkpoint or model it is used with)");

        using var reader = new BinaryReader(stream);
        reader.ReadInt32(); // max_token_length: only sizes run.c's buffers
        var pieces = new string[vocabSize];
        var scores = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++)
        {
            if (length - stream.Position < MinTokenBytes) throw Invalid(path, $"file ends at token {i} of {vocabSize}");
            scores[i] = reader.ReadSingle();
            int count = reader.ReadInt32();
            // An untrusted length: checked against what is left before anything is allocated for it.
            if (count < 0 || count > length - stream.Position)
                throw Invalid(path, $"token {i} has length {count}, past the end of the {length}-byte file");
            pieces[i] = Encoding.Latin1.GetString(reader.ReadBytes(count));
        }
        if (!pieces.Contains(" "))
            throw Invalid(path, "has no \" \" token, which run.c's encoder puts before every text");
        return new Llama2cTokenizer(pieces, scores);
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: {problem}");

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text)
    {
        var tokens = new List<int>();
        if (text.Length == 0) return tokens;

        // SentencePiece's add_dummy_prefix, which run.c reproduces with a separate " " token merged below.
        tokens.Add(ids[" "]);
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        for (int start = 0; start < utf8.Length;)
        {
            int end = start + 1;
            while (end < utf8.Length && (utf8[end] & 0xC0) == 0x80 && end - start < 4) end++;
            string ch = Encoding.Latin1.GetString(utf8, start, end - start);
            if (ids.TryGetValue(ch, out int id))
                tokens.Add(id);
            else
                for (int i = start; i < end; i++) tokens.Add(utf8[i] + ByteOffset);
            start = end;
        }

        // Greedy BPE: merge the adjacent pair whose merged piece scores highest (first such pair on ties).
        while (true)
        {
            float bestScore = -1e10f;
            int bestId = -1, bestIndex = -1;
            for (int i = 0; i < tokens.Count - 1; i++)
            {
                if (ids.TryGetValue(pieces[tokens[i]] + pieces[tokens[i + 1]], out int id) && scores[id] > bestScore)
                    (bestScore, bestId, bestIndex) = (scores[id], id, i);
            }
            if (bestIndex == -1) break;
            tokens[bestIndex] = bestId;
            tokens.RemoveAt(bestIndex + 1);
        }
        return tokens;
    }

    /// <summary>
    /// Concatenates pieces like run.c's decode: <c>&lt;0xXX&gt;</c> pieces are raw bytes, and a piece after BOS loses its
    /// leading space. The start of <paramref name="ids"/> counts as after BOS, so decoding <see cref="Encode"/>'s output
    /// drops the dummy prefix and round-trips. BOS/EOS themselves print nothing, as in run.c's generate loop.
    /// </summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        int previous = Bos;
        foreach (int id in ids)
        {
            if (id != Bos && id != Eos)
            {
                string piece = pieces[id];
                if (previous == Bos && piece.StartsWith(' ')) piece = piece[1..];
                if (TryParseBytePiece(piece, out byte b))
                    bytes.Add(b);
                else
                    bytes.AddRange(Encoding.Latin1.GetBytes(piece));
            }
            previous = id;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool TryParseBytePiece(string piece, out byte value)
    {
        value = 0;
        return piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value);
    }
}
