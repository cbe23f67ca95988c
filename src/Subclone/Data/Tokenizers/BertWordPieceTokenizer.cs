using System.Text;

namespace Subclone.Data.Tokenizers;

/// <summary>
/// BERT's WordPiece tokenizer from a <c>vocab.txt</c>, matching Hugging Face's <c>BertTokenizer</c>.
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers 2.0.1's BertTokenizer is not used: it drops symbols such as "$", "+", "=", "^", "|" and "☃"
/// instead of splitting them off or mapping them to [UNK], and its accent stripping does nothing under
/// InvariantGlobalization. Special-token strings typed in the text (e.g. "[MASK]") are not recognized.
/// </remarks>
public sealed class BertWordPieceTokenizer : IEncoderTokenizer
{
    // HF's max_input_chars_per_word: longer words become [UNK] rather than being searched.
    private const int MaxCharsPerWord = 100;

    private readonly Dictionary<string, int> vocabulary;
    private readonly string[] tokens;
    private readonly bool lowerCase;

    private BertWordPieceTokenizer(string[] tokens, bool lowerCase, string origin)
    {
        this.tokens = tokens;
        this.lowerCase = lowerCase;
        // Like HF's load_vocab, a repeated token keeps its last line number.
        vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Length; i++) vocabulary[tokens[i]] = i;
        UnknownId = Special("[UNK]");
        ClsId = Special("[CLS]");
        SepId = Special("[SEP]");
        PadId = Special("[PAD]");

        // Every encoding may need all four, so a vocabulary without one is refused here rather than at first use.
        int Special(string token) => vocabulary.TryGetValue(token, out int id)
            ? id
            : throw new InvalidDataException($"{origin}: has no {token} token, which BERT's tokenizer needs");
    }

    /// <inheritdoc/>
    public int VocabSize => tokens.Length;

    /// <summary>BERT frames inputs with [CLS]/[SEP] (see <see cref="EncodeForModel"/>), not BOS/EOS.</summary>
    public int? BosId => null;

    /// <summary>BERT has no end-of-sequence token; [SEP] closes inputs instead.</summary>
    public int? EosId => null;

    /// <summary>Id of [UNK], for words WordPiece cannot split.</summary>
    public int UnknownId { get; }

    /// <summary>Id of [CLS], which starts every input.</summary>
    public int ClsId { get; }

    /// <summary>Id of [SEP], which ends every input.</summary>
    public int SepId { get; }

    /// <summary>Id of [PAD], which fills batches.</summary>
    public int PadId { get; }

    /// <param name="vocab">One token per line, the line number being its id.</param>
    /// <param name="lowerCase">True for uncased models: lower-case and strip accents before WordPiece.</param>
    /// <param name="origin">Where the vocabulary came from, for errors.</param>
    public static BertWordPieceTokenizer Load(Stream vocab, bool lowerCase = true, string origin = "vocab.txt")
    {
        using var reader = new StreamReader(vocab, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return new BertWordPieceTokenizer(lines.ToArray(), lowerCase, origin);
    }

    /// <summary>Loads vocab.txt from a file; see <see cref="Load(Stream, bool, string)"/>.</summary>
    public static BertWordPieceTokenizer Load(string vocabPath, bool lowerCase = true)
    {
        using var stream = File.OpenRead(vocabPath);
        return Load(stream, lowerCase, vocabPath);
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new List<int>();
        foreach (string word in BertBasicTokenizer.Split(text, lowerCase)) AppendWordPieces(word, ids);
        return ids;
    }

    /// <summary>[CLS] tokens [SEP], with the tokens truncated so that the whole is at most <paramref name="maxLength"/> ids.</summary>
    public IReadOnlyList<int> EncodeForModel(string text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        int[] ids = [ClsId, .. Encode(text).Take(maxLength - 2), SepId];
        return ids;
    }

    /// <summary>Tokens joined by spaces with "##" continuations glued on, then HF's clean_up_tokenization.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        string text = string.Join(' ', ids.Select(id => tokens[id])).Replace(" ##", "", StringComparison.Ordinal).Trim();
        foreach (var (from, to) in CleanUps) text = text.Replace(from, to, StringComparison.Ordinal);
        return text;
    }

    private static readonly (string, string)[] CleanUps =
    [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"),
        (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ];

    // Greedy longest-match-first; a word with any unmatchable remainder becomes a single [UNK].
    private void AppendWordPieces(string word, List<int> ids)
    {
        // Offsets of code point starts, so that pieces never split a surrogate pair.
        var starts = new List<int>();
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1) starts.Add(i);
        if (starts.Count > MaxCharsPerWord)
        {
            ids.Add(UnknownId);
            return;
        }
        starts.Add(word.Length);

        int firstPiece = ids.Count;
        for (int start = 0; start < starts.Count - 1;)
        {
            int end = starts.Count - 1;
            int id = -1;
            for (; end > start; end--)
            {
                string piece = word[starts[start]..starts[end]];
                if (vocabulary.TryGetValue(start > 0 ? "##" + piece : piece, out id)) break;
            }
            if (end == start)
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(UnknownId);
                return;
            }
            ids.Add(id);
            start = end;
        }
    }
}
