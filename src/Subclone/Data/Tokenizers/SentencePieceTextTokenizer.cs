using Microsoft.ML.Tokenizers;

namespace Subclone.Data.Tokenizers;

/// <summary>A SentencePiece <c>.model</c> (BPE or Unigram protobuf), backed by Microsoft.ML.Tokenizers.</summary>
/// <remarks>
/// Follows SentencePiece, not llama2.c's run.c: a model trained with remove_extra_whitespaces (as llama2.c's
/// tok512.model is) trims the text and collapses runs of spaces before encoding, which run.c does not.
/// </remarks>
public sealed class SentencePieceTextTokenizer : ITextTokenizer
{
    private readonly SentencePieceTokenizer tokenizer;
    private readonly string path;

    private SentencePieceTextTokenizer(SentencePieceTokenizer tokenizer, string path)
    {
        this.tokenizer = tokenizer;
        this.path = path;
    }

    /// <inheritdoc/>
    public int VocabSize => tokenizer.Vocabulary.Count;

    /// <inheritdoc/>
    public int? BosId => tokenizer.BeginningOfSentenceId;

    /// <inheritdoc/>
    public int? EosId => tokenizer.EndOfSentenceId;

    /// <summary>Loads a SentencePiece .model file, with BOS/EOS left to the caller.</summary>
    public static SentencePieceTextTokenizer Load(string modelPath)
    {
        using var stream = File.OpenRead(modelPath);
        // BOS/EOS off: callers frame sequences themselves (see ITextTokenizer.Encode). The model's own
        // add_dummy_prefix setting still applies, as in SentencePiece.
        return new SentencePieceTextTokenizer(LibraryTokenizerFile.Load(modelPath, "SentencePiece model",
            () => SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false)), modelPath);
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = EncodeWithLibrary(text);
        // A malformed .model (special or byte-fallback ids past its pieces; found by fuzzing) makes the library return
        // ids outside its own vocabulary, which would index past the model's embedding table.
        foreach (int id in ids)
            if ((uint)id >= (uint)VocabSize)
                throw new InvalidDataException($"{path}: encodes text to id {id}, outside its {VocabSize} pieces (a malformed SentencePiece model)");
        return ids;
    }

    IReadOnlyList<int> EncodeWithLibrary(string text)
    {
        // Microsoft.ML.Tokenizers 2.0.1 bug: with remove_extra_whitespaces its SentencePieceNormalizer returns "" when
        // the trimmed text is a single char (it tests startIndex == endIndex, not >), so "x" would encode to nothing.
        // Normalize that case here the way the library does for longer text.
        if (tokenizer.Normalizer is SentencePieceNormalizer { RemoveExtraWhiteSpaces: true } normalizer && text.Trim(' ') is { Length: 1 } single)
        {
            string space = normalizer.EscapeWhiteSpaces ? "\u2581" : " ";
            string normalized = !normalizer.AddDummyPrefix ? single : normalizer.TreatWhitespaceAsSuffix ? single + space : space + single;
            return tokenizer.EncodeToIds(normalized, addBeginningOfSentence: false, addEndOfSentence: false, considerNormalization: false);
        }
        return tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
    }

    /// <inheritdoc/>
    public string Decode(IEnumerable<int> ids)
    {
        // Microsoft.ML.Tokenizers 2.0.1 dereferences a piece a malformed .model leaves empty (found by fuzzing).
        try { return tokenizer.Decode(ids); }
        catch (NullReferenceException) { throw new InvalidDataException($"{path}: a piece it decodes to is missing (a malformed SentencePiece model)"); }
    }
}
